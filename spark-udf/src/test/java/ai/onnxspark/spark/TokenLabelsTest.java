package ai.onnxspark.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import ai.onnxspark.model.ElementType;
import ai.onnxspark.sql.OnnxFunctions;
import ai.onnxspark.sql.OnnxModels;
import ai.onnxspark.testing.EveryLine;
import ai.onnxspark.testing.ModelBuilder;
import ai.onnxspark.testing.SparkTestBase;
import ai.onnxspark.testing.TestTokenizers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A token classifier over raw text ({@code token-labels.<output>}): each token's logits are a row
 * of an embedding table gathered by its id, so the test computes every token's label and score from
 * the ids its reference tokenizer gives; the spans are checked against the text, Chinese and emoji
 * included.
 */
@EveryLine
class TokenLabelsTest extends SparkTestBase {
  private static final Path DIR = Path.of("target", "token-labels-test").toAbsolutePath();
  private static final List<String> LABELS = List.of("O", "B-THING", "I-THING");
  private static final int VOCAB = 300;

  static final List<String> TEXTS =
      List.of(
          "I love the movie",
          "Café 中文 😀 xyz",
          "😀😀 中 the film",
          "",
          "what is it? the film is not very good, and the plot is boring.");

  private static final float[] TABLE = table(VOCAB, LABELS.size(), 11);

  private static Path wordPiece;
  private static Path bpe;
  private static HuggingFaceTokenizer wordPieceReference;
  private static HuggingFaceTokenizer bpeReference;

  @BeforeAll
  static void files() throws IOException {
    Files.createDirectories(DIR);
    wordPiece = TestTokenizers.write(DIR.resolve("wordpiece.json"), TestTokenizers.wordPieceJson());
    bpe = TestTokenizers.write(DIR.resolve("bpe.json"), TestTokenizers.byteLevelBpeJson());
    wordPieceReference = TokenizerTest.reference(wordPiece, 0);
    bpeReference = TokenizerTest.reference(bpe, 0);
    ai.onnxspark.sql.OnnxSql.install(spark);
  }

  @AfterAll
  static void close() {
    wordPieceReference.close();
    bpeReference.close();
  }

  private static float[] table(int vocab, int labels, long seed) {
    Random random = new Random(seed);
    float[] values = new float[vocab * labels];
    for (int i = 0; i < values.length; i++) {
      values[i] = random.nextFloat() * 4 - 2;
    }
    return values;
  }

  /** Logits {@code [batch, seq, labels]}: each token's row of {@link #TABLE}, by its id. */
  static ModelBuilder tagger(boolean metadata) {
    return tagger(metadata, "seq");
  }

  /** As {@link #tagger(boolean)}, of sequence dimension {@code seq} (a name, or a length). */
  static ModelBuilder tagger(boolean metadata, Object seq) {
    ModelBuilder b =
        new ModelBuilder("tagger")
            .input("input_ids", ElementType.INT64, "batch", seq)
            .input("attention_mask", ElementType.INT64, "batch", seq)
            .initializer("table", new long[] {VOCAB, LABELS.size()}, TABLE)
            .node("Gather", new String[] {"table", "input_ids"}, new String[] {"logits"})
            .output("logits", ElementType.FLOAT, "batch", seq, LABELS.size());
    return metadata ? b.metadata("labels", String.join(",", LABELS)) : b;
  }

  /** One expected entry: the token, its UTF-16 span, label and score. */
  record Entry(String token, int start, int end, String label, float score) {}

  /** The entries of {@code text} computed here, from the reference tokenizer and the table. */
  static List<Entry> expected(HuggingFaceTokenizer reference, String text) {
    Encoding e = reference.encode(text);
    long[] ids = e.getIds();
    String[] tokens = e.getTokens();
    long[] special = e.getSpecialTokenMask();
    CharSpan[] spans = e.getCharTokenSpans();
    List<Entry> entries = new ArrayList<>();
    for (int t = 0; t < ids.length; t++) {
      if (special[t] != 0) {
        continue;
      }
      int l = LABELS.size();
      int best = 0;
      for (int c = 1; c < l; c++) {
        if (TABLE[(int) ids[t] * l + c] > TABLE[(int) ids[t] * l + best]) {
          best = c;
        }
      }
      double sum = 0;
      for (int c = 0; c < l; c++) {
        sum += Math.exp(TABLE[(int) ids[t] * l + c] - TABLE[(int) ids[t] * l + best]);
      }
      // The tokenizer's spans count code points; the column's, UTF-16 units.
      entries.add(
          new Entry(
              tokens[t],
              text.offsetByCodePoints(0, spans[t].getStart()),
              text.offsetByCodePoints(0, spans[t].getEnd()),
              LABELS.get(best),
              (float) (1 / sum)));
    }
    return entries;
  }

