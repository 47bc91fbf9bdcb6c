package ai.onnxspark.internal.plan;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;

/**
 * What {@code transform} needs of a DataFrame beyond the public API, for Spark 3.5: there every
 * {@code Dataset} is a classic one. The same members in every line's folder ({@code
 * src/main/shims/<line>}).
 */
final class ClassicDatasets {
  private ClassicDatasets() {}

  /** The analysed plan of {@code df}. */
  static LogicalPlan logicalPlan(Dataset<Row> df) {
    return df.logicalPlan();
  }

  /** A DataFrame of {@code plan}, in the session {@code df} belongs to. */
  static Dataset<Row> ofRows(Dataset<Row> df, LogicalPlan plan) {
    return Dataset.ofRows(df.sparkSession(), plan);
  }
}
