package ai.onnxspark.spark;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxspark.internal.text.Tokenizers;
import ai.onnxspark.model.ElementType;
import ai.onnxspark.sql.OnnxModels;
import ai.onnxspark.testing.EveryLine;
import ai.onnxspark.testing.LocalCluster;
import ai.onnxspark.testing.TestTokenizers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Raw text on two executor JVMs ({@code local-cluster[2,1,1024]}): the tokenizer file reaches the
 * executors inside the plan (it is deleted before the job runs), each executor extracts the native
 * tokenizer library from the jar into {@code <spark.onnx.native.dir>/djl} (no download, nothing in
 * the home folder) and keeps one native tokenizer, and the ids equal DJL's on the driver.
 */
@EveryLine
class TokenizerClusterIT {
  private static SparkSession spark;
  private static Path natives;
  private static Path dir;

  @BeforeAll
  static void startCluster() throws Exception {
    natives = Files.createTempDirectory("onnx-natives");
    dir = Files.createTempDirectory("onnx-tokenizer-it");
    spark =
        LocalCluster.start(
            LocalCluster.builder(2, 1)
                .appName("onnx-tokenizer-cluster-test")
                .config("spark.onnx.native.dir", natives.toString())
                // SQL may name tokenizer files under this folder only.
                .config("spark.onnx.models.allowedRoots", dir.toString()),
            2);
  }

  @AfterAll
  static void stopCluster() {
    if (spark != null) {
      spark.stop();
    }
  }

  @Test
  void executorsTokenizeWithTheShippedFileAndTheJarsNatives() throws Exception {
    List<String> texts = new ArrayList<>();
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      String text =
          TokenizerTest.TEXTS.get(i % TokenizerTest.TEXTS.size()) + " the film".repeat(i % 4);
      texts.add(text);
      rows.add(RowFactory.create(i, text));
    }
    Dataset<Row> df =
        spark
            .createDataFrame(
                rows,
                new StructType()
                    .add("id", DataTypes.IntegerType)
                    .add("review", DataTypes.StringType))
            .repartition(8);
    Path file = TestTokenizers.write(dir.resolve("tokenizer.json"), TestTokenizers.wordPieceJson());
    byte[] model = TokenizerTest.bertLike(ElementType.INT64, "seq", true);
    Dataset<Row> scored =
        OnnxModel.fromBytes(model)
            .withTokenizer("review", file.toString())
            .withBatchSize(16)
            .transform(df)
            .select("id", "ids", "masked", "total", "types");
    OnnxModels.register(spark, "bert", OnnxModel.fromBytes(model));
    df.createOrReplaceTempView("reviews");
    Dataset<Row> sql =
        spark.sql(
            "SELECT id, p.* FROM (SELECT id, onnx_predict('bert', map('tokenizer', '"
                + file
                + "', 'batch-size', '16'), review) AS p FROM reviews)");
    // The tokenizer's text is broadcast: executors need no copy of the file.
    Files.delete(file);

    Path copy = TestTokenizers.write(dir.resolve("ref.json"), TestTokenizers.wordPieceJson());
    try (HuggingFaceTokenizer reference = TokenizerTest.reference(copy, 0)) {
      for (Dataset<Row> way : List.of(scored, sql)) {
        List<Row> out = way.orderBy("id").collectAsList();
        assertThat(out).hasSize(200);
        for (Row row : out) {
          TokenizerTest.check(row, 1, reference.encode(texts.get(row.getInt(0))), 0, true);
        }
      }
    }

    Map<String, String> reports =
        LocalCluster.perExecutor(
            spark,
            () ->
                System.getProperty("ENGINE_CACHE_DIR")
                    + "|"
                    + System.getProperty("RUST_FLAVOR")
                    + "|"
                    + Tokenizers.cached());
    assertThat(reports).hasSize(2);
    for (String report : reports.values()) {
      assertThat(report).isEqualTo(natives.resolve("djl") + "|cpu|1");
    }
    try (var found = Files.walk(natives.resolve("djl"))) {
      assertThat(found.filter(p -> p.getFileName().toString().startsWith("libtokenizers")))
          .hasSize(1);
    }
  }
}
