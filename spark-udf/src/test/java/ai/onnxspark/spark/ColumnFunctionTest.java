package ai.onnxspark.spark;

import static ai.onnxspark.sql.OnnxFunctions.onnxPredict;
import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxspark.OnnxException;
import ai.onnxspark.testing.OrtReference;
import ai.onnxspark.testing.SparkTestBase;
import ai.onnxspark.testing.TestModels;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code withColumn(onnxPredict(...))}: same numbers as transform, scored in batches. */
class ColumnFunctionTest extends SparkTestBase {

  @Test
  void withColumnMatchesTransformAndPlansTheBatchingOperator() {
    byte[] bytes = TestModels.mlp(8, 16, 3, 21);
    Dataset<Row> df = TransformTest.featuresFrame(TransformTest.randomRows(300, 8, 4), 3);
    OnnxModel model = OnnxModel.fromBytes(bytes).withOutput("logits", "logits").withBatchSize(50);

    Dataset<Row> withColumn = df.withColumn("p", onnxPredict(model, col("features")));
    List<Row> expected = model.withInput("features", "features").transform(df).collectAsList();
    List<Row> actual = withColumn.collectAsList();

    assertThat(withColumn.schema().apply("p").dataType())
        .isEqualTo(DataTypes.createArrayType(DataTypes.FloatType, false));
    assertThat(withColumn.queryExecution().executedPlan().toString()).contains("OnnxPredictBatch");
    assertThat(actual).hasSize(300);
    for (int i = 0; i < actual.size(); i++) {
      assertThat(actual.get(i).getLong(0)).isEqualTo(expected.get(i).getLong(0));
      assertThat(actual.get(i).<Float>getList(2)).isEqualTo(expected.get(i).<Float>getList(2));
    }
  }

  @Test
  void parquetColumnsComputedArgumentsAndSeveralPredictionsInOneSelect(@TempDir Path dir)
      throws Exception {
    byte[] bytes = TestModels.mlp(8, 16, 3, 31);
    float[][] features = TransformTest.randomRows(333, 8, 7);
    String path = dir.resolve("f.parquet").toString();
    TransformTest.featuresFrame(features, 3).write().parquet(path);
    OnnxModel model = OnnxModel.fromBytes(bytes).withOutput("logits", "logits").withBatchSize(40);
    float[][] doubled = new float[features.length][];
    for (int i = 0; i < features.length; i++) {
      doubled[i] = new float[8];
      for (int k = 0; k < 8; k++) {
        doubled[i][k] = features[i][k] * 2;
      }
    }
    float[][] plain = (float[][]) OrtReference.run(bytes, Map.of("features", features), "logits");
    float[][] twice = (float[][]) OrtReference.run(bytes, Map.of("features", doubled), "logits");

    // The first prediction reads the Parquet scan's columns in place; the second evaluates its
    // argument first.
    List<Row> rows =
        spark
            .read()
            .parquet(path)
            .select(
                col("id"),
                onnxPredict(model, col("features")).as("a"),
                onnxPredict(model, functions.expr("transform(features, x -> x * CAST(2 AS FLOAT))"))
                    .as("b"))
            .collectAsList();

    assertThat(rows).hasSize(features.length);
    for (Row row : rows) {
      int id = (int) row.getLong(0);
      assertThat(TransformTest.floats(row.getList(1))).containsExactly(plain[id]);
      assertThat(TransformTest.floats(row.getList(2))).containsExactly(twice[id]);
    }
  }

  @Test
  void onePredictionOverParquetColumnsIsScoredColumnarAndMatchesOnnxRuntime(@TempDir Path dir)
      throws Exception {
    byte[] bytes = TestModels.mlp(8, 16, 3, 31);
    float[][] features = TransformTest.randomRows(301, 8, 5);
    String path = dir.resolve("f.parquet").toString();
    TransformTest.featuresFrame(features, 3).write().parquet(path);
    OnnxModel model = OnnxModel.fromBytes(bytes).withOutput("logits", "logits").withBatchSize(40);
    float[][] logits = (float[][]) OrtReference.run(bytes, Map.of("features", features), "logits");
    spark.conf().set("spark.sql.parquet.columnarReaderBatchSize", "50");
    try {
      Dataset<Row> scored =
          spark.read().parquet(path).withColumn("prediction", onnxPredict(model, col("features")));
      // The scan's batches pass through with the result's column vector added.
      assertThat(
              scored
                  .queryExecution()
                  .executedPlan()
                  .find(p -> p.nodeName().equals("OnnxPredictBatch"))
                  .get()
                  .supportsColumnar())
          .isTrue();
      List<Row> rows = scored.collectAsList();
      assertThat(rows).hasSize(features.length);
      for (Row row : rows) {
        int id = (int) row.getLong(0);
        assertThat(TransformTest.floats(row.getList(1))).containsExactly(features[id]);
        assertThat(TransformTest.floats(row.getList(2))).containsExactly(logits[id]);
      }
    } finally {
      spark.conf().unset("spark.sql.parquet.columnarReaderBatchSize");
    }
  }

  @Test
  void rowsReachOnnxRuntimeInBatchesOfTheConfiguredSize() {
    OnnxModel model = OnnxModel.fromBytes(TestModels.rowsInBatch(8)).withBatchSize(64);
    Dataset<Row> df = TransformTest.featuresFrame(TransformTest.randomRows(1000, 8, 1), 1);

    List<Row> rows = df.select(onnxPredict(model, col("features")).as("rows")).collectAsList();

    assertThat(rows).extracting(r -> r.getFloat(0)).filteredOn(n -> n == 64f).hasSize(960);
    assertThat(rows).extracting(r -> r.getFloat(0)).filteredOn(n -> n == 40f).hasSize(40);
  }

