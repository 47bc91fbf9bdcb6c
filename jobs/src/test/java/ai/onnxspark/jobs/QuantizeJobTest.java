package ai.onnxspark.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxspark.convert.Float16Conversion;
import ai.onnxspark.convert.Int8Quantization;
import ai.onnxspark.model.ModelInfo;
import ai.onnxspark.testing.TestModels;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The conversion job: writes the converted model and reports it against the original. */
class QuantizeJobTest {

  @Test
  void writesAnInt8ModelAndReportsSizeSpeedAndAccuracy(@TempDir Path dir) throws Exception {
    Path model = Files.write(dir.resolve("mlp.onnx"), TestModels.mlp(64, 128, 10, 3));
    Path out = dir.resolve("out/mlp.int8.onnx");

    String printed =
        stdout(
            () ->
                QuantizeJob.run(
                    "--model",
                    model.toString(),
                    "--output",
                    out.toString(),
                    "--report",
                    "--rows",
                    "256"));

    assertThat(printed).contains("exit=0");
    ModelInfo info = ModelInfo.parse(Files.readAllBytes(out), "int8");
    assertThat(info.metadata()).containsKey(Int8Quantization.METADATA_KEY);
    assertThat(printed)
        .contains("2 MatMul/Gemm nodes quantized")
        .contains("int8 vs fp32: 256 rows, batch 32")
        .containsPattern("size \\(bytes\\) +\\d+ +\\d+ +0\\.\\d\\d")
        .contains("session creation (ms)", "throughput (rows/s)")
        .containsPattern("argmax agreement (9\\d|100)\\.\\d\\d%");
  }

  @Test
  void fullRangeIsAFlag(@TempDir Path dir) throws Exception {
    Path model = Files.write(dir.resolve("mlp.onnx"), TestModels.mlp(64, 128, 10, 3));
    Path reduced = dir.resolve("mlp.int8.onnx");
    Path full = dir.resolve("mlp.int8-full.onnx");

    String printed =
        stdout(() -> QuantizeJob.run("--model", model.toString(), "--output", reduced.toString()));
    assertThat(printed).contains("exit=0", "reduced-range 7-bit weights");
    printed =
        stdout(
            () ->
                QuantizeJob.run(
                    "--model", model.toString(), "--output", full.toString(), "--full-range"));
    assertThat(printed).contains("exit=0", "full-range 8-bit weights");
    assertThat(ModelInfo.parse(Files.readAllBytes(full), "int8").metadata())
        .hasEntrySatisfying(
            Int8Quantization.METADATA_KEY, v -> assertThat(v).contains("full-range 8-bit"));
    assertThat(QuantizeJob.USAGE).contains("--full-range");
  }

  @Test
  void float16AndOptimizedCopiesAndBadFlags(@TempDir Path dir) throws Exception {
    Path model = Files.write(dir.resolve("mlp.onnx"), TestModels.mlp(64, 128, 10, 3));
    Path half = dir.resolve("mlp.fp16.onnx");
    Path optimized = dir.resolve("mlp.opt.onnx");

    assertThat(
            QuantizeJob.run(
                "--model", model.toString(), "--output", half.toString(), "--to", "fp16"))
        .isZero();
    assertThat(ModelInfo.parse(Files.readAllBytes(half), "fp16").metadata())
        .containsKey(Float16Conversion.METADATA_KEY);
    String printed =
        stdout(
            () ->
                QuantizeJob.run(
                    "--model",
                    model.toString(),
                    "--output",
                    optimized.toString(),
                    "--to",
                    "optimized",
                    "--level",
                    "extended",
                    "--report",
                    "--rows",
                    "64"));
    assertThat(printed)
        .contains("exit=0", "graph optimized at level extended", "optimized vs fp32");
    assertThat(
            QuantizeJob.run(
                "--model", model.toString(), "--output", half.toString(), "--to", "int4"))
        .isEqualTo(2);
    assertThat(
            QuantizeJob.run(
                "--model", dir.resolve("missing.onnx").toString(), "--output", half.toString()))
        .isEqualTo(2);
  }

  private static String stdout(IntSupplier job) {
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    int code;
    try {
      code = job.getAsInt();
    } finally {
      System.setOut(original);
    }
    String text = captured.toString(StandardCharsets.UTF_8);
    System.out.print(text);
    return text + "\nexit=" + code;
  }
}
