package ai.onnxspark.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxspark.internal.text.TextTokenizer;
import ai.onnxspark.model.ElementType;
import ai.onnxspark.sql.OnnxFunctions;
import ai.onnxspark.sql.OnnxModels;
import ai.onnxspark.testing.ModelBuilder;
import ai.onnxspark.testing.SparkTestBase;
import ai.onnxspark.testing.TestTokenizers;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A sentiment classifier over raw reviews, the way SQL users run it: the model and its tokenizer
 * registered by name ({@code spark.onnx.models.sentiment.path} and {@code .tokenizer}), then {@code
 * SELECT onnx_predict('sentiment', review)}. The classifier is an embedding bag (token embeddings
 * averaged over the attention mask, a linear layer and softmax) with random weights; its scores
 * from raw strings equal its scores from token ids computed by the tokenizer library directly.
 */
class TextClassifierTest extends SparkTestBase {
  private static final Path DIR = Path.of("target", "text-classifier-test").toAbsolutePath();
  private static final int MAX_LENGTH = 8;
  private static final int WIDTH = 6;

  static final List<String> REVIEWS =
      List.of(
          "This movie was GREAT",
          "unbelievable plot",
          "",
          "I love the story and the actors.",
          "what is it? the film is not very good, and the plot is boring. who is the actor?",
          "Café 中文 😀 xyz",
          "Hello, world!");

  private static Path model;
  private static Path tokenizer;
  private static HuggingFaceTokenizer reference;
  private static HuggingFaceTokenizer untruncated;

  @BeforeAll
  static void files() throws IOException {
    Files.createDirectories(DIR);
    tokenizer = TestTokenizers.write(DIR.resolve("tokenizer.json"), TestTokenizers.wordPieceJson());
    model = DIR.resolve("sentiment.onnx");
    Files.write(model, classifier(TestTokenizers.WORDPIECE_VOCAB.size(), 17));
    TextTokenizer.of("wordpiece", TestTokenizers.wordPieceJson(), 0, null);
    reference = TokenizerTest.reference(tokenizer, MAX_LENGTH);
    untruncated = TokenizerTest.reference(tokenizer, 0);
    // As spark.sql.extensions=ai.onnxspark.sql.OnnxSparkExtensions does at launch.
    ai.onnxspark.sql.OnnxSql.install(spark);
  }

  @AfterAll
  static void close() {
    reference.close();
    untruncated.close();
  }

  @AfterEach
  void unregister() {
    for (String key : List.of("path", "tokenizer", "max-length", "softmax.logits")) {
      spark.conf().unset("spark.onnx.models.sentiment." + key);
    }
  }

  /**
   * Token embeddings ({@code vocab} × {@link #WIDTH}, random) averaged over the attention mask, a
   * linear layer to two classes: {@code logits}.
   */
  static byte[] classifier(int vocab, long seed) {
    return classifierOf(
            new ModelBuilder("sentiment")
                .input("input_ids", ElementType.INT64, "batch", "seq")
                .input("attention_mask", ElementType.INT64, "batch", "seq"),
            vocab,
            seed)
        .output("logits", ElementType.FLOAT, "batch", 2)
        .build();
  }

  /**
   * Adds the classifier from {@code input_ids} and {@code attention_mask} ([batch, seq] int64) to
   * {@code logits} ([batch, 2]): the same weights for the same {@code seed}.
   */
  static ModelBuilder classifierOf(ModelBuilder b, int vocab, long seed) {
    Random random = new Random(seed);
    float[] embeddings = new float[vocab * WIDTH];
    for (int i = 0; i < embeddings.length; i++) {
      embeddings[i] = random.nextFloat() * 2 - 1;
    }
    float[] weights = new float[WIDTH * 2];
    for (int i = 0; i < weights.length; i++) {
      weights[i] = random.nextFloat() * 2 - 1;
    }
    return b.initializer("embeddings", new long[] {vocab, WIDTH}, embeddings)
        .initializer("weights", new long[] {WIDTH, 2}, weights)
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
        .node("MatMul", new String[] {"mean", "weights"}, new String[] {"logits"});
  }

  static Dataset<Row> reviews() {
    return textsOf(REVIEWS).repartition(2);
  }

  /** The reviews as the tokenizer library encodes them: ids and mask, truncated, not padded. */
  static Dataset<Row> precomputedIds() {
    return idsOf(reference, REVIEWS);
  }

