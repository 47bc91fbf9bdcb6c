package ai.onnxspark.spark;

import static ai.onnxspark.sql.OnnxFunctions.onnxPredict;
import static ai.onnxspark.testing.SparkRows.byId;
import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.onnxspark.OnnxException;
import ai.onnxspark.internal.model.ModelBytes;
import ai.onnxspark.internal.model.OptionalOutputs;
import ai.onnxspark.model.ElementType;
import ai.onnxspark.model.ModelInfo;
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
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Optional tensor outputs ({@code optional(tensor)}): a row whose value is absent gets a null, a
 * row whose value is present gets its tensor, as a tensor output would. ONNX Runtime's Java API
 * (1.28) crashes the JVM when it fetches an absent optional value, so the library never fetches
 * one: it adds {@code OptionalHasElement} and an {@code If} over {@code OptionalGetElement} to the
 * model in memory and reads their plain tensors. Every test here would crash the JVM if an absent
 * value were fetched.
 */
class OptionalOutputTest extends SparkTestBase {

  /**
   * {@code y = If(c) {Optional(x)} else {Optional()}} over x of {@code type[dims]} and a bool
   * scalar c. With {@code clashes}, also {@code y__value = 2x} as a second output, through a value
   * named {@code y__has}: the names the rewrite would pick first are taken.
   */
  static byte[] maybeModel(ElementType type, boolean clashes, Object... dims) {
    ModelBuilder builder =
        new ModelBuilder("maybe")
            .opset(18)
            .input("x", type, dims)
            .input("c", ElementType.BOOL)
            .node(
                "If",
                new String[] {"c"},
                new String[] {"y"},
                ModelBuilder.graphAttr(
                    "then_branch",
                    new ModelBuilder("present")
                        .node("Optional", "x", "some")
                        .optionalOutput("some", type, dims)
                        .graph()),
                ModelBuilder.graphAttr(
                    "else_branch",
                    new ModelBuilder("absent")
                        .node(
                            "Optional",
                            new String[0],
                            new String[] {"none"},
                            ModelBuilder.tensorTypeAttr("type", type, dims))
                        .optionalOutput("none", type, dims)
                        .graph()))
            .optionalOutput("y", type, dims);
    if (clashes) {
      builder
          .initializer("two", new long[] {}, 2f)
          .node("Mul", new String[] {"x", "two"}, new String[] {"y__has"})
          .node("Identity", "y__has", "y__value")
          .output("y__value", type, dims);
    }
    return builder.build();
  }

  private static final StructType MAYBE_SCHEMA =
      new StructType()
          .add("id", DataTypes.LongType)
          .add("x", DataTypes.createArrayType(DataTypes.FloatType, false))
          .add("c", DataTypes.BooleanType);

  /** Rows 0..5 of x float[3] and c, absent (c false) for ids 0 and 3. */
  private static List<Row> maybeRows() {
    List<Row> data = new ArrayList<>();
    for (long id = 0; id < 6; id++) {
      data.add(
          RowFactory.create(id, new Float[] {(float) id, id + 0.5f, (float) -id}, id % 3 != 0));
    }
    return data;
  }

  /** Per id: y (null where absent) and y__value, from ONNX Runtime run directly. */
  private static Map<Long, List<Object>> maybeExpected(byte[] model) throws Exception {
    Map<Long, List<Object>> expected = new TreeMap<>();
    for (long id = 0; id < 6; id++) {
      Map<String, Object> feeds = new LinkedHashMap<>();
      feeds.put("x", new float[] {id, id + 0.5f, -id});
      boolean present = id % 3 != 0;
      feeds.put("c", present);
      // Fetched directly only where present: ONNX Runtime hands a present optional as a tensor.
      Object y = present ? floats(OrtReference.run(model, feeds, "y")) : null;
      expected.put(id, Arrays.asList(y, floats(OrtReference.run(model, feeds, "y__value"))));
    }
    return expected;
  }

