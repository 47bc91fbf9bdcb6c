package ai.onnxspark.sql;

import org.apache.spark.sql.catalyst.FunctionIdentifier;

/**
 * What differs between Spark lines, for Spark 4.0 and 4.1: the one class of this folder, with the
 * same members in every line's folder ({@code src/main/shims/<line>}).
 */
final class SparkInternals {
  private SparkInternals() {}

  /** The identifier Spark registers built-in functions under: the bare name before Spark 4.2. */
  static FunctionIdentifier builtinFunction(String name) {
    return new FunctionIdentifier(name);
  }
}
