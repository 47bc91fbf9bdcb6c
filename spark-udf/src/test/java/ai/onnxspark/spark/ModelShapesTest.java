package ai.onnxspark.spark;

import static ai.onnxspark.sql.OnnxFunctions.onnxPredict;
import static ai.onnxspark.testing.SparkRows.byId;
import static ai.onnxspark.testing.SparkRows.plain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxspark.model.ElementType;
import ai.onnxspark.sql.OnnxModels;
import ai.onnxspark.testing.ModelBuilder;
import ai.onnxspark.testing.OrtReference;
import ai.onnxspark.testing.SparkTestBase;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Function;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * Models whose shapes are not {@code [batch, ...]} with a free batch dimension: no batch dimension
 * at all (a row holds whole tensors, scalars and rank 5 included), a batch fixed at export, and the
 * ambiguous case that needs the user's word. Each through {@code transform}, {@code
 * withColumn(onnxPredict)} and SQL, against ONNX Runtime run directly on the same tensors.
 */
class ModelShapesTest extends SparkTestBase {

  /**
   * {@code y = (x W) * s} and {@code total = sum(y)}: x float[3,4], s a float scalar, W float[4,2];
   * y float[3,2], total a float scalar. No batch dimension anywhere.
   */
  static byte[] wholeTensorModel() {
    float[] w = {1, -2, 0.5f, 3, -1, 0.25f, 2, -0.5f};
    return new ModelBuilder("whole")
        .input("x", ElementType.FLOAT, 3, 4)
        .input("s", ElementType.FLOAT)
        .initializer("W", new long[] {4, 2}, w)
        .node("MatMul", new String[] {"x", "W"}, new String[] {"xw"})
        .node("Mul", new String[] {"xw", "s"}, new String[] {"y"})
        .node(
            "ReduceSum",
            new String[] {"y"},
            new String[] {"total"},
            ModelBuilder.intAttr("keepdims", 0))
        .output("y", ElementType.FLOAT, 3, 2)
        .output("total", ElementType.FLOAT)
        .build();
  }