  @Test
  void anAbsentOptionalOutputIsNullAndAPresentOneItsTensorThroughEveryApi() throws Exception {
    byte[] model = maybeModel(ElementType.FLOAT, true, 3);
    Map<Long, List<Object>> expected = maybeExpected(model);
    assertThat(expected.get(0L).get(0)).isNull();
    assertThat(expected.get(1L).get(0)).isEqualTo(List.of(1f, 1.5f, -1f));
    Dataset<Row> df = spark.createDataFrame(maybeRows(), MAYBE_SCHEMA).repartition(2);
    OnnxModel onnx = OnnxModel.fromBytes(model);
    assertThat(onnx.info().output("y").orElseThrow().typeString()).isEqualTo("optional(float[3])");

    // transform: both outputs, y nullable and typed as a tensor output of float[3] would be.
    Dataset<Row> transformed = onnx.transform(df);
    StructField y = transformed.schema().apply("y");
    assertThat(y.dataType()).isEqualTo(DataTypes.createArrayType(DataTypes.FloatType, false));
    assertThat(y.nullable()).isTrue();
    assertThat(transformed.schema().apply("y__value").nullable()).isFalse();
    assertThat(byId(transformed.select("id", "y", "y__value"))).isEqualTo(expected);
    assertThat(transformed.filter(col("y").isNull()).count()).isEqualTo(2);

    // withColumn: one output (a nullable column), then both (a struct).
    Map<Long, List<Object>> onlyY = new TreeMap<>();
    expected.forEach((id, values) -> onlyY.put(id, Arrays.asList(values.get(0))));
    Dataset<Row> predicted = df.withColumn("p", onnxPredict(onnx.withOutput("y", "y")));
    assertThat(predicted.schema().apply("p").nullable()).isTrue();
    assertThat(byId(predicted.select("id", "p"))).isEqualTo(onlyY);
    assertThat(predicted.filter(col("p").isNull()).count()).isEqualTo(2);
    assertThat(predicted.filter(col("p").isNotNull()).count()).isEqualTo(4);
    Map<Long, List<Object>> struct = new TreeMap<>();
    expected.forEach((id, values) -> struct.put(id, List.of(values)));
    assertThat(byId(df.withColumn("p", onnxPredict(onnx)).select("id", "p"))).isEqualTo(struct);

    // SQL, as one column and as a struct.
    OnnxModels.register(spark, "maybe_optional", onnx);
    df.createOrReplaceTempView("maybe_optional_rows");
    assertThat(
            byId(
                spark.sql(
                    "SELECT id, onnx_predict('maybe_optional', map('output.y', 'y'), x, c)"
                        + " FROM maybe_optional_rows")))
        .isEqualTo(onlyY);
    assertThat(
            spark
                .sql(
                    "SELECT id FROM (SELECT id, onnx_predict('maybe_optional',"
                        + " map('output.y', 'y'), x, c) AS p FROM maybe_optional_rows)"
                        + " WHERE p IS NULL")
                .collectAsList()
                .stream()
                .map(r -> r.getLong(0))
                .sorted()
                .toList())
        .containsExactly(0L, 3L);
    assertThat(
            byId(
                spark.sql(
                    "SELECT id, p.y, p.y__value FROM (SELECT id, onnx_predict('maybe_optional',"
                        + " x, c) AS p FROM maybe_optional_rows)")))
        .isEqualTo(expected);
  }

