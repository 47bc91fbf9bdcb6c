package ai.onnxspark.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnxspark.sql.OnnxFunctions;
import ai.onnxspark.sql.OnnxModels;
import ai.onnxspark.testing.EveryLine;
import ai.onnxspark.testing.OrtReference;
import ai.onnxspark.testing.SparkTestBase;
import ai.onnxspark.testing.TestModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryProgress;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Structured Streaming: {@code transform}, the column function and SQL score streaming DataFrames
 * through the same plan as batches, with their options, and the executor keeps one ONNX Runtime
 * session per model for the whole query rather than one per micro-batch.
 */
@EveryLine
class StreamingTest extends SparkTestBase {
  private static final StructType SENTENCES =
      new StructType()
          .add("id", DataTypes.IntegerType)
          .add("input_ids", DataTypes.createArrayType(DataTypes.LongType, false), true)
          .add("attention_mask", DataTypes.createArrayType(DataTypes.LongType, false), true);

  @TempDir Path tmp;

  /** 24 sentences of 1 to 12 tokens in 4 Parquet files; sentence 5 has no ids (a bad row). */
  private String sentenceFiles() {
    Random random = new Random(16);
    List<Row> data = new ArrayList<>();
    for (int r = 0; r < 24; r++) {
      int length = 1 + random.nextInt(12);
      Long[] ids = new Long[length];
      Long[] mask = new Long[length];
      for (int t = 0; t < length; t++) {
        ids[t] = (long) (1 + random.nextInt(500));
        mask[t] = 1L;
      }
      data.add(RowFactory.create(r, r == 5 ? null : ids, mask));
    }
    String dir = tmp.resolve("sentences").toString();
    spark.createDataFrame(data, SENTENCES).repartition(4).write().parquet(dir);
    return dir;
  }

  private static List<Row> runToEnd(Dataset<Row> scored, String name, Path checkpoint)
      throws Exception {
    assertThat(scored.isStreaming()).as("the scored DataFrame is still a stream").isTrue();
    StreamingQuery query =
        scored
            .writeStream()
            .format("memory")
            .queryName(name)
            .trigger(Trigger.AvailableNow())
            .option("checkpointLocation", checkpoint.toString())
            .start();
    try {
      query.awaitTermination();
    } finally {
      query.stop();
    }
    return spark.table(name).orderBy("id").collectAsList();
  }

  @Test
  void transformScoresAStreamWithPermissiveModePaddingAndBatchSize() throws Exception {
    Dataset<Row> stream =
        spark
            .readStream()
            .schema(SENTENCES)
            .option("maxFilesPerTrigger", 1)
            .parquet(sentenceFiles());
    OnnxModel model =
        OnnxModel.fromBytes(TestModels.maskedText())
            .withInput("ids", "input_ids")
            .withInput("mask", "attention_mask")
            .withPadding("ids", 0)
            .withPadding("mask", 0)
            .withBatchSize(3)
            .withPermissive("why");

    List<Row> rows = runToEnd(model.transform(stream), "transform_stream", tmp.resolve("cp1"));

    assertThat(rows).hasSize(24);
    assertThat(rows.get(0).schema().fieldNames())
        .containsExactly("id", "input_ids", "attention_mask", "tokens", "mean", "width", "why");
    for (Row row : rows) {
      if (row.getInt(0) == 5) {
        assertThat(row.isNullAt(3)).isTrue();
        assertThat(row.isNullAt(4)).isTrue();
        assertThat(row.getString(6)).contains("input_ids").contains("null");
        continue;
      }
      assertThat(row.isNullAt(6)).as("error of row %s", row.getInt(0)).isTrue();
      List<Long> ids = row.getList(1);
      List<Float> tokens = row.getList(3);
      assertThat(tokens).hasSize(ids.size());
      double sum = 0;
      for (int t = 0; t < ids.size(); t++) {
        assertThat(tokens.get(t)).isEqualTo((float) (long) ids.get(t));
        sum += ids.get(t);
      }
      assertThat(row.getFloat(4)).isEqualTo((float) (sum / ids.size()));
    }

    // The column function and SQL give the same rows on the same stream.
    Dataset<Row> viaColumn =
        spark
            .readStream()
            .schema(SENTENCES)
            .parquet(tmp.resolve("sentences").toString())
            .withColumn("p", OnnxFunctions.onnxPredict(model))
            .select("id", "p.mean", "p.why");
    OnnxModels.register(spark, "text_stream", model);
    spark
        .readStream()
        .schema(SENTENCES)
        .parquet(tmp.resolve("sentences").toString())
        .createOrReplaceTempView("sentence_stream");
    Dataset<Row> viaSql =
        spark.sql(
            "SELECT id, p.mean, p.why FROM (SELECT id, onnx_predict('text_stream',"
                + " input_ids, attention_mask) AS p FROM sentence_stream)");
    List<Row> column = runToEnd(viaColumn, "column_stream", tmp.resolve("cp2"));
    List<Row> sql = runToEnd(viaSql, "sql_stream", tmp.resolve("cp3"));
    for (List<Row> other : List.of(column, sql)) {
      assertThat(other).hasSize(24);
      for (int i = 0; i < 24; i++) {
        assertThat(other.get(i).get(1)).isEqualTo(rows.get(i).get(4));
        assertThat(other.get(i).isNullAt(2)).isEqualTo(rows.get(i).isNullAt(6));
      }
    }
  }

