package ai.onnxspark.spark;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxspark.internal.session.SessionCache;
import ai.onnxspark.sql.OnnxFunctions;
import ai.onnxspark.testing.FullSuiteOnly;
import ai.onnxspark.testing.LocalCluster;
import ai.onnxspark.testing.TestModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GPU scheduling without GPUs: a {@code local-cluster} whose workers discover two fake GPUs each (a
 * discovery script), executors with two cores and both GPUs, one GPU per task. With {@code auto},
 * every task binds its session to the GPU Spark gave it, so an executor keeps one session per GPU;
 * the CPU build of ONNX Runtime cannot use them, so the fallback scores on the CPU and reports it.
 *
 * <p>Full suite only: tasks read their GPU from {@code TaskContext.resources()}, the same API on
 * every Spark line; the scoring it leads to runs on every line in the other tests.
 */
@FullSuiteOnly
class GpuSchedulingIT {
  private static SparkSession spark;
  @TempDir static Path dir;

  @BeforeAll
  static void startCluster() throws Exception {
    spark =
        LocalCluster.start(
            LocalCluster.withFakeGpus(LocalCluster.builder(2, 2), dir)
                .appName("onnx-gpu-scheduling-test")
                .config("spark.executor.resource.gpu.amount", "2")
                .config("spark.task.resource.gpu.amount", "1"),
            2);
  }

  @AfterAll
  static void stopCluster() {
    if (spark != null) {
      spark.stop();
    }
  }

  @Test
  void eachTaskUsesTheGpuSparkAssignedAndEachGpuGetsOneSession() {
    // What Spark assigns: every task sees one of its executor's two GPU addresses.
    List<Integer> slots = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      slots.add(i);
    }
    List<String> assigned =
        JavaSparkContext.fromSparkContext(spark.sparkContext())
            .parallelize(slots, slots.size())
            .map(i -> String.join(",", TaskContext.get().resources().apply("gpu").addresses()))
            .collect();
    assertThat(assigned).allMatch(a -> a.equals("0") || a.equals("1"));

    Dataset<Row> df =
        TransformTest.featuresFrame(TransformTest.randomRows(4000, 8, 3), 1).repartition(32);
    ScoringMetrics metrics = ScoringMetrics.register(spark.sparkContext());
    long rows =
        OnnxModel.fromBytes(TestModels.mlp(8, 16, 3, 2))
            .withInput("features", "features")
            .withDeviceFallback("cpu")
            .withBatchSize(16)
            .transform(df, metrics)
            .count();

    assertThat(rows).isEqualTo(4000);
    // Sessions were created per GPU, each reporting that it fell back to the CPU.
    assertThat(metrics.providers())
        .isNotEmpty()
        .allMatch(p -> p.matches("executor \\d: cpu \\(fallback from cuda:[01]\\)"));
    assertThat(metrics.providers()).anyMatch(p -> p.endsWith("cuda:1)"));
    Map<String, List<String>> devices = cachedDevices();
    assertThat(devices).hasSize(2);
    assertThat(devices.values())
        .allSatisfy(d -> assertThat(d).isSubsetOf("cuda:0", "cuda:1").doesNotHaveDuplicates());
    assertThat(metrics.sessionsCreated())
        .isEqualTo(devices.values().stream().mapToLong(List::size).sum());

    // withColumn resolves devices the same way.
    long scored =
        df.withColumn(
                "p",
                OnnxFunctions.onnxPredict(
                    OnnxModel.fromBytes(TestModels.mlp(8, 16, 3, 2)).withDeviceFallback("cpu"),
                    functions.col("features")))
            .count();
    assertThat(scored).isEqualTo(4000);
  }

  private static Map<String, List<String>> cachedDevices() {
    Map<String, List<String>> byExecutor = new HashMap<>();
    LocalCluster.perExecutor(spark, () -> String.join(",", SessionCache.get().devices()))
        .forEach(
            (executor, devices) ->
                byExecutor.put(
                    executor, devices.isEmpty() ? List.of() : List.of(devices.split(","))));
    return byExecutor;
  }
}