  @Test
  void aModelWithoutBatchDimensionScoresEachRowAsWholeTensors() throws Exception {
    byte[] model = wholeTensorModel();
    Random random = new Random(11);
    List<Row> data = new ArrayList<>();
    Map<Long, float[][]> xs = new TreeMap<>();
    Map<Long, Float> ss = new TreeMap<>();
    for (long id = 0; id < 9; id++) {
      float[][] x = new float[3][4];
      List<List<Float>> nested = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        List<Float> row = new ArrayList<>();
        for (int j = 0; j < 4; j++) {
          x[i][j] = (float) random.nextGaussian();
          row.add(x[i][j]);
        }
        nested.add(row);
      }
      float s = (float) random.nextGaussian();
      xs.put(id, x);
      ss.put(id, s);
      data.add(RowFactory.create(id, nested, s));
    }
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType)
            .add(
                "x",
                DataTypes.createArrayType(
                    DataTypes.createArrayType(DataTypes.FloatType, false), false))
            .add("s", DataTypes.FloatType);
    Dataset<Row> df = spark.createDataFrame(data, schema).repartition(2);

    Map<Long, List<Object>> expected = new TreeMap<>();
    for (long id : xs.keySet()) {
      Map<String, Object> feeds = new java.util.LinkedHashMap<>();
      feeds.put("x", xs.get(id));
      feeds.put("s", ss.get(id));
      float[][] y = (float[][]) OrtReference.run(model, feeds, "y");
      float total = (Float) OrtReference.run(model, feeds, "total");
      expected.put(id, List.of(nested(y), total));
    }

    OnnxModel onnx = OnnxModel.fromBytes(model);
    Dataset<Row> transformed = onnx.transform(df);
    assertThat(transformed.schema().apply("y").dataType().simpleString())
        .isEqualTo("array<array<float>>");
    assertThat(transformed.schema().apply("total").dataType()).isEqualTo(DataTypes.FloatType);
    assertThat(byId(transformed.select("id", "y", "total"))).isEqualTo(expected);

    assertThat(byId(df.withColumn("p", onnxPredict(onnx)).select("id", "p.y", "p.total")))
        .isEqualTo(expected);

    OnnxModels.register(spark, "whole", onnx);
    df.createOrReplaceTempView("whole_rows");
    assertThat(
            byId(
                spark.sql(
                    "SELECT id, p.y, p.total FROM"
                        + " (SELECT id, onnx_predict('whole', x, s) AS p FROM whole_rows)")))
        .isEqualTo(expected);
  }

  /** {@code y = x * 2} over a rank-5 tensor with a zero-size dimension beside it: z float[2,0]. */
  @Test
  void rankFiveAndZeroSizeTensorsComeBackWhole() throws Exception {
    byte[] model =
        new ModelBuilder("rank5")
            .input("x", ElementType.FLOAT, 2, 1, 2, 1, 3)
            .input("z", ElementType.FLOAT, 2, 0)
            .initializer("two", new long[] {}, 2f)
            .node("Mul", new String[] {"x", "two"}, new String[] {"y"})
            .node("Identity", "z", "zz")
            .output("y", ElementType.FLOAT, 2, 1, 2, 1, 3)
            .output("zz", ElementType.FLOAT, 2, 0)
            .build();
    List<Row> data = new ArrayList<>();
    for (long id = 0; id < 4; id++) {
      Float[] x = new Float[12];
      for (int i = 0; i < 12; i++) {
        x[i] = id * 100f + i;
      }
      data.add(RowFactory.create(id, x, new Float[0]));
    }
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType)
            .add("x", DataTypes.createArrayType(DataTypes.FloatType, false))
            .add("z", DataTypes.createArrayType(DataTypes.FloatType, false));
    Dataset<Row> df = spark.createDataFrame(data, schema);

    // Inputs [2,...] and [2,0] with outputs of the same first dimension could be a batch fixed at
    // 2; a row holding all 12 values of x says it is a whole tensor, so the user says so.
    assertThatThrownBy(() -> OnnxModel.fromBytes(model).transform(df).collectAsList())
        .hasStackTraceContaining("withRowAsTensor()");

    OnnxModel onnx = OnnxModel.fromBytes(model).withRowAsTensor();
    List<Row> rows = onnx.transform(df).orderBy("id").collectAsList();
    assertThat(rows).hasSize(4);
    for (Row row : rows) {
      long id = row.getLong(0);
      // y = 2x, hand-computed: ONNX Runtime's Java arrays cannot hold z's zero-size dimension.
      float[][][][][] y = new float[2][1][2][1][3];
      int k = 0;
      for (int a = 0; a < 2; a++) {
        for (int c = 0; c < 2; c++) {
          for (int e = 0; e < 3; e++) {
            y[a][0][c][0][e] = 2 * (id * 100f + k++);
          }
        }
      }
      assertThat(plain(row.get(row.fieldIndex("y")))).isEqualTo(nested(y));
      assertThat(plain(row.get(row.fieldIndex("zz")))).isEqualTo(List.of(List.of(), List.of()));
    }
    OnnxModels.register(spark, "rank5", onnx);
    df.createOrReplaceTempView("rank5_rows");
    assertThat(
            spark
                .sql(
                    "SELECT onnx_predict('rank5', map('row-as-tensor', 'true'), x, z).y FROM rank5_rows")
                .collectAsList())
        .hasSize(4);
  }

  /** {@code y = x W + b} with x float[batch,4]; batch is 8 (fixed) or free. */
  static byte[] affine(Object batch) {
    float[] w = {0.5f, -1, 2, 1, 0.25f, -0.5f, -2, 1.5f, 3, 1, 0, -1};
    return new ModelBuilder("affine")
        .input("x", ElementType.FLOAT, batch, 4)
        .initializer("W", new long[] {4, 3}, w)
        .initializer("b", new long[] {3}, 0.1f, 0.2f, 0.3f)
        .node("MatMul", new String[] {"x", "W"}, new String[] {"xw"})
        .node("Add", new String[] {"xw", "b"}, new String[] {"y"})
        .output("y", ElementType.FLOAT, batch, 3)
        .build();
  }

  @Test
  void aModelExportedWithAFixedBatchScoresRowsInBatchesOfExactlyThatSize() throws Exception {
    byte[] fixed = affine(8);
    Random random = new Random(4);
    int n = 21;
    float[][] x = new float[n][4];
    List<Row> data = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Float[] boxed = new Float[4];
      for (int j = 0; j < 4; j++) {
        x[i][j] = (float) random.nextGaussian();
        boxed[j] = x[i][j];
      }
      data.add(RowFactory.create((long) i, boxed));
    }
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType)
            .add("x", DataTypes.createArrayType(DataTypes.FloatType, false));
    // 21 rows in 2 partitions: each ends with a short batch that is filled to 8.
    Dataset<Row> df = spark.createDataFrame(data, schema).repartition(2);
    float[][] reference = (float[][]) OrtReference.run(affine("batch"), Map.of("x", x), "y");
    Map<Long, List<Object>> expected = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      expected.put((long) i, List.of(nested(reference[i])));
    }

    // The batch size asked for gives way to the model's.
    OnnxModel onnx = OnnxModel.fromBytes(fixed).withBatchSize(5);
    ScoringMetrics metrics = ScoringMetrics.register(spark.sparkContext());
    assertThat(byId(onnx.transform(df, metrics).select("id", "y"))).isEqualTo(expected);
    assertThat(metrics.rows()).isEqualTo(n);
    long batches = 0;
    for (int size : TransformTest.partitionSizes(df)) {
      batches += (size + 7) / 8;
    }
    assertThat(metrics.batches())
        .as("batches of 8, the last of each partition filled")
        .isEqualTo(batches);

    assertThat(byId(df.withColumn("p", onnxPredict(onnx)).select("id", "p"))).isEqualTo(expected);
    OnnxModels.register(spark, "fixed8", onnx);
    df.createOrReplaceTempView("fixed8_rows");
    assertThat(byId(spark.sql("SELECT id, onnx_predict('fixed8', x) FROM fixed8_rows")))
        .isEqualTo(expected);

    // Permissive mode: a bad row among them is reported, the others still score in batches of 8.
    List<Row> withBad = new ArrayList<>(data);
    withBad.add(RowFactory.create(99L, new Float[] {1f, 2f}));
    Dataset<Row> bad = spark.createDataFrame(withBad, schema).repartition(2);
    Map<Long, Row> scored = new TreeMap<>();
    for (Row row : onnx.withPermissive().transform(bad).collectAsList()) {
      scored.put(row.getLong(0), row);
    }
    assertThat(scored).hasSize(n + 1);
    assertThat(scored.get(99L).isNullAt(scored.get(99L).fieldIndex("y"))).isTrue();
    assertThat(scored.get(99L).getString(scored.get(99L).fieldIndex("onnx_error")))
        .contains("4 values per row");
    for (int i = 0; i < n; i++) {
      assertThat(plain(scored.get((long) i).get(2))).isEqualTo(expected.get((long) i).get(0));
    }
  }

  /**
   * A detector: a box-scoring head (sigmoid of each box's coordinate sum), NonMaxSuppression over
   * the batch, and Gather/GatherND of the kept boxes: {@code detections float[num, 5]} (the row's
   * index in the batch, then the box) and {@code selected int64[num, 3]} for a batch of images'
   * boxes {@code float[batch, 5, 4]}.
   */
  static byte[] detector() {
    return new ModelBuilder("detector")
        .input("boxes", ElementType.FLOAT, "batch", 5, 4)
        .initializer("axes2", new long[] {1}, 2L)
        .initializer("axes1", new long[] {1}, 1L)
        .initializer("max_out", new long[] {1}, 3L)
        .initializer("iou", new long[] {1}, 0.5f)
        .initializer("threshold", new long[] {1}, 0.3f)
        .initializer("batch_and_box", new long[] {2}, 0L, 2L)
        .initializer("batch_only", new long[] {1}, 0L)
        .node(
            "ReduceSum",
            new String[] {"boxes", "axes2"},
            new String[] {"sums"},
            ModelBuilder.intAttr("keepdims", 0))
        .node("Sigmoid", "sums", "box_scores")
        .node("Unsqueeze", new String[] {"box_scores", "axes1"}, new String[] {"scores"})
        .node(
            "NonMaxSuppression",
            new String[] {"boxes", "scores", "max_out", "iou", "threshold"},
            new String[] {"selected"})
        .node(
            "Gather",
            new String[] {"selected", "batch_and_box"},
            new String[] {"where"},
            ModelBuilder.intAttr("axis", 1))
        .node("GatherND", new String[] {"boxes", "where"}, new String[] {"kept"})
        .node(
            "Gather",
            new String[] {"selected", "batch_only"},
            new String[] {"row"},
            ModelBuilder.intAttr("axis", 1))
        .node("Cast", "row", "row_float", ModelBuilder.intAttr("to", 1))
        .node(
            "Concat",
            new String[] {"row_float", "kept"},
            new String[] {"detections"},
            ModelBuilder.intAttr("axis", 1))
        .output("detections", ElementType.FLOAT, "num", 5)
        .output("selected", ElementType.INT64, "num", 3)
        .build();
  }

  @Test
  void aDetectorsBatchOfDetectionsIsGroupedIntoEachRowsOwn() throws Exception {
    byte[] model = detector();
    Random random = new Random(7);
    List<Row> data = new ArrayList<>();
    Map<Long, float[][][]> inputs = new TreeMap<>();
    for (long id = 0; id < 13; id++) {
      float[][][] boxes = new float[1][5][4];
      Float[] flat = new Float[20];
      for (int b = 0; b < 5; b++) {
        for (int c = 0; c < 4; c++) {
          // Every fifth row's boxes score below the threshold: no detections.
          float v = id % 5 == 3 ? -1 - random.nextFloat() : random.nextFloat() * 2;
          boxes[0][b][c] = v;
          flat[b * 4 + c] = v;
        }
      }
      inputs.put(id, boxes);
      data.add(RowFactory.create(id, flat));
    }
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType)
            .add("boxes", DataTypes.createArrayType(DataTypes.FloatType, false));
    Dataset<Row> df = spark.createDataFrame(data, schema).repartition(2);

    Map<Long, List<Object>> expected = new TreeMap<>();
    for (Map.Entry<Long, float[][][]> e : inputs.entrySet()) {
      float[][] detections =
          (float[][]) OrtReference.run(model, Map.of("boxes", e.getValue()), "detections");
      long[][] selected =
          (long[][]) OrtReference.run(model, Map.of("boxes", e.getValue()), "selected");
      List<Object> boxes = new ArrayList<>();
      for (float[] d : detections) {
        boxes.add(nested(Arrays.copyOfRange(d, 1, 5)));
      }
      List<Object> pairs = new ArrayList<>();
      for (long[] s : selected) {
        pairs.add(List.of(s[1], s[2]));
      }
      expected.put(e.getKey(), List.of(boxes, pairs));
    }
    assertThat(expected.get(3L).get(0)).as("a row without detections").isEqualTo(List.of());
    assertThat(expected.values().stream().mapToInt(v -> ((List<?>) v.get(0)).size()).max())
        .hasValue(3);

    // Without grouping, the batch's detections do not fit its rows: the error names the option.
    assertThatThrownBy(() -> OnnxModel.fromBytes(model).withBatchSize(4).transform(df).count())
        .hasStackTraceContaining("withGroupedOutput(output, column)")
        .hasStackTraceContaining("'detections'");

    OnnxModel onnx =
        OnnxModel.fromBytes(model)
            .withBatchSize(4)
            .withGroupedOutput("detections", 0)
            .withGroupedOutput("selected", 0);
    Dataset<Row> transformed = onnx.transform(df);
    assertThat(transformed.schema().apply("detections").dataType().simpleString())
        .isEqualTo("array<array<float>>");
    assertThat(byId(transformed.select("id", "detections", "selected"))).isEqualTo(expected);
    assertThat(
            byId(df.withColumn("p", onnxPredict(onnx)).select("id", "p.detections", "p.selected")))
        .isEqualTo(expected);
    OnnxModels.register(spark, "detector", OnnxModel.fromBytes(model));
    df.createOrReplaceTempView("detector_rows");
    assertThat(
            byId(
                spark.sql(
                    "SELECT id, p.detections, p.selected FROM (SELECT id, onnx_predict('detector',"
                        + " map('batch-size', '4', 'group.detections', '0', 'group.selected',"
                        + " '0'), boxes) AS p FROM detector_rows)")))
        .isEqualTo(expected);
  }

  /**
   * {@code SplitToSequence} of x float[6] into parts of 2 and 4: a sequence of two tensors, which
   * each row gets whole (row-as-tensor) as an array of arrays; in batches it is refused with why.
   */
  @Test
  void aSequenceOfTensorsComesBackAsAnArrayOfArraysPerRow() throws Exception {
    byte[] model =
        new ModelBuilder("split")
            .opset(17)
            .input("x", ElementType.FLOAT, 6)
            .initializer("parts", new long[] {2}, 2L, 4L)
            .node("SplitToSequence", new String[] {"x", "parts"}, new String[] {"pieces"})
            .sequenceOutput("pieces", ElementType.FLOAT)
            .build();
    List<Row> data = new ArrayList<>();
    for (long id = 0; id < 3; id++) {
      Float[] x = new Float[6];
      for (int i = 0; i < 6; i++) {
        x[i] = id * 10f + i;
      }
      data.add(RowFactory.create(id, x));
    }
    Dataset<Row> df =
        spark.createDataFrame(
            data,
            new StructType()
                .add("id", DataTypes.LongType)
                .add("x", DataTypes.createArrayType(DataTypes.FloatType, false)));
    assertThatThrownBy(() -> OnnxModel.fromBytes(model).transform(df))
        .hasMessageContaining("withRowAsTensor()");

    OnnxModel onnx = OnnxModel.fromBytes(model).withRowAsTensor();
    Map<Long, List<Object>> expected = new TreeMap<>();
    for (long id = 0; id < 3; id++) {
      float b = id * 10f;
      expected.put(id, List.of(List.of(List.of(b, b + 1), List.of(b + 2, b + 3, b + 4, b + 5))));
    }
    assertThat(byId(onnx.transform(df).select("id", "pieces"))).isEqualTo(expected);
    assertThat(byId(df.withColumn("p", onnxPredict(onnx)).select("id", "p"))).isEqualTo(expected);
    OnnxModels.register(spark, "split", OnnxModel.fromBytes(model));
    df.createOrReplaceTempView("split_rows");
    assertThat(
            byId(
                spark.sql(
                    "SELECT id, onnx_predict('split', map('row-as-tensor', 'true'), x) FROM"
                        + " split_rows")))
        .isEqualTo(expected);
  }

  /**
   * {@code y = If(c) {Optional(x)} else {Optional()}}: an optional output, present for some rows
   * and absent for others, beside {@code doubled = 2x}. ONNX Runtime's Java API returns a present
   * optional as a tensor but crashes the JVM natively on an absent one, so the library reads it
   * through nodes it adds to the model (see {@code OptionalOutputTest}): absent rows get a null,
   * present ones the tensor; the model's other output scores alone as well.
   */
  @Test
  void anOptionalOutputIsNullWhereAbsentAndTheOtherOutputsScore() throws Exception {
    byte[] model =
        new ModelBuilder("maybe")
            .opset(18)
            .input("x", ElementType.FLOAT, 3)
            .input("c", ElementType.BOOL)
            .initializer("two", new long[] {}, 2f)
            .node(
                "If",
                new String[] {"c"},
                new String[] {"y"},
                ModelBuilder.graphAttr(
                    "then_branch",
                    new ModelBuilder("present")
                        .node("Optional", "x", "some")
                        .optionalOutput("some", ElementType.FLOAT, 3)
                        .graph()),
                ModelBuilder.graphAttr(
                    "else_branch",
                    new ModelBuilder("absent")
                        .node(
                            "Optional",
                            new String[0],
                            new String[] {"none"},
                            ModelBuilder.tensorTypeAttr("type", ElementType.FLOAT, 3))
                        .optionalOutput("none", ElementType.FLOAT, 3)
                        .graph()))
            .node("Mul", new String[] {"x", "two"}, new String[] {"doubled"})
            .optionalOutput("y", ElementType.FLOAT, 3)
            .output("doubled", ElementType.FLOAT, 3)
            .build();
    List<Row> data = new ArrayList<>();
    Map<Long, List<Object>> expected = new TreeMap<>();
    for (long id = 0; id < 4; id++) {
      float[] x = {id, id + 0.5f, -id};
      boolean c = id % 2 == 0;
      data.add(RowFactory.create(id, new Float[] {x[0], x[1], x[2]}, c));
      Map<String, Object> feeds = new java.util.LinkedHashMap<>();
      feeds.put("x", x);
      feeds.put("c", c);
      expected.put(id, List.of(nested(OrtReference.run(model, feeds, "doubled"))));
    }
    Dataset<Row> df =
        spark.createDataFrame(
            data,
            new StructType()
                .add("id", DataTypes.LongType)
                .add("x", DataTypes.createArrayType(DataTypes.FloatType, false))
                .add("c", DataTypes.BooleanType));

    Map<Long, List<Object>> both = new TreeMap<>();
    for (long id = 0; id < 4; id++) {
      Object y = id % 2 == 0 ? List.of((float) id, id + 0.5f, (float) -id) : null;
      both.put(id, Arrays.asList(y, expected.get(id).get(0)));
    }
    assertThat(byId(OnnxModel.fromBytes(model).transform(df).select("id", "y", "doubled")))
        .isEqualTo(both);

    OnnxModel onnx = OnnxModel.fromBytes(model).withOutput("doubled", "doubled");
    assertThat(byId(onnx.transform(df).select("id", "doubled"))).isEqualTo(expected);
    assertThat(byId(df.withColumn("p", onnxPredict(onnx)).select("id", "p"))).isEqualTo(expected);
    OnnxModels.register(spark, "maybe", OnnxModel.fromBytes(model));
    df.createOrReplaceTempView("maybe_rows");
    assertThat(
            byId(
                spark.sql(
                    "SELECT id, onnx_predict('maybe', map('output.doubled', 'doubled'), x, c)"
                        + " FROM maybe_rows")))
        .isEqualTo(expected);
  }

  /**
   * {@code y = OptionalGetElement(x) * 2} over an optional input x optional(float[batch,3]): ONNX
   * Runtime's Java API feeds an optional input a plain tensor (present), so array columns feed it
   * in batches as they feed a tensor input.
   */
  @Test
  void anOptionalInputIsFedItsTensor() throws Exception {
    byte[] model =
        new ModelBuilder("optional_in")
            .opset(18)
            .optionalInput("x", ElementType.FLOAT, "batch", 3)
            .initializer("two", new long[] {}, 2f)
            .node("OptionalGetElement", "x", "v")
            .node("Mul", new String[] {"v", "two"}, new String[] {"y"})
            .output("y", ElementType.FLOAT, "batch", 3)
            .build();
    Random random = new Random(15);
    int n = 7;
    float[][] x = new float[n][3];
    List<Row> data = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Float[] boxed = new Float[3];
      for (int j = 0; j < 3; j++) {
        x[i][j] = (float) random.nextGaussian();
        boxed[j] = x[i][j];
      }
      data.add(RowFactory.create((long) i, boxed));
    }
    Dataset<Row> df =
        spark
            .createDataFrame(
                data,
                new StructType()
                    .add("id", DataTypes.LongType)
                    .add("x", DataTypes.createArrayType(DataTypes.FloatType, false)))
            .repartition(2);
    float[][] reference = (float[][]) OrtReference.run(model, Map.of("x", x), "y");
    Map<Long, List<Object>> expected = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      expected.put((long) i, List.of(nested(reference[i])));
    }

    OnnxModel onnx = OnnxModel.fromBytes(model).withBatchSize(3);
    assertThat(onnx.info().inputs().get(0).typeString()).isEqualTo("optional(float[batch,3])");
    assertThat(byId(onnx.transform(df).select("id", "y"))).isEqualTo(expected);
    assertThat(byId(df.withColumn("p", onnxPredict(onnx)).select("id", "p"))).isEqualTo(expected);
    OnnxModels.register(spark, "optional_in", onnx);
    df.createOrReplaceTempView("optional_in_rows");
    assertThat(byId(spark.sql("SELECT id, onnx_predict('optional_in', x) FROM optional_in_rows")))
        .isEqualTo(expected);
  }

  /**
   * Property-style: random element types, ranks 0 to 4 and dims (zero-size among them), as whole
   * tensors per row and as batches of rows, through an Identity model: every row comes back as it
   * went in, shaped as the README says (a scalar when every dim is 1, else an array, nested beyond
   * rank 1).
   */
  @Test
  void randomShapesAndTypesComeBackAsTheyWentIn() {
    ElementType[] types = {
      ElementType.FLOAT,
      ElementType.DOUBLE,
      ElementType.INT8,
      ElementType.INT16,
      ElementType.INT32,
      ElementType.INT64,
      ElementType.BOOL,
      ElementType.STRING
    };
    Random random = new Random(2026);
    for (int trial = 0; trial < 16; trial++) {
      ElementType type = types[random.nextInt(types.length)];
      boolean whole = trial % 2 == 0;
      int rank = random.nextInt(5);
      long[] dims = new long[rank];
      long count = 1;
      for (int d = 0; d < rank; d++) {
        dims[d] = whole && random.nextInt(6) == 0 ? 0 : 1 + random.nextInt(3);
        count *= dims[d];
      }
      Object[] modelDims = new Object[rank + (whole ? 0 : 1)];
      int lead = whole ? 0 : 1;
      if (!whole) {
        modelDims[0] = "batch";
      }
      for (int d = 0; d < rank; d++) {
        modelDims[d + lead] = dims[d];
      }
      byte[] model =
          new ModelBuilder("identity")
              .input("x", type, modelDims)
              .node("Identity", "x", "y")
              .output("y", type, modelDims)
              .build();
      org.apache.spark.sql.types.DataType sparkType = sparkType(type);
      List<Row> data = new ArrayList<>();
      Map<Long, List<Object>> expected = new TreeMap<>();
      boolean scalarColumn = rank == 0;
      boolean scalarOut = true;
      for (long d : dims) {
        scalarOut &= d == 1;
      }
      for (long id = 0; id < 5; id++) {
        List<Object> values = new ArrayList<>();
        for (long k = 0; k < count; k++) {
          values.add(valueOf(type, random));
        }
        data.add(RowFactory.create(id, scalarColumn ? values.get(0) : values.toArray()));
        Object shaped =
            scalarOut ? values.get(0) : rank == 1 ? values : reshape(values, dims, 0, 0);
        expected.put(id, List.of(shaped));
      }
      StructType schema =
          new StructType()
              .add("id", DataTypes.LongType)
              .add("x", scalarColumn ? sparkType : DataTypes.createArrayType(sparkType, false));
      Dataset<Row> df = spark.createDataFrame(data, schema);
      OnnxModel onnx = OnnxModel.fromBytes(model).withBatchSize(2);
      if (whole) {
        onnx = onnx.withRowAsTensor();
      }
      String label = type + " " + Arrays.toString(dims) + (whole ? " whole" : " rows");
      assertThat(byId(onnx.transform(df).select("id", "y"))).as(label).isEqualTo(expected);
    }
  }

  private static Object reshape(List<Object> flat, long[] dims, int level, long start) {
    long stride = 1;
    for (int d = level + 1; d < dims.length; d++) {
      stride *= dims[d];
    }
    List<Object> items = new ArrayList<>();
    for (int i = 0; i < dims[level]; i++) {
      items.add(
          level == dims.length - 1
              ? flat.get((int) (start + i))
              : reshape(flat, dims, level + 1, start + i * stride));
    }
    return items;
  }

  private static org.apache.spark.sql.types.DataType sparkType(ElementType type) {
    switch (type) {
      case FLOAT:
        return DataTypes.FloatType;
      case DOUBLE:
        return DataTypes.DoubleType;
      case INT8:
        return DataTypes.ByteType;
      case INT16:
        return DataTypes.ShortType;
      case INT32:
        return DataTypes.IntegerType;
      case INT64:
        return DataTypes.LongType;
      case BOOL:
        return DataTypes.BooleanType;
      default:
        return DataTypes.StringType;
    }
  }

  private static Object valueOf(ElementType type, Random random) {
    switch (type) {
      case FLOAT:
        return (float) random.nextGaussian();
      case DOUBLE:
        return random.nextGaussian();
      case INT8:
        return (byte) random.nextInt();
      case INT16:
        return (short) random.nextInt();
      case INT32:
        return random.nextInt();
      case INT64:
        return random.nextLong();
      case BOOL:
        return random.nextBoolean();
      default:
        return "w" + random.nextInt(100) + (random.nextBoolean() ? "ü" : "");
    }
  }

  /** A Java array from ONNX Runtime (float[], float[][], ...) as nested lists of floats. */
  private static Object nested(Object array) {
    if (array instanceof float[] floats) {
      List<Object> items = new ArrayList<>();
      for (float f : floats) {
        items.add(f);
      }
      return items;
    }
    Function<Object, Object> each = ModelShapesTest::nested;
    return Arrays.stream((Object[]) array).map(each).toList();
  }
}
