package ai.onnxspark.jobs;

import static ai.onnxspark.jobs.JobRuns.concat;
import static ai.onnxspark.jobs.JobRuns.errorOf;
import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxspark.testing.EveryLine;
import ai.onnxspark.testing.FullSuiteOnly;
import ai.onnxspark.testing.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scoring job end to end on local Spark, and its refusals before any Spark job starts.
 *
 * <p>The compatibility suite of the other Spark lines runs the Delta tests (each line has its own
 * Delta release) and one Parquet run; the others, marked {@link FullSuiteOnly}, check the job's own
 * flags, messages and Parquet output, which do not depend on the line.
 */
@EveryLine
class ScoreJobTest {
  private static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = DeltaSessions.local();
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
  void deltaRunsAreWrittenExactlyOnceAndDeltaInputsTimeTravel(@TempDir Path dir) throws Exception {
    Path model = Files.write(dir.resolve("mlp.onnx"), TestModels.mlp(16, 8, 3, 1));
    String input = dir.resolve("in").toString();
    String output = dir.resolve("out").toString();
    SampleData.write(spark, dir.resolve("staging").toString(), 200, "features", 16, 2, 1);
    spark.read().parquet(dir.resolve("staging").toString()).write().format("delta").save(input);
    // Version 1 of the input doubles the table.
    spark.read().format("delta").load(input).write().format("delta").mode("append").save(input);

    String[] run7 = {
      "--model",
      model.toString(),
      "--input",
      input,
      "--input-format",
      "delta",
      "--version",
      "0",
      "--output",
      output,
      "--output-format",
      "delta",
      "--mode",
      "append",
      "--run-id",
      "7",
      "--keep",
      "id",
      "--show",
      "0"
    };
    assertThat(ScoreJob.run(run7)).isZero();
    // The same run again (a retry after a failure past the commit) adds nothing.
    assertThat(ScoreJob.run(run7)).isZero();
    assertThat(spark.read().format("delta").load(output).count()).isEqualTo(200);

    String[] run8 = run7.clone();
    run8[run8.length - 5] = "8";
    run8[7] = "1";
    assertThat(ScoreJob.run(run8)).isZero();
    assertThat(spark.read().format("delta").load(output).count()).isEqualTo(200 + 400);
    assertThat(spark.read().format("delta").load(output).columns())
        .containsExactly("id", "logits", "probabilities");
  }

  @Test
  @FullSuiteOnly
  void flagsComeFromAConfigFileAndTheCommandLineWins(@TempDir Path dir) throws Exception {
    Path model = Files.write(dir.resolve("mlp.onnx"), TestModels.mlp(16, 8, 3, 1));
    String input = dir.resolve("in").toString();
    SampleData.write(spark, input, 50, "features", 16, 1, 1);
    Path config =
        Files.writeString(
            dir.resolve("score.properties"),
            String.join(
                "\n",
                "model=" + model,
                "input=" + input,
                "output=" + dir.resolve("ignored"),
                "fetch=a=logits;b=probabilities",
                "keep=id",
                "show=0"));

    assertThat(
            ScoreJob.run("--config", config.toString(), "--output", dir.resolve("out").toString()))
        .isZero();

    assertThat(spark.read().parquet(dir.resolve("out").toString()).columns())
        .containsExactly("id", "a", "b");
    assertThat(Files.exists(dir.resolve("ignored"))).isFalse();
  }

  @Test
  void aDeltaJobThatFailsHalfWayLeavesNothingAndItsRerunWritesEveryRowOnce(@TempDir Path dir)
      throws Exception {
    Path model = Files.write(dir.resolve("mlp.onnx"), TestModels.mlp(16, 8, 3, 1));
    String staging = dir.resolve("staging").toString();
    String input = inputWithABadRow(dir, staging);
    String output = dir.resolve("out").toString();
    String[] run = {
      "--model",
      model.toString(),
      "--input",
      input,
      "--output",
      output,
      "--output-format",
      "delta",
      "--mode",
      "append",
      "--run-id",
      "1",
      "--keep",
      "id",
      "--show",
      "0"
    };

    assertThat(ScoreJob.run(run)).isEqualTo(1);
    // Nothing was committed: files the finished tasks wrote are in no version of the table.
    assertThat(io.delta.tables.DeltaTable.isDeltaTable(spark, output)).isFalse();

    // The data is fixed and the same run is started again, twice.
    spark.read().parquet(staging).write().mode("overwrite").parquet(input);
    assertThat(ScoreJob.run(run)).isZero();
    assertThat(ScoreJob.run(run)).isZero();
    assertThat(spark.read().format("delta").load(output).count()).isEqualTo(300);
    assertThat(spark.read().format("delta").load(output).select("id").distinct().count())
        .isEqualTo(300);
  }

