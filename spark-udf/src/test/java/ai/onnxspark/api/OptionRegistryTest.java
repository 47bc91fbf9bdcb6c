package ai.onnxspark.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxspark.OnnxException;
import ai.onnxspark.OnnxOption;
import ai.onnxspark.OnnxOptions;
import ai.onnxspark.ml.OnnxTransformer;
import ai.onnxspark.spark.OnnxModel;
import ai.onnxspark.testing.SparkTestBase;
import ai.onnxspark.testing.TestModels;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Map;
import org.apache.spark.ml.param.Param;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * Options are declared once, in {@link OnnxOptions}: the README's table, the SQL function's usage,
 * the ML stage's parameter docs and the messages for unknown keys are made from the declarations.
 */
class OptionRegistryTest extends SparkTestBase {
  private static final byte[] MLP = TestModels.mlp(4, 8, 3, 2);

  @Test
  void theReadmeTableIsTheRegistrysTable() throws Exception {
    String readme = Files.readString(Paths.get("../README.md"));
    assertThat(readme)
        .as("README.md holds OnnxOptions.markdownTable(); paste it there when options change")
        .contains(OnnxOptions.markdownTable());
  }

  @Test
  void everyPerCallKeyIsTakenByWithOptionsAndListedByTheSqlUsage() {
    OnnxModel model = OnnxModel.fromBytes(MLP);
    for (OnnxOption option : OnnxOptions.all()) {
      if (option.key() != null) {
        assertThat(OnnxOptions.forKey(option.isPrefix() ? option.key() + "x" : option.key()))
            .contains(option);
      }
    }
    Row usage =
        spark.sql("DESCRIBE FUNCTION EXTENDED onnx_predict").collectAsList().stream()
            .filter(r -> r.getString(0).startsWith("Usage"))
            .findFirst()
            .orElseThrow();
    for (String key : OnnxOptions.keysFor(OnnxOption.Api.COLUMN)) {
      assertThat(usage.getString(0)).contains(key);
    }
    assertThat(model.withOptions(Map.of("batch-size", "7", "pad.features", "0")).options())
        .containsEntry("batch-size", "7")
        .containsEntry("pad.features", "0");
  }

  @Test
  void unknownKeysAndBadValuesNameTheKeyAndWhatIsValid() {
    OnnxModel model = OnnxModel.fromBytes(MLP);
    assertThatThrownBy(() -> model.withOptions(Map.of("batch-sise", "7")))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("batch-sise")
        .hasMessageContaining("batch-size")
        .hasMessageContaining("softmax.<output>");
    assertThatThrownBy(() -> model.withOptions(Map.of("batch-size", "0")))
        .hasMessageContaining("batch-size")
        .hasMessageContaining("a positive number of rows");
    assertThatThrownBy(() -> model.withOptions(Map.of("softmax.nope", "p")))
        .hasMessageContaining("Unknown model output 'nope'");
    assertThatThrownBy(() -> model.withOptions(Map.of("pad.features", "zero")))
        .hasMessageContaining("pad.features")
        .hasMessageContaining("a number");
  }

  @Test
  void perCallValuesWinOverTheSparkConfWhichWinsOverTheDefault() {
    OnnxModel model = OnnxModel.fromBytes(MLP).withInput("features", "f");
    spark.conf().set(OnnxOptions.BATCH_SIZE_CONF, "33");
    try {
      assertThat(describeBatch(model)).isEqualTo(33);
      assertThat(describeBatch(model.withBatchSize(12))).isEqualTo(12);
    } finally {
      spark.conf().unset(OnnxOptions.BATCH_SIZE_CONF);
    }
    assertThat(describeBatch(model)).isEqualTo(OnnxOptions.BATCH_SIZE_DEFAULT);
    spark.conf().set(OnnxOptions.BATCH_SIZE_CONF, "many");
    try {
      assertThatThrownBy(() -> describeBatch(model))
          .hasMessageContaining(OnnxOptions.BATCH_SIZE_CONF)
          .hasMessageContaining("many");
    } finally {
      spark.conf().unset(OnnxOptions.BATCH_SIZE_CONF);
    }
  }

  private static int describeBatch(OnnxModel model) {
    String plan =
        spark
            .range(1)
            .selectExpr("array(1f, 2f, 3f, 4f) AS f")
            .withColumn("p", ai.onnxspark.sql.OnnxFunctions.onnxPredict(model))
            .queryExecution()
            .executedPlan()
            .toString();
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("-> (\\d+) rows per batch").matcher(plan);
    assertThat(m.find()).as(plan).isTrue();
    return Integer.parseInt(m.group(1));
  }

  @Test
  void theMlStagesOptionParametersDocumentTheirOptionInItsOwnWords() {
    OnnxTransformer stage = new OnnxTransformer();
    int documented = 0;
    for (Param<?> param : stage.params()) {
      for (OnnxOption option : OnnxOptions.forApi(OnnxOption.Api.ML)) {
        if (param.doc().contains("Per-call key: " + option.displayKey() + ".")) {
          assertThat(param.doc()).startsWith(option.doc());
          documented++;
        }
      }
    }
    assertThat(documented).isEqualTo(6);
    assertThat(stage.options().doc()).contains("softmax.<output>", "pad.<input>", "image.<input>");
  }
}
