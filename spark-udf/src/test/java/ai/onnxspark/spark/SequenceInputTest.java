package ai.onnxspark.spark;

import static ai.onnxspark.sql.OnnxFunctions.onnxPredict;
import static ai.onnxspark.testing.SparkRows.byId;
import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxspark.OnnxException;
import ai.onnxspark.internal.model.ModelBytes;
import ai.onnxspark.internal.model.SequenceInputs;
import ai.onnxspark.internal.plan.Batching;
import ai.onnxspark.internal.tensor.InputBinding;
import ai.onnxspark.model.ElementType;
import ai.onnxspark.model.ModelInfo;
import ai.onnxspark.model.TensorSpec;
import ai.onnxspark.sql.OnnxModels;
import ai.onnxspark.testing.ModelBuilder;
import ai.onnxspark.testing.OrtReference;
import ai.onnxspark.testing.SparkTestBase;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sequence inputs ({@code seq(tensor(T))}): ONNX Runtime's Java API (1.28) cannot create sequence
 * values, so the library adds {@code SplitToSequence} over a values and a lengths input to the
 * model in memory and feeds each row's nested arrays ({@code array<array<T'>>} for 1-D elements,
 * one level more per dimension) as the elements' concatenation along their first dimension and
 * their first dimensions, one row per run.
 */
class SequenceInputTest extends SparkTestBase {

  /**
   * {@code y = ConcatFromSequence(s, axis=0)} and {@code count = SequenceLength(s)} over s
   * seq(type). With {@code clashes}, also {@code s__values = Identity(count)} as a third output:
   * the name the rewrite would pick first for the values is taken.
   */
  static byte[] concatModel(ElementType type, boolean clashes) {
    ModelBuilder builder =
        new ModelBuilder("concat")
            .sequenceInput("s", type)
            .node("ConcatFromSequence", "s", "y", ModelBuilder.intAttr("axis", 0))
            .node("SequenceLength", "s", "count")
            .output("y", type, "total")
            .output("count", ElementType.INT64);
    if (clashes) {
      builder.node("Identity", "count", "s__values").output("s__values", ElementType.INT64);
    }
    return builder.build();
  }

  private static StructType schema(DataType element) {
    return new StructType()
        .add("id", DataTypes.LongType)
        .add("s", DataTypes.createArrayType(DataTypes.createArrayType(element, true), true));
  }

  /** Rows of different numbers of elements and element lengths, an empty element among them. */
  private static final float[][][] FLOATS = {
    {{1f, 2f}, {3f}},
    {{4f}, {5.5f, 6f, 7f}, {8f}},
    {{}, {9f, -1f}},
    {{10f}},
    {{11f, 12f}, {}, {13f}, {14f, 15f, 16f}}
  };

  private static List<Row> floatRows() {
    List<Row> rows = new ArrayList<>();
    for (int id = 0; id < FLOATS.length; id++) {
      Float[][] s = new Float[FLOATS[id].length][];
      for (int i = 0; i < s.length; i++) {
        s[i] = new Float[FLOATS[id][i].length];
        for (int j = 0; j < s[i].length; j++) {
          s[i][j] = FLOATS[id][i][j];
        }
      }
      rows.add(RowFactory.create((long) id, s));
    }
    return rows;
  }

  /** Per id: the concatenation and the number of elements, computed here. */
  private static Map<Long, List<Object>> floatExpected() {
    Map<Long, List<Object>> expected = new TreeMap<>();
    for (int id = 0; id < FLOATS.length; id++) {
      List<Object> concat = new ArrayList<>();
      for (float[] element : FLOATS[id]) {
        for (float v : element) {
          concat.add(v);
        }
      }
      expected.put((long) id, Arrays.asList(concat, (long) FLOATS[id].length));
    }
    return expected;
  }

