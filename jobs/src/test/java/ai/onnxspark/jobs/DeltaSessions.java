package ai.onnxspark.jobs;

import org.apache.spark.sql.SparkSession;

/** The local Spark session the job tests run on: Delta enabled, sized for small tables. */
final class DeltaSessions {
  private DeltaSessions() {}

  /** {@code local[2]}, UI off, driver on 127.0.0.1, Delta's extension and catalog. */
  static SparkSession local() {
    return SparkSession.builder()
        .master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        // Small tables: a few shuffle and Delta log partitions rather than 200 and 50.
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.databricks.delta.snapshotPartitions", "2")
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config(
            "spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .getOrCreate();
  }
}
