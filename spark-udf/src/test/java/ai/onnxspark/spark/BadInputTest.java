package ai.onnxspark.spark;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxspark.OnnxException;
import ai.onnxspark.model.ElementType;
import ai.onnxspark.testing.ModelBuilder;
import ai.onnxspark.testing.SparkTestBase;
import ai.onnxspark.testing.TestModels;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input fails with a message naming the input, column, row and fix; never a native crash. */
class BadInputTest extends SparkTestBase {
  private static final byte[] MODEL = TestModels.twoXPlusOne(ElementType.FLOAT, "batch", 3);

  private static Dataset<Row> frame(StructType schema, Row... rows) {
    return spark.createDataFrame(Arrays.asList(rows), schema).coalesce(1);
  }

  private static StructType arrays(
      org.apache.spark.sql.types.DataType element, boolean containsNull) {
    return new StructType()
        .add("id", DataTypes.IntegerType)
        .add("features", DataTypes.createArrayType(element, containsNull), true);
  }

  @Test
  void nullArrayNamesColumnAndRow() {
    Dataset<Row> df =
        frame(
            arrays(DataTypes.FloatType, false),
            RowFactory.create(0, new float[] {1, 2, 3}),
            RowFactory.create(1, null));
    assertThatThrownBy(
            () -> OnnxModel.fromBytes(MODEL).withInput("x", "features").transform(df).collect())
        .hasStackTraceContaining(
            "Model input 'x': column 'features' holds a null array at row 1 of partition 0")
        .hasStackTraceContaining("Filter or fill nulls");
  }

  @Test
  void nullElementNamesIndex() {
    Dataset<Row> df =
        frame(arrays(DataTypes.FloatType, true), RowFactory.create(0, new Float[] {1f, null, 3f}));
    assertThatThrownBy(
            () -> OnnxModel.fromBytes(MODEL).withInput("x", "features").transform(df).collect())
        .hasStackTraceContaining("holds a null element at index 1 at row 0 of partition 0");
  }

  @Test
  void nullsInParquetReadAsColumnarBatchesNameTheRow(@TempDir Path dir) {
    String path = dir.resolve("t.parquet").toString();
    frame(
            arrays(DataTypes.FloatType, true),
            RowFactory.create(0, new Float[] {1f, 2f, 3f}),
            RowFactory.create(1, new Float[] {1f, 2f, 3f}),
            RowFactory.create(2, new Float[] {1f, 2f, null}))
        .write()
        .parquet(path);
    assertThatThrownBy(
            () ->
                OnnxModel.fromBytes(MODEL)
                    .withInput("x", "features")
                    .transform(spark.read().parquet(path))
                    .collect())
        .hasStackTraceContaining("holds a null element at index 2 at row 2 of partition 0");
    String path2 = dir.resolve("t2.parquet").toString();
    frame(
            arrays(DataTypes.FloatType, true),
            RowFactory.create(0, new Float[] {1f, 2f, 3f}),
            RowFactory.create(1, null))
        .write()
        .parquet(path2);
    assertThatThrownBy(
            () ->
                OnnxModel.fromBytes(MODEL)
                    .withInput("x", "features")
                    .transform(spark.read().parquet(path2))
                    .collect())
        .hasStackTraceContaining("holds a null array at row 1 of partition 0");
    String path3 = dir.resolve("t3.parquet").toString();
    frame(
            arrays(DataTypes.FloatType, true),
            RowFactory.create(0, new Float[] {1f, 2f, 3f}),
            RowFactory.create(1, new Float[] {1f}))
        .write()
        .parquet(path3);
    assertThatThrownBy(
            () ->
                OnnxModel.fromBytes(MODEL)
                    .withInput("x", "features")
                    .transform(spark.read().parquet(path3))
                    .collect())
        .hasStackTraceContaining("has 1 values at row 1 of partition 0");
    // A null element is named by its own row's key, also when later rows of the chunk are fine.
    String path4 = dir.resolve("t4.parquet").toString();
    frame(
            arrays(DataTypes.FloatType, true),
            RowFactory.create(10, new Float[] {1f, 2f, 3f}),
            RowFactory.create(11, new Float[] {1f, null, 3f}),
            RowFactory.create(12, new Float[] {1f, 2f, 3f}),
            RowFactory.create(13, new Float[] {1f, 2f, 3f}))
        .write()
        .parquet(path4);
    assertThatThrownBy(
            () ->
                OnnxModel.fromBytes(MODEL)
                    .withInput("x", "features")
                    .withKeyColumn("id")
                    .transform(spark.read().parquet(path4))
                    .collect())
        .hasStackTraceContaining("holds a null element at index 1 at row 1 of partition 0 (id=11)");
  }

  @Test
  void wrongLengthNamesExpectedAndActual() {
    Dataset<Row> df =
        frame(
            arrays(DataTypes.FloatType, false),
            RowFactory.create(0, new float[] {1, 2, 3}),
            RowFactory.create(1, new float[] {1, 2, 3}),
            RowFactory.create(2, new float[] {1, 2}));
    assertThatThrownBy(
            () -> OnnxModel.fromBytes(MODEL).withInput("x", "features").transform(df).collect())
        .hasStackTraceContaining(
            "Model input 'x' expects float[batch,3], i.e. 3 values per row, but column 'features' has 2 values at row 2 of partition 0");
  }

