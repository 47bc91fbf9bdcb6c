package ai.onnxspark.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxspark.testing.TestModels;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scoring job end to end on local Spark, and its refusals before any Spark job starts. */
class ScoreJobTest {
  private static SparkSession spark;

  @BeforeAll
  static void start() {
    spark =
        SparkSession.builder()
            .master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .getOrCreate();
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @Test
  void scoresAParquetTableAndKeepsTheRequestedColumns(@TempDir Path dir) throws Exception {
    Path model = Files.write(dir.resolve("mlp.onnx"), TestModels.mlp(16, 8, 3, 1));
    String input = dir.resolve("in").toString();
    String output = dir.resolve("out").toString();
    SampleData.write(spark, input, 500, "features", 16, 3, 1);

    int code =
        ScoreJob.run(
            "--model",
            model.toString(),
            "--input",
            input,
            "--output",
            output,
            "--fetch",
            "scores=logits",
            "--keep",
            "id",
            "--batch-size",
            "64",
            "--show",
            "0");

    assertThat(code).isZero();
    List<Row> rows = spark.read().parquet(output).orderBy("id").collectAsList();
    assertThat(rows).hasSize(500);
    assertThat(rows.get(0).schema().fieldNames()).containsExactly("id", "scores");
    assertThat(rows.get(499).getLong(0)).isEqualTo(499);
    assertThat(rows.get(0).getList(1)).hasSize(3);
  }

  @Test
  void userErrorsExitWithCodeTwoAndOneClearLine(@TempDir Path dir) throws Exception {
    Path model = Files.write(dir.resolve("mlp.onnx"), TestModels.mlp(16, 8, 3, 1));
    String input = dir.resolve("in").toString();
    SampleData.write(spark, input, 10, "features", 16, 1, 1);

    assertThat(
            errorOf(
                "--model",
                model.toString(),
                "--input",
                input,
                "--output",
                dir.resolve("o1").toString(),
                "--bogus",
                "1"))
        .startsWith("onnx-score: Unknown flag --bogus; known flags: --model");
    assertThat(
            errorOf(
                "--model",
                dir.resolve("missing.onnx").toString(),
                "--input",
                input,
                "--output",
                dir.resolve("o2").toString()))
        .contains("missing.onnx' does not exist");
    assertThat(
            errorOf(
                "--model",
                model.toString(),
                "--input",
                input,
                "--output",
                dir.resolve("o3").toString(),
                "--feed",
                "features=nosuch"))
        .contains("reads column 'nosuch'")
        .contains("its columns are [id, features]");
    assertThat(Files.exists(dir.resolve("o3"))).isFalse();
  }

  private static String errorOf(String... argv) {
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    int code;
    try {
      code = ScoreJob.run(argv);
    } finally {
      System.setErr(original);
    }
    assertThat(code).isEqualTo(2);
    return captured.toString(StandardCharsets.UTF_8).trim();
  }
}
