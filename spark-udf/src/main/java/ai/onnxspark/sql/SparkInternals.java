package ai.onnxspark.sql;

import org.apache.spark.sql.catalyst.FunctionIdentifier;
import org.apache.spark.sql.catalyst.analysis.FunctionRegistry$;

/**
 * Spark internals that Scala code outside Spark's packages may not name (package-private in Scala,
 * public in bytecode), reached from Java.
 */
final class SparkInternals {
  private SparkInternals() {}

  /** The identifier Spark registers built-in functions under ({@code system.builtin.<name>}). */
  static FunctionIdentifier builtinFunction(String name) {
    return FunctionRegistry$.MODULE$.builtinFunctionIdentifier(name);
  }
}
