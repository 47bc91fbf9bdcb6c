package ai.onnxspark.testing;

import org.apache.spark.sql.SparkSession;

/**
 * Spark's {@code local-cluster} master for tests: a standalone master and workers in this JVM,
 * executors in JVMs of their own, started from the {@code SPARK_HOME} the build prepares.
 */
public final class LocalCluster {
  private LocalCluster() {}

  /**
   * A builder for {@code local-cluster[executors,cores,1024]} with the UI off, the driver on
   * 127.0.0.1 and this build's classes on the executors' class path.
   */
  public static SparkSession.Builder builder(int executors, int cores) {
    SparkSession.getActiveSession()
        .foreach(
            s -> {
              s.stop();
              return null;
            });
    return SparkSession.builder()
        .master("local-cluster[" + executors + "," + cores + ",1024]")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.executor.memory", "768m")
        .config("spark.executor.extraClassPath", System.getProperty("onnxspark.test.classpath"))
        .config("spark.sql.adaptive.enabled", "false");
  }

  /**
   * {@code builder} with workers that offer two fake GPUs, {@code 0} and {@code 1}, found by a
   * discovery script written to {@code dir} (nothing on this machine backs them).
   */
  public static SparkSession.Builder withFakeGpus(
      SparkSession.Builder builder, java.nio.file.Path dir) throws java.io.IOException {
    java.nio.file.Path script = dir.resolve("gpus.sh");
    java.nio.file.Files.writeString(
        script, "#!/bin/sh\necho '{\"name\": \"gpu\", \"addresses\": [\"0\", \"1\"]}'\n");
    java.nio.file.Files.setPosixFilePermissions(
        script, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    return builder
        .config("spark.worker.resource.gpu.amount", "2")
        .config("spark.worker.resource.gpu.discoveryScript", script.toString());
  }

  /** Starts the session and waits until {@code executors} executors have registered. */
  public static SparkSession start(SparkSession.Builder builder, int executors)
      throws InterruptedException {
    SparkSession spark = builder.getOrCreate();
    long deadline = System.currentTimeMillis() + 120_000;
    while (spark.sparkContext().statusTracker().getExecutorInfos().length < executors + 1) {
      if (System.currentTimeMillis() > deadline) {
        spark.stop();
        throw new IllegalStateException(executors + " executors did not register within 2 minutes");
      }
      Thread.sleep(200);
    }
    return spark;
  }

  /**
   * What each executor JVM reports, by executor id ({@code id@pid}): runs many small tasks so that
   * every executor runs some, each returning {@code report}'s answer.
   */
  public static java.util.Map<String, String> perExecutor(
      SparkSession spark, org.apache.spark.api.java.function.Function0<String> report) {
    java.util.List<Integer> slots = new java.util.ArrayList<>();
    for (int i = 0; i < 40; i++) {
      slots.add(i);
    }
    java.util.List<String[]> reports =
        org.apache.spark.api.java.JavaSparkContext.fromSparkContext(spark.sparkContext())
            .parallelize(slots, slots.size())
            .map(
                i ->
                    new String[] {
                      org.apache.spark.SparkEnv.get().executorId()
                          + "@"
                          + java.lang.management.ManagementFactory.getRuntimeMXBean().getName(),
                      report.call()
                    })
            .collect();
    java.util.Map<String, String> byExecutor = new java.util.TreeMap<>();
    reports.forEach(r -> byExecutor.put(r[0], r[1]));
    return byExecutor;
  }

  /**
   * Per executor ({@code id@pid}), {@code sessions=<n> copies=<m>}: the ONNX Runtime sessions its
   * JVM created, and {@code copies} as it counts them there (broadcast copies received, node-cache
   * copies made).
   */
  public static java.util.Map<String, String> sessionsAndCopies(
      SparkSession spark, org.apache.spark.api.java.function.Function0<Long> copies) {
    return perExecutor(
        spark,
        () ->
            "sessions="
                + ai.onnxspark.internal.session.SessionCache.get().stats().creations()
                + " copies="
                + copies.call());
  }
}