  @Test
  void aFloatSequenceInputIsFedFromArraysOfArraysThroughEveryApi() throws Exception {
    byte[] model = concatModel(ElementType.FLOAT, false);
    OnnxModel onnx = OnnxModel.fromBytes(model);
    assertThat(onnx.info().input("s").orElseThrow().typeString()).isEqualTo("seq(float)");
    // A sequence is one value per run: such a model is scored one row per run by itself.
    assertThat(Batching.of(onnx.info(), false).wholeTensors()).isTrue();
    Map<Long, List<Object>> expected = floatExpected();
    assertThat(expected.get(1L)).isEqualTo(Arrays.asList(List.of(4f, 5.5f, 6f, 7f, 8f), 3L));
    assertThat(expected.get(2L)).isEqualTo(Arrays.asList(List.of(9f, -1f), 2L));

    // ONNX Runtime run directly on the rewritten model agrees, for each row.
    SequenceInputs.Rewritten rewritten =
        SequenceInputs.rewrite(
            ModelBytes.of(model, "concat"), List.of(onnx.info().input("s").orElseThrow()));
    assertThat(rewritten.names())
        .containsExactly(Map.entry("s", new SequenceInputs.Names("s", "s__values", "s__lengths")));
    for (int id = 0; id < FLOATS.length; id++) {
      Map<String, Object> feeds = new LinkedHashMap<>();
      int total = 0;
      long[] lengths = new long[FLOATS[id].length];
      for (int i = 0; i < lengths.length; i++) {
        lengths[i] = FLOATS[id][i].length;
        total += lengths[i];
      }
      float[] values = new float[total];
      int at = 0;
      for (float[] element : FLOATS[id]) {
        System.arraycopy(element, 0, values, at, element.length);
        at += element.length;
      }
      feeds.put("s__values", values);
      feeds.put("s__lengths", lengths);
      float[] y = (float[]) OrtReference.run(rewritten.model().bytes(), feeds, "y");
      List<Object> direct = new ArrayList<>();
      for (float v : y) {
        direct.add(v);
      }
      assertThat(direct).as("row %s", id).isEqualTo(expected.get((long) id).get(0));
    }

    Dataset<Row> df =
        spark.createDataFrame(floatRows(), schema(DataTypes.FloatType)).repartition(2);
    Dataset<Row> transformed = onnx.transform(df);
    assertThat(transformed.schema().apply("y").dataType())
        .isEqualTo(DataTypes.createArrayType(DataTypes.FloatType, false));
    assertThat(transformed.schema().apply("count").dataType()).isEqualTo(DataTypes.LongType);
    assertThat(byId(transformed.select("id", "y", "count"))).isEqualTo(expected);

    Map<Long, List<Object>> struct = new TreeMap<>();
    expected.forEach((id, values) -> struct.put(id, List.of(values)));
    assertThat(byId(df.withColumn("p", onnxPredict(onnx)).select("id", "p"))).isEqualTo(struct);
    Map<Long, List<Object>> counts = new TreeMap<>();
    expected.forEach((id, values) -> counts.put(id, List.of(values.get(1))));
    assertThat(
            byId(df.withColumn("n", onnxPredict(onnx.withOutput("count", "n"))).select("id", "n")))
        .isEqualTo(counts);

    OnnxModels.register(spark, "seq_concat", onnx);
    df.createOrReplaceTempView("seq_concat_rows");
    assertThat(
            byId(
                spark.sql(
                    "SELECT id, p.y, p.count FROM (SELECT id, onnx_predict('seq_concat', s) AS p"
                        + " FROM seq_concat_rows)")))
        .isEqualTo(expected);
  }

