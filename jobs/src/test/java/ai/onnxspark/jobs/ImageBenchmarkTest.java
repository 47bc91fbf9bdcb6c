package ai.onnxspark.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.withinPercentage;

import ai.onnxspark.model.ElementType;
import ai.onnxspark.testing.ModelBuilder;
import ai.onnxspark.testing.SparkTestBase;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * The benchmark's image mode on a tiny image model (its input flattened, so that the outputs check
 * compares every prepared value): the generated JPEGs, the report's figures and the same outputs
 * from the library as from the hand-written loop. No timing assertions.
 */
class ImageBenchmarkTest extends SparkTestBase {
  private static final Path DIR = Path.of("target", "image-benchmark-test").toAbsolutePath();

  @Test
  void imageModeReportsAllFourRunsAndTheLibraryMatchesTheLoop() throws Exception {
    Files.createDirectories(DIR);
    Path model = Files.write(DIR.resolve("flatten.onnx"), flatten(12, 16));
    Path report = DIR.resolve("report");
    Path data = DIR.resolve("data");

    int code =
        Benchmark.run(
            spark,
            "--model",
            model.toString(),
            "--images",
            "--rows",
            "6",
            "--image-size",
            "40x30",
            "--batch-size",
            "4",
            "--repeat",
            "1",
            "--data",
            data.toString(),
            "--report",
            report.toString());

    assertThat(code).isZero();
    JsonNode json = new ObjectMapper().readTree(report.resolve("image-bench.json").toFile());
    assertThat(json.get("title").asText()).contains("flatten.onnx", "6 JPEGs of 40x30");
    assertThat(json.get("rows").asInt()).isEqualTo(6);
    assertThat(json.get("image_width").asInt()).isEqualTo(40);
    assertThat(json.get("image_height").asInt()).isEqualTo(30);
    assertThat(json.get("input_width").asInt()).isEqualTo(16);
    assertThat(json.get("input_height").asInt()).isEqualTo(12);
    assertThat(json.get("batch_size").asInt()).isEqualTo(4);
    assertThat(json.get("threads").asInt()).isEqualTo(2);
    assertThat(json.get("partitions").asInt()).isPositive();
    assertThat(json.get("jpeg_bytes").get("min").asLong()).isPositive();
    assertThat(json.get("checked_images").asInt()).isEqualTo(ImageBenchmark.CHECK_IMAGES);
    // The library's own decode, resize and normalisation on both sides: the same values.
    assertThat(json.get("max_abs_diff").asDouble()).isLessThan(1e-6);
    for (String key :
        List.of(
            "library_s",
            "loop_s",
            "decode_s",
            "scan_s",
            "library_rows_per_s",
            "loop_rows_per_s",
            "decode_rows_per_s",
            "scan_rows_per_s",
            "library_ort_s",
            "loop_ort_s",
            "library_over_loop",
            "decode_share",
            "library_over_scan")) {
      assertThat(json.get(key).asDouble()).as(key).isPositive();
    }
    assertThat(json.get("library_over_loop").asDouble())
        .isCloseTo(
            json.get("loop_s").asDouble() / json.get("library_s").asDouble(), withinPercentage(1));
    assertThat(json.get("decode_share").asDouble())
        .isCloseTo(
            json.get("decode_s").asDouble() / json.get("loop_s").asDouble(), withinPercentage(1));
    assertThat(json.get("library_rows_per_s").asDouble())
        .isCloseTo(6 / json.get("library_s").asDouble(), withinPercentage(1));

    // The JPEGs it wrote: as many as asked, of the asked size, and reused by a second run.
    Path images = data.resolve("images-6-40x30");
    List<Path> files;
    try (Stream<Path> all = Files.list(images)) {
      files = all.sorted().toList();
    }
    assertThat(files).hasSize(6).allMatch(f -> f.getFileName().toString().endsWith(".jpg"));
    BufferedImage first = ImageIO.read(new ByteArrayInputStream(Files.readAllBytes(files.get(0))));
    assertThat(first.getWidth()).isEqualTo(40);
    assertThat(first.getHeight()).isEqualTo(30);
    long modified = Files.getLastModifiedTime(files.get(0)).toMillis();
    assertThat(ImageBenchmark.writeImages(images, 6, 40, 30, 17)).isEqualTo(files);
    assertThat(Files.getLastModifiedTime(files.get(0)).toMillis()).isEqualTo(modified);
  }

  @Test
  void generatedPhotosCompressLikePhotos() throws Exception {
    byte[] jpeg = ImageBenchmark.jpeg(ImageBenchmark.image(500, 375, 3), ImageBenchmark.QUALITY);
    assertThat(jpeg.length).isBetween(50 * 1024, 150 * 1024);
  }

  @Test
  void imageModeRefusesModelsWithoutAnImageInput() throws Exception {
    Files.createDirectories(DIR);
    Path model = Files.write(DIR.resolve("mlp.onnx"), SampleModel.mlp(List.of(4, 2), 1));
    assertThat(Benchmark.run(spark, "--model", model.toString(), "--images")).isEqualTo(2);
    assertThat(Benchmark.run(spark, "--model", model.toString(), "--images", "--image-size", "big"))
        .isEqualTo(2);
  }

  /**
   * {@code image float[batch, 3, height, width]} to {@code pixels float[batch, 3*height*width]}.
   */
  static byte[] flatten(int height, int width) {
    return new ModelBuilder("flatten")
        .input("image", ElementType.FLOAT, "batch", 3, height, width)
        .node("Flatten", "image", "pixels", ModelBuilder.intAttr("axis", 1))
        .output("pixels", ElementType.FLOAT, "batch", 3 * height * width)
        .build();
  }
}