  @Test
  void raggedRowsInOneBatchForAVariableDimension() {
    byte[] variable = TestModels.twoXPlusOne(ElementType.FLOAT, "batch", "n");
    Dataset<Row> df =
        frame(
            arrays(DataTypes.FloatType, false),
            RowFactory.create(0, new float[] {1, 2, 3}),
            RowFactory.create(1, new float[] {1, 2}));
    assertThatThrownBy(
            () -> OnnxModel.fromBytes(variable).withInput("x", "features").transform(df).collect())
        .hasStackTraceContaining(
            "column 'features' has 2 values at row 1 of partition 0 (id=1) where the batch's first"
                + " row has 3");
  }

  @Test
  void lossyTypeIsRefusedBeforeAnyJobWithTheCastToUse() {
    Dataset<Row> df =
        frame(arrays(DataTypes.DoubleType, false), RowFactory.create(0, new double[] {1, 2, 3}));
    assertThatThrownBy(() -> OnnxModel.fromBytes(MODEL).withInput("x", "features").transform(df))
        .isInstanceOf(OnnxException.class)
        .hasMessage(
            "Model input 'x' expects float[batch,3] but column 'features' is array<double> (converting would"
                + " lose information); cast it with col(\"features\").cast(\"array<float>\"), or let"
                + " the library round it with withNarrowing().");
  }

  @Test
  void nonNumericColumnIsRefused() {
    StructType schema = new StructType().add("features", DataTypes.StringType);
    Dataset<Row> df = frame(schema, RowFactory.create("1,2,3"));
    assertThatThrownBy(() -> OnnxModel.fromBytes(MODEL).withInput("x", "features").transform(df))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("column 'features' is string (not a number, array or vector column)");
  }

  @Test
  void missingColumnListsTheColumns() {
    Dataset<Row> df =
        frame(arrays(DataTypes.FloatType, false), RowFactory.create(0, new float[] {1, 2, 3}));
    assertThatThrownBy(() -> OnnxModel.fromBytes(MODEL).transform(df))
        .isInstanceOf(OnnxException.class)
        .hasMessage(
            "Model input 'x' (float[batch,3]) reads column 'x' (a column named like the input, by default),"
                + " but the DataFrame has no such column; its columns are [id, features]. Map the input to a"
                + " column with withInput('x', \"<column>\").");
  }

  @Test
  void unknownInputAndOutputListTheValidNames() {
    OnnxModel model = OnnxModel.fromBytes(TestModels.mlp(4, 2, 2, 1));
    assertThatThrownBy(() -> model.withInput("image", "features"))
        .isInstanceOf(OnnxException.class)
        .hasMessage("Unknown model input 'image', expected one of [features].");
    assertThatThrownBy(() -> model.withOutput("prob", "p"))
        .isInstanceOf(OnnxException.class)
        .hasMessage("Unknown model output 'prob', expected one of [logits, probabilities].");
  }

  @Test
  void outputColumnThatExistsIsRefused() {
    Dataset<Row> df =
        frame(arrays(DataTypes.FloatType, false), RowFactory.create(0, new float[] {1, 2, 3}));
    assertThatThrownBy(
            () ->
                OnnxModel.fromBytes(MODEL)
                    .withInput("x", "features")
                    .withOutput("y", "id")
                    .transform(df))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("would be written to column 'id', which the DataFrame already has");
  }

  @Test
  void corruptModelBytesFailOnTheDriverWithAClearMessage() {
    byte[] truncated = Arrays.copyOf(MODEL, MODEL.length / 2);
    assertThatThrownBy(() -> OnnxModel.fromBytes(truncated))
        .isInstanceOf(OnnxException.class)
        .hasMessageStartingWith(
            "Model 'bytes' (" + truncated.length + " bytes) is not a readable ONNX model")
        .hasMessageContaining("not truncated");
    byte[] text = "this is not a model".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    assertThatThrownBy(() -> OnnxModel.fromBytes(text))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("is not a readable ONNX model");
  }

  @Test
  void modelOnnxRuntimeRejectsFailsTheTaskWithTheModelNamed() {
    // Well-formed protobuf, but MatMul of [batch,3] by a [2,2] weight cannot be built into a
    // session.
    byte[] broken =
        new ModelBuilder("broken")
            .input("x", ElementType.FLOAT, "batch", 3)
            .initializer("w", new long[] {2, 2}, 1f, 2f, 3f, 4f)
            .node("NoSuchOperator", new String[] {"x", "w"}, new String[] {"y"})
            .output("y", ElementType.FLOAT, "batch", 2)
            .build();
    Dataset<Row> df =
        frame(arrays(DataTypes.FloatType, false), RowFactory.create(0, new float[] {1, 2, 3}));
    assertThatThrownBy(
            () -> OnnxModel.fromBytes(broken).withInput("x", "features").transform(df).collect())
        .hasStackTraceContaining("ONNX Runtime could not create a session for model bytes (sha256 ")
        .hasStackTraceContaining("NoSuchOperator");
  }

  @Test
  void missingFileNamesThePath() {
    assertThatThrownBy(() -> OnnxModel.fromPath("no/such/model.onnx"))
        .isInstanceOf(OnnxException.class)
        .hasMessageStartingWith("Model file 'no/such/model.onnx' does not exist");
  }

  @Test
  void badBatchSizeIsRefused() {
    assertThatThrownBy(() -> OnnxModel.fromBytes(MODEL).withBatchSize(0))
        .isInstanceOf(OnnxException.class)
        .hasMessage("Option 'batch-size' = '0' is invalid: expected a positive number of rows.");
  }
}