  /**
   * int64 elements from bigint arrays, and names the rewrite must avoid: the graph already has a
   * value {@code s__values}, so the values input is {@code s__values_1}.
   */
  @Test
  void anInt64SequenceInputAvoidsTheGraphsNames() throws Exception {
    byte[] model = concatModel(ElementType.INT64, true);
    OnnxModel onnx = OnnxModel.fromBytes(model);
    SequenceInputs.Rewritten rewritten =
        SequenceInputs.rewrite(
            ModelBytes.of(model, "concat"), List.of(onnx.info().input("s").orElseThrow()));
    assertThat(rewritten.names().get("s"))
        .isEqualTo(new SequenceInputs.Names("s", "s__values_1", "s__lengths"));
    // Remembered by the model it was made from, so that releasing that model releases it too.
    assertThat(
            ai.onnxspark.internal.model.OptionalOutputs.rewrittenFrom(
                ModelBytes.of(model, "concat").fingerprint()))
        .containsExactly(rewritten.model().fingerprint());
    assertThat(rewritten.model().fingerprint())
        .isNotEqualTo(ModelBytes.of(model, "concat").fingerprint());
    Map<String, Object> feeds = new LinkedHashMap<>();
    feeds.put("s__values_1", new long[] {7, 8, 9});
    feeds.put("s__lengths", new long[] {1, 2});
    assertThat((long[]) OrtReference.run(rewritten.model().bytes(), feeds, "y"))
        .containsExactly(7, 8, 9);

    List<Row> rows =
        List.of(
            RowFactory.create(0L, (Object) new Long[][] {{1L, 2L}, {3L}}),
            RowFactory.create(1L, (Object) new Long[][] {{Long.MAX_VALUE}, {}, {-5L, 6L, 7L}}),
            RowFactory.create(2L, (Object) new Long[][] {{42L}}));
    Dataset<Row> df = spark.createDataFrame(rows, schema(DataTypes.LongType));
    Map<Long, List<Object>> expected = new TreeMap<>();
    expected.put(0L, Arrays.asList(List.of(1L, 2L, 3L), 2L, 2L));
    expected.put(1L, Arrays.asList(List.of(Long.MAX_VALUE, -5L, 6L, 7L), 3L, 3L));
    expected.put(2L, Arrays.asList(List.of(42L), 1L, 1L));
    assertThat(byId(onnx.transform(df).select("id", "y", "count", "s__values")))
        .isEqualTo(expected);
    Map<Long, List<Object>> struct = new TreeMap<>();
    expected.forEach((id, values) -> struct.put(id, List.of(values)));
    assertThat(byId(df.withColumn("p", onnxPredict(onnx)).select("id", "p"))).isEqualTo(struct);
  }

  /**
   * An empty outer array is an empty sequence, of length 0; an element of no values is an empty
   * tensor.
   */
  @Test
  void anEmptySequenceAndEmptyElementsAreFed() {
    byte[] model =
        new ModelBuilder("length")
            .sequenceInput("s", ElementType.FLOAT)
            .node("SequenceLength", "s", "count")
            .output("count", ElementType.INT64)
            .build();
    List<Row> rows =
        List.of(
            RowFactory.create(0L, (Object) new Float[][] {}),
            RowFactory.create(1L, (Object) new Float[][] {{}, {}, {}}),
            RowFactory.create(2L, (Object) new Float[][] {{1f}, {}}));
    Dataset<Row> df = spark.createDataFrame(rows, schema(DataTypes.FloatType));
    Map<Long, List<Object>> expected = new TreeMap<>();
    expected.put(0L, List.of(0L));
    expected.put(1L, List.of(3L));
    expected.put(2L, List.of(2L));
    OnnxModel onnx = OnnxModel.fromBytes(model);
    assertThat(byId(onnx.transform(df).select("id", "count"))).isEqualTo(expected);
    assertThat(byId(df.withColumn("p", onnxPredict(onnx)).select("id", "p"))).isEqualTo(expected);

    // Concatenating only empty elements gives an empty tensor.
    Dataset<Row> empties =
        spark.createDataFrame(
            List.of(RowFactory.create(0L, (Object) new Float[][] {{}, {}})),
            schema(DataTypes.FloatType));
    assertThat(
            byId(
                OnnxModel.fromBytes(concatModel(ElementType.FLOAT, false))
                    .transform(empties)
                    .select("id", "y", "count")))
        .isEqualTo(Map.of(0L, Arrays.asList(List.of(), 2L)));
  }

