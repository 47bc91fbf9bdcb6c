package ai.onnxspark.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.within;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxspark.OnnxException;
import ai.onnxspark.model.ElementType;
import ai.onnxspark.sql.OnnxFunctions;
import ai.onnxspark.sql.OnnxModels;
import ai.onnxspark.testing.ModelBuilder;
import ai.onnxspark.testing.SparkTestBase;
import ai.onnxspark.testing.TestTokenizers;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A model that carries its tokenizer inside the graph, as ONNX Runtime Extensions' tools export
 * them: the custom operator {@code BertTokenizer} (domain {@code ai.onnx.contrib}) turns the review
 * into ids and mask, followed by the classifier of {@link TextClassifierTest}. With extensions
 * enabled it scores raw strings as the classifier scores ids from the Hugging Face tokenizer of the
 * same vocabulary; without, it is refused on the driver naming the domain, the operator and the
 * option.
 */
class ExtensionsTest extends SparkTestBase {
  private static final long SEED = 29;

  static final List<String> REVIEWS =
      List.of(
          "This movie was GREAT",
          "unbelievable plot",
          "I love the story and the actors.",
          "what is it? the film is not very good, and the plot is boring. who is the actor?",
          "Hello, world!");

  private static HuggingFaceTokenizer reference;
  private static byte[] withTokenizer;
  private static byte[] classifier;

  @BeforeAll
  static void models() throws IOException {
    Path file =
        TestTokenizers.write(
            Path.of("target", "extensions-test", "tokenizer.json").toAbsolutePath(),
            TestTokenizers.wordPieceJson());
    ai.onnxspark.internal.text.TextTokenizer.of(
        "wordpiece", TestTokenizers.wordPieceJson(), 0, null);
    reference = TokenizerTest.reference(file, 0);
    int vocab = TestTokenizers.WORDPIECE_VOCAB.size();
    withTokenizer =
        TextClassifierTest.classifierOf(
                new ModelBuilder("sentiment-with-tokenizer")
                    .input("text", ElementType.STRING, 1)
                    .initializer("first_axis", new long[] {1}, 0L)
                    .customNode(
                        "ai.onnx.contrib",
                        "BertTokenizer",
                        new String[] {"text"},
                        new String[] {"ids", "types", "mask1"},
                        ModelBuilder.stringAttr(
                            // BertTokenizer needs a [MASK] token; ids past the embeddings never
                            // occur.
                            "vocab_file",
                            String.join("\n", TestTokenizers.WORDPIECE_VOCAB) + "\n[MASK]"),
                        ModelBuilder.intAttr("do_lower_case", 1))
                    .node(
                        "Unsqueeze", new String[] {"ids", "first_axis"}, new String[] {"input_ids"})
                    .node(
                        "Unsqueeze",
                        new String[] {"mask1", "first_axis"},
                        new String[] {"attention_mask"}),
                vocab,
                SEED)
            .output("logits", ElementType.FLOAT, 1, 2)
            .build();
    classifier = TextClassifierTest.classifier(vocab, SEED);
  }

  @AfterAll
  static void close() {
    reference.close();
  }

  static Dataset<Row> reviews() {
    return TextClassifierTest.textsOf(REVIEWS).repartition(2);
  }

  /** The classifier's logits per review, from the Hugging Face tokenizer's ids, one per batch. */
  static float[][] fromIds() {
    Dataset<Row> ids = TextClassifierTest.idsOf(reference, REVIEWS);
    float[][] logits = new float[REVIEWS.size()][];
    for (Row row :
        OnnxModel.fromBytes(classifier).withBatchSize(1).transform(ids).collectAsList()) {
      List<Float> l = row.getList(row.fieldIndex("logits"));
      logits[row.getInt(0)] = new float[] {l.get(0), l.get(1)};
    }
    return logits;
  }

  @Test
  void aModelWithItsTokenizerInsideScoresRawTextAsTheClassifierScoresIds() {
    OnnxModel model =
        OnnxModel.fromBytes(withTokenizer).withExtensions().withInput("text", "review");
    OnnxModels.register(spark, "inside", OnnxModel.fromBytes(withTokenizer));
    reviews().createOrReplaceTempView("ext_reviews");
    float[][] expected = fromIds();
    List<Dataset<Row>> ways =
        List.of(
            model.transform(reviews()).select("id", "logits"),
            reviews()
                .withColumn("logits", OnnxFunctions.onnxPredict(model, "review"))
                .select("id", "logits"),
            spark.sql(
                "SELECT id, onnx_predict('inside', map('extensions', 'true'), review) AS logits"
                    + " FROM ext_reviews"));
    for (Dataset<Row> way : ways) {
      List<Row> rows = way.orderBy("id").collectAsList();
      assertThat(rows).hasSize(REVIEWS.size());
      for (Row row : rows) {
        List<Float> logits = row.getList(1);
        float[] want = expected[row.getInt(0)];
        assertThat(logits).as("review %s", row.getInt(0)).hasSize(2);
        assertThat(logits.get(0)).isCloseTo(want[0], within(1e-6f));
        assertThat(logits.get(1)).isCloseTo(want[1], within(1e-6f));
      }
    }
  }

  @Test
  void withoutExtensionsTheModelIsRefusedNamingTheDomainTheOperatorsAndTheOption() {
    OnnxModel model = OnnxModel.fromBytes(withTokenizer).withInput("text", "review");
    OnnxException e =
        catchThrowableOfType(OnnxException.class, () -> model.transform(reviews()).collectAsList());
    assertThat(e).isNotNull();
    assertThat(e.errorClass()).isEqualTo(OnnxException.ErrorClass.MODEL);
    assertThat(e.getMessage())
        .contains(
            "'ai.onnx.contrib'", "[BertTokenizer]", "withExtensions()", "spark.onnx.extensions");
    // The session setting turns them on for every call.
    spark.conf().set("spark.onnx.extensions", "true");
    try {
      assertThat(model.transform(reviews()).count()).isEqualTo(REVIEWS.size());
    } finally {
      spark.conf().unset("spark.onnx.extensions");
    }
  }
}
