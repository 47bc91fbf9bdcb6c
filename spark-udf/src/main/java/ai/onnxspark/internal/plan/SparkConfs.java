package ai.onnxspark.internal.plan;

import java.util.Map;
import org.apache.spark.sql.SparkSession;
import scala.jdk.javaapi.CollectionConverters;

/** A session's runtime configuration as a Java map: the one place the library reads it whole. */
final class SparkConfs {
  private SparkConfs() {}

  static Map<String, String> all(SparkSession spark) {
    return CollectionConverters.asJava(spark.conf().getAll());
  }
}