  @Test
  void oneSessionServesAllTwentyMicroBatchesAndEveryRowMatchesOnnxRuntime() throws Exception {
    // A model no other test uses, so that this JVM's session cache has no session for it yet.
    byte[] mlp = TestModels.mlp(4, 8, 3, 20_260_518L);
    Random random = new Random(18);
    int count = 200;
    float[][] features = new float[count][];
    List<Row> data = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      features[i] = TestModels.gaussian(random, 4);
      Float[] boxed = new Float[4];
      for (int j = 0; j < 4; j++) {
        boxed[j] = features[i][j];
      }
      data.add(RowFactory.create(i, boxed));
    }
    StructType schema =
        new StructType()
            .add("id", DataTypes.IntegerType)
            .add("features", DataTypes.createArrayType(DataTypes.FloatType, false));
    String dir = tmp.resolve("features").toString();
    spark.createDataFrame(data, schema).repartition(20).write().parquet(dir);
    assertThat(spark.read().parquet(dir).inputFiles()).hasSize(20);

    ScoringMetrics metrics = ScoringMetrics.register(spark.sparkContext());
    Dataset<Row> stream =
        spark.readStream().schema(schema).option("maxFilesPerTrigger", 1).parquet(dir);
    Dataset<Row> scored =
        OnnxModel.fromBytes(mlp)
            .withInput("features", "features")
            .withOutput("probabilities", "p")
            .withBatchSize(4)
            .transform(stream, metrics)
            .select("id", "p");
    StreamingQuery query =
        scored
            .writeStream()
            .format("memory")
            .queryName("micro_batches")
            .trigger(Trigger.AvailableNow())
            .option("checkpointLocation", tmp.resolve("cp").toString())
            .start();
    try {
      query.awaitTermination();
    } finally {
      query.stop();
    }

    long batchesWithRows =
        Arrays.stream(query.recentProgress()).filter(p -> p.numInputRows() > 0).count();
    assertThat(batchesWithRows).as("micro-batches with rows").isEqualTo(20);
    assertThat(
            Arrays.stream(query.recentProgress())
                .mapToLong(StreamingQueryProgress::numInputRows)
                .sum())
        .isEqualTo(count);
    assertThat(metrics.rows()).isEqualTo(count);
    assertThat(metrics.sessionsCreated())
        .as("sessions created by the executor over 20 micro-batches (%s)", metrics)
        .isEqualTo(1);

    float[][] expected =
        (float[][]) OrtReference.run(mlp, Map.of("features", features), "probabilities");
    Map<Integer, List<Float>> byId = new HashMap<>();
    for (Row row : spark.table("micro_batches").collectAsList()) {
      assertThat(byId.put(row.getInt(0), row.getList(1))).as("row %s once", row.getInt(0)).isNull();
    }
    assertThat(byId).hasSize(count);
    for (int i = 0; i < count; i++) {
      List<Float> actual = byId.get(i);
      assertThat(actual).hasSize(3);
      for (int k = 0; k < 3; k++) {
        assertThat(actual.get(k))
            .as("row %s, class %s", i, k)
            .isCloseTo(expected[i][k], within(1e-6f));
      }
    }
  }
}
