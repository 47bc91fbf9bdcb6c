package ai.onnxspark.jobs;

import static ai.onnxspark.jobs.JobRuns.concat;
import static ai.onnxspark.jobs.JobRuns.errorOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnxspark.testing.EveryLine;
import ai.onnxspark.testing.OrtReference;
import ai.onnxspark.testing.TestModels;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code onnx-score --stream}: Parquet and Delta inputs into Delta, exactly once across restarts.
 */
@EveryLine
class ScoreJobStreamTest {
  private static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = DeltaSessions.local();
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  /** Appends ids {@code from .. from+99} to {@code input} in 2 files; {@code bad} gets 8 values. */
  private static void appendHundred(Path dir, String input, long from, long bad) {
    String staging = dir.resolve("staging-" + from).toString();
    SampleData.write(spark, staging, 100, "features", 16, 2, from + 1);
    spark
        .read()
        .parquet(staging)
        .selectExpr(
            "id + " + from + " AS id",
            "IF(id + " + from + " = " + bad + ", slice(features, 1, 8), features) AS features")
        .repartition(2)
        .write()
        .mode("append")
        .parquet(input);
  }

  @Test
  void aFailedStreamRestartedFromItsCheckpointWritesEveryRowExactlyOnce(@TempDir Path dir)
      throws Exception {
    byte[] mlp = TestModels.mlp(16, 8, 3, 1);
    Path model = Files.write(dir.resolve("mlp.onnx"), mlp);
    String input = dir.resolve("in").toString();
    // Three appends of 100 rows, 2 files each; row 250, in the last one, has 8 values, not 16.
    appendHundred(dir, input, 0, -1);
    appendHundred(dir, input, 100, -1);
    appendHundred(dir, input, 200, 250);
    String output = dir.resolve("out").toString();
    Path checkpoint = dir.resolve("checkpoint");
    String[] run = {
      "--stream",
      "--checkpoint",
      checkpoint.toString(),
      "--max-files-per-trigger",
      "2",
      "--model",
      model.toString(),
      "--input",
      input,
      "--output",
      output,
      "--keep",
      "id",
      "--batch-size",
      "16",
      "--show",
      "0"
    };

    // Micro-batches 0 and 1 (the first two appends) commit; batch 2 fails on row 250.
    assertThat(ScoreJob.run(run)).isEqualTo(1);
    assertThat(spark.read().format("delta").load(output).count()).isEqualTo(200);
    assertThat(
            spark.read().format("delta").load(output).agg(functions.max("id")).first().getLong(0))
        .isEqualTo(199);

    // The bad file is fixed in place (row 250 gets 16 values) and the job restarted: batch 2 runs
    // again over the files its checkpoint recorded.
    fixRow250(dir, input);
    assertThat(ScoreJob.run(run)).isZero();
    assertEveryRowOnceWithTheRightScores(mlp, input, output);

    // A crash after Delta committed batch 2 but before the checkpoint recorded it: the restarted
    // query runs batch 2 again and Delta's sink, which knows it committed it, adds nothing.
    Path commit = checkpoint.resolve("commits").resolve("2");
    assertThat(commit).exists();
    long versions = deltaVersions(output);
    Files.delete(commit);
    Files.deleteIfExists(checkpoint.resolve("commits").resolve(".2.crc"));
    assertThat(ScoreJob.run(run)).isZero();
    assertThat(commit).as("batch 2 was run again").exists();
    assertThat(deltaVersions(output)).as("Delta versions after the re-run").isEqualTo(versions);
    assertEveryRowOnceWithTheRightScores(mlp, input, output);
  }

  @Test
  void aDeltaTableStreamsIntoDeltaAndEachRunScoresOnlyNewVersions(@TempDir Path dir)
      throws Exception {
    byte[] mlp = TestModels.mlp(16, 8, 3, 1);
    Path model = Files.write(dir.resolve("mlp.onnx"), mlp);
    String input = dir.resolve("in").toString();
    SampleData.write(spark, dir.resolve("a").toString(), 100, "features", 16, 2, 5);
    spark.read().parquet(dir.resolve("a").toString()).write().format("delta").save(input);
    String output = dir.resolve("out").toString();
    String[] run = {
      "--stream",
      "--checkpoint",
      dir.resolve("checkpoint").toString(),
      "--trigger",
      "available-now",
      "--model",
      model.toString(),
      "--input",
      input,
      "--input-format",
      "delta",
      "--output",
      output,
      "--keep",
      "id",
      "--show",
      "0"
    };

    assertThat(ScoreJob.run(run)).isZero();
    assertThat(spark.read().format("delta").load(output).count()).isEqualTo(100);

    // A new version of the input: the next run scores only its rows.
    spark
        .read()
        .parquet(dir.resolve("a").toString())
        .selectExpr("id + 100 AS id", "features")
        .limit(50)
        .write()
        .format("delta")
        .mode("append")
        .save(input);
    assertThat(ScoreJob.run(run)).isZero();
    assertEveryRowOnceWithTheRightScores(
        mlp, spark.read().format("delta").load(input).count(), input, "delta", output);
    assertThat(spark.read().format("delta").load(output).count()).isEqualTo(150);
  }