  /**
   * {@code texts} encoded by {@code tokenizer}: columns {@code id} (the text's index), {@code
   * input_ids} and {@code attention_mask} ({@code array<bigint>}).
   */
  static Dataset<Row> idsOf(HuggingFaceTokenizer tokenizer, List<String> texts) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      Encoding e = tokenizer.encode(texts.get(i));
      rows.add(RowFactory.create(i, boxed(e.getIds()), boxed(e.getAttentionMask())));
    }
    return spark.createDataFrame(
        rows,
        new StructType()
            .add("id", DataTypes.IntegerType)
            .add("input_ids", DataTypes.createArrayType(DataTypes.LongType, false))
            .add("attention_mask", DataTypes.createArrayType(DataTypes.LongType, false)));
  }

  /** {@code texts} as columns {@code id} (the text's index) and {@code review}. */
  static Dataset<Row> textsOf(List<String> texts) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      rows.add(RowFactory.create(i, texts.get(i)));
    }
    return spark.createDataFrame(
        rows,
        new StructType().add("id", DataTypes.IntegerType).add("review", DataTypes.StringType));
  }

  private static List<Long> boxed(long[] values) {
    return Arrays.stream(values).boxed().toList();
  }

  /** Logits per id from scoring the precomputed ids one row per batch, so none is padded. */
  static float[][] fromIds() {
    List<Row> rows =
        OnnxModel.fromPath(model.toString())
            .withBatchSize(1)
            .transform(precomputedIds())
            .select("id", "logits")
            .orderBy("id")
            .collectAsList();
    float[][] logits = new float[REVIEWS.size()][];
    for (Row row : rows) {
      List<Float> values = row.getList(1);
      logits[row.getInt(0)] = new float[] {values.get(0), values.get(1)};
    }
    return logits;
  }

  @Test
  void sqlScoresRawReviewsWithTheTokenizerRegisteredWithTheModelAsFromPrecomputedIds() {
    spark.conf().set("spark.onnx.models.sentiment.path", model.toString());
    spark.conf().set("spark.onnx.models.sentiment.tokenizer", tokenizer.toString());
    spark.conf().set("spark.onnx.models.sentiment.max-length", Integer.toString(MAX_LENGTH));
    reviews().createOrReplaceTempView("reviews");

    List<Row> scored =
        spark
            .sql("SELECT id, onnx_predict('sentiment', review) AS logits FROM reviews ORDER BY id")
            .collectAsList();

    float[][] expected = fromIds();
    assertThat(scored).hasSize(REVIEWS.size());
    for (Row row : scored) {
      List<Float> logits = row.getList(1);
      float[] want = expected[row.getInt(0)];
      // Batches pad shorter reviews; the masked mean ignores the padding up to float rounding.
      assertThat(logits.get(0)).as("review %s", row.getInt(0)).isCloseTo(want[0], within(1e-6f));
      assertThat(logits.get(1)).as("review %s", row.getInt(0)).isCloseTo(want[1], within(1e-6f));
    }
    // The truncation took effect: the long review has more than MAX_LENGTH tokens untruncated.
    assertThat(untruncated.encode(REVIEWS.get(4)).getIds().length).isGreaterThan(MAX_LENGTH);
    assertThat(reference.encode(REVIEWS.get(4)).getIds()).hasSize(MAX_LENGTH);
  }

  @Test
  void registeredOptionsApplyToEveryCallAndACallOverridesThem() {
    spark.conf().set("spark.onnx.models.sentiment.path", model.toString());
    spark.conf().set("spark.onnx.models.sentiment.tokenizer", tokenizer.toString());
    spark.conf().set("spark.onnx.models.sentiment.max-length", Integer.toString(MAX_LENGTH));
    spark.conf().set("spark.onnx.models.sentiment.softmax.logits", "probs");
    reviews().createOrReplaceTempView("reviews");

    List<Row> registered =
        spark
            .sql(
                "SELECT id, p.probs FROM (SELECT id, onnx_predict('sentiment', review) AS p"
                    + " FROM reviews) ORDER BY id")
            .collectAsList();
    float[][] logits = fromIds();
    for (Row row : registered) {
      float[] l = logits[row.getInt(0)];
      double e0 = Math.exp(l[0]);
      double e1 = Math.exp(l[1]);
      List<Float> probs = row.getList(1);
      assertThat(probs.get(0)).isCloseTo((float) (e0 / (e0 + e1)), within(1e-5f));
      assertThat(probs.get(1)).isCloseTo((float) (e1 / (e0 + e1)), within(1e-5f));
    }

    // Per call, max-length 3 keeps [CLS], one word, [SEP]: different scores for longer reviews.
    List<Row> shorter =
        spark
            .sql(
                "SELECT id, p.logits FROM (SELECT id, onnx_predict('sentiment',"
                    + " map('max-length', '3'), review) AS p FROM reviews) ORDER BY id")
            .collectAsList();
    Row longReview = shorter.get(4);
    assertThat(longReview.<Float>getList(1).get(0)).isNotCloseTo(logits[4][0], within(1e-6f));
  }

  @Test
  void theColumnFunctionAndTransformScoreRawReviewsAsFromIds() {
    OnnxModel sentiment =
        OnnxModel.fromPath(model.toString())
            .withTokenizer("review", tokenizer.toString())
            .withMaxLength(MAX_LENGTH);
    float[][] expected = fromIds();
    List<Dataset<Row>> ways =
        List.of(
            sentiment.transform(reviews()).select("id", "logits"),
            reviews()
                .withColumn("logits", OnnxFunctions.onnxPredict(sentiment, "review"))
                .select("id", "logits"));
    for (Dataset<Row> way : ways) {
      for (Row row : way.orderBy("id").collectAsList()) {
        List<Float> logits = row.getList(1);
        assertThat(logits.get(0)).isCloseTo(expected[row.getInt(0)][0], within(1e-6f));
        assertThat(logits.get(1)).isCloseTo(expected[row.getInt(0)][1], within(1e-6f));
      }
    }
  }

  /** The token embeddings {@link #classifierOf} draws first for {@code seed}. */
  static float[] embeddingsOf(int vocab, long seed) {
    Random random = new Random(seed);
    float[] embeddings = new float[vocab * WIDTH];
    for (int i = 0; i < embeddings.length; i++) {
      embeddings[i] = random.nextFloat() * 2 - 1;
    }
    return embeddings;
  }

  /** An encoder whose per-token output {@code hidden} is each token's embedding. */
  static byte[] encoder(int vocab, long seed) {
    return new ModelBuilder("encoder")
        .input("input_ids", ElementType.INT64, "batch", "seq")
        .input("attention_mask", ElementType.INT64, "batch", "seq")
        .initializer("embeddings", new long[] {vocab, WIDTH}, embeddingsOf(vocab, seed))
        .node("Gather", new String[] {"embeddings", "input_ids"}, new String[] {"hidden"})
        .output("hidden", ElementType.FLOAT, "batch", "seq", WIDTH)
        .build();
  }

  @Test
  void meanPoolingAveragesEachReviewsTokensWithoutTheBatchsPadding() {
    int vocab = TestTokenizers.WORDPIECE_VOCAB.size();
    float[] embeddings = embeddingsOf(vocab, 5);
    OnnxModel encoder =
        OnnxModel.fromBytes(encoder(vocab, 5))
            .withTokenizer("review", tokenizer.toString())
            .withMaxLength(MAX_LENGTH)
            .withBatchSize(4)
            .withMeanPooling("hidden", "embedding", false)
            .withMeanPooling("hidden", "unit", true);
    OnnxModels.register(spark, "encoder", OnnxModel.fromBytes(encoder(vocab, 5)));
    reviews().createOrReplaceTempView("reviews");
    List<Dataset<Row>> ways =
        List.of(
            encoder.transform(reviews()).select("id", "embedding", "unit"),
            spark.sql(
                "SELECT id, p.embedding, p.unit FROM (SELECT id, onnx_predict('encoder', map("
                    + "'tokenizer', '"
                    + tokenizer
                    + "', 'max-length', '"
                    + MAX_LENGTH
                    + "', 'batch-size', '4', 'mean-pool.hidden', 'embedding',"
                    + " 'mean-pool-normalized.hidden', 'unit'), review) AS p FROM reviews)"));
    for (Dataset<Row> way : ways) {
      List<Row> rows = way.orderBy("id").collectAsList();
      assertThat(rows).hasSize(REVIEWS.size());
      for (Row row : rows) {
        long[] ids = reference.encode(REVIEWS.get(row.getInt(0))).getIds();
        double[] mean = new double[WIDTH];
        for (long id : ids) {
          for (int d = 0; d < WIDTH; d++) {
            mean[d] += embeddings[(int) id * WIDTH + d] / (double) ids.length;
          }
        }
        double norm = Math.sqrt(Arrays.stream(mean).map(v -> v * v).sum());
        List<Float> embedding = row.getList(1);
        List<Float> unit = row.getList(2);
        assertThat(embedding).hasSize(WIDTH);
        for (int d = 0; d < WIDTH; d++) {
          assertThat((double) embedding.get(d)).isCloseTo(mean[d], within(1e-6));
          assertThat((double) unit.get(d)).isCloseTo(mean[d] / norm, within(1e-6));
        }
      }
    }
  }

  @Test
  void meanPoolingIsRefusedWhereItCannotBeRight() {
    int vocab = TestTokenizers.WORDPIECE_VOCAB.size();
    // Scores, not per-token vectors.
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> OnnxModel.fromPath(model.toString()).withMeanPooling("logits", "e", false))
        .hasMessageContaining("logits")
        .hasMessageContaining("per-token vectors");
    // Ids the user padded: the library cannot tell tokens from padding.
    List<Row> padded = new ArrayList<>();
    padded.add(RowFactory.create(0, List.of(2L, 40L, 3L, 0L), List.of(1L, 1L, 1L, 0L)));
    Dataset<Row> ids =
        spark.createDataFrame(
            padded,
            new StructType()
                .add("id", DataTypes.IntegerType)
                .add("input_ids", DataTypes.createArrayType(DataTypes.LongType, false))
                .add("attention_mask", DataTypes.createArrayType(DataTypes.LongType, false)));
    OnnxModel pooled =
        OnnxModel.fromBytes(encoder(vocab, 5)).withMeanPooling("hidden", "embedding", false);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> pooled.transform(ids).collectAsList())
        .hasStackTraceContaining("withTokenizer")
        .hasStackTraceContaining("pad.<input>");
  }

  @Test
  void theRepositorysTextEncoderScoresRawReviewsAsItsPrecomputedIds() throws IOException {
    Path models = Path.of("..", "models").toAbsolutePath().normalize();
    Path encoder = models.resolve("text_encoder.onnx");
    Path sampleTokenizer = models.resolve("text_encoder.tokenizer.json");
    List<String> reviews =
        List.of(
            "This movie was great, I love the story and the actors!",
            "Terrible plot. The ending was boring and too long.",
            "ok",
            "Good price, the delivery was slow but the product works well.");
    Dataset<Row> textFrame = textsOf(reviews);
    Dataset<Row> idFrame;
    try (HuggingFaceTokenizer direct = TokenizerTest.reference(sampleTokenizer, 0)) {
      idFrame = idsOf(direct, reviews); // encoded here, on the driver
    }
    List<Row> fromText =
        OnnxModel.fromPath(encoder.toString())
            .withTokenizer("review", sampleTokenizer.toString())
            .withBatchSize(1)
            .transform(textFrame)
            .select("id", "logits")
            .orderBy("id")
            .collectAsList();
    List<Row> fromIds =
        OnnxModel.fromPath(encoder.toString())
            .withBatchSize(1)
            .transform(idFrame)
            .select("id", "logits")
            .orderBy("id")
            .collectAsList();
    assertThat(fromText).hasSize(reviews.size());
    for (int i = 0; i < reviews.size(); i++) {
      assertThat(fromText.get(i).<Float>getList(1))
          .as("review %s", i)
          .containsExactlyElementsOf(fromIds.get(i).getList(1));
    }
    // The reviews are words of the sample vocabulary, not unknown tokens ([UNK] is 1).
    assertThat(idFrame.where("array_contains(input_ids, 1)").count()).isZero();
  }

  @Test
  void theTokenizerTravelsAsOneBroadcastNotInEachPlan() throws IOException {
    String json = TestTokenizers.wordPieceJson();
    TextTokenizer local = TextTokenizer.of("wordpiece", json, 0, null);
    TextTokenizer shipped = local.shippedIn(spark.sparkContext());
    TextTokenizer again =
        TextTokenizer.of("wordpiece", json, 0, null).shippedIn(spark.sparkContext());

    assertThat(local.isShipped()).isFalse();
    assertThat(shipped.isShipped()).isTrue();
    assertThat(serialized(local).length).isGreaterThan(json.length());
    assertThat(serialized(shipped).length).isLessThan(json.length() / 2);
    // The same text is broadcast once per context: the same broadcast, so the same bytes.
    assertThat(serialized(again)).isEqualTo(serialized(shipped));
    assertThat(shipped.encode("Hello, world!", null, 0))
        .isDeepEqualTo(local.encode("Hello, world!", null, 0));
  }

  private static byte[] serialized(Object value) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(value);
    }
    return bytes.toByteArray();
  }
}
