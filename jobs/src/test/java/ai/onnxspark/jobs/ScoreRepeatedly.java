package ai.onnxspark.jobs;

import org.apache.spark.sql.SparkSession;

/**
 * Child-JVM program for {@link NativeMemoryTest}: writes a sample table, then runs the scoring job
 * over it several times in one local Spark session, printing the process's resident memory ({@code
 * VmRSS}) after each run as {@code rss_mb=<run>,<MB>}.
 *
 * <p>Arguments: model path, work folder, rows, runs, batch size.
 */
public final class ScoreRepeatedly {
  private ScoreRepeatedly() {}

  public static void main(String[] args) {
    String model = args[0];
    String work = args[1];
    long rows = Long.parseLong(args[2]);
    int runs = Integer.parseInt(args[3]);
    String batch = args[4];
    SparkSession spark =
        SparkSession.builder()
            .master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .getOrCreate();
    spark.sparkContext().setLogLevel("ERROR");
    SampleData.write(spark, work + "/in", rows, "features", 16, 4, 1);
    for (int run = 1; run <= runs; run++) {
      int code =
          ScoreJob.run(
              "--model",
              model,
              "--input",
              work + "/in",
              "--output",
              work + "/out",
              "--mode",
              "overwrite",
              "--batch-size",
              batch,
              "--show",
              "0");
      if (code != 0) {
        System.exit(code);
      }
      System.gc();
      System.out.printf(java.util.Locale.ROOT, "rss_mb=%d,%.1f%n", run, Memory.rssMb());
    }
    spark.stop();
  }
}
