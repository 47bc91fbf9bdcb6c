package ai.onnxspark.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxspark.internal.text.TextTokenizer;
import ai.onnxspark.model.ElementType;
import ai.onnxspark.sql.OnnxFunctions;
import ai.onnxspark.sql.OnnxModels;
import ai.onnxspark.testing.ModelBuilder;
import ai.onnxspark.testing.SparkTestBase;
import ai.onnxspark.testing.TestTokenizers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Raw text in, scores out: a string column tokenized by a Hugging Face tokenizer.json into the
 * model's input_ids, attention_mask and token_type_ids, checked against DJL's HuggingFaceTokenizer
 * run directly on the same strings, through transform, the column function and SQL. The models
 * return their inputs as floats, so the scores reveal the ids.
 */
class TokenizerTest extends SparkTestBase {
  private static final Path DIR = Path.of("target", "tokenizer-test").toAbsolutePath();
  private static Path wordPiece;
  private static Path bpe;
  private static HuggingFaceTokenizer reference;
  private static HuggingFaceTokenizer referenceBpe;

  static final List<String> TEXTS =
      List.of(
          "Hello, world!",
          "This movie was GREAT",
          "I love the story and the actors.",
          "unbelievable plot",
          "",
          "Café 中文 😀 xyz",
          "what is it? the film is not very good, and the plot is boring. who is the actor?");

  @BeforeAll
  static void tokenizers() throws IOException {
    wordPiece =
        TestTokenizers.write(
            DIR.resolve("wordpiece/tokenizer.json"), TestTokenizers.wordPieceJson());
    bpe =
        TestTokenizers.write(DIR.resolve("bpe/tokenizer.json"), TestTokenizers.byteLevelBpeJson());
    // The library loads the native tokenizer first, as on an executor, so that DJL extracts it
    // where the library points it; the references below then share it.
    ai.onnxspark.internal.text.TextTokenizer.of(
        "wordpiece", TestTokenizers.wordPieceJson(), 0, null);
    reference = reference(wordPiece, 0);
    referenceBpe = reference(bpe, 0);
  }

  @AfterAll
  static void close() {
    reference.close();
    referenceBpe.close();
  }

  /** DJL's tokenizer on the file, with special tokens, no padding, truncating at maxLength. */
  static HuggingFaceTokenizer reference(Path file, int maxLength) throws IOException {
    // The library's tokenizer first: it points DJL's native extraction at the node-local folder,
    // which a tokenizer made directly before it would not (nativesAreExtractedToANodeLocalFolder).
    TextTokenizer.of("wordpiece", TestTokenizers.wordPieceJson(), 0, null);
    Map<String, String> options = new HashMap<>();
    options.put("addSpecialTokens", "true");
    options.put("padding", "false");
    options.put("truncation", maxLength > 0 ? "true" : "false");
    if (maxLength > 0) {
      options.put("maxLength", Integer.toString(maxLength));
    }
    return HuggingFaceTokenizer.newInstance(file, options);
  }

  /** A BERT-like model of {@code type} inputs: its ids and types back as floats, and sums. */
  static byte[] bertLike(ElementType type, Object seq, boolean types) {
    ModelBuilder b =
        new ModelBuilder("bert")
            .input("input_ids", type, "batch", seq)
            .input("attention_mask", type, "batch", seq);
    if (types) {
      b.input("token_type_ids", type, "batch", seq);
    }
    b.initializer("axes", new long[] {1}, 1L)
        .node("Cast", "input_ids", "ids", ModelBuilder.intAttr("to", 1))
        .node("Cast", "attention_mask", "mask", ModelBuilder.intAttr("to", 1))
        .node("Mul", new String[] {"ids", "mask"}, new String[] {"kept"})
        .node(
            "ReduceSum",
            new String[] {"kept", "axes"},
            new String[] {"masked"},
            ModelBuilder.intAttr("keepdims", 0))
        .node(
            "ReduceSum",
            new String[] {"ids", "axes"},
            new String[] {"total"},
            ModelBuilder.intAttr("keepdims", 0))
        .output("ids", ElementType.FLOAT, "batch", seq)
        .output("masked", ElementType.FLOAT, "batch")
        .output("total", ElementType.FLOAT, "batch");
    if (types) {
      b.node("Cast", "token_type_ids", "types", ModelBuilder.intAttr("to", 1))
          .output("types", ElementType.FLOAT, "batch", seq);
    }
    return b.build();
  }

