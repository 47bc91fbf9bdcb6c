package ai.onnxspark.internal.plan;

import ai.onnxspark.internal.OnnxErrors;
import org.apache.spark.SparkContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.execution.QueryExecution;
import org.apache.spark.sql.types.StructType;

/**
 * What {@code transform} needs of a DataFrame beyond the public API, for Spark 4.x: there, classic
 * (non-Connect) DataFrames are {@code org.apache.spark.sql.classic.Dataset}. The same members in
 * every line's folder ({@code src/main/shims/<line>}).
 */
final class ClassicDatasets {
  private ClassicDatasets() {}

  /** The query execution of {@code df}, which must belong to a classic session. */
  static QueryExecution queryExecution(Dataset<Row> df) {
    return classic(df).queryExecution();
  }

  /** The SparkContext of the session {@code df} belongs to. */
  static SparkContext sparkContext(Dataset<Row> df) {
    return classic(df).sparkSession().sparkContext();
  }

  /** A DataFrame of {@code rows} with {@code schema}, in the session {@code df} belongs to. */
  static Dataset<Row> createDataFrame(Dataset<Row> df, RDD<InternalRow> rows, StructType schema) {
    return classic(df).sparkSession().internalCreateDataFrame(rows, schema, false);
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
