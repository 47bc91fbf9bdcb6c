package ai.onnxspark.sql;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.FunctionIdentifier;
import org.apache.spark.sql.catalyst.analysis.FunctionRegistry;
import org.apache.spark.sql.catalyst.expressions.Expression;

/**
 * What differs between Spark lines, for Spark 3.5: the SQL side (the other shims: {@code
 * ClassicDatasets}, {@code MlPersistence}), with the same members in every line's folder ({@code
 * src/main/shims/<line>}).
 */
final class SparkInternals {
  private SparkInternals() {}

  /** The identifier Spark registers built-in functions under: the bare name before Spark 4.2. */
  static FunctionIdentifier builtinFunction(String name) {
    return new FunctionIdentifier(name);
  }

  /** The Catalyst expression {@code column} stands for. */
  static Expression expression(Column column) {
    return column.expr();
  }

  /** A column standing for {@code expression}. */
  static Column column(Expression expression) {
    return new Column(expression);
  }

  /** The function registry of {@code spark}. */
  static FunctionRegistry functionRegistry(SparkSession spark) {
    return spark.sessionState().functionRegistry();
  }
}
