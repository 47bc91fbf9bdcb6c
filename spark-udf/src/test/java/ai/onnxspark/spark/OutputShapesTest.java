package ai.onnxspark.spark;

import static ai.onnxspark.sql.OnnxFunctions.onnxPredict;
import static ai.onnxspark.testing.SparkRows.byId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.onnxspark.OnnxException;
import ai.onnxspark.model.ElementType;
import ai.onnxspark.sql.OnnxModels;
import ai.onnxspark.testing.ModelBuilder;
import ai.onnxspark.testing.SparkTestBase;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * Flat outputs with a shape column ({@code withOutputShapes()}, {@code output-shapes}): each array
 * output comes back as its values in row-major order and {@code <column>_shape}, the row's
 * dimensions, for whole tensors (every dimension) and in batches (without the batch dimension),
 * zero-size dimensions included. Each through {@code transform}, {@code withColumn(onnxPredict)}
 * and SQL, against ONNX Runtime run directly on the same tensors.
 */
class OutputShapesTest extends SparkTestBase {

  /** An output as ONNX Runtime gives it: its dimensions and its values in row-major order. */
  record Tensor(long[] shape, float[] values) {}

  /**
   * Runs {@code model} on float input {@code input} of {@code shape} and returns {@code outputs}'
   * shapes and values, read from ONNX Runtime's buffers (its Java arrays cannot hold a zero-size
   * dimension).
   */
  static Map<String, Tensor> ort(byte[] model, String input, float[] values, long[] shape)
      throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    Map<String, Tensor> out = new LinkedHashMap<>();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        OrtSession session = env.createSession(model, options);
        OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(values), shape);
        OrtSession.Result result = session.run(Map.of(input, x))) {
      for (Map.Entry<String, ai.onnxruntime.OnnxValue> e : result) {
        OnnxTensor t = (OnnxTensor) e.getValue();
        FloatBuffer buffer = t.getFloatBuffer();
        float[] flat = new float[buffer.remaining()];
        buffer.get(flat);
        out.put(e.getKey(), new Tensor(t.getInfo().getShape(), flat));
      }
    }
    return out;
  }

  /**
   * A model of no batch dimension: x float[2,3,4]; y = Reshape(2x) to rank 5 [2,1,3,1,4]; empty =
   * x[:, 0:0, :] of zero-size shape [2,0,4]; total = sum(x), a scalar.
   */
  static byte[] wholeModel() {
    return new ModelBuilder("whole_shapes")
        .input("x", ElementType.FLOAT, 2, 3, 4)
        .initializer("two", new long[] {}, 2f)
        .initializer("rank5", new long[] {5}, 2L, 1L, 3L, 1L, 4L)
        .initializer("zero", new long[] {1}, 0L)
        .initializer("one", new long[] {1}, 1L)
        .node("Mul", new String[] {"x", "two"}, new String[] {"x2"})
        .node("Reshape", new String[] {"x2", "rank5"}, new String[] {"y"})
        .node("Slice", new String[] {"x", "zero", "zero", "one"}, new String[] {"empty"})
        .node(
            "ReduceSum",
            new String[] {"x"},
            new String[] {"total"},
            ModelBuilder.intAttr("keepdims", 0))
        .output("y", ElementType.FLOAT, 2, 1, 3, 1, 4)
        .output("empty", ElementType.FLOAT, 2, 0, 4)
        .output("total", ElementType.FLOAT)
        .build();
  }

  @Test
  void wholeTensorOutputsComeBackFlatWithTheirShapes() throws Exception {
    byte[] model = wholeModel();
    Random random = new Random(5);
    List<Row> data = new ArrayList<>();
    Map<Long, List<Object>> expected = new TreeMap<>();
    for (long id = 0; id < 6; id++) {
      float[] x = new float[24];
      List<List<List<Float>>> nested = new ArrayList<>();
      for (int a = 0, k = 0; a < 2; a++) {
        List<List<Float>> plane = new ArrayList<>();
        for (int b = 0; b < 3; b++) {
          List<Float> line = new ArrayList<>();
          for (int c = 0; c < 4; c++, k++) {
            x[k] = (float) random.nextGaussian();
            line.add(x[k]);
          }
          plane.add(line);
        }
        nested.add(plane);
      }
      data.add(RowFactory.create(id, nested));
      Map<String, Tensor> ref = ort(model, "x", x, new long[] {2, 3, 4});
      expected.put(
          id,
          List.of(
              floats(ref.get("y").values()),
              ints(ref.get("y").shape()),
              floats(ref.get("empty").values()),
              ints(ref.get("empty").shape()),
              ref.get("total").values()[0]));
    }
    // What ONNX Runtime gives is what the columns must hold: a rank-5 and a zero-size shape.
    assertThat(expected.get(0L).get(1)).isEqualTo(List.of(2, 1, 3, 1, 4));
    assertThat(expected.get(0L).get(2)).isEqualTo(List.of());
    assertThat(expected.get(0L).get(3)).isEqualTo(List.of(2, 0, 4));
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType)
            .add(
                "x",
                DataTypes.createArrayType(
                    DataTypes.createArrayType(
                        DataTypes.createArrayType(DataTypes.FloatType, false), false),
                    false));
    Dataset<Row> df = spark.createDataFrame(data, schema).repartition(2);
    String[] columns = {"id", "y", "y_shape", "empty", "empty_shape", "total"};

    OnnxModel onnx = OnnxModel.fromBytes(model).withRowAsTensor().withOutputShapes();
    Dataset<Row> transformed = onnx.transform(df);
    assertThat(transformed.schema().apply("y").dataType().simpleString()).isEqualTo("array<float>");
    assertThat(transformed.schema().apply("y_shape").dataType().simpleString())
        .isEqualTo("array<int>");
    assertThat(transformed.schema().apply("empty_shape").dataType().simpleString())
        .isEqualTo("array<int>");
    assertThat(transformed.schema().apply("total").dataType()).isEqualTo(DataTypes.FloatType);
    assertThat(transformed.columns()).doesNotContain("total_shape");
    assertThat(byId(transformed.select("id", Arrays.copyOfRange(columns, 1, columns.length))))
        .isEqualTo(expected);

    Dataset<Row> predicted = df.withColumn("p", onnxPredict(onnx));
    assertThat(predicted.schema().apply("p").dataType().simpleString())
        .isEqualTo(
            "struct<y:array<float>,y_shape:array<int>,empty:array<float>,"
                + "empty_shape:array<int>,total:float>");
    assertThat(
            byId(predicted.select("id", "p.y", "p.y_shape", "p.empty", "p.empty_shape", "p.total")))
        .isEqualTo(expected);

    // SQL: the model registered as it is, both options given per call.
    OnnxModels.register(spark, "whole_shapes", OnnxModel.fromBytes(model));
    df.createOrReplaceTempView("whole_shapes_rows");
    assertThat(
            byId(
                spark.sql(
                    "SELECT id, p.y, p.y_shape, p.empty, p.empty_shape, p.total FROM (SELECT id,"
                        + " onnx_predict('whole_shapes', map('row-as-tensor', 'true',"
                        + " 'output-shapes', 'true'), x) AS p FROM whole_shapes_rows)")))
        .isEqualTo(expected);

    // Without the option the same outputs are nested arrays, and no shape column is added.
    Dataset<Row> nested = OnnxModel.fromBytes(model).withRowAsTensor().transform(df);
    assertThat(nested.schema().apply("y").dataType().simpleString())
        .isEqualTo("array<array<array<array<array<float>>>>>");
    assertThat(nested.columns()).doesNotContain("y_shape", "empty_shape");
  }

  /**
   * A model in batches: x float[batch,2,3]; y = Transpose(2x) to [batch,3,2]; empty = y[:, 0:0, :]
   * of per-row shape [0,2]; v = sum over the last axis, [batch,3], a per-row vector.
   */
  static byte[] batchModel() {
    return new ModelBuilder("batch_shapes")
        .input("x", ElementType.FLOAT, "batch", 2, 3)
        .initializer("two", new long[] {}, 2f)
        .initializer("zero", new long[] {1}, 0L)
        .initializer("one", new long[] {1}, 1L)
        .initializer("last", new long[] {1}, -1L)
        .node("Mul", new String[] {"x", "two"}, new String[] {"x2"})
        .node("Transpose", "x2", "y", ModelBuilder.intsAttr("perm", 0, 2, 1))
        .node("Slice", new String[] {"y", "zero", "zero", "one"}, new String[] {"empty"})
        .node(
            "ReduceSum",
            new String[] {"y", "last"},
            new String[] {"v"},
            ModelBuilder.intAttr("keepdims", 0))
        .output("y", ElementType.FLOAT, "batch", 3, 2)
        .output("empty", ElementType.FLOAT, "batch", 0, 2)
        .output("v", ElementType.FLOAT, "batch", 3)
        .build();
  }

  @Test
  void batchedOutputsComeBackFlatWithEachRowsShape() throws Exception {
    byte[] model = batchModel();
    int n = 11;
    Random random = new Random(8);
    float[] all = new float[n * 6];
    List<Row> data = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      List<List<Float>> rows = new ArrayList<>();
      for (int a = 0; a < 2; a++) {
        List<Float> line = new ArrayList<>();
        for (int b = 0; b < 3; b++) {
          all[r * 6 + a * 3 + b] = (float) random.nextGaussian();
          line.add(all[r * 6 + a * 3 + b]);
        }
        rows.add(line);
      }
      data.add(RowFactory.create((long) r, rows));
    }
    // One run of ONNX Runtime on every row, sliced per row.
    Map<String, Tensor> ref = ort(model, "x", all, new long[] {n, 2, 3});
    Map<Long, List<Object>> expected = new TreeMap<>();
    for (int r = 0; r < n; r++) {
      List<Object> values = new ArrayList<>();
      for (String output : List.of("y", "empty", "v")) {
        Tensor t = ref.get(output);
        assertThat(t.shape()[0]).isEqualTo(n);
        long[] perRow = Arrays.copyOfRange(t.shape(), 1, t.shape().length);
        int count = (int) Arrays.stream(perRow).reduce(1, (a, b) -> a * b);
        values.add(floats(Arrays.copyOfRange(t.values(), r * count, (r + 1) * count)));
        values.add(ints(perRow));
      }
      expected.put((long) r, values);
    }
    assertThat(expected.get(3L).get(1)).isEqualTo(List.of(3, 2));
    assertThat(expected.get(3L).get(2)).isEqualTo(List.of());
    assertThat(expected.get(3L).get(3)).isEqualTo(List.of(0, 2));
    assertThat(expected.get(3L).get(5)).isEqualTo(List.of(3));
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType)
            .add(
                "x",
                DataTypes.createArrayType(
                    DataTypes.createArrayType(DataTypes.FloatType, false), false));
    Dataset<Row> df = spark.createDataFrame(data, schema).repartition(2);

    OnnxModel onnx = OnnxModel.fromBytes(model).withBatchSize(4).withOutputShapes();
    Dataset<Row> transformed = onnx.transform(df);
    assertThat(transformed.schema().apply("y").dataType().simpleString()).isEqualTo("array<float>");
    assertThat(transformed.schema().apply("v_shape").dataType().simpleString())
        .isEqualTo("array<int>");
    assertThat(
            byId(transformed.select("id", "y", "y_shape", "empty", "empty_shape", "v", "v_shape")))
        .isEqualTo(expected);

    assertThat(
            byId(
                df.withColumn("p", onnxPredict(onnx))
                    .select(
                        "id", "p.y", "p.y_shape", "p.empty", "p.empty_shape", "p.v", "p.v_shape")))
        .isEqualTo(expected);

    OnnxModels.register(spark, "batch_shapes", OnnxModel.fromBytes(model));
    df.createOrReplaceTempView("batch_shapes_rows");
    assertThat(
            byId(
                spark.sql(
                    "SELECT id, p.y, p.y_shape, p.empty, p.empty_shape, p.v, p.v_shape FROM"
                        + " (SELECT id, onnx_predict('batch_shapes', map('output-shapes', 'true',"
                        + " 'batch-size', '4'), x) AS p FROM batch_shapes_rows)")))
        .isEqualTo(expected);

    // A renamed output's shape column follows its column.
    Dataset<Row> renamed = onnx.withOutput("y", "scores").transform(df);
    assertThat(renamed.columns()).containsExactly("id", "x", "scores", "scores_shape");
  }

  @Test
  void badValuesAndClashingShapeColumnsAreRefusedByName() {
    OnnxModel onnx = OnnxModel.fromBytes(batchModel());
    assertThatThrownBy(() -> onnx.withOptions(Map.of("output-shapes", "yes")))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("output-shapes")
        .hasMessageContaining("yes")
        .hasMessageContaining("true or false");
    OnnxModels.register(spark, "batch_shapes_bad", onnx);
    assertThatThrownBy(
            () ->
                spark
                    .sql(
                        "SELECT onnx_predict('batch_shapes_bad', map('output-shapes', 'flat'),"
                            + " array(array(1f, 2f, 3f), array(4f, 5f, 6f)))")
                    .collectAsList())
        .hasStackTraceContaining("output-shapes")
        .hasStackTraceContaining("flat")
        .hasStackTraceContaining("true or false");
    Dataset<Row> clash =
        spark.sql("SELECT array(array(1f, 2f, 3f), array(4f, 5f, 6f)) AS x, 0 AS y_shape");
    assertThatThrownBy(() -> onnx.withOutputShapes().transform(clash))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("y_shape");
  }

  private static List<Float> floats(float[] values) {
    List<Float> list = new ArrayList<>();
    for (float v : values) {
      list.add(v);
    }
    return list;
  }

  private static List<Integer> ints(long[] dims) {
    List<Integer> list = new ArrayList<>();
    for (long d : dims) {
      list.add(Math.toIntExact(d));
    }
    return list;
  }
}