  @Test
  @FullSuiteOnly
  void aParquetJobThatFailsHalfWayLeavesNoVisibleOutput(@TempDir Path dir) throws Exception {
    Path model = Files.write(dir.resolve("mlp.onnx"), TestModels.mlp(16, 8, 3, 1));
    String input = inputWithABadRow(dir, dir.resolve("staging").toString());
    Path output = dir.resolve("out");

    int code =
        ScoreJob.run(
            "--model",
            model.toString(),
            "--input",
            input,
            "--output",
            output.toString(),
            "--show",
            "0");

    assertThat(code).isEqualTo(1);
    // Tasks that finished wrote files, but only into the committer's staging folder, which the
    // aborted job removed: no part file is visible to a reader.
    if (Files.exists(output)) {
      try (var files = Files.walk(output)) {
        assertThat(files.map(p -> p.getFileName().toString()))
            .noneMatch(name -> name.startsWith("part-") || name.equals("_SUCCESS"));
      }
    }
  }

  @Test
  @FullSuiteOnly
  void aParquetOverwriteThatFailsHalfWayKeepsThePreviousOutput(@TempDir Path dir) throws Exception {
    Path model = Files.write(dir.resolve("mlp.onnx"), TestModels.mlp(16, 8, 3, 1));
    String staging = dir.resolve("staging").toString();
    String bad = inputWithABadRow(dir, staging);
    Path output = dir.resolve("out");
    String[] common = {
      "--model", model.toString(), "--output", output.toString(), "--keep", "id", "--show", "0"
    };

    // A good run writes 100 rows.
    assertThat(ScoreJob.run(concat(common, "--input", staging, "--where", "id < 100"))).isZero();
    assertThat(spark.read().parquet(output.toString()).count()).isEqualTo(100);

    // An overwrite that fails half-way (row 250 is bad) leaves the previous output as it was.
    assertThat(ScoreJob.run(concat(common, "--input", bad, "--mode", "overwrite"))).isEqualTo(1);
    assertThat(spark.read().parquet(output.toString()).count()).isEqualTo(100);
    assertThat(spark.read().parquet(output.toString()).agg(functions.max("id")).first().getLong(0))
        .isEqualTo(99);
    try (var siblings = Files.list(dir)) {
      assertThat(siblings.map(p -> p.getFileName().toString()))
          .noneMatch(name -> name.contains(".onnx-staging-") || name.contains(".onnx-old-"));
    }

    // An overwrite that succeeds replaces it.
    assertThat(ScoreJob.run(concat(common, "--input", staging, "--mode", "overwrite"))).isZero();
    assertThat(spark.read().parquet(output.toString()).count()).isEqualTo(300);
    try (var siblings = Files.list(dir)) {
      assertThat(siblings.map(p -> p.getFileName().toString()))
          .noneMatch(name -> name.contains(".onnx-staging-") || name.contains(".onnx-old-"));
    }
  }

  @Test
  void overwritingTheInputItselfIsRefused(@TempDir Path dir) throws Exception {
    Path model = Files.write(dir.resolve("mlp.onnx"), TestModels.mlp(16, 8, 3, 1));
    String input = dir.resolve("in").toString();
    SampleData.write(spark, input, 10, "features", 16, 1, 1);

    String error =
        errorOf(
            "--model",
            model.toString(),
            "--input",
            input,
            "--output",
            dir.resolve("in").toUri().toString(),
            "--mode",
            "overwrite");
    assertThat(error).contains("is (or holds, or lies inside) --input").doesNotContain("\n");
    assertThat(spark.read().parquet(input).count()).isEqualTo(10);
  }

  @Test
  @FullSuiteOnly
  void scoresWithAQuantizedCopyOfTheModel(@TempDir Path dir) throws Exception {
    Path model = Files.write(dir.resolve("mlp.onnx"), TestModels.mlp(16, 64, 3, 2));
    String input = dir.resolve("in").toString();
    SampleData.write(spark, input, 200, "features", 16, 2, 4);
    String[] common = {
      "--model", model.toString(), "--input", input, "--keep", "id", "--show", "0"
    };

    String fp32 = dir.resolve("fp32").toString();
    String int8 = dir.resolve("int8").toString();
    assertThat(ScoreJob.run(concat(common, "--output", fp32))).isZero();
    assertThat(
            ScoreJob.run(
                concat(common, "--output", int8, "--quantize", "int8", "--optimize", "basic")))
        .isZero();

    List<Row> a = spark.read().parquet(fp32).orderBy("id").collectAsList();
    List<Row> b = spark.read().parquet(int8).orderBy("id").collectAsList();
    assertThat(b).hasSize(200);
    double maxDiff = 0;
    double scale = 0;
    for (int i = 0; i < a.size(); i++) {
      List<Float> x = a.get(i).getList(1);
      List<Float> y = b.get(i).getList(1);
      for (int j = 0; j < x.size(); j++) {
        scale = Math.max(scale, Math.abs(x.get(j)));
        maxDiff = Math.max(maxDiff, Math.abs(x.get(j) - y.get(j)));
      }
    }
    assertThat(maxDiff).isPositive().isLessThan(0.03 * scale);
    assertThat(ScoreJob.run(concat(common, "--output", int8 + "2", "--quantize", "int4")))
        .isEqualTo(2);
  }

