package ai.onnxspark.internal.plan;

import ai.onnxspark.internal.OnnxErrors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;

/**
 * What {@code transform} needs of a DataFrame beyond the public API, for Spark 4.x: there, classic
 * (non-Connect) DataFrames are {@code org.apache.spark.sql.classic.Dataset}. The same members in
 * every line's folder ({@code src/main/shims/<line>}).
 */
final class ClassicDatasets {
  private ClassicDatasets() {}

  /** The analysed plan of {@code df}, which must belong to a classic session. */
  static LogicalPlan logicalPlan(Dataset<Row> df) {
    return classic(df).logicalPlan();
  }

  /** A DataFrame of {@code plan}, in the session {@code df} belongs to. */
  static Dataset<Row> ofRows(Dataset<Row> df, LogicalPlan plan) {
    return org.apache.spark.sql.classic.Dataset.ofRows(classic(df).sparkSession(), plan);
  }

  private static org.apache.spark.sql.classic.Dataset<Row> classic(Dataset<Row> df) {
    if (df instanceof org.apache.spark.sql.classic.Dataset) {
      return (org.apache.spark.sql.classic.Dataset<Row>) df;
    }
    throw OnnxErrors.badArguments(
        "OnnxModel.transform",
        "needs a classic (non-Connect) Spark session; with Spark Connect, use the onnx_predict SQL"
            + " function on the server");
  }
}
