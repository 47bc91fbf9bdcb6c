package ai.onnxspark.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnxspark.testing.OrtReference;
import ai.onnxspark.testing.SparkTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * The real exported models under {@code models/} (PyTorch exports, see {@code
 * models/export_models.py}): a wide-and-deep recommender with int64 ids, and a transformer text
 * encoder with token ids and attention masks of variable length.
 */
class ExportedModelsTest extends SparkTestBase {

  static Path model(String name) {
    Path inRepo = Paths.get("..", "models", name);
    return Files.exists(inRepo) ? inRepo : Paths.get("models", name);
  }

  @Test
  void recommenderScoresIdsAndContextLikeOnnxRuntimeAndIsolatesUnknownIds() throws Exception {
    Random random = new Random(12);
    int n = 300;
    long[] users = new long[n];
    long[] items = new long[n];
    float[][] context = new float[n][8];
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      users[i] = random.nextInt(10000);
      items[i] = random.nextInt(5000);
      for (int k = 0; k < 8; k++) {
        context[i][k] = (float) random.nextGaussian();
      }
      rows.add(RowFactory.create(i, users[i], (int) items[i], context[i]));
    }
    Dataset<Row> df =
        spark.createDataFrame(
            rows,
            new StructType()
                .add("id", DataTypes.IntegerType)
                .add("user", DataTypes.LongType)
                .add("item", DataTypes.IntegerType)
                .add("ctx", DataTypes.createArrayType(DataTypes.FloatType, false)));
    byte[] bytes = Files.readAllBytes(model("widedeep.onnx"));
    OnnxModel recommender =
        OnnxModel.fromBytes(bytes)
            .withInput("user_id", "user")
            .withInput("item_id", "item")
            .withInput("context", "ctx")
            .withBatchSize(64);

    List<Row> scored = recommender.transform(df).orderBy("id").collectAsList();

    float[][] expected =
        (float[][])
            OrtReference.run(
                bytes,
                Map.of("user_id", users, "item_id", items, "context", context),
                "click_prob");
    assertThat(scored.get(0).schema().apply("click_prob").dataType())
        .isEqualTo(DataTypes.FloatType);
    for (int i = 0; i < n; i++) {
      assertThat(scored.get(i).getFloat(4)).isCloseTo(expected[i][0], within(1e-6f));
    }

    // An id beyond the embedding table: ONNX Runtime rejects its batch; permissive mode isolates
    // it.
    List<Row> withUnknown = new ArrayList<>(rows.subList(0, 10));
    withUnknown.add(RowFactory.create(99, 123456L, 1, context[0]));
    List<Row> permissive =
        recommender
            .withPermissive()
            .transform(spark.createDataFrame(withUnknown, df.schema()).coalesce(1))
            .orderBy("id")
            .collectAsList();
    assertThat(permissive).hasSize(11);
    assertThat(permissive.subList(0, 10)).allMatch(r -> r.isNullAt(5) && !r.isNullAt(4));
    assertThat(permissive.get(10).isNullAt(4)).isTrue();
    assertThat(permissive.get(10).getString(5)).contains("ONNX Runtime");
  }

  /**
   * The text encoder (its vocabulary cut to 2,000 tokens by {@code jobs/bin/sample-model --from
   * text_encoder.onnx --vocab 2000}): sentences of 3 to 24 tokens, padded per batch, score as each
   * sentence does alone, unpadded, on ONNX Runtime.
   */
  @Test
  void textEncoderScoresVariableLengthSentencesInPaddedBatches() throws Exception {
    byte[] bytes = Files.readAllBytes(model("text_encoder.onnx"));
    Random random = new Random(21);
    int n = 40;
    List<Row> rows = new ArrayList<>();
    long[][] sentences = new long[n][];
    for (int i = 0; i < n; i++) {
      int length = 3 + random.nextInt(22);
      sentences[i] = new long[length];
      Long[] ids = new Long[length];
      Long[] mask = new Long[length];
      for (int t = 0; t < length; t++) {
        sentences[i][t] = 1 + random.nextInt(1999);
        ids[t] = sentences[i][t];
        mask[t] = 1L;
      }
      rows.add(RowFactory.create(i, ids, mask));
    }
    Dataset<Row> df =
        spark
            .createDataFrame(
                rows,
                new StructType()
                    .add("id", DataTypes.IntegerType)
                    .add("input_ids", DataTypes.createArrayType(DataTypes.LongType, false))
                    .add("attention_mask", DataTypes.createArrayType(DataTypes.LongType, false)))
            .repartition(2);

    List<Row> scored =
        OnnxModel.fromBytes(bytes)
            .withPadding("input_ids", 0)
            .withPadding("attention_mask", 0)
            .withBatchSize(8)
            .withArgmax("logits", "label")
            .transform(df)
            .orderBy("id")
            .collectAsList();

    for (int i = 0; i < n; i++) {
      long[][] ids = {sentences[i]};
      long[][] mask = {new long[sentences[i].length]};
      java.util.Arrays.fill(mask[0], 1L);
      float[][] alone =
          (float[][])
              OrtReference.run(bytes, Map.of("input_ids", ids, "attention_mask", mask), "logits");
      float[] logits = TransformTest.floats(scored.get(i).getList(3));
      assertThat(logits[0]).isCloseTo(alone[0][0], within(1e-4f));
      assertThat(logits[1]).isCloseTo(alone[0][1], within(1e-4f));
      assertThat(scored.get(i).getInt(4)).isEqualTo(alone[0][1] > alone[0][0] ? 1 : 0);
    }
  }
}