  static Dataset<Row> texts(List<String> texts) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      rows.add(RowFactory.create(i, texts.get(i)));
    }
    return spark.createDataFrame(
        rows,
        new StructType().add("id", DataTypes.IntegerType).add("review", DataTypes.StringType));
  }

  static Dataset<Row> pairs(List<String> a, List<String> b) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      rows.add(RowFactory.create(i, a.get(i), b.get(i)));
    }
    return spark.createDataFrame(
        rows,
        new StructType()
            .add("id", DataTypes.IntegerType)
            .add("question", DataTypes.StringType)
            .add("passage", DataTypes.StringType));
  }

  static long[] floatsToLongs(List<Float> values) {
    return values.stream().mapToLong(Float::longValue).toArray();
  }

  /** Checks a row's outputs (ids, masked, total[, types]) against {@code expected}. */
  static void check(Row row, int first, Encoding expected, long padId, boolean types) {
    long[] ids = expected.getIds();
    assertThat(floatsToLongs(row.getList(first)))
        .as("ids of row %s", row.get(0))
        .containsExactly(ids);
    long sum = Arrays.stream(ids).sum();
    assertThat(row.getFloat(first + 1)).isEqualTo((float) sum);
    // Unmasked total: the ids plus the pad id for each padded position.
    float padded = row.getFloat(first + 2) - sum;
    assertThat(padded % Math.max(1, padId)).isEqualTo(0f);
    if (types) {
      assertThat(floatsToLongs(row.getList(first + 3))).containsExactly(expected.getTypeIds());
    }
  }

  @Test
  void wordPieceIdsMatchTheTokenizerThroughTransformColumnFunctionAndSql() {
    Dataset<Row> df = texts(TEXTS).repartition(2);
    OnnxModel model =
        OnnxModel.fromBytes(bertLike(ElementType.INT64, "seq", true))
            .withTokenizer("review", wordPiece.toString())
            .withBatchSize(3);
    OnnxModels.register(
        spark, "bert", OnnxModel.fromBytes(bertLike(ElementType.INT64, "seq", true)));
    df.createOrReplaceTempView("reviews");
    List<Dataset<Row>> ways =
        List.of(
            model.transform(df).select("id", "ids", "masked", "total", "types"),
            df.withColumn("p", OnnxFunctions.onnxPredict(model, "review")).select("id", "p.*"),
            spark.sql(
                "SELECT id, p.* FROM (SELECT id, onnx_predict('bert', map('tokenizer', '"
                    + wordPiece
                    + "', 'batch-size', '3'), review) AS p FROM reviews)"));
    for (Dataset<Row> scored : ways) {
      List<Row> rows = scored.orderBy("id").collectAsList();
      assertThat(rows).hasSize(TEXTS.size());
      for (Row row : rows) {
        check(row, 1, reference.encode(TEXTS.get(row.getInt(0))), 0, true);
      }
    }
    // Hand-checked: lowercased, split on punctuation, special tokens around, and non-ASCII text:
    // accents stripped (café), each Chinese character a word, an unknown emoji and word [UNK].
    long unk = TestTokenizers.wordPieceId("[UNK]");
    assertThat(reference.encode("Hello, world!").getIds()).containsExactly(2, 40, 31, 41, 32, 3);
    assertThat(reference.encode("").getIds()).containsExactly(2, 3);
    assertThat(reference.encode("Café 中文 😀 xyz").getIds())
        .containsExactly(2, 42, 34, 35, unk, unk, 3);
    assertThat(reference.encode("unbelievable plot").getIds())
        .containsExactly(2, 43, 44, 45, 22, 3);
  }

  @Test
  void theMlStageTakesTheSameOptions() throws IOException {
    Path file = DIR.resolve("ml/bert.onnx");
    Files.createDirectories(file.getParent());
    Files.write(file, bertLike(ElementType.INT64, "seq", true));
    Dataset<Row> df = texts(TEXTS).repartition(2);
    ai.onnxspark.ml.OnnxTransformer stage =
        new ai.onnxspark.ml.OnnxTransformer()
            .setModelPath(file.toString())
            .setOption("tokenizer", wordPiece.toString())
            .setOption("text-column", "review")
            .setOption("max-length", "5");
    try (HuggingFaceTokenizer five = reference(wordPiece, 5)) {
      for (Row row :
          stage
              .transform(df)
              .select("id", "ids", "masked", "total", "types")
              .orderBy("id")
              .collectAsList()) {
        check(row, 1, five.encode(TEXTS.get(row.getInt(0))), 0, true);
      }
    }
  }

  @Test
  void truncatesToMaxLengthAndPadsWithinABatch() throws IOException {
    Dataset<Row> df = texts(TEXTS).coalesce(1);
    OnnxModel model =
        OnnxModel.fromBytes(bertLike(ElementType.INT64, "seq", true))
            .withTokenizer("review", wordPiece.toString())
            .withMaxLength(6)
            .withBatchSize(4);
    try (HuggingFaceTokenizer six = reference(wordPiece, 6)) {
      List<Row> rows =
          model
              .transform(df)
              .select("id", "ids", "masked", "total", "types")
              .orderBy("id")
              .collectAsList();
      for (Row row : rows) {
        Encoding expected = six.encode(TEXTS.get(row.getInt(0)));
        assertThat(expected.getIds().length).isLessThanOrEqualTo(6);
        check(row, 1, expected, 0, true);
      }
      assertThat(floatsToLongs(rows.get(6).getList(1))).hasSize(6).startsWith(2).endsWith(3);
    }
    // SQL takes max-length too.
    OnnxModels.register(
        spark, "bert6", OnnxModel.fromBytes(bertLike(ElementType.INT64, "seq", true)));
    df.createOrReplaceTempView("reviews6");
    List<Row> sql =
        spark
            .sql(
                "SELECT id, onnx_predict('bert6', map('tokenizer', '"
                    + wordPiece
                    + "', 'max-length', '4'), review).ids AS ids FROM reviews6 ORDER BY id")
            .collectAsList();
    assertThat(floatsToLongs(sql.get(6).getList(1))).containsExactly(2, 46, 6, 3);
  }

  @Test
  void textPairsGetTheTemplateOfPairsAndTypeIds() throws IOException {
    List<String> questions = List.of("what is the plot?", "who is the actor?", "", "is it good?");
    List<String> passages =
        List.of("the plot is fun.", "a very good actor", "hello", "it is not very good and boring");
    Dataset<Row> df = pairs(questions, passages).repartition(2);
    OnnxModel model =
        OnnxModel.fromBytes(bertLike(ElementType.INT64, "seq", true))
            .withTokenizer("question", "passage", wordPiece.toString())
            .withMaxLength(9);
    OnnxModels.register(spark, "qa", OnnxModel.fromBytes(bertLike(ElementType.INT64, "seq", true)));
    df.createOrReplaceTempView("qa_pairs");
    try (HuggingFaceTokenizer nine = reference(wordPiece, 9)) {
      for (Dataset<Row> scored :
          List.of(
              model.transform(df).select("id", "ids", "masked", "total", "types"),
              df.withColumn("p", OnnxFunctions.onnxPredict(model, "question", "passage"))
                  .select("id", "p.*"),
              spark.sql(
                  "SELECT id, p.* FROM (SELECT id, onnx_predict('qa', map('tokenizer', '"
                      + wordPiece
                      + "', 'max-length', '9'), question, passage) AS p FROM qa_pairs)"))) {
        List<Row> rows = scored.orderBy("id").collectAsList();
        assertThat(rows).hasSize(4);
        for (Row row : rows) {
          int id = row.getInt(0);
          Encoding expected = nine.encode(questions.get(id), passages.get(id));
          check(row, 1, expected, 0, true);
          assertThat(expected.getTypeIds()).contains(1L);
        }
      }
      // [CLS] who is the actor ? [SEP] a very good actor [SEP] fits; longest first is cut.
      assertThat(reference.encode("who is the actor?", "a very good actor").getIds())
          .containsExactly(2, 47, 6, 4, 23, 33, 3, 5, 13, 11, 23, 3);
      assertThat(nine.encode("who is the actor?", "a very good actor").getIds()).hasSize(9);
    }
  }

  @Test
  void byteLevelBpeGivesBytesForAnythingAndPadsWithItsPadId() {
    List<String> texts = List.of("hello the world", "héllo 😀", "", "the the the the the the");
    Dataset<Row> df = texts(texts).coalesce(1);
    OnnxModel model =
        OnnxModel.fromBytes(bertLike(ElementType.INT64, "seq", false))
            .withTokenizer("review", bpe.toString())
            .withBatchSize(4);
    List<Row> rows =
        model.transform(df).select("id", "ids", "masked", "total").orderBy("id").collectAsList();
    for (Row row : rows) {
      Encoding expected = referenceBpe.encode(texts.get(row.getInt(0)));
      check(row, 1, expected, TestTokenizers.BPE_PAD, false);
      long padded = (long) (row.getFloat(3) - row.getFloat(2));
      int longest = 0;
      for (String t : texts) {
        longest = Math.max(longest, referenceBpe.encode(t).getIds().length);
      }
      assertThat(padded).isEqualTo((longest - expected.getIds().length) * TestTokenizers.BPE_PAD);
    }
    // The emoji is its four UTF-8 bytes; merges make "he", "ll", "Ġthe".
    long[] emoji = referenceBpe.encode("😀").getIds();
    assertThat(emoji)
        .containsExactly(TestTokenizers.BPE_BOS, 0xF0, 0x9F, 0x98, 0x80, TestTokenizers.BPE_EOS);
  }

  @Test
  void fixedSequenceLengthAndInt32InputsAsTheModelDeclaresThem() throws IOException {
    Dataset<Row> df = texts(TEXTS).coalesce(1);
    OnnxModel fixed =
        OnnxModel.fromBytes(bertLike(ElementType.INT32, 8L, true))
            .withTokenizer("review", wordPiece.toString());
    try (HuggingFaceTokenizer eight = reference(wordPiece, 8)) {
      for (Row row :
          fixed.transform(df).select("id", "ids", "types").orderBy("id").collectAsList()) {
        long[] expected = Arrays.copyOf(eight.encode(TEXTS.get(row.getInt(0))).getIds(), 8);
        assertThat(floatsToLongs(row.getList(1))).containsExactly(expected);
      }
    }
    OnnxModel int32 =
        OnnxModel.fromBytes(bertLike(ElementType.INT32, "seq", true))
            .withTokenizer("review", wordPiece.toString());
    for (Row row :
        int32
            .transform(df)
            .select("id", "ids", "masked", "total", "types")
            .orderBy("id")
            .collectAsList()) {
      check(row, 1, reference.encode(TEXTS.get(row.getInt(0))), 0, true);
    }
  }

  @Test
  void bucketingGroupsTextsByLengthAndKeepsEachRowsIds() {
    List<String> many = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      many.add(TEXTS.get(i % TEXTS.size()) + " the".repeat(i % 5));
    }
    Dataset<Row> df = texts(many).coalesce(1);
    OnnxModel model =
        OnnxModel.fromBytes(bertLike(ElementType.INT64, "seq", true))
            .withTokenizer("review", wordPiece.toString())
            .withBatchSize(4)
            .withBucketing(5);
    List<Row> rows =
        model.transform(df).select("id", "ids", "masked", "total", "types").collectAsList();
    for (int i = 0; i < rows.size(); i++) {
      assertThat(rows.get(i).getInt(0)).isEqualTo(i);
      check(rows.get(i), 1, reference.encode(many.get(i)), 0, true);
    }
  }

  @Test
  void aNullTextFailsNamingColumnAndRowOrIsNullWithAnErrorWhenPermissive() {
    List<String> texts = new ArrayList<>(List.of("hello", "the film", "good"));
    texts.add(1, null);
    Dataset<Row> df = texts(texts).coalesce(1);
    OnnxModel model =
        OnnxModel.fromBytes(bertLike(ElementType.INT64, "seq", true))
            .withTokenizer("review", wordPiece.toString());
    assertThatThrownBy(() -> model.transform(df).collect())
        .hasStackTraceContaining("'review'")
        .hasStackTraceContaining("holds a null string")
        .hasStackTraceContaining("row 1 of partition 0");

    List<Row> rows =
        model
            .withPermissive()
            .transform(df)
            .select("id", "ids", "onnx_error")
            .orderBy("id")
            .collectAsList();
    assertThat(rows.get(1).isNullAt(1)).isTrue();
    assertThat(rows.get(1).getString(2)).contains("'review'").contains("row 1 of partition 0");
    for (int i : new int[] {0, 2, 3}) {
      assertThat(rows.get(i).isNullAt(2)).isTrue();
      assertThat(floatsToLongs(rows.get(i).getList(1)))
          .containsExactly(reference.encode(texts.get(i)).getIds());
    }
  }

  @Test
  void badTokenizerFilesAndColumnsAreRefusedOnTheDriver() throws IOException {
    Dataset<Row> df = texts(TEXTS);
    OnnxModel model = OnnxModel.fromBytes(bertLike(ElementType.INT64, "seq", true));
    assertThatThrownBy(
            () ->
                model.withTokenizer("review", DIR.resolve("missing.json").toString()).transform(df))
        .hasMessageContaining("tokenizer")
        .hasMessageContaining("missing.json");
    Path bad = Files.writeString(DIR.resolve("bad.json"), "{\"model\": \"hunter2\"}");
    assertThatThrownBy(() -> model.withTokenizer("review", bad.toString()).transform(df))
        .hasMessageContaining("bad.json")
        .hasMessageNotContaining("hunter2");
    Path secret = Files.writeString(DIR.resolve("secret.txt"), "password=hunter2");
    assertThatThrownBy(() -> model.withTokenizer("review", secret.toString()).transform(df))
        .hasMessageContaining("not JSON")
        .hasMessageNotContaining("hunter2");
    assertThatThrownBy(() -> model.withTokenizer("id", wordPiece.toString()).transform(df))
        .hasMessageContaining("'id'")
        .hasMessageContaining("string");
    assertThatThrownBy(() -> model.withTokenizer("nope", wordPiece.toString()).transform(df))
        .hasMessageContaining("nope");
  }

  @Test
  void nativesAreExtractedToANodeLocalFolderNotTheHomeFolder() {
    OnnxModel.fromBytes(bertLike(ElementType.INT64, "seq", true))
        .withTokenizer("review", wordPiece.toString())
        .transform(texts(TEXTS))
        .collect();
    if (System.getenv("ENGINE_CACHE_DIR") == null && System.getenv("DJL_CACHE_DIR") == null) {
      Path dir = Path.of(System.getProperty("ENGINE_CACHE_DIR"));
      assertThat(dir.toString()).startsWith(System.getProperty("java.io.tmpdir"));
      assertThat(dir.resolve("tokenizers")).isDirectory();
      assertThat(Path.of(System.getProperty("user.home"), ".djl.ai")).doesNotExist();
    }
    assertThat(System.getProperty("RUST_FLAVOR", System.getenv("RUST_FLAVOR"))).isNotEmpty();
  }
}
