package ai.onnxspark.api;

import static ai.onnxspark.sql.OnnxFunctions.onnxPredict;
import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxspark.OnnxException;
import ai.onnxspark.OnnxException.ErrorClass;
import ai.onnxspark.internal.model.ModelBytes;
import ai.onnxspark.internal.plan.BroadcastModel;
import ai.onnxspark.spark.OnnxModel;
import ai.onnxspark.spark.ScoringMetrics;
import ai.onnxspark.testing.SparkTestBase;
import ai.onnxspark.testing.TestModels;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Test;

/** Equal calls scored once, broadcasts made when scoring runs and released, errors by class. */
class PlanHygieneTest extends SparkTestBase {
  private static final byte[] MLP = TestModels.mlp(4, 8, 3, 9);

  private static Dataset<Row> table(int rows) {
    return spark
        .range(rows)
        .selectExpr("id", "array(cast(id as float), 1f, 2f, 3f) AS f")
        .repartition(2);
  }

  @Test
  void equalOnnxPredictCallsInOneSelectAreScoredOnce() {
    OnnxModel model = OnnxModel.fromBytes(MLP).withInput("features", "f");
    ScoringMetrics metrics = ScoringMetrics.register(spark.sparkContext());
    long before = metrics.rows();
    Dataset<Row> df =
        table(50)
            .select(
                onnxPredict(model, functions.col("f")).as("a"),
                onnxPredict(OnnxModel.fromBytes(MLP).withInput("features", "f"), functions.col("f"))
                    .as("b"));
    assertThat(df.queryExecution().executedPlan().toString())
        .containsOnlyOnce("OnnxPredictBatch [");
    assertThat(df.collectAsList()).allMatch(r -> r.get(0).equals(r.get(1)));
    // ScoringMetrics of the session count the operator's rows; one call, 50 rows.
    assertThat(ScoringMetrics.register(spark.sparkContext()).rows() - before)
        .isLessThanOrEqualTo(50);
  }

  @Test
  void theColumnFunctionBroadcastsWhenTheQueryRunsAndUnpersistReleasesIt() {
    OnnxModel model = OnnxModel.fromBytes(TestModels.mlp(4, 8, 3, 77)).withInput("features", "f");
    ModelBytes bytes = ModelBytes.of(writeBytes(model), "probe");
    Dataset<Row> df = table(10).withColumn("p", onnxPredict(model));
    df.queryExecution().analyzed();
    assertThat(BroadcastModel.release(spark.sparkContext(), bytes.fingerprint()))
        .as("analysis broadcast nothing")
        .isFalse();
    assertThat(df.count()).isEqualTo(10);
    df.collectAsList();
    model.unpersist();
    assertThat(BroadcastModel.release(spark.sparkContext(), bytes.fingerprint()))
        .as("unpersist released the broadcast")
        .isFalse();
    assertThat(table(10).withColumn("p", onnxPredict(model)).collectAsList()).hasSize(10);
    assertThat(BroadcastModel.release(spark.sparkContext(), bytes.fingerprint()))
        .as("a later run broadcast it again")
        .isTrue();
  }

  @Test
  void errorsCarryAClassProgramsCanSwitchOn() {
    OnnxModel model = OnnxModel.fromBytes(MLP);
    assertThat(classOf(() -> model.withOptions(Map.of("batch-size", "-1"))))
        .isEqualTo(ErrorClass.CONFIGURATION);
    assertThat(classOf(() -> model.withInput("features", "nope").transform(table(3))))
        .isEqualTo(ErrorClass.SCHEMA);
    assertThat(classOf(() -> OnnxModel.fromBytes(new byte[] {1, 2, 3})))
        .isEqualTo(ErrorClass.MODEL);
    Dataset<Row> withNull =
        spark.range(3).selectExpr("id", "CASE WHEN id = 1 THEN null ELSE array(1f,2f,3f,4f) END f");
    Throwable failed =
        org.assertj.core.api.Assertions.catchThrowable(
            () -> model.withInput("features", "f").transform(withNull).collectAsList());
    while (failed != null && !(failed instanceof OnnxException)) {
      failed = failed.getCause();
    }
    assertThat(failed).isNotNull();
    assertThat(((OnnxException) failed).errorClass()).isEqualTo(ErrorClass.ROW_INPUT);
  }

  private static ErrorClass classOf(Runnable call) {
    Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(call::run);
    assertThat(thrown).isInstanceOf(OnnxException.class);
    return ((OnnxException) thrown).errorClass();
  }

  private static byte[] writeBytes(OnnxModel model) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try {
      model.writeTo(out);
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
    return out.toByteArray();
  }
}