  /**
   * A null sequence or a null element fails the job naming the input, the column and the row; in
   * permissive mode the row gets null outputs and its error, the other rows their values.
   */
  @Test
  void nullSequencesAndElementsFollowTheNullRules() {
    byte[] model = concatModel(ElementType.FLOAT, false);
    List<Row> rows =
        List.of(
            RowFactory.create(0L, (Object) new Float[][] {{1f, 2f}, {3f}}),
            RowFactory.create(1L, null),
            RowFactory.create(2L, (Object) new Float[][] {{4f}, null}),
            RowFactory.create(3L, (Object) new Float[][] {{5f, null}}));
    StructType schema = schema(DataTypes.FloatType);
    OnnxModel onnx = OnnxModel.fromBytes(model);
    for (int bad = 1; bad <= 3; bad++) {
      Dataset<Row> df = spark.createDataFrame(List.of(rows.get(0), rows.get(bad)), schema);
      String what =
          bad == 1
              ? "holds a null array (the sequence)"
              : bad == 2
                  ? "holds a null array at index [1] (element 1)"
                  : "holds a null element at index [0][1]";
      assertThatThrownBy(() -> onnx.transform(df).collectAsList())
          .hasStackTraceContaining("Model input 's': column 's' " + what)
          .hasStackTraceContaining("(id=" + bad + ")");
      assertThatThrownBy(() -> df.withColumn("p", onnxPredict(onnx)).collectAsList())
          .hasStackTraceContaining("column 's' " + what);
    }

    Dataset<Row> df = spark.createDataFrame(rows, schema);
    Dataset<Row> permissive = onnx.withPermissive().transform(df);
    Map<Long, List<Object>> expected = new TreeMap<>();
    expected.put(0L, Arrays.asList(List.of(1f, 2f, 3f), 2L, false));
    expected.put(1L, Arrays.asList(null, null, true));
    expected.put(2L, Arrays.asList(null, null, true));
    expected.put(3L, Arrays.asList(null, null, true));
    assertThat(
            byId(
                permissive.select(
                    col("id"), col("y"), col("count"), col("onnx_error").isNotNull())))
        .isEqualTo(expected);
    assertThat(permissive.filter(col("id").equalTo(1)).select("onnx_error").first().getString(0))
        .contains("column 's' holds a null array (the sequence)");
  }

  /**
   * Over m seq(float[rows,3]), elements of rank 2: {@code y = ConcatFromSequence(m, axis=0)}
   * float[total,3], {@code count = SequenceLength(m)} and {@code first = SequenceAt(m, 0)}.
   */
  static byte[] matrixModel() {
    return new ModelBuilder("matrices")
        .sequenceInput("m", ElementType.FLOAT, "rows", 3)
        .initializer("zero", new long[] {}, 0L)
        .node("ConcatFromSequence", "m", "y", ModelBuilder.intAttr("axis", 0))
        .node("SequenceLength", "m", "count")
        .node("SequenceAt", new String[] {"m", "zero"}, new String[] {"first"})
        .output("y", ElementType.FLOAT, "total", 3)
        .output("count", ElementType.INT64)
        .output("first", ElementType.FLOAT, "rows", 3)
        .build();
  }

  /**
   * Per row, the elements of m (each [rows, 3]): their first dimensions differ, one is empty ([0,
   * 3]).
   */
  private static final float[][][][] MATRICES = {
    {{{1, 2, 3}}, {{4, 5, 6}, {7, 8, 9}}},
    {{{-1, 0.5f, 2}, {3, 4, 5}, {6, 7, 8.25f}}},
    {{{9, 8, 7}, {6, 5, 4}}, {}, {{3, 2, 1}}},
  };

  private static List<Object> nestedFloats(float[][] matrix) {
    List<Object> rows = new ArrayList<>();
    for (float[] line : matrix) {
      List<Object> values = new ArrayList<>();
      for (float v : line) {
        values.add(v);
      }
      rows.add(values);
    }
    return rows;
  }

