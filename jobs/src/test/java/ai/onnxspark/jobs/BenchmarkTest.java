package ai.onnxspark.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxspark.testing.SparkTestBase;
import ai.onnxspark.testing.TestModels;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmark sweep: every device and batch size measured or explained, in three formats. */
class BenchmarkTest extends SparkTestBase {

  @Test
  void sweepWritesCsvJsonAndChartsForEveryDeviceAndBatchSize(@TempDir Path dir) throws Exception {
    Path model = Files.write(dir.resolve("mlp.onnx"), TestModels.mlp(16, 8, 3, 1));
    Path report = dir.resolve("report");

    int code =
        Benchmark.run(
            spark,
            "--model",
            model.toString(),
            "--rows",
            "3000",
            "--batch-sizes",
            "1,64",
            "--devices",
            "cpu,cuda",
            "--repeat",
            "1",
            "--data",
            dir.resolve("data").toString(),
            "--report",
            report.toString());

    assertThat(code).isZero();
    List<String> csv = Files.readAllLines(report.resolve("bench.csv"));
    assertThat(csv.get(0)).startsWith("device,batch_size,provider,rows,seconds,rows_per_s");
    assertThat(csv).hasSize(5);
    JsonNode results =
        new ObjectMapper().readTree(report.resolve("bench.json").toFile()).get("results");
    assertThat(results).hasSize(4);
    for (JsonNode r : results) {
      if (r.get("device").asText().equals("cpu")) {
        assertThat(r.get("error").isNull()).isTrue();
        assertThat(r.get("rows").asLong()).isEqualTo(3000);
        assertThat(r.get("rows_per_s").asDouble()).isPositive();
        assertThat(r.get("batch_p50_ms").asDouble())
            .isPositive()
            .isLessThanOrEqualTo(r.get("batch_p95_ms").asDouble());
        assertThat(r.get("batch_p95_ms").asDouble())
            .isLessThanOrEqualTo(r.get("batch_p99_ms").asDouble());
        assertThat(r.get("session_create_ms").asDouble()).isPositive();
        assertThat(r.get("peak_rss_mb").asDouble()).isPositive();
        assertThat(r.get("provider").asText()).isEqualTo("cpu");
      } else if (!r.get("error").isNull()) {
        // The CPU build of ONNX Runtime, or no GPU: the reason and the fix, not a failed run.
        assertThat(r.get("error").asText()).contains("cannot run on cuda", "onnxruntime_gpu");
      }
    }
    String html = Files.readString(report.resolve("bench.html"));
    assertThat(html).contains("<svg", "Throughput (rows/s)", "latency p99");
    assertThat(html.split("<svg", -1)).hasSize(3);
  }

