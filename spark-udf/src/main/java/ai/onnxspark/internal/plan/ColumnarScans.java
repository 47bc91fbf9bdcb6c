package ai.onnxspark.internal.plan;

import org.apache.spark.sql.execution.ColumnarToRowExec;
import org.apache.spark.sql.execution.InputAdapter;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.WholeStageCodegenExec;

/** Finding columnar scans under row plans, so scoring can read their batches in place. */
public final class ColumnarScans {
  private ColumnarScans() {}

  /**
   * The columnar plan under a plan that only converts its batches to rows ({@code ColumnarToRow} of
   * a Parquet or ORC scan, possibly inside whole-stage code generation), or null. Its output is the
   * same as {@code plan}'s, column for column.
   */
  public static SparkPlan source(SparkPlan plan) {
    SparkPlan node = plan;
    while (node instanceof WholeStageCodegenExec || node instanceof InputAdapter) {
      node = node.children().head();
    }
    if (node instanceof ColumnarToRowExec) {
      SparkPlan child = ((ColumnarToRowExec) node).child();
      while (child instanceof InputAdapter) {
        child = child.children().head();
      }
      return child.supportsColumnar() ? child : null;
    }
    return null;
  }
}
