package ai.onnxspark.spark;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxspark.internal.plan.BroadcastModel;
import ai.onnxspark.testing.LocalCluster;
import ai.onnxspark.testing.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A soak: two executor JVMs score 20 million rows in five rounds of 4 million with the 16→64→3 MLP;
 * after the first round (warm-up), each executor's resident memory stays flat, each keeps one
 * session and one copy of the broadcast, and no temporary file is left behind. Prints the figures.
 *
 * <p>Minutes long, so not in CI: {@code mvn -Psoak -pl spark-udf verify} runs it alone.
 */
@Tag("soak")
class SoakIT {
  private static final int ROUNDS = 5;
  private static final long ROWS_PER_ROUND = 4_000_000L;

  @Test
  void twentyMillionRowsKeepExecutorMemorySessionsAndTempFilesFlat(@TempDir Path dir)
      throws Exception {
    Path natives = Files.createDirectories(dir.resolve("natives"));
    Path executorTemp = Files.createDirectories(dir.resolve("executor-tmp"));
    SparkSession spark =
        LocalCluster.start(
            LocalCluster.builder(2, 1)
                .appName("onnx-soak")
                .config("spark.executor.extraJavaOptions", "-Djava.io.tmpdir=" + executorTemp)
                .config("spark.onnx.native.dir", natives.toString()),
            2);
    try {
      OnnxModel model =
          OnnxModel.fromBytes(TestModels.mlp(16, 64, 3, 7))
              .withInput("features", "features")
              .withBatchSize(1024);
      List<Map<String, Long>> rss = new ArrayList<>();
      for (int round = 0; round < ROUNDS; round++) {
        long start = System.nanoTime();
        model
            .transform(
                spark
                    .range(0, ROWS_PER_ROUND, 1, 8)
                    .selectExpr(
                        "id",
                        "transform(sequence(0, 15), i -> CAST(sin(id * 16 + i) AS FLOAT))"
                            + " AS features"))
            .write()
            .format("noop")
            .mode("overwrite")
            .save();
        Map<String, Long> now = new TreeMap<>();
        LocalCluster.perExecutor(spark, SoakIT::rssKb)
            .forEach((id, kb) -> now.put(id, Long.parseLong(kb)));
        rss.add(now);
        System.out.printf(
            "soak round %d: %,d rows in %.1f s; executor RSS (MB) %s%n",
            round + 1,
            ROWS_PER_ROUND,
            (System.nanoTime() - start) / 1e9,
            now.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue() / 1024).toList());
      }
      Map<String, String> stats =
          LocalCluster.sessionsAndCopies(spark, BroadcastModel::receivedCopies);
      System.out.println("soak executors: " + stats);
      assertThat(stats).hasSize(2);
      assertThat(stats.values()).allMatch(s -> s.equals("sessions=1 copies=1"));
      for (String executor : rss.get(0).keySet()) {
        long warm = rss.get(0).get(executor);
        long last = rss.get(ROUNDS - 1).get(executor);
        assertThat(last)
            .as("executor %s RSS after round %d vs after warm-up (KB)", executor, ROUNDS)
            .isLessThanOrEqualTo(warm + warm / 10 + 32 * 1024);
      }
      // ONNX Runtime's loader keeps one empty folder per JVM until the JVM exits; nothing else
      // may be left, and nothing may grow.
      assertThat(LocalCluster.perExecutor(spark, SoakIT::tempEntries).values())
          .as("what the executors left in their temporary folder")
          .allMatch(
              entries -> entries.matches("\\[(onnxruntime-java\\d+ \\(empty\\)(, )?){0,2}\\]"));
    } finally {
      spark.stop();
    }
  }

  /** This JVM's resident set size in KB, from {@code /proc/self/status}. */
  private static String rssKb() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return line.replaceAll("[^0-9]", "");
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }

  private static boolean isEmptyFolder(Path p) {
    try (var children = Files.list(p)) {
      return children.findAny().isEmpty();
    } catch (Exception e) {
      return false;
    }
  }

  /** What the library or ONNX Runtime put in this JVM's {@code java.io.tmpdir}. */
  private static String tempEntries() throws Exception {
    try (var entries = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return entries
          .filter(
              p -> p.getFileName().toString().toLowerCase(java.util.Locale.ROOT).contains("onnx"))
          .map(p -> p.getFileName() + (isEmptyFolder(p) ? " (empty)" : ""))
          .sorted()
          .toList()
          .toString();
    }
  }
}