  @Test
  void compareMeasuresEveryPathAndPrintsEachRatioWithItsTarget(@TempDir Path dir) throws Exception {
    Path model = Files.write(dir.resolve("mlp.onnx"), TestModels.mlp(16, 8, 3, 1));
    Path text =
        Files.write(
            dir.resolve("bag.onnx"), TextBenchmarkTest.embeddingBag(TextBenchmark.VOCAB, 4, 3));
    Path image = Files.write(dir.resolve("flatten.onnx"), ImageBenchmarkTest.flatten(8, 8));
    Path report = dir.resolve("report");

    int code =
        Benchmark.run(
            spark,
            "--model",
            model.toString(),
            "--compare",
            "--rows",
            "3000",
            "--batch-size",
            "64",
            "--repeat",
            "1",
            "--partitions",
            "2",
            "--text-model",
            text.toString(),
            "--text-rows",
            "100",
            "--image-model",
            image.toString(),
            "--image-rows",
            "6",
            "--image-size",
            "40x30",
            "--data",
            dir.resolve("data").toString(),
            "--report",
            report.toString());

    assertThat(code).isZero();
    JsonNode ratios =
        new ObjectMapper().readTree(report.resolve("compare.json").toFile()).get("ratios");
    List<String> names = new java.util.ArrayList<>();
    for (JsonNode r : ratios) {
      names.add(r.get("model").asText() + ": " + r.get("name").asText());
      assertThat(r.get("value").asDouble()).as(r.toString()).isPositive();
      if (!r.get("target").isNull()) {
        double value = r.get("value").asDouble();
        double target = r.get("target").asDouble();
        assertThat(r.get("met").asBoolean())
            .as(r.toString())
            .isEqualTo(r.get("at_most").asBoolean() ? value <= target : value >= target);
      }
    }
    assertThat(names)
        .contains(
            "mlp.onnx: transform time / scan time (noop)",
            "mlp.onnx: (scan + raw ONNX Runtime) time / scan time: floor",
            "mlp.onnx: withColumn time / scan time (noop)",
            "mlp.onnx: transform time / copy time (Parquet out, output's columns)",
            "mlp.onnx: withColumn time / copy time (Parquet out, output's columns)",
            "mlp.onnx: transform time / copy time (Parquet out, input's columns)",
            "mlp.onnx: withColumn / transform throughput (noop)",
            "bag.onnx: ids -> scores / raw ONNX Runtime (bucket-batches 10)",
            "bag.onnx: tokenizer share of text -> scores (bucket-batches 10)",
            "flatten.onnx: JPEG -> withImage / hand-written loop, throughput",
            "flatten.onnx: decode + resize share of the hand-written loop");
    // The end-to-end runs wrote every row: the scores (transform: the model's output, withColumn:
    // the column it names) and the plain copy.
    Path out = dir.resolve("data").resolve("mlp.onnx-3000-out");
    for (String[] run :
        new String[][] {
          {"transform", "logits"}, {"withColumn", "prediction"}, {"copy", "features"}
        }) {
      Dataset<Row> written = spark.read().parquet(out.resolve(run[0]).toString());
      assertThat(written.count()).as(run[0]).isEqualTo(3000);
      assertThat(written.columns()).as(run[0]).contains(run[1]);
    }
    // The copy of the output's columns wrote columns of the types and sizes transform wrote.
    Dataset<Row> scored = spark.read().parquet(out.resolve("transform").toString());
    Dataset<Row> same = spark.read().parquet(out.resolve("copy-same").toString());
    assertThat(same.columns()).containsExactly(scored.columns());
    assertThat(same.schema().apply("logits").dataType().simpleString()).isEqualTo("array<float>");
    assertThat(same.select(functions.size(functions.col("logits"))).distinct().collectAsList())
        .extracting(r -> r.getInt(0))
        .containsExactly(3);
    assertThat(same.count()).isEqualTo(3000);
  }

  @Test
  void theCopyOfTheOutputsColumnsWritesTheirTypesAndSizes() {
    StructType schema =
        new StructType()
            .add("id", "long")
            .add("features", DataTypes.createArrayType(DataTypes.FloatType, true));
    Dataset<Row> in =
        spark.createDataFrame(
            List.of(
                RowFactory.create(1L, List.of(1f, 2f, 3f, 4f)),
                RowFactory.create(2L, List.of(5f, 6f, 7f, 8f))),
            schema);
    Dataset<Row> scored =
        in.selectExpr(
            "id",
            "features",
            "array(1.5f, 2.5f) as small",
            "transform(sequence(1, 10), i -> cast(i as double)) as wide",
            "cast(7 as int) as label");

    Dataset<Row> same =
        Benchmark.sameColumns(
            in,
            scored,
            ai.onnxspark.model.TensorSpec.tensor(
                "features", ai.onnxspark.model.ElementType.FLOAT, -1, 4));

    assertThat(same.columns()).containsExactly("id", "features", "small", "wide", "label");
    assertThat(same.schema().apply("small").dataType().simpleString()).isEqualTo("array<float>");
    assertThat(same.schema().apply("wide").dataType().simpleString()).isEqualTo("array<double>");
    assertThat(same.schema().apply("label").dataType()).isEqualTo(DataTypes.IntegerType);
    Row second = same.orderBy("id").collectAsList().get(1);
    assertThat(second.getList(2)).containsExactly(5f, 6f);
    // Ten values from four a row: the row's values repeated.
    assertThat(second.getList(3)).containsExactly(5.0, 6.0, 7.0, 8.0, 5.0, 6.0, 7.0, 8.0, 5.0, 6.0);
    assertThat(second.getInt(4)).isEqualTo(5);
  }

  @Test
  void badDevicesAndBatchSizesAreRefused(@TempDir Path dir) throws Exception {
    Path model = Files.write(dir.resolve("mlp.onnx"), TestModels.mlp(16, 8, 3, 1));
    assertThat(Benchmark.run(spark, "--model", model.toString(), "--devices", "tpu")).isEqualTo(2);
    assertThat(Benchmark.run(spark, "--model", model.toString(), "--batch-sizes", "1,x"))
        .isEqualTo(2);
  }
}
