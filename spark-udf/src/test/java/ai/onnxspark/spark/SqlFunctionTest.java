package ai.onnxspark.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxspark.OnnxException;
import ai.onnxspark.sql.OnnxModels;
import ai.onnxspark.testing.EveryLine;
import ai.onnxspark.testing.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code onnx_predict} in SQL, in a session started with {@code
 * spark.sql.extensions=ai.onnxspark.sql.OnnxSparkExtensions}, as SQL and PySpark users configure
 * it.
 */
@EveryLine
class SqlFunctionTest {
  private static SparkSession spark;

  /** The folder the administrator lets sessions name models in. */
  @TempDir static Path modelRoot;

  @BeforeAll
  static void start() {
    SparkSession.getActiveSession()
        .foreach(
            s -> {
              s.stop();
              return null;
            });
    spark =
        SparkSession.builder()
            .master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.sql.extensions", "ai.onnxspark.sql.OnnxSparkExtensions")
            .config("spark.onnx.models.allowedRoots", modelRoot.toString())
            .getOrCreate();
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @Test
  void registeredModelScoresFromSqlLikeTransform() {
    byte[] bytes = TestModels.mlp(8, 16, 3, 5);
    OnnxModel model = OnnxModel.fromBytes(bytes).withOutput("logits", "logits").withBatchSize(16);
    OnnxModels.register(spark, "mlp", model);
    float[][] features = TransformTest.randomRows(100, 8, 3);
    Dataset<Row> df = frame(features);
    df.createOrReplaceTempView("t");

    Dataset<Row> sql =
        spark.sql("SELECT id, onnx_predict('mlp', features) AS logits FROM t ORDER BY id");
    List<Row> expected =
        model.withInput("features", "features").transform(df).orderBy("id").collectAsList();

    assertThat(sql.queryExecution().executedPlan().toString()).contains("OnnxPredictBatch");
    List<Row> rows = sql.collectAsList();
    for (int i = 0; i < rows.size(); i++) {
      assertThat(rows.get(i).<Float>getList(1)).isEqualTo(expected.get(i).<Float>getList(2));
    }
    // CREATE TABLE AS SELECT and expressions around the call.
    spark.sql(
        "CREATE OR REPLACE TEMP VIEW scores AS SELECT id, onnx_predict('mlp', features)[0] AS s FROM t WHERE id < 10");
    assertThat(spark.sql("SELECT count(*) FROM scores").first().getLong(0)).isEqualTo(10);
  }

  @Test
  void modelsCanBeNamedByConfigurationFromSqlAlone() throws Exception {
    Path file = Files.write(modelRoot.resolve("sum.onnx"), TestModels.rowSum(8));
    frame(TransformTest.randomRows(5, 8, 1)).createOrReplaceTempView("u");
    spark.sql("SET spark.onnx.models.rowsum.path=" + file);

    List<Row> rows =
        spark.sql("SELECT id, onnx_predict('rowsum', features) FROM u").collectAsList();

    assertThat(rows).hasSize(5);
    assertThat(rows.get(0).get(1)).isInstanceOf(Float.class);
  }

  @Test
  void unknownModelNamesListTheKnownOnes() {
    OnnxModels.register(spark, "known", OnnxModel.fromBytes(TestModels.rowSum(8)));
    frame(TransformTest.randomRows(2, 8, 1)).createOrReplaceTempView("v");
    assertThatThrownBy(() -> spark.sql("SELECT onnx_predict('nope', features) FROM v").collect())
        .isInstanceOf(OnnxException.class)
        .hasMessageStartingWith("No ONNX model is registered under the name 'nope'; registered: [")
        .hasMessageContaining("known")
        .hasMessageContaining("SET spark.onnx.models.nope.path=");
    assertThatThrownBy(() -> spark.sql("SELECT onnx_predict(features) FROM v").collect())
        .isInstanceOf(OnnxException.class)
        .hasMessageStartingWith(
            "onnx_predict takes the registered name of a model as its first argument");
  }

  @Test
  void aMapOfOptionsSetsPerCallOptions() {
    OnnxModels.register(spark, "counter", OnnxModel.fromBytes(TestModels.rowsInBatch(8)));
    frame(TransformTest.randomRows(100, 8, 2)).coalesce(1).createOrReplaceTempView("w");

    List<Row> rows =
        spark
            .sql("SELECT onnx_predict('counter', map('batch-size', '30'), features) FROM w")
            .collectAsList();
    assertThat(rows).extracting(r -> r.getFloat(0)).filteredOn(n -> n == 30f).hasSize(90);
    assertThat(rows).extracting(r -> r.getFloat(0)).filteredOn(n -> n == 10f).hasSize(10);

    assertThatThrownBy(
            () ->
                spark.sql(
                    "SELECT onnx_predict('counter', map('batchsize', '30'), features) FROM w"))
        .isInstanceOf(OnnxException.class)
        .hasMessageStartingWith(
            "Unknown ONNX scoring option 'batchsize', expected one of [batch-size,")
        .hasMessageContaining(
            String.join(
                ", ", ai.onnxspark.OnnxOptions.keysFor(ai.onnxspark.OnnxOption.Api.TRANSFORM)));
    assertThatThrownBy(
            () ->
                spark.sql(
                    "SELECT onnx_predict('counter', map('batch-size', '0'), features) FROM w"))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("'batch-size' = '0' is invalid: expected a positive number of rows");
    assertThatThrownBy(
            () ->
                spark.sql("SELECT onnx_predict('counter', map('batch-size', 30), features) FROM w"))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("takes its options as a map of string literals")
        .hasMessageContaining("MAP<STRING, INT>");
  }

  @Test
  void describeFunctionExplainsUsage() {
    String text =
        String.join(
            "\n",
            spark
                .sql("DESCRIBE FUNCTION EXTENDED onnx_predict")
                .as(org.apache.spark.sql.Encoders.STRING())
                .collectAsList());
    assertThat(text)
        .contains(
            "onnx_predict(model_name[, options], col1, col2, ...)",
            "spark.onnx.models.<name>.path",
            "Examples:");
  }

  private static Dataset<Row> frame(float[][] features) {
    List<Row> rows = new java.util.ArrayList<>();
    for (int i = 0; i < features.length; i++) {
      rows.add(org.apache.spark.sql.RowFactory.create((long) i, features[i]));
    }
    return spark.createDataFrame(
        rows,
        new org.apache.spark.sql.types.StructType()
            .add("id", org.apache.spark.sql.types.DataTypes.LongType)
            .add(
                "features",
                org.apache.spark.sql.types.DataTypes.createArrayType(
                    org.apache.spark.sql.types.DataTypes.FloatType)));
  }
}