  @Test
  void aSequenceOfMatricesIsFedFromThreeLevelsOfArraysThroughEveryApi() throws Exception {
    byte[] model = matrixModel();
    OnnxModel onnx = OnnxModel.fromBytes(model);
    assertThat(onnx.info().input("m").orElseThrow().elementDims()).containsExactly(-1, 3);
    List<Row> rows = new ArrayList<>();
    Map<Long, List<Object>> expected = new TreeMap<>();
    SequenceInputs.Rewritten rewritten =
        SequenceInputs.rewrite(
            ModelBytes.of(model, "matrices"), List.of(onnx.info().input("m").orElseThrow()));
    for (int id = 0; id < MATRICES.length; id++) {
      float[][][] elements = MATRICES[id];
      Float[][][] boxed = new Float[elements.length][][];
      List<float[]> concat = new ArrayList<>();
      long[] lengths = new long[elements.length];
      for (int i = 0; i < elements.length; i++) {
        boxed[i] = new Float[elements[i].length][];
        lengths[i] = elements[i].length;
        for (int r = 0; r < elements[i].length; r++) {
          boxed[i][r] = new Float[3];
          for (int c = 0; c < 3; c++) {
            boxed[i][r][c] = elements[i][r][c];
          }
          concat.add(elements[i][r]);
        }
      }
      rows.add(RowFactory.create((long) id, boxed));
      float[][] y = concat.toArray(new float[0][]);
      // Computed here: the concatenation of the elements, their number, the first element.
      expected.put(
          (long) id,
          Arrays.asList(nestedFloats(y), (long) elements.length, nestedFloats(elements[0])));
      // ONNX Runtime run directly on the rewritten model, fed [total, 3] and the lengths, agrees.
      Map<String, Object> feeds = new LinkedHashMap<>();
      feeds.put("m__values", y);
      feeds.put("m__lengths", lengths);
      assertThat(nestedFloats((float[][]) OrtReference.run(rewritten.model().bytes(), feeds, "y")))
          .as("row %s", id)
          .isEqualTo(expected.get((long) id).get(0));
      assertThat(
              nestedFloats((float[][]) OrtReference.run(rewritten.model().bytes(), feeds, "first")))
          .as("row %s", id)
          .isEqualTo(expected.get((long) id).get(2));
    }
    assertThat(expected.get(2L).get(0))
        .isEqualTo(List.of(List.of(9f, 8f, 7f), List.of(6f, 5f, 4f), List.of(3f, 2f, 1f)));
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType)
            .add(
                "m",
                DataTypes.createArrayType(
                    DataTypes.createArrayType(
                        DataTypes.createArrayType(DataTypes.FloatType, false), false),
                    false));
    Dataset<Row> df = spark.createDataFrame(rows, schema).repartition(2);