  @Test
  void streamFlagsAreCheckedBeforeSparkRuns(@TempDir Path dir) throws Exception {
    Path model = Files.write(dir.resolve("mlp.onnx"), TestModels.mlp(16, 8, 3, 1));
    String input = dir.resolve("in").toString();
    SampleData.write(spark, input, 10, "features", 16, 1, 1);
    String[] base = {
      "--model", model.toString(), "--input", input, "--output", dir.resolve("o").toString()
    };

    assertThat(errorOf(concat(base, "--stream"))).contains("Flag --checkpoint is required.");
    assertThat(errorOf(concat(base, "--checkpoint", dir.resolve("c").toString())))
        .contains("--checkpoint is for streams; add --stream.");
    assertThat(
            errorOf(
                concat(
                    base,
                    "--stream",
                    "--checkpoint",
                    dir.resolve("c").toString(),
                    "--trigger",
                    "soon")))
        .contains(
            "--trigger is 'soon'; expected available-now or an interval such as '30 seconds'");
    assertThat(
            errorOf(
                concat(
                    base,
                    "--stream",
                    "--checkpoint",
                    dir.resolve("c").toString(),
                    "--output-format",
                    "parquet")))
        .contains("--output-format is 'parquet'; expected one of [delta].");
    assertThat(
            errorOf(
                concat(
                    base,
                    "--stream",
                    "--checkpoint",
                    dir.resolve("c").toString(),
                    "--run-id",
                    "1")))
        .contains("a --stream is exactly once through its --checkpoint");
    assertThat(
            errorOf(
                concat(
                    base,
                    "--stream",
                    "--checkpoint",
                    dir.resolve("c").toString(),
                    "--max-files-per-trigger",
                    "0")))
        .contains("--max-files-per-trigger is '0'; expected a whole number of files, 1 or more.");
    assertThat(Files.exists(dir.resolve("o"))).isFalse();
    assertThat(Files.exists(dir.resolve("c"))).isFalse();
    assertThat(ScoreJob.USAGE)
        .contains("--stream")
        .contains("--checkpoint DIR")
        .contains("--trigger WHEN");
  }

  /** Rewrites the Parquet file holding row 250 in place, with 16 values for that row. */
  private static void fixRow250(Path dir, String input) throws Exception {
    Path bad =
        Paths.get(
            new URI(
                spark
                    .read()
                    .parquet(input)
                    .where("id = 250")
                    .select(functions.input_file_name())
                    .first()
                    .getString(0)));
    String fixed = dir.resolve("fixed").toString();
    spark
        .read()
        .parquet(bad.toString())
        .selectExpr("id", "IF(id = 250, concat(features, features), features) AS features")
        .coalesce(1)
        .write()
        .parquet(fixed);
    Path part;
    try (Stream<Path> files = Files.list(Paths.get(fixed))) {
      part = files.filter(p -> p.getFileName().toString().startsWith("part-")).findFirst().get();
    }
    Files.move(part, bad, StandardCopyOption.REPLACE_EXISTING);
    // The local file system checks files against their .crc; the old one no longer matches.
    Files.deleteIfExists(bad.resolveSibling("." + bad.getFileName() + ".crc"));
  }

  private static long deltaVersions(String table) {
    return io.delta.tables.DeltaTable.forPath(spark, table).history().count();
  }

  private static void assertEveryRowOnceWithTheRightScores(byte[] mlp, String input, String output)
      throws Exception {
    assertEveryRowOnceWithTheRightScores(mlp, 300, input, "parquet", output);
  }

  private static void assertEveryRowOnceWithTheRightScores(
      byte[] mlp, long count, String input, String format, String output) throws Exception {
    List<Row> in = spark.read().format(format).load(input).orderBy("id").collectAsList();
    assertThat(in).hasSize((int) count);
    float[][] features = new float[in.size()][];
    for (int i = 0; i < in.size(); i++) {
      List<Float> values = in.get(i).getList(1);
      features[i] = new float[values.size()];
      for (int j = 0; j < values.size(); j++) {
        features[i][j] = values.get(j);
      }
    }
    float[][] expected = (float[][]) OrtReference.run(mlp, Map.of("features", features), "logits");
    Map<Long, List<Float>> scored = new HashMap<>();
    for (Row row :
        spark.read().format("delta").load(output).select("id", "logits").collectAsList()) {
      assertThat(scored.put(row.getLong(0), row.getList(1)))
          .as("row %s is in the output once", row.getLong(0))
          .isNull();
    }
    assertThat(scored).hasSize(in.size());
    for (int i = 0; i < in.size(); i++) {
      long id = in.get(i).getLong(0);
      List<Float> logits = scored.get(id);
      assertThat(logits).as("row %s", id).hasSize(3);
      for (int k = 0; k < 3; k++) {
        assertThat(logits.get(k))
            .as("row %s, logit %s", id, k)
            .isCloseTo(expected[i][k], within(1e-5f));
      }
    }
  }
}
