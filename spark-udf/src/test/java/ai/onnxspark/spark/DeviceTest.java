package ai.onnxspark.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import ai.onnxspark.testing.OrtReference;
import ai.onnxspark.testing.SparkTestBase;
import ai.onnxspark.testing.TestModels;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Devices on a machine without a usable GPU (CI): {@code cuda} fails fast with the reason, the
 * fallback and {@code auto} score on the CPU and say so. With {@code -Donnxspark.test.gpu=true} and
 * the GPU build of ONNX Runtime ({@code mvn -Pgpu}), the GPU test scores on CUDA.
 */
class DeviceTest extends SparkTestBase {
  private static final byte[] MODEL = TestModels.mlp(8, 16, 3, 77);

  private static Dataset<Row> frame() {
    return TransformTest.featuresFrame(TransformTest.randomRows(50, 8, 5), 2);
  }

  @Test
  void cudaWithoutAUsableGpuFailsWithTheReasonAndTheFix() {
    Assumptions.assumeFalse(Boolean.getBoolean("onnxspark.test.gpu"), "a GPU is present");
    OnnxModel model =
        OnnxModel.fromBytes(MODEL).withInput("features", "features").withDevice("cuda");
    assertThatThrownBy(() -> model.transform(frame()).collect())
        .hasStackTraceContaining("cannot run on cuda:0")
        .hasStackTraceContaining("onnxruntime_gpu jar")
        .hasStackTraceContaining("spark.onnx.deviceFallback=cpu");
  }

  @Test
  void fallbackScoresOnTheCpuAndReportsIt() throws Exception {
    Assumptions.assumeFalse(Boolean.getBoolean("onnxspark.test.gpu"), "a GPU is present");
    float[][] features = TransformTest.randomRows(50, 8, 5);
    ScoringMetrics metrics = ScoringMetrics.register(spark.sparkContext());
    List<Row> rows =
        OnnxModel.fromBytes(MODEL)
            .withInput("features", "features")
            .withOutput("logits", "logits")
            .withDevice("cuda")
            .withDeviceFallback("cpu")
            .transform(TransformTest.featuresFrame(features, 2), metrics)
            .collectAsList();
    float[][] expected =
        (float[][]) OrtReference.run(MODEL, Map.of("features", features), "logits");
    for (int i = 0; i < rows.size(); i++) {
      assertThat(TransformTest.floats(rows.get(i).getList(2))).containsExactly(expected[i]);
    }
    assertThat(metrics.providers()).containsExactly("driver: cpu (fallback from cuda:0)");
  }

  @Test
  void autoWithoutAnAssignedGpuScoresOnTheCpu() {
    ScoringMetrics metrics = ScoringMetrics.register(spark.sparkContext());
    OnnxModel model =
        OnnxModel.fromBytes(TestModels.mlp(8, 4, 3, 78)).withInput("features", "features");
    assertThat(model.transform(frame(), metrics).count()).isEqualTo(50);
    assertThat(metrics.providers()).containsExactly("driver: cpu");
  }

  @Test
  void providerOptionsComeFromTheConfAndTheCallAndTravelWithTheSession() {
    spark.conf().set("spark.onnx.provider.gpu_mem_limit", "1073741824");
    spark.conf().set("spark.onnx.provider.cudnn_conv_algo_search", "DEFAULT");
    try {
      OnnxModel model =
          OnnxModel.fromBytes(MODEL)
              .withInput("features", "features")
              .withDevice("cuda")
              .withDeviceFallback("cpu")
              .withProviderOption("cudnn_conv_algo_search", "HEURISTIC");
      assertThat(model.handle(spark).device().providerOptions())
          .containsExactly(
              Map.entry("cudnn_conv_algo_search", "HEURISTIC"),
              Map.entry("gpu_mem_limit", "1073741824"));
      ScoringMetrics metrics = ScoringMetrics.register(spark.sparkContext());
      assertThat(model.transform(frame(), metrics).count()).isEqualTo(50);
      assertThat(metrics.providers()).containsExactly("driver: cpu (fallback from cuda:0)");
    } finally {
      spark.conf().unset("spark.onnx.provider.gpu_mem_limit");
      spark.conf().unset("spark.onnx.provider.cudnn_conv_algo_search");
    }
  }

  @Test
  void gpuStageIsRefusedClearlyWhereStageLevelSchedulingIsMissing() {
    OnnxModel model =
        OnnxModel.fromBytes(MODEL).withInput("features", "features").withGpuStage(0.25);
    assertThatThrownBy(() -> model.transform(frame()))
        .isInstanceOf(ai.onnxspark.OnnxException.class)
        .hasMessageContaining("needs stage-level scheduling")
        .hasMessageContaining("not with master 'local[2]'")
        .hasMessageContaining("withDevice(\"cuda\")");
    assertThatThrownBy(() -> model.withGpuStage(1.5))
        .isInstanceOf(ai.onnxspark.OnnxException.class)
        .hasMessageContaining("a fraction in (0, 1] or a whole number of GPUs");
  }

  @Test
  void scoresOnCudaWhenAGpuIsPresent() throws Exception {
    Assumptions.assumeTrue(
        Boolean.getBoolean("onnxspark.test.gpu"),
        "GPU tests run with -Donnxspark.test.gpu=true and the onnxruntime_gpu build (mvn -Pgpu)");
    Assumptions.assumeTrue(
        OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA),
        "this ONNX Runtime build has no CUDA provider; build with -Pgpu");
    float[][] features = TransformTest.randomRows(50, 8, 5);
    ScoringMetrics metrics = ScoringMetrics.register(spark.sparkContext());
    List<Row> rows =
        OnnxModel.fromBytes(MODEL)
            .withInput("features", "features")
            .withOutput("logits", "logits")
            .withDevice("cuda")
            .transform(TransformTest.featuresFrame(features, 2), metrics)
            .collectAsList();
    float[][] expected =
        (float[][]) OrtReference.run(MODEL, Map.of("features", features), "logits");
    for (int i = 0; i < rows.size(); i++) {
      float[] actual = TransformTest.floats(rows.get(i).getList(2));
      for (int k = 0; k < actual.length; k++) {
        assertThat(actual[k]).isCloseTo(expected[i][k], org.assertj.core.data.Offset.offset(1e-3f));
      }
    }
    assertThat(metrics.providers()).containsExactly("driver: cuda:0");
  }
}
