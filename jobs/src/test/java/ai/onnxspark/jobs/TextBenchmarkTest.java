package ai.onnxspark.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.withinPercentage;

import ai.onnxspark.model.ElementType;
import ai.onnxspark.spark.OnnxModel;
import ai.onnxspark.testing.ModelBuilder;
import ai.onnxspark.testing.SparkTestBase;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * The benchmark's text mode on a tiny text model (an embedding bag over the generated 30,522-entry
 * vocabulary): the report's structure, and the same logits from raw strings as from the precomputed
 * ids it writes. No timing assertions.
 */
class TextBenchmarkTest extends SparkTestBase {
  private static final Path DIR = Path.of("target", "text-benchmark-test").toAbsolutePath();

  @Test
  void textModeReportsBothPathsAndTheyScoreAlike() throws Exception {
    Files.createDirectories(DIR);
    Path model = Files.write(DIR.resolve("bag.onnx"), embeddingBag(TextBenchmark.VOCAB, 4, 3));
    Path report = DIR.resolve("report");
    Path data = DIR.resolve("data");

    int code =
        Benchmark.run(
            spark,
            "--model",
            model.toString(),
            "--text",
            "--rows",
            "200",
            "--max-length",
            "32",
            "--batch-size",
            "16",
            "--repeat",
            "1",
            "--partitions",
            "2",
            "--data",
            data.toString(),
            "--report",
            report.toString());

    assertThat(code).isZero();
    JsonNode json = new ObjectMapper().readTree(report.resolve("text-bench.json").toFile());
    assertThat(json.get("rows").asInt()).isEqualTo(200);
    assertThat(json.get("max_length").asInt()).isEqualTo(32);
    assertThat(json.get("tokens").get("min").asInt()).isGreaterThanOrEqualTo(16);
    assertThat(json.get("tokens").get("max").asInt()).isGreaterThan(32);
    assertThat(json.get("tokens").get("truncated").asInt()).isPositive();
    assertThat(json.get("max_logit_diff").asDouble()).isLessThan(1e-5);
    JsonNode results = json.get("results");
    assertThat(results).hasSize(2);
    assertThat(results.get(0).get("bucket_batches").asInt()).isZero();
    assertThat(results.get(1).get("bucket_batches").asInt()).isEqualTo(TextBenchmark.BUCKET);
    for (JsonNode r : results) {
      for (String key :
          List.of(
              "text_s",
              "ids_s",
              "tokenize_s",
              "scan_text_s",
              "scan_ids_s",
              "text_rows_per_s",
              "ids_rows_per_s",
              "raw_s",
              "text_run_s",
              "ids_run_s")) {
        assertThat(r.get(key).asDouble()).as(key).isPositive();
      }
      // Ratios of the printed seconds (six places), so within 1% on these tiny runs.
      assertThat(r.get("text_over_ids").asDouble())
          .isCloseTo(r.get("text_s").asDouble() / r.get("ids_s").asDouble(), withinPercentage(1));
      assertThat(r.get("tokenizer_share").asDouble())
          .isCloseTo(1 - 1 / r.get("text_over_ids").asDouble(), within(1e-3));
      assertThat(r.get("ids_over_raw").asDouble())
          .isCloseTo(r.get("raw_s").asDouble() / r.get("ids_s").asDouble(), withinPercentage(1));
      // Every kept token is a position the raw run scored; padding only adds to them.
      assertThat(r.get("raw_padded_tokens").asLong())
          .isGreaterThanOrEqualTo(
              Math.round(200 * json.get("tokens").get("mean_kept").asDouble()) - 1);
    }

    // The table it wrote: the same logits from the reviews and from their ids, for a few rows,
    // in batches that pad.
    Path dir = data.resolve("text-200-len32");
    Dataset<Row> table = spark.read().parquet(dir.resolve("reviews.parquet").toString());
    assertThat(table.columns()).contains("id", "review", "input_ids", "attention_mask");
    Dataset<Row> few = table.orderBy("id").limit(20);
    OnnxModel bag = OnnxModel.fromPath(model.toString()).withBatchSize(8);
    Map<Long, List<Float>> fromText =
        logits(
            bag.withTokenizer("review", dir.resolve("tokenizer.json").toString())
                .withMaxLength(32)
                .transform(few.select("id", "review")));
    Map<Long, List<Float>> fromIds =
        logits(
            bag.withOption("pad.input_ids", "0")
                .withOption("pad.attention_mask", "0")
                .transform(few.select("id", "input_ids", "attention_mask")));
    assertThat(fromText).hasSize(20);
    assertThat(fromIds.keySet()).isEqualTo(fromText.keySet());
    fromText.forEach(
        (id, logits) -> {
          for (int i = 0; i < 2; i++) {
            assertThat(logits.get(i))
                .as("row %s", id)
                .isCloseTo(fromIds.get(id).get(i), within(1e-5f));
          }
        });
    List<Row> lengths = few.selectExpr("size(input_ids)").collectAsList();
    assertThat(lengths).allSatisfy(r -> assertThat(r.getInt(0)).isBetween(3, 32));
  }

