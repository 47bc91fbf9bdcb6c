package ai.onnxspark.internal.plan;

import org.apache.spark.SparkContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.execution.QueryExecution;
import org.apache.spark.sql.types.StructType;

/**
 * What {@code transform} needs of a DataFrame beyond the public API, for Spark 3.5: there every
 * {@code Dataset} is a classic one. The same members in every line's folder ({@code
 * src/main/shims/<line>}).
 */
final class ClassicDatasets {
  private ClassicDatasets() {}

  /** The query execution of {@code df}, which must belong to a classic session. */
  static QueryExecution queryExecution(Dataset<Row> df) {
    return df.queryExecution();
  }

  /** The SparkContext of the session {@code df} belongs to. */
  static SparkContext sparkContext(Dataset<Row> df) {
    return df.sparkSession().sparkContext();
  }

  /** A DataFrame of {@code rows} with {@code schema}, in the session {@code df} belongs to. */
  static Dataset<Row> createDataFrame(Dataset<Row> df, RDD<InternalRow> rows, StructType schema) {
    return df.sparkSession().internalCreateDataFrame(rows, schema, false);
  }
}
