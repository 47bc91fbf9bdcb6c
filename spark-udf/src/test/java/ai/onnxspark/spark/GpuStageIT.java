package ai.onnxspark.spark;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxspark.sql.OnnxFunctions;
import ai.onnxspark.sql.OnnxModels;
import ai.onnxspark.testing.FullSuiteOnly;
import ai.onnxspark.testing.LocalCluster;
import ai.onnxspark.testing.TestModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
 * GPUs only for the scoring stage ({@code withGpuStage}): on {@code local-cluster} with dynamic
 * allocation, workers offering two fake GPUs each and executors of the default profile asking for
 * none, the scoring stage runs on executors Spark starts with a GPU for its own resource profile,
 * and its tasks bind sessions to the GPU they were given (falling back to the CPU, as this build of
 * ONNX Runtime has no CUDA provider), through {@code transform} and through {@code withColumn}.
 *
 * <p>Full suite only: {@link GpuSchedulingIT} checks on every Spark line that tasks bind sessions
 * to the GPU Spark gave them; the stage's own profile comes from Spark's stage-level scheduling
 * API, which the library calls the same way on every line.
 */
@FullSuiteOnly
class GpuStageIT {
  private static SparkSession spark;
  @TempDir static Path dir;

  @BeforeAll
  static void startCluster() throws Exception {
    spark =
        LocalCluster.start(
            LocalCluster.withFakeGpus(LocalCluster.builder(2, 2), dir)
                .appName("onnx-gpu-stage-test")
                .config("spark.executor.cores", "1")
                .config("spark.executor.memory", "512m")
                .config("spark.dynamicAllocation.enabled", "true")
                .config("spark.dynamicAllocation.shuffleTracking.enabled", "true")
                .config("spark.dynamicAllocation.initialExecutors", "1")
                .config("spark.dynamicAllocation.minExecutors", "0")
                .config("spark.dynamicAllocation.maxExecutors", "2")
                .config("spark.dynamicAllocation.executorIdleTimeout", "10s"),
            1);
  }

  @AfterAll
  static void stopCluster() {
    if (spark != null) {
      spark.stop();
    }
  }

  @Test
  void onlyTheScoringStageRunsOnExecutorsWithGpus() throws Exception {
    List<Integer> slots = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      slots.add(i);
    }
    spark.sparkContext().addSparkListener(new ProfileListener());
    // A stage of the default profile: its tasks get no GPU.
    List<Boolean> plainHasGpu =
        JavaSparkContext.fromSparkContext(spark.sparkContext())
            .parallelize(slots, slots.size())
            .map(i -> TaskContext.get().resources().contains("gpu"))
            .collect();
    assertThat(plainHasGpu).containsOnly(false);

    Dataset<Row> df = TransformTest.featuresFrame(TransformTest.randomRows(400, 8, 3), 4);
    OnnxModel model =
        OnnxModel.fromBytes(TestModels.mlp(8, 16, 3, 2))
            .withInput("features", "features")
            .withDeviceFallback("cpu")
            .withBatchSize(16)
            .withGpuStage(0.5);

    ScoringMetrics metrics = ScoringMetrics.register(spark.sparkContext());
    assertThat(model.transform(df, metrics).count()).isEqualTo(400);
    assertThat(metrics.providers())
        .isNotEmpty()
        .allMatch(p -> p.matches("executor \\d+: cpu \\(fallback from cuda:[01]\\)"));
    java.util.Set<Integer> transformProfiles = profilesRun();
    assertThat(transformProfiles).as("resource profiles of the stages run").contains(0).hasSize(2);
    int gpuProfile = transformProfiles.stream().filter(id -> id != 0).findFirst().orElseThrow();

    OnnxModels.register(spark, "staged", model);
    df.createOrReplaceTempView("staged_rows");
    long viaSql =
        spark
            .sql(
                "SELECT onnx_predict('staged', map('gpus-per-task', '0.5'), features) AS p"
                    + " FROM staged_rows")
            .count();
    long viaColumn =
        df.withColumn("p", OnnxFunctions.onnxPredict(model, functions.col("features")))
            .select("p")
            .collectAsList()
            .size();
    assertThat(viaSql).isEqualTo(400);
    assertThat(viaColumn).isEqualTo(400);
    // The column function's and SQL's scoring stages ran in the same GPU profile, on the executors
    // started for the first one, rather than each in a new profile waiting for executors of its
    // own.
    assertThat(profilesRun()).contains(gpuProfile).allMatch(id -> id == 0 || id == gpuProfile);
  }

  /** The resource profile ids of the stages submitted since the last call. */
  private static java.util.Set<Integer> profilesRun() throws Exception {
    spark.sparkContext().listenerBus().waitUntilEmpty();
    java.util.Set<Integer> ids = new java.util.TreeSet<>(PROFILES);
    PROFILES.clear();
    return ids;
  }

  private static final java.util.Set<Integer> PROFILES =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  private static final class ProfileListener extends org.apache.spark.scheduler.SparkListener {
    @Override
    public void onStageSubmitted(org.apache.spark.scheduler.SparkListenerStageSubmitted event) {
      PROFILES.add(event.stageInfo().resourceProfileId());
    }
  }
}
