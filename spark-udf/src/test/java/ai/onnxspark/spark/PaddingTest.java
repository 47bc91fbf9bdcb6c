package ai.onnxspark.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxspark.OnnxException;
import ai.onnxspark.model.ElementType;
import ai.onnxspark.sql.OnnxFunctions;
import ai.onnxspark.sql.OnnxModels;
import ai.onnxspark.testing.ModelBuilder;
import ai.onnxspark.testing.SparkTestBase;
import ai.onnxspark.testing.TestModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Token ids and attention masks of different lengths per row: padded per batch to the longest row,
 * and the padding removed from per-token outputs, so every row gets what it would get alone.
 */
class PaddingTest extends SparkTestBase {

  static Dataset<Row> sentences(int rows) {
    Random random = new Random(4);
    List<Row> data = new ArrayList<>();
    for (int r = 0; r < rows; r++) {
      int length = 1 + random.nextInt(12);
      Long[] ids = new Long[length];
      Long[] mask = new Long[length];
      for (int t = 0; t < length; t++) {
        ids[t] = (long) (1 + random.nextInt(500));
        mask[t] = 1L;
      }
      data.add(RowFactory.create(r, ids, mask));
    }
    return spark.createDataFrame(
        data,
        new StructType()
            .add("id", DataTypes.IntegerType)
            .add("input_ids", DataTypes.createArrayType(DataTypes.LongType, false))
            .add("attention_mask", DataTypes.createArrayType(DataTypes.LongType, false)));
  }

  @ParameterizedTest(name = "batch {0}")
  @ValueSource(ints = {1, 5, 64})
  void rowsOfDifferentLengthsShareBatchesAndGetTheirOwnLengthBack(int batchSize) {
    Dataset<Row> df = sentences(40).repartition(2);
    OnnxModel model =
        OnnxModel.fromBytes(TestModels.maskedText())
            .withInput("ids", "input_ids")
            .withInput("mask", "attention_mask")
            .withPadding("ids", 0)
            .withPadding("mask", 0)
            .withBatchSize(batchSize);

    for (Dataset<Row> scored :
        List.of(
            model.transform(df),
            df.withColumn("p", OnnxFunctions.onnxPredict(model))
                .select("id", "input_ids", "attention_mask", "p.*"))) {
      List<Row> rows = scored.orderBy("id").collectAsList();
      assertThat(rows).hasSize(40);
      for (Row row : rows) {
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
    }
  }

  @Test
  void bucketingByLengthKeepsResultsAndOrderAndPadsLess() {
    Dataset<Row> df = sentences(200).coalesce(1);
    OnnxModel padded =
        OnnxModel.fromBytes(TestModels.maskedText())
            .withInput("ids", "input_ids")
            .withInput("mask", "attention_mask")
            .withPadding("ids", 0)
            .withPadding("mask", 0)
            .withBatchSize(8);

    List<Row> plain = padded.transform(df).collectAsList();
    List<Row> bucketed = padded.withBucketing(10).transform(df).collectAsList();

    // Same rows, in the same order, with the same results; each batch's width (the padded
    // length) is at least every row's own length, and smaller in total when grouped by length.
    assertThat(bucketed).hasSize(200);
    double plainWidth = 0;
    double bucketedWidth = 0;
    for (int i = 0; i < 200; i++) {
      assertThat(bucketed.get(i).getInt(0)).isEqualTo(plain.get(i).getInt(0));
      assertThat(bucketed.get(i).getList(3)).isEqualTo(plain.get(i).getList(3));
      assertThat(bucketed.get(i).getFloat(4)).isEqualTo(plain.get(i).getFloat(4));
      int length = bucketed.get(i).getList(1).size();
      assertThat(bucketed.get(i).getFloat(5)).isGreaterThanOrEqualTo(length);
      plainWidth += plain.get(i).getFloat(5);
      bucketedWidth += bucketed.get(i).getFloat(5);
    }
    assertThat(bucketedWidth).isLessThan(plainWidth * 0.8);
    assertThatThrownBy(
            () ->
                OnnxModel.fromBytes(TestModels.maskedText())
                    .withBucketing(4)
                    .withInput("ids", "input_ids")
                    .withInput("mask", "attention_mask")
                    .transform(df))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("bucketing by length needs padding");
  }

  @Test
  void withoutPaddingRaggedBatchesAreRefusedAndPaddingNeedsAVariableDimension() {
    Dataset<Row> df = sentences(10).coalesce(1);
    OnnxModel model =
        OnnxModel.fromBytes(TestModels.maskedText())
            .withInput("ids", "input_ids")
            .withInput("mask", "attention_mask")
            .withBatchSize(10);
    assertThatThrownBy(() -> model.transform(df).collect())
        .hasStackTraceContaining("rows of one batch must agree on it")
        .hasStackTraceContaining("withPadding('ids', <pad value>) (SQL: map('pad.ids', '0'))");
    // From SQL, the same padding as a per-call option.
    OnnxModels.register(spark, "text", model);
    df.createOrReplaceTempView("sentences");
    assertThat(
            spark
                .sql(
                    "SELECT onnx_predict('text', map('pad.ids', '0', 'pad.mask', '0'),"
                        + " input_ids, attention_mask).mean FROM sentences")
                .count())
        .isEqualTo(10);

    byte[] fixed =
        new ModelBuilder("fixed")
            .input("x", ElementType.FLOAT, "batch", 3)
            .node("Identity", "x", "y")
            .output("y", ElementType.FLOAT, "batch", 3)
            .build();
    assertThatThrownBy(
            () ->
                OnnxModel.fromBytes(fixed)
                    .withInput("x", "features")
                    .withPadding("x", 0)
                    .transform(TransformTest.featuresFrame(new float[][] {{1, 2, 3}}, 1)))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("padding needs a variable dimension per row");
  }
}
