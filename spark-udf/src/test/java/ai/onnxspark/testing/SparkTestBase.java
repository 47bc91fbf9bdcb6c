package ai.onnxspark.testing;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** One local Spark session per test class: {@code local[2]}, UI off, driver on 127.0.0.1. */
public abstract class SparkTestBase {
  protected static SparkSession spark;

  /** The node cache of models shipped by path, in the build's folder rather than the machine's. */
  public static final String MODEL_CACHE =
      java.nio.file.Path.of("target", "model-cache").toAbsolutePath().toString();

  /** The build's folder, where tests write their models and files. */
  public static final String BUILD_DIR =
      java.nio.file.Path.of("target").toAbsolutePath().toString();

  @BeforeAll
  static void startSpark() {
    spark =
        SparkSession.builder()
            .master("local[2]")
            .appName("onnx-spark-tests")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.sql.adaptive.enabled", "false")
            .config("spark.onnx.modelCache.dir", MODEL_CACHE)
            // Sessions may name files the tests write under the build's folder.
            .config("spark.onnx.models.allowedRoots", BUILD_DIR)
            .getOrCreate();
  }

  @AfterAll
  static void stopSpark() {
    if (spark != null) {
      spark.stop();
      spark = null;
    }
  }
}