  @Test
  void severalOutputsBecomeAStructAndFiltersAndJoinsWorkAround() {
    byte[] bytes = TestModels.mlp(8, 4, 3, 3);
    Dataset<Row> df = TransformTest.featuresFrame(TransformTest.randomRows(40, 8, 2), 2);
    OnnxModel model = OnnxModel.fromBytes(bytes).withInput("features", "features");

    Dataset<Row> scored = df.withColumn("out", onnxPredict(model));
    StructType type = (StructType) scored.schema().apply("out").dataType();
    assertThat(type.fieldNames()).containsExactly("logits", "probabilities");

    Dataset<Row> confident =
        scored
            .where(col("out.probabilities").getItem(0).gt(0.0))
            .join(df.select(col("id"), col("id").multiply(2).as("twice")), "id")
            .cache();
    assertThat(confident.count()).isEqualTo(40);
    assertThat(confident.collectAsList())
        .allSatisfy(r -> assertThat(r.getLong(r.fieldIndex("twice"))).isEqualTo(2 * r.getLong(0)));

    // A prediction used inside a filter condition.
    OnnxModel sum = OnnxModel.fromBytes(TestModels.rowSum(8));
    long positive = df.where(onnxPredict(sum, col("features")).gt(0)).count();
    long expected =
        df.collectAsList().stream()
            .filter(r -> r.<Float>getList(1).stream().mapToDouble(Float::doubleValue).sum() > 0)
            .count();
    assertThat(positive).isEqualTo(expected);
  }

  @Test
  void checkpointedAndCachedPlansKeepThePredictions(@TempDir Path dir) {
    spark.sparkContext().setCheckpointDir(dir.toString());
    OnnxModel model = OnnxModel.fromBytes(TestModels.mlp(8, 4, 3, 9)).withOutput("logits", "l");
    Dataset<Row> df = TransformTest.featuresFrame(TransformTest.randomRows(60, 8, 4), 3);
    List<Row> expected =
        model.withInput("features", "features").transform(df).orderBy("id").collectAsList();

    Dataset<Row> scored = df.withColumn("l", onnxPredict(model, col("features")));
    assertThat(scored.checkpoint().orderBy("id").collectAsList()).isEqualTo(expected);
    assertThat(scored.localCheckpoint().orderBy("id").collectAsList()).isEqualTo(expected);
    Dataset<Row> cached = scored.cache();
    assertThat(cached.orderBy("id").collectAsList()).isEqualTo(expected);
    assertThat(cached.where(col("id").lt(10)).count()).isEqualTo(10);
    cached.unpersist();
  }

  @Test
  void groupingAndOrderingByPredictions() {
    OnnxModel sum = OnnxModel.fromBytes(TestModels.rowSum(8));
    Dataset<Row> df = TransformTest.featuresFrame(TransformTest.randomRows(30, 8, 6), 2);
    List<Row> scored =
        df.select(col("id"), onnxPredict(sum, col("features")).as("s")).collectAsList();
    long positive = scored.stream().filter(r -> r.getFloat(1) > 0).count();

    Dataset<Row> grouped =
        df.groupBy(onnxPredict(sum, col("features")).gt(0).as("positive")).count();
    Dataset<Row> groupedLater =
        df.withColumn("s", onnxPredict(sum, col("features")))
            .groupBy(col("s").gt(0).as("positive"))
            .count();
    Dataset<Row> ordered = df.orderBy(onnxPredict(sum, col("features")));

    assertThat(grouped.queryExecution().executedPlan().toString()).contains("OnnxPredictBatch");
    assertThat(grouped.where("positive").first().getLong(1)).isEqualTo(positive);
    assertThat(groupedLater.where("positive").first().getLong(1)).isEqualTo(positive);
    assertThat(ordered.queryExecution().executedPlan().toString()).contains("OnnxPredictBatch");
    long[] expectedOrder =
        scored.stream()
            .sorted((x, y) -> Float.compare(x.getFloat(1), y.getFloat(1)))
            .mapToLong(r -> r.getLong(0))
            .toArray();
    assertThat(ordered.collectAsList())
        .extracting(r -> r.getLong(0))
        .containsExactly(java.util.Arrays.stream(expectedOrder).boxed().toArray(Long[]::new));
  }

  @Test
  void scalarColumnsAreAssembledAndTypesAreCheckedAtAnalysis() {
    Dataset<Row> df =
        spark.sql(
            "SELECT CAST(id AS FLOAT) a, CAST(id * 2 AS FLOAT) b, CAST(id AS DOUBLE) d FROM range(5)");
    OnnxModel sum = OnnxModel.fromBytes(TestModels.rowSum(2));
    assertThat(df.select(onnxPredict(sum, "a", "b")).collectAsList())
        .extracting(r -> r.getFloat(0))
        .containsExactly(0f, 3f, 6f, 9f, 12f);
    assertThatThrownBy(() -> df.select(onnxPredict(sum, "a", "d")).collect())
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("column 'd' is double");
    assertThatThrownBy(() -> df.select(onnxPredict(OnnxModel.fromBytes(TestModels.concat()), "a")))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining(
            "takes one column per model input [a: float[batch,2], b: float[batch,3]], but got 1 column(s)");
  }
}