    Dataset<Row> transformed = onnx.transform(df);
    assertThat(transformed.schema().apply("y").dataType().simpleString())
        .isEqualTo("array<array<float>>");
    assertThat(byId(transformed.select("id", "y", "count", "first"))).isEqualTo(expected);
    assertThat(
            byId(df.withColumn("p", onnxPredict(onnx)).select("id", "p.y", "p.count", "p.first")))
        .isEqualTo(expected);
    OnnxModels.register(spark, "seq_matrices", onnx);
    df.createOrReplaceTempView("seq_matrices_rows");
    assertThat(
            byId(
                spark.sql(
                    "SELECT id, p.y, p.count, p.first FROM (SELECT id,"
                        + " onnx_predict('seq_matrices', m) AS p FROM seq_matrices_rows)")))
        .isEqualTo(expected);
  }

  /**
   * Elements of no declared shape take the column's rank: rank 3 from four levels of arrays. An
   * empty sequence is fed too.
   */
  @Test
  void elementsOfNoDeclaredShapeTakeTheColumnsRank() {
    byte[] model =
        new ModelBuilder("cubes")
            .sequenceInput("s", ElementType.INT64)
            .node("ConcatFromSequence", "s", "y", ModelBuilder.intAttr("axis", 0))
            .node("SequenceLength", "s", "count")
            .output("y", ElementType.INT64, "a", "b", "c")
            .output("count", ElementType.INT64)
            .build();
    Long[][][] a = {{{1L, 2L}, {3L, 4L}}};
    Long[][][] b = {{{5L, 6L}, {7L, 8L}}, {{9L, 10L}, {11L, 12L}}};
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType)
            .add(
                "s",
                DataTypes.createArrayType(
                    DataTypes.createArrayType(
                        DataTypes.createArrayType(
                            DataTypes.createArrayType(DataTypes.LongType, false), false),
                        false),
                    false));
    Dataset<Row> df =
        spark.createDataFrame(
            List.of(
                RowFactory.create(0L, (Object) new Long[][][][] {a, b}),
                RowFactory.create(1L, (Object) new Long[][][][] {b})),
            schema);
    Map<Long, List<Object>> expected = new TreeMap<>();
    List<Object> bCube =
        List.of(
            List.of(List.of(5L, 6L), List.of(7L, 8L)),
            List.of(List.of(9L, 10L), List.of(11L, 12L)));
    List<Object> all = new ArrayList<>();
    all.add(List.of(List.of(1L, 2L), List.of(3L, 4L)));
    all.addAll(bCube);
    expected.put(0L, Arrays.asList(all, 2L));
    expected.put(1L, Arrays.asList(bCube, 1L));
    OnnxModel onnx = OnnxModel.fromBytes(model);
    assertThat(byId(onnx.transform(df).select("id", "y", "count"))).isEqualTo(expected);
    assertThat(byId(df.withColumn("p", onnxPredict(onnx)).select("id", "p.y", "p.count")))
        .isEqualTo(expected);

    Dataset<Row> empty =
        spark.createDataFrame(List.of(RowFactory.create(0L, (Object) new Long[0][][][])), schema);
    byte[] length =
        new ModelBuilder("length")
            .sequenceInput("s", ElementType.INT64)
            .node("SequenceLength", "s", "count")
            .output("count", ElementType.INT64)
            .build();
    assertThat(byId(OnnxModel.fromBytes(length).transform(empty).select("id", "count")))
        .isEqualTo(Map.of(0L, List.of(0L)));
  }

  /**
   * Elements that differ after their first dimension cannot be one tensor: the row fails naming the
   * input, the column, the row, the elements' shapes and what is expected; so do elements not of
   * the declared shape and an element that is not rectangular. Permissive mode gives the row null
   * outputs and the error, the other rows their values.
   */
  @Test
  void raggedElementsFailTheRowWithTheirShapes() {
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType)
            .add(
                "m",
                DataTypes.createArrayType(
                    DataTypes.createArrayType(
                        DataTypes.createArrayType(DataTypes.FloatType, false), false),
                    false));
    Row good = RowFactory.create(0L, (Object) new Float[][][] {{{1f, 2f, 3f}}});
    byte[] undeclared =
        new ModelBuilder("undeclared")
            .sequenceInput("m", ElementType.FLOAT)
            .node("SequenceLength", "m", "count")
            .output("count", ElementType.INT64)
            .build();
    Dataset<Row> ragged =
        spark.createDataFrame(
            List.of(
                good,
                RowFactory.create(
                    1L, (Object) new Float[][][] {{{1f, 2f, 3f}, {4f, 5f, 6f}}, {{}}, {{7f, 8f}}})),
            schema);
    assertThatThrownBy(() -> OnnxModel.fromBytes(undeclared).transform(ragged).collectAsList())
        .hasStackTraceContaining("Model input 'm' (seq(float)) reads a sequence from column 'm'")
        .hasStackTraceContaining("(id=1)")
        .hasStackTraceContaining("the elements have shapes [2, 3], [1, 0], [1, 2]")
        .hasStackTraceContaining("elements that differ in their first dimension only");

    Dataset<Row> wrongWidth =
        spark.createDataFrame(
            List.of(good, RowFactory.create(1L, (Object) new Float[][][] {{{1f, 2f}}, {}})),
            schema);
    assertThatThrownBy(
            () -> OnnxModel.fromBytes(matrixModel()).transform(wrongWidth).collectAsList())
        .hasStackTraceContaining("the elements have shapes [1, 2], [0, ?]")
        .hasStackTraceContaining("every element of the shape the model declares, [?, 3]");

    Dataset<Row> notRectangular =
        spark.createDataFrame(
            List.of(good, RowFactory.create(1L, (Object) new Float[][][] {{{1f, 2f, 3f}, {4f}}})),
            schema);
    assertThatThrownBy(
            () -> OnnxModel.fromBytes(matrixModel()).transform(notRectangular).collectAsList())
        .hasStackTraceContaining("element 0 is not rectangular")
        .hasStackTraceContaining("index [0][1] has 1 elements where the first at its level has 3");

    Map<Long, List<Object>> permissive =
        byId(
            OnnxModel.fromBytes(undeclared)
                .withPermissive()
                .transform(ragged)
                .select(
                    col("id"), col("count"), col("onnx_error").contains("[2, 3], [1, 0], [1, 2]")));
    assertThat(permissive)
        .isEqualTo(Map.of(0L, Arrays.asList(1L, null), 1L, Arrays.asList(null, true)));
  }

  /**
   * What cannot be fed is refused before the job, naming the input, its type and the fix: a column
   * that is not an array of arrays of the element type, elements declared of rank 2 fed from two
   * levels of arrays, elements declared of rank 0, a model shipped by path (it cannot be
   * rewritten), an opset without SplitToSequence, and batches of rows.
   */
  @Test
  void whatCannotBeFedIsRefusedWithTheFix(@TempDir Path dir) throws Exception {
    byte[] model = concatModel(ElementType.FLOAT, false);
    Dataset<Row> flat =
        spark.createDataFrame(
            List.of(RowFactory.create(0L, (Object) new Float[] {1f})),
            new StructType()
                .add("id", DataTypes.LongType)
                .add("s", DataTypes.createArrayType(DataTypes.FloatType)));
    assertThatThrownBy(() -> OnnxModel.fromBytes(model).transform(flat))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("Model input 's' expects seq(float) but column 's' is array<float>")
        .hasMessageContaining("cast(\"array<array<float>>\")");
    Dataset<Row> doubles =
        spark.createDataFrame(
            List.of(RowFactory.create(0L, (Object) new Double[][] {{1d}})),
            schema(DataTypes.DoubleType));
    assertThatThrownBy(() -> OnnxModel.fromBytes(model).transform(doubles))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("array<array<double>>")
        .hasMessageContaining("withNarrowing()");
    // With narrowing, doubles feed the float elements, rounded.
    assertThat(
            byId(
                OnnxModel.fromBytes(model)
                    .withNarrowing()
                    .transform(doubles)
                    .select("id", "y", "count")))
        .isEqualTo(Map.of(0L, Arrays.asList(List.of(1f), 1L)));

    Dataset<Row> df = spark.createDataFrame(floatRows(), schema(DataTypes.FloatType));
    // Elements declared of rank 2 are fed from three levels of arrays, not two.
    Dataset<Row> m = df.withColumnRenamed("s", "m");
    assertThatThrownBy(() -> OnnxModel.fromBytes(matrixModel()).transform(m))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("Model input 'm' expects seq(float) but column 'm' is")
        .hasMessageContaining("declared of rank 2 ([?, 3])")
        .hasMessageContaining("cast(\"array<array<array<float>>>\")");
    byte[] scalars =
        new ModelBuilder("scalars")
            .scalarSequenceInput("s", ElementType.FLOAT)
            .node("SequenceLength", "s", "count")
            .output("count", ElementType.INT64)
            .build();
    assertThat(ModelInfo.parse(scalars, "scalars").input("s").orElseThrow().elementDims())
        .isEmpty();
    assertThatThrownBy(() -> OnnxModel.fromBytes(scalars).transform(df))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("Model input 's' (seq(float))")
        .hasMessageContaining("declared of rank 0 (scalars)");

    byte[] old =
        new ModelBuilder("old")
            .opset(10)
            .sequenceInput("s", ElementType.FLOAT)
            .node("SequenceLength", "s", "count")
            .output("count", ElementType.INT64)
            .build();
    assertThatThrownBy(() -> OnnxModel.fromBytes(old).transform(df))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("Model input 's' (seq(float))")
        .hasMessageContaining("opset 10")
        .hasMessageContaining("SplitToSequence (opset 11 or later)");

    Path file = dir.resolve("concat.onnx");
    java.nio.file.Files.write(file, model);
    OnnxModel byPath = OnnxModel.fromPath(file.toString()).withShipping("path");
    assertThatThrownBy(() -> byPath.transform(df))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("Model input 's' (seq(float)) cannot be fed from columns")
        .hasMessageContaining("shipped by path (shipping is path)")
        .hasMessageContaining("withShipping(\"broadcast\")");
    assertThatThrownBy(() -> df.withColumn("p", onnxPredict(byPath)).collect())
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("shipped by path");
    assertThat(
            byId(
                OnnxModel.fromPath(file.toString())
                    .withShipping("broadcast")
                    .transform(df)
                    .select("id", "y", "count")))
        .isEqualTo(floatExpected());

    // Batches of rows: one sequence per run cannot be stacked.
    TensorSpec s = ModelInfo.parse(model, "concat").input("s").orElseThrow();
    assertThatThrownBy(() -> InputBinding.bind(s, List.of("s"), df.schema(), false, false, false))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("Model input 's' (seq(float))")
        .hasMessageContaining("withRowAsTensor()");
  }
}