  /**
   * Post-processing (softmax, argmax) of an optional output is null where it is absent, computed
   * where present; in one struct column, the optional field is null and the struct is not; in
   * permissive mode the same rows come back, with no error.
   */
  @Test
  void derivedColumnsStructsAndPermissiveModeOfAnOptionalOutput() {
    byte[] model = maybeModel(ElementType.FLOAT, true, 3);
    Dataset<Row> df = spark.createDataFrame(maybeRows(), MAYBE_SCHEMA);
    Map<Long, List<Object>> expected = new TreeMap<>();
    for (long id = 0; id < 6; id++) {
      if (id % 3 == 0) {
        expected.put(id, Arrays.asList(null, null));
        continue;
      }
      double[] x = {id, id + 0.5, -id};
      double sum = 0;
      for (double v : x) {
        sum += Math.exp(v - (id + 0.5));
      }
      List<Object> softmax = new ArrayList<>();
      for (double v : x) {
        softmax.add((float) (Math.exp(v - (id + 0.5)) / sum));
      }
      expected.put(id, Arrays.asList(softmax, 1));
    }
    OnnxModel onnx =
        OnnxModel.fromBytes(model)
            .withOutput("y", "y")
            .withSoftmax("y", "probabilities")
            .withArgmax("y", "best");
    Dataset<Row> scored = onnx.transform(df).select("id", "probabilities", "best");
    assertThat(scored.schema().apply("best").nullable()).isTrue();
    Map<Long, List<Object>> actual = byId(scored);
    assertThat(actual.keySet()).isEqualTo(expected.keySet());
    for (long id : expected.keySet()) {
      List<Object> want = expected.get(id);
      List<Object> got = actual.get(id);
      assertThat(got.get(1)).as("argmax of row " + id).isEqualTo(want.get(1));
      if (want.get(0) == null) {
        assertThat(got.get(0)).as("softmax of row " + id).isNull();
      } else {
        List<?> p = (List<?>) got.get(0);
        List<?> q = (List<?>) want.get(0);
        assertThat(p).hasSameSizeAs(q);
        for (int i = 0; i < q.size(); i++) {
          assertThat((Float) p.get(i))
              .isCloseTo((Float) q.get(i), org.assertj.core.data.Offset.offset(1e-6f));
        }
      }
    }

    Dataset<Row> struct = OnnxModel.fromBytes(model).withStructOutput("out").transform(df);
    assertThat(struct.schema().apply("out").nullable()).isFalse();
    assertThat(struct.filter(col("out.y").isNull()).count()).isEqualTo(2);
    assertThat(struct.filter(col("out.y__value").isNull()).count()).isZero();

    Dataset<Row> permissive = OnnxModel.fromBytes(model).withPermissive().transform(df);
    assertThat(permissive.filter(col("onnx_error").isNotNull()).count()).isZero();
    assertThat(
            permissive.filter(col("y").isNull()).select("id").collectAsList().stream()
                .map(r -> r.getLong(0))
                .sorted()
                .toList())
        .containsExactly(0L, 3L);
  }

