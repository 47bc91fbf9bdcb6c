package ai.onnxspark.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxspark.OnnxException;
import ai.onnxspark.spark.OnnxModel;
import ai.onnxspark.sql.OnnxFunctions;
import ai.onnxspark.sql.OnnxModels;
import ai.onnxspark.testing.SparkTestBase;
import ai.onnxspark.testing.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Spark ML stage: in a pipeline, saved and loaded, scoring like the other APIs. */
class OnnxTransformerTest extends SparkTestBase {
  private static final String[] FEATURES = {"f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7"};

  /** Eight float columns. */
  private static Dataset<Row> table(int rows) {
    Random random = new Random(11);
    StructType schema = new StructType().add("id", DataTypes.LongType);
    for (String f : FEATURES) {
      schema = schema.add(f, DataTypes.FloatType);
    }
    List<Row> data = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      Object[] values = new Object[FEATURES.length + 1];
      values[0] = (long) i;
      for (int j = 0; j < FEATURES.length; j++) {
        values[j + 1] = (float) random.nextGaussian();
      }
      data.add(RowFactory.create(values));
    }
    return spark.createDataFrame(data, schema).repartition(3);
  }

  private static OnnxTransformer scorer(Path model) {
    return new OnnxTransformer()
        .setModelPath(model.toString())
        .setInputCols(new String[] {"vec"})
        .setOutputNames(new String[] {"logits"})
        .setOutputCols(new String[] {"scores"})
        .setBatchSize(16);
  }

  @Test
  void pipelineStageScoresLikeTransformWithColumnAndSql(@TempDir Path dir) throws Exception {
    Path file = Files.write(dir.resolve("mlp.onnx"), TestModels.mlp(8, 16, 3, 5));
    Dataset<Row> df = table(200);
    Pipeline pipeline =
        new Pipeline()
            .setStages(
                new PipelineStage[] {
                  new VectorAssembler().setInputCols(FEATURES).setOutputCol("vec"), scorer(file)
                });

    List<Row> staged =
        pipeline.fit(df).transform(df).select("id", "scores").orderBy("id").collectAsList();

    OnnxModel model = OnnxModel.fromPath(file.toString()).withOutput("logits", "scores");
    List<Row> transformed =
        model
            .withInput("features", FEATURES)
            .transform(df)
            .select("id", "scores")
            .orderBy("id")
            .collectAsList();
    List<Row> column =
        df.withColumn("scores", OnnxFunctions.onnxPredict(model, FEATURES))
            .select("id", "scores")
            .orderBy("id")
            .collectAsList();
    OnnxModels.register(spark, "stage_mlp", model);
    df.createOrReplaceTempView("stage_t");
    List<Row> sql =
        spark
            .sql(
                "SELECT id, onnx_predict('stage_mlp', "
                    + String.join(", ", FEATURES)
                    + ") AS scores FROM stage_t ORDER BY id")
            .collectAsList();

    assertThat(staged).hasSize(200);
    assertThat(staged).isEqualTo(transformed).isEqualTo(column).isEqualTo(sql);
    assertThat(staged.get(0).getList(1)).hasSize(3);
  }

  @Test
  void aStageBuiltFromParametersOnlyReadsItsModelOnFirstUse(@TempDir Path dir) throws Exception {
    // Spark Connect ML builds stages with the no-argument constructor and sets plain parameters.
    Path file = Files.write(dir.resolve("mlp.onnx"), TestModels.mlp(8, 16, 3, 5));
    Dataset<Row> df =
        new VectorAssembler().setInputCols(FEATURES).setOutputCol("vec").transform(table(50));
    OnnxTransformer byModel = scorer(file).setOption("softmax.logits", "probs");
    OnnxTransformer byParams = new OnnxTransformer();
    byParams.set(byParams.modelPath(), file.toString());
    byParams.set(byParams.modelOptions(), "{\"softmax.logits\":\"probs\"}");
    byParams.set(byParams.inputCols(), new String[] {"vec"});
    byParams.set(byParams.outputNames(), new String[] {"logits"});
    byParams.set(byParams.outputCols(), new String[] {"scores"});

    List<Row> expected =
        byModel.transform(df).select("id", "scores", "probs").orderBy("id").collectAsList();
    List<Row> actual =
        byParams.transform(df).select("id", "scores", "probs").orderBy("id").collectAsList();

    assertThat(actual).hasSize(50).isEqualTo(expected);
    float sum = 0;
    for (Object p : actual.get(0).getList(2)) {
      sum += (Float) p;
    }
    assertThat(sum).isCloseTo(1f, org.assertj.core.data.Offset.offset(1e-5f));
  }

  @Test
  void savedAndLoadedStageAndPipelineScoreTheSameWithoutTheOriginalFile(@TempDir Path dir)
      throws Exception {
    Path file = Files.write(dir.resolve("mlp.onnx"), TestModels.mlp(8, 16, 3, 5));
    Dataset<Row> df =
        new VectorAssembler().setInputCols(FEATURES).setOutputCol("vec").transform(table(50));
    OnnxTransformer stage = scorer(file).setPermissive(true).setErrorCol("why");
    List<Row> before = stage.transform(df).orderBy("id").collectAsList();
    PipelineModel fitted = new Pipeline().setStages(new PipelineStage[] {stage}).fit(df);

    stage.write().save(dir.resolve("stage").toString());
    fitted.write().save(dir.resolve("pipeline").toString());
    Files.delete(file);

    OnnxTransformer loaded = OnnxTransformer.load(dir.resolve("stage").toString());
    assertThat(loaded.uid()).isEqualTo(stage.uid());
    assertThat(loaded.getBatchSize()).isEqualTo(16);
    assertThat(loaded.getErrorCol()).isEqualTo("why");
    assertThat(loaded.getModelPath()).isEqualTo(file.toString());
    assertThat(loaded.getModel().fingerprint()).isEqualTo(stage.getModel().fingerprint());
    assertThat(loaded.transform(df).orderBy("id").collectAsList()).isEqualTo(before);
    assertThat(
            PipelineModel.load(dir.resolve("pipeline").toString())
                .transform(df)
                .orderBy("id")
                .collectAsList())
        .isEqualTo(before);
    assertThat(before.get(0).schema().fieldNames()).endsWith("scores", "why");
  }

  @Test
  void schemaIsCheckedBeforeAnyJobAndMisconfigurationIsExplained(@TempDir Path dir)
      throws Exception {
    Path file = Files.write(dir.resolve("mlp.onnx"), TestModels.mlp(8, 16, 3, 5));
    Dataset<Row> df = table(10);

    assertThat(
            new OnnxTransformer()
                .setModelPath(file.toString())
                .setInputCols(FEATURES)
                .transformSchema(df.schema())
                .fieldNames())
        .endsWith("logits", "probabilities");
    assertThatThrownBy(() -> new OnnxTransformer().transform(df))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("has no model; call setModel(OnnxModel) or setModelPath(path)");
    assertThatThrownBy(
            () ->
                new OnnxTransformer()
                    .setModelPath(file.toString())
                    .setInputCols(new String[] {"f0"})
                    .transform(df.withColumn("f0", functions.lit("text"))))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("'f0'");
    assertThatThrownBy(
            () ->
                new OnnxTransformer()
                    .setModelPath(file.toString())
                    .setInputCols(FEATURES)
                    .setOutputCols(new String[] {"only_one"})
                    .transformSchema(df.schema()))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("outputCols has 1 column(s) [only_one] for 2 model outputs");
    assertThatThrownBy(() -> new OnnxTransformer().setDevice("tpu"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