  /**
   * 300 sample rows in {@code staging}, and in {@code dir/in} the same in three partitions with row
   * 250 bad (8 values, not 16): its task fails after other tasks wrote their files.
   */
  private static String inputWithABadRow(Path dir, String staging) {
    SampleData.write(spark, staging, 300, "features", 16, 3, 1);
    String input = dir.resolve("in").toString();
    spark
        .read()
        .parquet(staging)
        .selectExpr("id", "IF(id = 250, slice(features, 1, 8), features) AS features")
        .repartition(3)
        .write()
        .parquet(input);
    return input;
  }

  @Test
  @FullSuiteOnly
  void outputIsPartitionedByTheRequestedColumns(@TempDir Path dir) throws Exception {
    Path model = Files.write(dir.resolve("mlp.onnx"), TestModels.mlp(16, 8, 3, 1));
    String staging = dir.resolve("staging").toString();
    SampleData.write(spark, staging, 60, "features", 16, 2, 1);
    String input = dir.resolve("in").toString();
    spark
        .read()
        .parquet(staging)
        .selectExpr("id", "features", "CAST(id % 3 AS INT) AS day")
        .write()
        .parquet(input);

    assertThat(
            ScoreJob.run(
                "--model",
                model.toString(),
                "--input",
                input,
                "--output",
                dir.resolve("out").toString(),
                "--keep",
                "id,day",
                "--partition-by",
                "day",
                "--where",
                "day < 2",
                "--show",
                "0"))
        .isZero();

    assertThat(dir.resolve("out").resolve("day=0")).isDirectory();
    assertThat(dir.resolve("out").resolve("day=1")).isDirectory();
    assertThat(dir.resolve("out").resolve("day=2")).doesNotExist();
    assertThat(spark.read().parquet(dir.resolve("out").toString()).count()).isEqualTo(40);
  }

  @Test
  @FullSuiteOnly
  void aModelOnAFileSystemConfiguredOnlyThroughConfIsRead(@TempDir Path dir) throws Exception {
    Path model = Files.write(dir.resolve("mlp.onnx"), TestModels.mlp(16, 8, 3, 1));
    String input = dir.resolve("in").toString();
    SampleData.write(spark, input, 30, "features", 16, 1, 1);
    String uri = CountingFileSystem.SCHEME + "://" + model.toAbsolutePath();
    int opened = CountingFileSystem.OPENED.get();

    int code =
        ScoreJob.run(
            "--model",
            uri,
            "--input",
            input,
            "--output",
            dir.resolve("out").toString(),
            "--conf",
            "spark.hadoop.fs.counting.impl=" + CountingFileSystem.class.getName(),
            "--conf",
            "spark.hadoop.fs.counting.impl.disable.cache=true",
            "--conf",
            "spark.hadoop.fs.counting.token=secret",
            "--show",
            "0");

    assertThat(code).isZero();
    assertThat(CountingFileSystem.OPENED.get()).isGreaterThan(opened);
    assertThat(spark.read().parquet(dir.resolve("out").toString()).count()).isEqualTo(30);
  }

  @Test
  @FullSuiteOnly
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
    assertThat(
            errorOf(
                "--model",
                model.toString(),
                "--input",
                input,
                "--output",
                dir.resolve("o4").toString(),
                "--run-id",
                "3"))
        .contains("--run-id makes Delta writes exactly once; add --output-format delta.");
  }

  @Test
  void aMissingInputAndAnExistingOutputExitWithCodeTwoAndOneLine(@TempDir Path dir)
      throws Exception {
    Path model = Files.write(dir.resolve("mlp.onnx"), TestModels.mlp(16, 8, 3, 1));
    String input = dir.resolve("in").toString();
    SampleData.write(spark, input, 10, "features", 16, 1, 1);
    String missing = dir.resolve("no-such-table").toString();

    String noInput =
        errorOf(
            "--model",
            model.toString(),
            "--input",
            missing,
            "--output",
            dir.resolve("o1").toString(),
            "--show",
            "0");
    assertThat(noInput.lines()).hasSize(1);
    assertThat(noInput)
        .startsWith("onnx-score: --input " + missing + " does not exist")
        .contains("--input-format table");
    assertThat(Files.exists(dir.resolve("o1"))).isFalse();

    String output = dir.resolve("out").toString();
    String[] run = {
      "--model", model.toString(), "--input", input, "--output", output, "--show", "0"
    };
    assertThat(ScoreJob.run(run)).isZero();
    String exists = errorOf(run);
    assertThat(exists.lines()).hasSize(1);
    assertThat(exists)
        .startsWith("onnx-score: --output " + output + " already exists")
        .contains("--mode overwrite");
    assertThat(spark.read().parquet(output).count()).isEqualTo(10);

    // With --verbose, the same failure also prints its stack trace.
    assertThat(errorOf(concat(run, "--verbose")).lines().count()).isGreaterThan(1);
  }
}