  @Test
  void rawOrtBatchesLikeTheLibraryBucketing() {
    List<long[][]> rows = new java.util.ArrayList<>();
    for (int length : new int[] {5, 1, 5, 1, 3}) {
      long[] ids = new long[length];
      java.util.Arrays.fill(ids, length);
      rows.add(new long[][] {ids, new long[length]});
    }
    // Batches of 2 in table order: [5,1] [5,1] [3], each padded to its longest row.
    assertThat(TextBenchmark.RawText.of(null, rows, 2, 0).paddedTokens()).isEqualTo(10 + 10 + 3);
    // Windows of two batches sorted by length: [1,1] [5,5], then [3].
    assertThat(TextBenchmark.RawText.of(null, rows, 2, 2).paddedTokens()).isEqualTo(2 + 10 + 3);
  }

  @Test
  void textModeRefusesModelsWithoutTextInputs() throws Exception {
    Files.createDirectories(DIR);
    Path model = Files.write(DIR.resolve("mlp.onnx"), SampleModel.mlp(List.of(4, 2), 1));
    assertThat(Benchmark.run(spark, "--model", model.toString(), "--text")).isEqualTo(2);
  }

  private static Map<Long, List<Float>> logits(Dataset<Row> scored) {
    Map<Long, List<Float>> out = new HashMap<>();
    for (Row row : scored.select("id", "logits").collectAsList()) {
      out.put(row.getLong(0), row.getList(1));
    }
    return out;
  }

  /** Token embeddings averaged over the attention mask, then a linear layer: {@code logits}. */
  static byte[] embeddingBag(int vocab, int width, long seed) {
    Random random = new Random(seed);
    float[] embeddings = new float[vocab * width];
    for (int i = 0; i < embeddings.length; i++) {
      embeddings[i] = random.nextFloat() * 2 - 1;
    }
    float[] weights = new float[width * 2];
    for (int i = 0; i < weights.length; i++) {
      weights[i] = random.nextFloat() * 2 - 1;
    }
    return new ModelBuilder("bag")
        .input("input_ids", ElementType.INT64, "batch", "seq")
        .input("attention_mask", ElementType.INT64, "batch", "seq")
        .initializer("embeddings", new long[] {vocab, width}, embeddings)
        .initializer("weights", new long[] {width, 2}, weights)
        .initializer("seq_axis", new long[] {1}, 1L)
        .initializer("last_axis", new long[] {1}, 2L)
        .node("Gather", new String[] {"embeddings", "input_ids"}, new String[] {"tokens"})
        .node("Cast", "attention_mask", "mask", ModelBuilder.intAttr("to", 1))
        .node("Unsqueeze", new String[] {"mask", "last_axis"}, new String[] {"mask3"})
        .node("Mul", new String[] {"tokens", "mask3"}, new String[] {"kept"})
        .node(
            "ReduceSum",
            new String[] {"kept", "seq_axis"},
            new String[] {"summed"},
            ModelBuilder.intAttr("keepdims", 0))
        .node(
            "ReduceSum",
            new String[] {"mask", "seq_axis"},
            new String[] {"count"},
            ModelBuilder.intAttr("keepdims", 1))
        .node("Div", new String[] {"summed", "count"}, new String[] {"mean"})
        .node("MatMul", new String[] {"mean", "weights"}, new String[] {"logits"})
        .output("logits", ElementType.FLOAT, "batch", 2)
        .build();
  }
}