  /**
   * The rewrite itself, run on ONNX Runtime directly: names that do not clash with the graph's,
   * bytes and fingerprint of its own, y's other consumers untouched, and both branches accepted
   * (the absent one an empty tensor of another shape than the present one).
   */
  @Test
  void theRewrittenModelReadsPresenceAndValueAsPlainTensors() throws Exception {
    byte[] model = maybeModel(ElementType.FLOAT, true, 3);
    ModelBytes original = ModelBytes.of(model, "maybe");
    ModelInfo info = ModelInfo.parse(model, "maybe");
    OptionalOutputs.Rewritten rewritten =
        OptionalOutputs.rewrite(original, List.of(info.output("y").orElseThrow()));
    assertThat(rewritten.names())
        .isEqualTo(Map.of("y", new OptionalOutputs.Names("y", "y__value_1", "y__has_1")));
    assertThat(rewritten.model().fingerprint()).isNotEqualTo(original.fingerprint());
    ModelInfo after = ModelInfo.parse(rewritten.model().bytes(), "rewritten");
    // In y's place, its value and presence.
    assertThat(after.outputNames()).containsExactly("y__value_1", "y__has_1", "y__value");
    assertThat(after.opsets()).isEqualTo(info.opsets());
    assertThat(after.output("y__has_1").orElseThrow().typeString()).isEqualTo("bool[]");
    assertThat(OptionalOutputs.rewrite(original, List.of(info.output("y").orElseThrow())))
        .isSameAs(rewritten);
    // Below opset 15 there is no OptionalHasElement to read it with.
    ai.onnxspark.onnx.OnnxProto.ModelProto.Builder old =
        ai.onnxspark.onnx.OnnxProto.ModelProto.parseFrom(model).toBuilder();
    old.getOpsetImportBuilder(0).setVersion(14);
    assertThatThrownBy(
            () ->
                OptionalOutputs.rewrite(
                    ModelBytes.of(old.build().toByteArray(), "old"),
                    List.of(info.output("y").orElseThrow())))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining(
            "Model output 'y' (optional(float[3])) cannot be returned as a column")
        .hasMessageContaining("imports opset 14 of the default domain")
        .hasMessageContaining("re-export the model with opset 15 or later");
    // What OnnxModel.unpersist releases beside the model's own broadcast.
    assertThat(OptionalOutputs.rewrittenFrom(original.fingerprint()))
        .containsExactly(rewritten.model().fingerprint());

    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        OrtSession session = env.createSession(rewritten.model().bytes(), options)) {
      for (boolean present : new boolean[] {true, false}) {
        try (OnnxTensor x = OnnxTensor.createTensor(env, new float[] {1f, 2f, 3f});
            OnnxTensor c = OnnxTensor.createTensor(env, present);
            OrtSession.Result result = session.run(Map.of("x", x, "c", c))) {
          assertThat(result.get("y__has_1").orElseThrow().getValue()).isEqualTo(present);
          OnnxTensor value = (OnnxTensor) result.get("y__value_1").orElseThrow();
          if (present) {
            assertThat((float[]) value.getValue()).containsExactly(1f, 2f, 3f);
          } else {
            assertThat(value.getInfo().getShape()).containsExactly(0L);
          }
          assertThat((float[]) result.get("y__value").orElseThrow().getValue())
              .containsExactly(2f, 4f, 6f);
        }
      }
    }
  }

  /**
   * Element types and ranks through the rewrite: a rank-0 value (its absent branch a {@code [0]}
   * tensor), zero-size and rank-2 values, strings, bools, float16, all-ones dims (a scalar column).
   * Present rows come back as fed, absent rows null.
   */
  @Test
  void optionalOutputsOfEveryKindOfTensorComeBackOrNull() {
    Object[][] cases = {
      {ElementType.FLOAT, new long[] {}},
      {ElementType.DOUBLE, new long[] {2}},
      {ElementType.INT64, new long[] {2, 2}},
      {ElementType.INT32, new long[] {0}},
      {ElementType.BOOL, new long[] {3}},
      {ElementType.STRING, new long[] {2, 1}},
      {ElementType.FLOAT16, new long[] {2}},
      {ElementType.INT8, new long[] {1, 1}},
    };
    for (Object[] kind : cases) {
      ElementType type = (ElementType) kind[0];
      long[] dims = (long[]) kind[1];
      Object[] modelDims = Arrays.stream(dims).boxed().toArray();
      byte[] model = maybeModel(type, false, modelDims);
      long count = 1;
      boolean scalar = true;
      for (long d : dims) {
        count *= d;
        scalar &= d == 1;
      }
      DataType sparkType = sparkType(type);
      List<Row> data = new ArrayList<>();
      Map<Long, List<Object>> expected = new TreeMap<>();
      for (long id = 0; id < 4; id++) {
        List<Object> values = new ArrayList<>();
        for (long k = 0; k < count; k++) {
          values.add(value(type, id * 10 + k));
        }
        boolean present = id % 2 == 1;
        data.add(
            RowFactory.create(id, dims.length == 0 ? values.get(0) : values.toArray(), present));
        Object shaped =
            scalar
                ? values.get(0)
                : dims.length == 1 ? values : reshape(values, dims[1], (int) dims[0]);
        expected.put(id, Arrays.asList(present ? shaped : null));
      }
      StructType schema =
          new StructType()
              .add("id", DataTypes.LongType)
              .add("x", dims.length == 0 ? sparkType : DataTypes.createArrayType(sparkType, false))
              .add("c", DataTypes.BooleanType);
      Dataset<Row> df = spark.createDataFrame(data, schema);
      String label = type + " " + Arrays.toString(dims);
      OnnxModel onnx = OnnxModel.fromBytes(model);
      Dataset<Row> scored = onnx.transform(df);
      DataType column = sparkType;
      if (!scalar) {
        for (int level = 0; level < Math.max(1, dims.length); level++) {
          column = DataTypes.createArrayType(column, false);
        }
      }
      assertThat(scored.schema().apply("y").dataType()).as(label).isEqualTo(column);
      assertThat(byId(scored.select("id", "y"))).as(label).isEqualTo(expected);
      assertThat(byId(df.withColumn("p", onnxPredict(onnx)).select("id", "p")))
          .as(label)
          .isEqualTo(expected);
    }
  }

  /**
   * An optional output of a model scored in batches ({@code x float[batch,3]}) is one value for the
   * whole batch: refused before the job, naming {@code withRowAsTensor()}; with it, each row is its
   * own run and gets its own value or null.
   */
  @Test
  void inBatchesAnOptionalOutputIsRefusedAndWithRowAsTensorEachRowGetsItsOwn() throws Exception {
    byte[] model =
        new ModelBuilder("gate")
            .opset(18)
            .input("x", ElementType.FLOAT, "batch", 3)
            .initializer("zero", new long[] {}, 0f)
            .node(
                "ReduceSum",
                new String[] {"x"},
                new String[] {"sum"},
                ModelBuilder.intAttr("keepdims", 0))
            .node("Greater", new String[] {"sum", "zero"}, new String[] {"c"})
            .node(
                "If",
                new String[] {"c"},
                new String[] {"y"},
                ModelBuilder.graphAttr(
                    "then_branch",
                    new ModelBuilder("present")
                        .node("Optional", "x", "some")
                        .optionalOutput("some", ElementType.FLOAT, "batch", 3)
                        .graph()),
                ModelBuilder.graphAttr(
                    "else_branch",
                    new ModelBuilder("absent")
                        .node(
                            "Optional",
                            new String[0],
                            new String[] {"none"},
                            ModelBuilder.tensorTypeAttr("type", ElementType.FLOAT, "batch", 3))
                        .optionalOutput("none", ElementType.FLOAT, "batch", 3)
                        .graph()))
            .optionalOutput("y", ElementType.FLOAT, "batch", 3)
            .build();
    // Each row: a whole [2,3] tensor, whose sum decides whether y is there.
    List<Row> data = new ArrayList<>();
    Map<Long, List<Object>> expected = new TreeMap<>();
    for (long id = 0; id < 5; id++) {
      float sign = id % 2 == 0 ? 1f : -1f;
      float[][] x = {{sign * id, 1f * sign, 2f}, {3f * sign, -0.5f, sign * (id + 1)}};
      data.add(
          RowFactory.create(
              id, List.of(List.of(x[0][0], x[0][1], x[0][2]), List.of(x[1][0], x[1][1], x[1][2]))));
      float sum = 0;
      for (float[] r : x) {
        for (float v : r) {
          sum += v;
        }
      }
      Object y = sum > 0 ? floats(OrtReference.run(model, Map.of("x", x), "y")) : null;
      expected.put(id, Arrays.asList(y));
    }
    assertThat(expected.values().stream().filter(v -> v.get(0) == null).count()).isEqualTo(2);
    Dataset<Row> df =
        spark.createDataFrame(
            data,
            new StructType()
                .add("id", DataTypes.LongType)
                .add(
                    "x",
                    DataTypes.createArrayType(
                        DataTypes.createArrayType(DataTypes.FloatType, false), false)));

    // In batches, each row one [3] slice of the batch's tensor.
    Dataset<Row> rows = spark.createDataFrame(maybeRows(), MAYBE_SCHEMA).drop("c");
    OnnxModel batched = OnnxModel.fromBytes(model);
    for (Runnable scoring :
        List.<Runnable>of(
            () -> batched.transform(rows),
            () -> rows.withColumn("p", onnxPredict(batched)).collect())) {
      assertThatThrownBy(scoring::run)
          .isInstanceOf(OnnxException.class)
          .hasMessageContaining(
              "Model output 'y' (optional(float[batch,3])) cannot be returned as a column")
          .hasMessageContaining("one value for the whole run")
          .hasMessageContaining("withRowAsTensor()");
    }

    OnnxModel perRow = batched.withRowAsTensor();
    assertThat(byId(perRow.transform(df).select("id", "y"))).isEqualTo(expected);
    assertThat(byId(df.withColumn("p", onnxPredict(perRow)).select("id", "p"))).isEqualTo(expected);
    OnnxModels.register(spark, "gate_optional", batched);
    df.createOrReplaceTempView("gate_rows");
    assertThat(
            byId(
                spark.sql(
                    "SELECT id, onnx_predict('gate_optional', map('row-as-tensor', 'true'), x)"
                        + " FROM gate_rows")))
        .isEqualTo(expected);
  }

  /**
   * A model shipped by path is loaded by executors from its own file, so it cannot be rewritten:
   * refused before the job with why and the fix, and the fix (broadcast) scores it.
   */
  @Test
  void aModelShippedByPathIsRefusedWithTheFixAndBroadcastScoresIt(@TempDir Path dir)
      throws Exception {
    byte[] model = maybeModel(ElementType.FLOAT, true, 3);
    Path file = dir.resolve("maybe.onnx");
    java.nio.file.Files.write(file, model);
    Dataset<Row> df = spark.createDataFrame(maybeRows(), MAYBE_SCHEMA);
    OnnxModel byPath = OnnxModel.fromPath(file.toString()).withShipping("path");
    assertThatThrownBy(() -> byPath.transform(df))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining(
            "Model output 'y' (optional(float[3])) cannot be returned as a column")
        .hasMessageContaining("shipped by path (shipping is path)")
        .hasMessageContaining("withShipping(\"broadcast\")");
    assertThatThrownBy(() -> df.withColumn("p", onnxPredict(byPath)).collect())
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("shipped by path");

    Map<Long, List<Object>> expected = maybeExpected(model);

    // External data: only path shipping sends it, so the fix is the re-export (no broadcast).
    Path folder = java.nio.file.Files.createDirectories(dir.resolve("external"));
    java.nio.file.Files.write(
        folder.resolve("two.bin"),
        java.nio.ByteBuffer.allocate(4)
            .order(java.nio.ByteOrder.LITTLE_ENDIAN)
            .putFloat(2f)
            .array());
    ai.onnxspark.onnx.OnnxProto.ModelProto.Builder external =
        ai.onnxspark.onnx.OnnxProto.ModelProto.parseFrom(model).toBuilder();
    external.getGraphBuilder().clearInitializer();
    byte[] withExternal =
        external
            .setGraph(
                external.getGraph().toBuilder()
                    .addAllInitializer(
                        ai.onnxspark.onnx.OnnxProto.GraphProto.parseFrom(
                                new ModelBuilder("data")
                                    .externalInitializer("two", new long[] {}, "two.bin", 0, 4)
                                    .graph()
                                    .toByteArray())
                            .getInitializerList()))
            .build()
            .toByteArray();
    java.nio.file.Files.write(folder.resolve("maybe.onnx"), withExternal);
    OnnxModel externalModel = OnnxModel.fromPath(folder.resolve("maybe.onnx").toString());
    assertThat(
            byId(
                externalModel
                    .withOutput("y__value", "y__value")
                    .transform(df)
                    .select("id", "y__value")))
        .hasSize(6);
    assertThatThrownBy(() -> externalModel.transform(df))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining(
            "Model output 'y' (optional(float[3])) cannot be returned as a column")
        .hasMessageContaining("shipped by path (its weights are external data in 1 file(s))")
        .hasMessageContaining("re-export the model with OptionalHasElement")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("withShipping"));

    OnnxModel broadcast = byPath.withShipping("broadcast");
    assertThat(byId(broadcast.transform(df).select("id", "y", "y__value"))).isEqualTo(expected);
    assertThat(
            byId(OnnxModel.fromPath(file.toString()).transform(df).select("id", "y", "y__value")))
        .isEqualTo(expected);
  }

  private static Object value(ElementType type, long k) {
    switch (type) {
      case FLOAT:
      case FLOAT16:
        return k * 0.5f - 3;
      case DOUBLE:
        return k * 0.25 - 1;
      case INT64:
        return k * 1_000_000_007L;
      case INT32:
        return (int) k;
      case INT8:
        return (byte) (k - 20);
      case BOOL:
        return k % 3 == 0;
      default:
        return "s" + k + (k % 2 == 0 ? "ü" : "");
    }
  }

  private static DataType sparkType(ElementType type) {
    switch (type) {
      case FLOAT:
      case FLOAT16:
        return DataTypes.FloatType;
      case DOUBLE:
        return DataTypes.DoubleType;
      case INT64:
        return DataTypes.LongType;
      case INT32:
        return DataTypes.IntegerType;
      case INT8:
        return DataTypes.ByteType;
      case BOOL:
        return DataTypes.BooleanType;
      default:
        return DataTypes.StringType;
    }
  }

  /** {@code rows} lists of {@code width} values, in row-major order. */
  private static List<Object> reshape(List<Object> flat, long width, int rows) {
    List<Object> out = new ArrayList<>();
    for (int r = 0; r < rows; r++) {
      out.add(flat.subList((int) (r * width), (int) ((r + 1) * width)));
    }
    return out;
  }

  /** A float array from ONNX Runtime (float[], float[][]) as nested lists of floats. */
  private static Object floats(Object array) {
    if (array instanceof float[] values) {
      List<Object> items = new ArrayList<>();
      for (float f : values) {
        items.add(f);
      }
      return items;
    }
    return Arrays.stream((Object[]) array).map(OptionalOutputTest::floats).toList();
  }
}