  static Dataset<Row> texts(List<String> texts) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      rows.add(RowFactory.create(i, texts.get(i)));
    }
    return spark.createDataFrame(
        rows, new StructType().add("id", DataTypes.IntegerType).add("text", DataTypes.StringType));
  }

  /** Each row's entries, by id. */
  static List<List<Entry>> entries(Dataset<Row> scored, String column) {
    List<Row> rows = scored.select("id", column).orderBy("id").collectAsList();
    List<List<Entry>> all = new ArrayList<>();
    for (Row row : rows) {
      List<Entry> entries = new ArrayList<>();
      for (Row r : row.<Row>getList(1)) {
        entries.add(
            new Entry(r.getString(0), r.getInt(1), r.getInt(2), r.getString(3), r.getFloat(4)));
      }
      all.add(entries);
    }
    return all;
  }

  private static void assertEntries(
      List<List<Entry>> actual, HuggingFaceTokenizer reference, List<String> texts) {
    assertThat(actual).hasSize(texts.size());
    for (int i = 0; i < texts.size(); i++) {
      String text = texts.get(i);
      List<Entry> want = expected(reference, text);
      List<Entry> got = actual.get(i);
      assertThat(got).as("text %s", i).hasSize(want.size());
      for (int t = 0; t < want.size(); t++) {
        Entry w = want.get(t);
        Entry g = got.get(t);
        assertThat(g.token()).isEqualTo(w.token());
        assertThat(g.start()).as("start of %s in %s", w.token(), text).isEqualTo(w.start());
        assertThat(g.end()).as("end of %s in %s", w.token(), text).isEqualTo(w.end());
        assertThat(g.label()).isEqualTo(w.label());
        assertThat(g.score()).isCloseTo(w.score(), within(1e-6f));
        // The span is the text the token was read from, as Java (and Spark) strings cut it.
        assertThat(text.substring(g.start(), g.end())).isNotEmpty();
      }
    }
  }

  @Test
  void eachTokenGetsItsSpanLabelAndScoreWithoutSpecialTokensOrPadding() {
    // One batch of rows of different lengths: the shorter ones are padded.
    Dataset<Row> frame = texts(TEXTS).coalesce(1);
    OnnxModel tagger =
        OnnxModel.fromBytes(tagger(false).build())
            .withTokenizer("text", wordPiece.toString())
            .withBatchSize(8)
            .withTokenLabels("logits", "entities", LABELS.toArray(new String[0]));
    List<List<Entry>> rows = entries(tagger.transform(frame), "entities");
    assertEntries(rows, wordPieceReference, TEXTS);

    // Spans in UTF-16 units: the emoji take two each, the Chinese one.
    String text = TEXTS.get(2);
    List<String> cut = rows.get(2).stream().map(e -> text.substring(e.start(), e.end())).toList();
    assertThat(rows.get(2).stream().map(Entry::token).toList())
        .containsExactly("[UNK]", "中", "the", "film");
    assertThat(cut).containsExactly("😀😀", "中", "the", "film");
    String cafe = TEXTS.get(1);
    assertThat(rows.get(1).stream().map(e -> cafe.substring(e.start(), e.end())).toList())
        .containsExactly("Café", "中", "文", "😀", "xyz");
    // No [CLS] nor [SEP]; an empty text has no tokens.
    assertThat(rows.get(0).stream().map(Entry::token).toList())
        .containsExactly("i", "love", "the", "movie");
    assertThat(rows.get(3)).isEmpty();
  }

  @Test
  void aFixedSequenceLengthLabelsTheTokensKeptAfterTruncation() throws IOException {
    // Every row truncated or padded to the model's 8 positions: [CLS], 6 tokens at most, [SEP].
    OnnxModel tagger =
        OnnxModel.fromBytes(tagger(true, 8).build())
            .withTokenizer("text", wordPiece.toString())
            .withTokenLabels("logits", "entities");
    List<List<Entry>> rows = entries(tagger.transform(texts(TEXTS).coalesce(1)), "entities");
    try (HuggingFaceTokenizer truncating = TokenizerTest.reference(wordPiece, 8)) {
      assertEntries(rows, truncating, TEXTS);
    }
    assertThat(rows.get(4)).hasSize(6);
    assertThat(rows.get(0)).hasSize(4);
  }

  @Test
  void byteLevelTokensOfOneCharacterShareItsSpan() {
    OnnxModel tagger =
        OnnxModel.fromBytes(tagger(true).build())
            .withTokenizer("text", bpe.toString())
            .withBatchSize(3)
            .withTokenLabels("logits", "entities");
    List<List<Entry>> rows = entries(tagger.transform(texts(TEXTS).coalesce(1)), "entities");
    assertEntries(rows, bpeReference, TEXTS);
    // 中 is three UTF-8 bytes: three byte tokens, each spanning the character.
    String text = TEXTS.get(2);
    assertThat(
            rows.get(2).stream()
                .filter(e -> text.substring(e.start(), e.end()).equals("中"))
                .count())
        .isEqualTo(3);
  }

  @Test
  void transformTheColumnFunctionAndSqlAgree() {
    Dataset<Row> frame = texts(TEXTS).repartition(2);
    OnnxModel tagger =
        OnnxModel.fromBytes(tagger(false).build())
            .withTokenizer("text", wordPiece.toString())
            .withBatchSize(2)
            .withTokenLabels("logits", "entities", LABELS.toArray(new String[0]));
    OnnxModels.register(spark, "tagger", OnnxModel.fromBytes(tagger(false).build()));
    frame.createOrReplaceTempView("texts");
    List<Dataset<Row>> ways =
        List.of(
            tagger.transform(frame),
            frame.withColumn("p", OnnxFunctions.onnxPredict(tagger, "text")).select("id", "p.*"),
            spark.sql(
                "SELECT id, p.entities FROM (SELECT id, onnx_predict('tagger', map('tokenizer', '"
                    + wordPiece
                    + "', 'batch-size', '2', 'labels.logits', '"
                    + String.join(",", LABELS)
                    + "', 'token-labels.logits', 'entities'), text) AS p FROM texts)"));
    for (Dataset<Row> way : ways) {
      assertThat(way.schema().apply("entities").dataType().simpleString())
          .isEqualTo("array<struct<token:string,start:int,end:int,label:string,score:float>>");
      assertEntries(entries(way, "entities"), wordPieceReference, TEXTS);
    }
  }

  @Test
  void aNullTextFailsTheQueryOrInPermissiveModeGetsNullAndTheError() {
    List<String> withNull = new ArrayList<>(TEXTS);
    withNull.set(1, null);
    Dataset<Row> frame = texts(withNull).coalesce(1);
    OnnxModel tagger =
        OnnxModel.fromBytes(tagger(true).build())
            .withTokenizer("text", wordPiece.toString())
            .withTokenLabels("logits", "entities");
    assertThatThrownBy(() -> tagger.transform(frame).collectAsList())
        .hasStackTraceContaining("text")
        .hasStackTraceContaining("null");

    List<Row> rows =
        tagger
            .withPermissive()
            .transform(frame)
            .select("id", "entities", "onnx_error")
            .orderBy("id")
            .collectAsList();
    assertThat(rows.get(1).isNullAt(1)).isTrue();
    assertThat(rows.get(1).getString(2)).contains("null");
    for (int i : new int[] {0, 2, 3, 4}) {
      assertThat(rows.get(i).isNullAt(2)).isTrue();
      assertThat(rows.get(i).getList(1)).hasSize(expected(wordPieceReference, TEXTS.get(i)).size());
    }
  }

  @Test
  void badConfigurationsAreRefusedWithTheFix() {
    byte[] model = tagger(false).build();
    // Labels not one per score.
    assertThatThrownBy(
            () -> OnnxModel.fromBytes(model).withTokenLabels("logits", "entities", "O", "X"))
        .hasMessageContaining("labels.logits")
        .hasMessageContaining("3 labels");
    // No labels given and none in the metadata.
    assertThatThrownBy(() -> OnnxModel.fromBytes(model).withTokenLabels("logits", "entities"))
        .hasMessageContaining("withTokenLabels(output, column, labels)");
    // Not per-token scores of rank 3.
    byte[] classifier = TextClassifierTest.classifier(TestTokenizers.WORDPIECE_VOCAB.size(), 3);
    assertThatThrownBy(
            () -> OnnxModel.fromBytes(classifier).withTokenLabels("logits", "e", "neg", "pos"))
        .hasMessageContaining("token-labels.logits")
        .hasMessageContaining("rank 3")
        .hasMessageContaining("rank 2");
    // No such output.
    assertThatThrownBy(() -> OnnxModel.fromBytes(model).withTokenLabels("hidden", "e", "a"))
        .hasMessageContaining("hidden");
    // Fed token ids, not text: the library knows no tokens.
    Dataset<Row> ids =
        spark.createDataFrame(
            List.of(RowFactory.create(List.of(2L, 14L, 3L), List.of(1L, 1L, 1L))),
            new StructType()
                .add("input_ids", DataTypes.createArrayType(DataTypes.LongType, false))
                .add("attention_mask", DataTypes.createArrayType(DataTypes.LongType, false)));
    OnnxModel untokenized =
        OnnxModel.fromBytes(model).withTokenLabels("logits", "e", LABELS.toArray(new String[0]));
    assertThatThrownBy(() -> untokenized.transform(ids))
        .hasMessageContaining("token-labels.logits")
        .hasMessageContaining("withTokenizer");
    // Text pairs: tokens of two texts.
    Dataset<Row> pairs =
        texts(TEXTS).withColumn("other", org.apache.spark.sql.functions.col("text"));
    assertThatThrownBy(
            () ->
                OnnxModel.fromBytes(model)
                    .withTokenizer("text", "other", wordPiece.toString())
                    .withTokenLabels("logits", "e", LABELS.toArray(new String[0]))
                    .transform(pairs))
        .hasMessageContaining("token-labels.logits")
        .hasMessageContaining("text pair");
  }
}
