package ai.onnxspark.sql;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.FunctionIdentifier;
import org.apache.spark.sql.catalyst.analysis.FunctionRegistry;
import org.apache.spark.sql.catalyst.analysis.FunctionRegistry$;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.classic.ExpressionUtils;

/**
 * What differs between Spark lines, for Spark 4.2: the SQL side (the other shims: {@code
 * ClassicDatasets}, {@code MlPersistence}), with the same members in every line's folder ({@code
 * src/main/shims/<line>}). Also reaches Spark internals that Scala code outside Spark's packages
 * may not name (package-private in Scala, public in bytecode).
 */
final class SparkInternals {
  private SparkInternals() {}

  /**
   * The identifier Spark registers built-in functions under: {@code system.builtin.<name>} since
   * Spark 4.2.
   */
  static FunctionIdentifier builtinFunction(String name) {
    return FunctionRegistry$.MODULE$.builtinFunctionIdentifier(name);
  }

  /** The Catalyst expression {@code column} stands for. */
  static Expression expression(Column column) {
    return ExpressionUtils.expression(column);
  }

  /** A column standing for {@code expression}. */
  static Column column(Expression expression) {
    return ExpressionUtils.column(expression);
  }

  /** The function registry of {@code spark}, a classic session. */
  static FunctionRegistry functionRegistry(SparkSession spark) {
    return ((org.apache.spark.sql.classic.SparkSession) spark).sessionState().functionRegistry();
  }
}
