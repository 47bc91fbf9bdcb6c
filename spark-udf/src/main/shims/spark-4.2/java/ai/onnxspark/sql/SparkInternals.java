package ai.onnxspark.sql;

import org.apache.spark.sql.catalyst.FunctionIdentifier;
import org.apache.spark.sql.catalyst.analysis.FunctionRegistry$;

/**
 * What differs between Spark lines, for Spark 4.2: the one class of this folder, with the same
 * members in every line's folder ({@code src/main/shims/<line>}). Also reaches Spark internals that
 * Scala code outside Spark's packages may not name (package-private in Scala, public in bytecode).
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
}
