package ai.onnxspark.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnxspark.OnnxException;
import ai.onnxspark.model.ElementType;
import ai.onnxspark.sql.OnnxFunctions;
import ai.onnxspark.testing.ModelBuilder;
import ai.onnxspark.testing.SparkTestBase;
import ai.onnxspark.testing.TestModels;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Test;

/** Softmax, argmax, labels and top k computed from an output's scores. */
class PostProcessTest extends SparkTestBase {
  private static final List<String> LABELS = List.of("ant", "bee", "cat", "dog", "eel");

  @Test
  void derivedColumnsAgreeWithTheScores() {
    // mlp's own "probabilities" output is ONNX Runtime's softmax of "logits": the reference.
    OnnxModel model =
        OnnxModel.fromBytes(TestModels.mlp(8, 16, 5, 3))
            .withInput("features", "features")
            .withSoftmax("logits", "p")
            .withArgmax("logits", "best")
            .withLabel("logits", "name", LABELS)
            .withTopK("logits", 2, "top", "top_scores");
    Dataset<Row> df = TransformTest.featuresFrame(TransformTest.randomRows(50, 8, 4), 2);

    List<Row> rows = model.withBatchSize(7).transform(df).collectAsList();

    assertThat(rows.get(0).schema().fieldNames())
        .containsExactly(
            "id", "features", "logits", "probabilities", "p", "best", "name", "top", "top_scores");
    for (Row row : rows) {
      float[] logits = TransformTest.floats(row.getList(2));
      float[] probabilities = TransformTest.floats(row.getList(3));
      float[] p = TransformTest.floats(row.getList(4));
      for (int c = 0; c < 5; c++) {
        assertThat(p[c]).isCloseTo(probabilities[c], within(1e-6f));
      }
      int best = 0;
      int second = -1;
      for (int c = 1; c < 5; c++) {
        best = logits[c] > logits[best] ? c : best;
      }
      for (int c = 0; c < 5; c++) {
        if (c != best && (second < 0 || logits[c] > logits[second])) {
          second = c;
        }
      }
      assertThat(row.getInt(5)).isEqualTo(best);
      assertThat(row.getString(6)).isEqualTo(LABELS.get(best));
      assertThat(row.<Integer>getList(7)).containsExactly(best, second);
      assertThat(TransformTest.floats(row.getList(8)))
          .containsExactly(logits[best], logits[second]);
    }

    // The column function returns them as fields of its struct.
    Row viaColumn =
        df.select(OnnxFunctions.onnxPredict(model, functions.col("features")).as("r"))
            .select("r.best", "r.name")
            .orderBy("best")
            .first();
    assertThat(LABELS).contains(viaColumn.getString(1));
  }

  @Test
  void outputsCanComeBackAsOneStructColumn() {
    OnnxModel model =
        OnnxModel.fromBytes(TestModels.mlp(8, 16, 5, 3))
            .withInput("features", "features")
            .withArgmax("logits", "best");
    Dataset<Row> df = TransformTest.featuresFrame(TransformTest.randomRows(20, 8, 5), 2);

    Dataset<Row> packed = model.withStructOutput("prediction").transform(df);

    assertThat(packed.schema().fieldNames()).containsExactly("id", "features", "prediction");
    assertThat(packed.schema())
        .isEqualTo(model.withStructOutput("prediction").outputSchema(df.schema()));
    List<Row> flat = model.transform(df).orderBy("id").collectAsList();
    List<Row> nested =
        packed
            .select("id", "prediction.logits", "prediction.probabilities", "prediction.best")
            .orderBy("id")
            .collectAsList();
    for (int i = 0; i < flat.size(); i++) {
      assertThat(nested.get(i).getList(1)).isEqualTo(flat.get(i).getList(2));
      assertThat(nested.get(i).getInt(3)).isEqualTo(flat.get(i).getInt(4));
    }
  }

  @Test
  void aModelCutAtIntermediateValuesReturnsThem() {
    OnnxModel mlp =
        OnnxModel.fromBytes(TestModels.mlp(8, 16, 5, 3)).withInput("features", "features");
    Dataset<Row> df = TransformTest.featuresFrame(TransformTest.randomRows(30, 8, 6), 2);

    OnnxModel hidden = mlp.cutAt("h2", "logits");

    assertThat(hidden.info().outputNames()).containsExactly("h2", "logits");
    assertThat(hidden.info().output("h2").orElseThrow().typeString()).isEqualTo("float[batch,16]");
    List<Row> cut = hidden.transform(df).orderBy("id").collectAsList();
    List<Row> full = mlp.transform(df).orderBy("id").collectAsList();
    for (int i = 0; i < cut.size(); i++) {
      // h2 is the ReLU of the hidden layer; logits are the model's own.
      List<Float> h2 = cut.get(i).getList(2);
      assertThat(h2).hasSize(16).allMatch(v -> v >= 0);
      assertThat(cut.get(i).getList(3)).isEqualTo(full.get(i).getList(2));
    }
    assertThatThrownBy(() -> mlp.cutAt("nowhere"))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("Cannot cut bytes at 'nowhere': no node computes it")
        .hasMessageContaining("h2");
  }

  @Test
  void labelsComeFromTheModelsMetadataAndMistakesAreExplained() {
    byte[] withLabels =
        new ModelBuilder("labelled")
            .metadata("labels", "[\"no\", \"yes\"]")
            .input("x", ElementType.FLOAT, "batch", 2)
            .node("Identity", "x", "y")
            .output("y", ElementType.FLOAT, "batch", 2)
            .build();
    Dataset<Row> df = TransformTest.featuresFrame(new float[][] {{0.1f, 0.9f}, {0.8f, 0.2f}}, 1);
    List<Row> rows =
        OnnxModel.fromBytes(withLabels)
            .withInput("x", "features")
            .withLabel("y", "answer")
            .transform(df)
            .orderBy("id")
            .collectAsList();
    assertThat(rows).extracting(r -> r.getString(3)).containsExactly("yes", "no");

    OnnxModel mlp = OnnxModel.fromBytes(TestModels.mlp(8, 16, 5, 3));
    assertThatThrownBy(() -> mlp.withTopK("logits", 9, "t", null))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("a k between 1 and 5");
    assertThatThrownBy(() -> mlp.withLabel("logits", "name", List.of("a", "b")))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("5 labels, one per class of float[batch,5]");
    assertThatThrownBy(() -> mlp.withLabel("logits", "name"))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("none in the model's metadata");
    assertThatThrownBy(() -> mlp.withArgmax("nope", "x"))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("Unknown model output 'nope'");
    byte[] ints = TestModels.twoXPlusOne(ElementType.INT64, "batch", 3);
    assertThatThrownBy(() -> OnnxModel.fromBytes(ints).withSoftmax("y", "p"))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("softmax needs a per-row vector of float or double scores");
  }
}
