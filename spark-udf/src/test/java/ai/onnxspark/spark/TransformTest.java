package ai.onnxspark.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnxspark.internal.session.SessionCache;
import ai.onnxspark.model.ElementType;
import ai.onnxspark.testing.EveryLine;
import ai.onnxspark.testing.OrtReference;
import ai.onnxspark.testing.SparkTestBase;
import ai.onnxspark.testing.TestModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

@EveryLine
class TransformTest extends SparkTestBase {

  private static final StructType ID_FEATURES =
      new StructType()
          .add("id", DataTypes.LongType, false)
          .add("features", DataTypes.createArrayType(DataTypes.FloatType, false), false);

  static Stream<Arguments> batchingAndPartitions() {
    return Stream.of(
        Arguments.of(1, 1, 10),
        Arguments.of(7, 3, 100),
        Arguments.of(32, 4, 257),
        Arguments.of(1024, 2, 3000),
        Arguments.of(100, 5, 3));
  }

  @ParameterizedTest(name = "batch {0}, {1} partitions, {2} rows")
  @MethodSource("batchingAndPartitions")
  void mlpMatchesOnnxRuntimeAndKeepsRowsInOrder(int batchSize, int partitions, int rows)
      throws Exception {
    byte[] bytes = TestModels.mlp(8, 16, 3, 42);
    float[][] features = randomRows(rows, 8, 7);
    Dataset<Row> df = featuresFrame(features, partitions);

    Dataset<Row> scored =
        OnnxModel.fromBytes(bytes)
            .withInput("features", "features")
            .withBatchSize(batchSize)
            .transform(df);
    List<Row> result = scored.collectAsList();

    float[][] logits = (float[][]) OrtReference.run(bytes, Map.of("features", features), "logits");
    float[][] probabilities =
        (float[][]) OrtReference.run(bytes, Map.of("features", features), "probabilities");
    assertThat(scored.columns()).containsExactly("id", "features", "logits", "probabilities");
    assertThat(result).hasSize(rows);
    for (int i = 0; i < rows; i++) {
      Row row = result.get(i);
      assertThat(row.getLong(0)).isEqualTo(i);
      assertThat(floats(row.getList(1))).containsExactly(features[i]);
      assertThat(floats(row.getList(2))).containsExactly(logits[i]);
      assertThat(floats(row.getList(3))).containsExactly(probabilities[i]);
    }
  }

  @ParameterizedTest(name = "batch {0}")
  @ValueSource(ints = {1, 7, 64, 1000})
  void parquetIsScoredFromColumnarBatchesAndMatchesOnnxRuntime(int batchSize, @TempDir Path dir)
      throws Exception {
    byte[] bytes = TestModels.mlp(8, 16, 3, 4);
    float[][] features = randomRows(523, 8, 12);
    String path = dir.resolve("features.parquet").toString();
    featuresFrame(features, 3).write().parquet(path);
    // Small columnar batches, so scoring batches meet their ends often.
    spark.conf().set("spark.sql.parquet.columnarReaderBatchSize", "50");
    try {
      ScoringMetrics metrics = ScoringMetrics.register(spark.sparkContext());
      Dataset<Row> scored =
          OnnxModel.fromBytes(bytes)
              .withInput("features", "features")
              .withBatchSize(batchSize)
              .transform(spark.read().parquet(path), metrics);
      // Columnar: the scan's batches pass through with the outputs' column vectors added.
      assertThat(
              scored
                  .queryExecution()
                  .executedPlan()
                  .find(p -> p.nodeName().equals("OnnxTransform"))
                  .get()
                  .supportsColumnar())
          .isTrue();
      List<Row> rows = scored.collectAsList();
      float[][] logits =
          (float[][]) OrtReference.run(bytes, Map.of("features", features), "logits");
      assertThat(rows).hasSize(features.length);
      for (Row row : rows) {
        int id = (int) row.getLong(0);
        assertThat(floats(row.getList(1))).containsExactly(features[id]);
        assertThat(floats(row.getList(2))).containsExactly(logits[id]);
      }
      assertThat(metrics.rows()).isEqualTo(features.length);
      // No batch spans two columnar batches of 50 rows.
      assertThat(metrics.batches())
          .isGreaterThanOrEqualTo((long) Math.ceil(features.length / 50.0));
    } finally {
      spark.conf().unset("spark.sql.parquet.columnarReaderBatchSize");
    }
  }

  @Test
  void offHeapColumnVectorsAreReadInPlaceAsOnHeapOnes(@TempDir Path dir) throws Exception {
    byte[] bytes = TestModels.mlp(8, 16, 3, 5);
    float[][] features = randomRows(301, 8, 13);
    String path = dir.resolve("features.parquet").toString();
    featuresFrame(features, 2).write().parquet(path);
    float[][] logits = (float[][]) OrtReference.run(bytes, Map.of("features", features), "logits");
    OnnxModel model =
        OnnxModel.fromBytes(bytes).withInput("features", "features").withBatchSize(64);
    // Spark's Parquet reader then keeps values in native memory (OffHeapColumnVector), which the
    // library copies from by address.
    spark.conf().set("spark.sql.columnVector.offheap.enabled", "true");
    spark.conf().set("spark.sql.parquet.columnarReaderBatchSize", "40");
    try {
      List<Dataset<Row>> ways =
          List.of(
              model.transform(spark.read().parquet(path)).select("id", "logits"),
              spark
                  .read()
                  .parquet(path)
                  .withColumn("p", ai.onnxspark.sql.OnnxFunctions.onnxPredict(model))
                  .select("id", "p.logits"));
      for (Dataset<Row> way : ways) {
        List<Row> rows = way.collectAsList();
        assertThat(rows).hasSize(features.length);
        for (Row row : rows) {
          assertThat(floats(row.getList(1))).containsExactly(logits[(int) row.getLong(0)]);
        }
      }
    } finally {
      spark.conf().unset("spark.sql.columnVector.offheap.enabled");
      spark.conf().unset("spark.sql.parquet.columnarReaderBatchSize");
    }
  }

  @Test
  void affineMatchesHandComputedMath() {
    TestModels.Affine affine = new TestModels.Affine(5, 3, 11);
    float[][] x = randomRows(50, 5, 3);
    List<Row> rows =
        OnnxModel.fromBytes(affine.bytes)
            .withInput("x", "features")
            .transform(featuresFrame(x, 3))
            .collectAsList();
    for (int i = 0; i < x.length; i++) {
      double[] expected = affine.apply(x[i]);
      List<Float> actual = rows.get(i).getList(2);
      for (int j = 0; j < 3; j++) {
        assertThat((double) actual.get(j)).isCloseTo(expected[j], within(1e-4));
      }
    }
  }

  @Test
  void outputsAreRenamedAndSelected() {
    Dataset<Row> df = featuresFrame(randomRows(20, 8, 1), 2);
    Dataset<Row> scored =
        OnnxModel.fromBytes(TestModels.mlp(8, 4, 3, 1))
            .withInput("features", "features")
            .withOutput("probabilities", "p")
            .transform(df);
    assertThat(scored.columns()).containsExactly("id", "features", "p");
    for (Row row : scored.collectAsList()) {
      double sum = 0;
      for (Object p : row.getList(2)) {
        sum += (Float) p;
      }
      assertThat(sum).isCloseTo(1.0, within(1e-5));
    }
  }

  @Test
  void columnsNamedLikeInputsAreUsedByDefault() {
    byte[] bytes = TestModels.twoXPlusOne(ElementType.FLOAT, "batch", 3);
    Dataset<Row> df =
        spark.createDataFrame(
            List.of(RowFactory.create(new float[] {1, 2, 3})),
            new StructType().add("x", DataTypes.createArrayType(DataTypes.FloatType)));
    Row row = OnnxModel.fromBytes(bytes).transform(df).first();
    assertThat(floats(row.getList(1))).containsExactly(3f, 5f, 7f);
  }

  @Test
  void doubleLongAndIntInputsKeepTheirTypes() {
    StructType schema =
        new StructType()
            .add("d", DataTypes.createArrayType(DataTypes.DoubleType))
            .add("l", DataTypes.createArrayType(DataTypes.LongType))
            .add("i", DataTypes.createArrayType(DataTypes.IntegerType));
    Dataset<Row> df =
        spark.createDataFrame(
            List.of(
                RowFactory.create(
                    new double[] {0.5, 1e300}, new long[] {1L << 40, -3}, new int[] {7, -8}),
                RowFactory.create(new double[] {-2, 0}, new long[] {0, 5}, new int[] {0, 1})),
            schema);

    Row d =
        OnnxModel.fromBytes(TestModels.twoXPlusOne(ElementType.DOUBLE, "batch", 2))
            .withInput("x", "d")
            .withOutput("y", "dy")
            .transform(df)
            .first();
    Row l =
        OnnxModel.fromBytes(TestModels.twoXPlusOne(ElementType.INT64, "batch", 2))
            .withInput("x", "l")
            .withOutput("y", "ly")
            .transform(df)
            .first();
    Row i =
        OnnxModel.fromBytes(TestModels.twoXPlusOne(ElementType.INT32, "batch", 2))
            .withInput("x", "i")
            .withOutput("y", "iy")
            .transform(df)
            .first();
    // int columns also feed int64 inputs exactly.
    Row il =
        OnnxModel.fromBytes(TestModels.twoXPlusOne(ElementType.INT64, "batch", 2))
            .withInput("x", "i")
            .withOutput("y", "ily")
            .transform(df)
            .first();

    assertThat(d.<Double>getList(3)).containsExactly(2.0, 2e300 + 1);
    assertThat(l.<Long>getList(3)).containsExactly((1L << 41) + 1, -5L);
    assertThat(i.<Integer>getList(3)).containsExactly(15, -15);
    assertThat(il.<Long>getList(3)).containsExactly(15L, -15L);
  }

  @Test
  void scalarColumnsAreAssembledIntoOneInputAndPerRowScalarsComeBackAsScalars() {
    StructType schema =
        new StructType()
            .add("a", DataTypes.FloatType)
            .add("b", DataTypes.ShortType)
            .add("c", DataTypes.FloatType);
    Dataset<Row> df =
        spark.createDataFrame(
            List.of(
                RowFactory.create(1f, (short) 2, 3.5f), RowFactory.create(-1f, (short) 0, 0.25f)),
            schema);
    Dataset<Row> scored =
        OnnxModel.fromBytes(TestModels.rowSum(3)).withInput("x", "a", "b", "c").transform(df);

    assertThat(scored.schema().apply("sum").dataType()).isEqualTo(DataTypes.FloatType);
    assertThat(scored.collectAsList()).extracting(r -> r.getFloat(3)).containsExactly(6.5f, -0.75f);
  }

  @Test
  void severalInputsFromSeveralColumns() {
    StructType schema =
        new StructType()
            .add("left", DataTypes.createArrayType(DataTypes.FloatType))
            .add("right", DataTypes.createArrayType(DataTypes.FloatType));
    Dataset<Row> df =
        spark.createDataFrame(
            List.of(RowFactory.create(new float[] {1, 2}, new float[] {3, 4, 5})), schema);
    Row row =
        OnnxModel.fromBytes(TestModels.concat())
            .withInput("a", "left")
            .withInput("b", "right")
            .transform(df)
            .first();
    assertThat(floats(row.getList(2))).containsExactly(1f, 2f, 3f, 4f, 5f);

    // One column cannot feed two inputs.
    assertThatThrownBy(
            () ->
                OnnxModel.fromBytes(TestModels.concat())
                    .withInput("a", "left")
                    .withInput("b", "left")
                    .transform(df))
        .isInstanceOf(ai.onnxspark.OnnxException.class)
        .hasMessageStartingWith(
            "Column 'left' would feed both model inputs 'a' and 'b'; each input reads its own");
  }

  @Test
  void variableDimensionIsResolvedPerBatchAndMultiDimensionalInputsAreFlattened() {
    byte[] variable = TestModels.twoXPlusOne(ElementType.FLOAT, "batch", "n");
    Dataset<Row> df = featuresFrame(randomRows(9, 6, 5), 2);
    List<Row> rows =
        OnnxModel.fromBytes(variable)
            .withInput("x", "features")
            .withBatchSize(4)
            .transform(df)
            .collectAsList();
    assertThat(rows).allSatisfy(r -> assertThat(r.getList(2)).hasSize(6));

    // [batch, 2, 3]: fed from a flat array of 6; returned as 2 arrays of 3, or flat on request.
    byte[] cube = TestModels.twoXPlusOne(ElementType.FLOAT, "batch", 2, 3);
    Row first = OnnxModel.fromBytes(cube).withInput("x", "features").transform(df).first();
    Row flat =
        OnnxModel.fromBytes(cube)
            .withInput("x", "features")
            .withFlatOutputs()
            .transform(df)
            .first();
    float[] in = floats(first.getList(1));
    List<scala.collection.Seq<Float>> nested = first.getList(2);
    assertThat(nested).hasSize(2).allSatisfy(inner -> assertThat(inner.length()).isEqualTo(3));
    float[] out = floats(flat.getList(2));
    for (int k = 0; k < 6; k++) {
      assertThat(out[k]).isEqualTo(2 * in[k] + 1);
      assertThat(nested.get(k / 3).apply(k % 3)).isEqualTo(2 * in[k] + 1);
    }
  }

  @Test
  void modelWithFixedBatchOfOneIsScoredRowByRow() {
    byte[] bytes = TestModels.twoXPlusOne(ElementType.FLOAT, 1, 3);
    Dataset<Row> df = featuresFrame(new float[][] {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}, 1);
    ScoringMetrics metrics = ScoringMetrics.register(spark.sparkContext());
    List<Row> rows =
        OnnxModel.fromBytes(bytes)
            .withInput("x", "features")
            .withBatchSize(64)
            .transform(df, metrics)
            .collectAsList();
    assertThat(floats(rows.get(2).getList(2))).containsExactly(15f, 17f, 19f);
    assertThat(metrics.batches()).isEqualTo(3);
  }

  @Test
  void batchesHaveTheConfiguredSizeAndEmptyPartitionsCreateNoSession() {
    SessionCache.get().closeIdle();
    OnnxModel model =
        OnnxModel.fromBytes(TestModels.mlp(8, 4, 3, 99))
            .withInput("features", "features")
            .withBatchSize(4);
    Dataset<Row> empty =
        spark.createDataFrame(
            JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(List.<Row>of(), 7),
            ID_FEATURES);
    long before = SessionCache.get().stats().creations();

    assertThat(model.transform(empty).count()).isZero();
    assertThat(SessionCache.get().stats().creations()).isEqualTo(before);

    // 10 partitions, at most 3 of them with rows.
    Dataset<Row> df =
        featuresFrame(randomRows(25, 8, 2), 3).repartition(10, functions.expr("id % 3"));
    List<Integer> sizes = partitionSizes(df);
    long expectedBatches = sizes.stream().mapToLong(n -> (n + 3) / 4).sum();
    ScoringMetrics metrics = ScoringMetrics.register(spark.sparkContext());

    assertThat(model.transform(df, metrics).count()).isEqualTo(25);

    assertThat(sizes).hasSize(10).filteredOn(n -> n == 0).hasSizeGreaterThanOrEqualTo(7);
    assertThat(metrics.rows()).isEqualTo(25);
    assertThat(metrics.batches()).isEqualTo(expectedBatches);
    // One JVM (local mode): one session for all tasks, however many partitions.
    assertThat(SessionCache.get().stats().creations() - before).isEqualTo(1);
    assertThat(metrics.sessionsCreated()).isEqualTo(1);
    assertThat(metrics.sessionCreateNanos()).isPositive();
    assertThat(metrics.batchLatency().count()).isEqualTo(expectedBatches);
    assertThat(metrics.batchLatency().percentileNanos(0.5))
        .isPositive()
        .isLessThanOrEqualTo(metrics.batchLatency().maxNanos());
  }

  @Test
  void sessionIsReusedAcrossJobsAndCopiesOfTheModel() {
    byte[] bytes = TestModels.mlp(8, 4, 3, 5);
    OnnxModel model = OnnxModel.fromBytes(bytes).withInput("features", "features");
    Dataset<Row> df = featuresFrame(randomRows(40, 8, 3), 4);
    model.transform(df).count();
    long after = SessionCache.get().stats().creations();
    model.withBatchSize(3).transform(df).count();
    OnnxModel.fromBytes(bytes).withInput("features", "features").transform(df).count();
    assertThat(SessionCache.get().stats().creations()).isEqualTo(after);
  }

  @Test
  void partitionFunctionScoresRowsInUsersOwnMapPartitions() throws Exception {
    byte[] bytes = TestModels.mlp(8, 4, 3, 8);
    float[][] features = randomRows(30, 8, 9);
    Dataset<Row> df = featuresFrame(features, 3);
    OnnxPartitionFunction fn =
        OnnxModel.fromBytes(bytes)
            .withInput("features", "features")
            .withOutput("logits", "logits")
            .partitionFunction(df);

    List<Row> rows = df.mapPartitions(fn, fn.encoder()).collectAsList();

    float[][] logits = (float[][]) OrtReference.run(bytes, Map.of("features", features), "logits");
    assertThat(fn.outputSchema().fieldNames()).containsExactly("id", "features", "logits");
    for (int i = 0; i < features.length; i++) {
      assertThat(floats(rows.get(i).getList(2))).containsExactly(logits[i]);
    }
  }

  @Test
  void vectorColumnsDenseAndSparseFeedFloatInputs() {
    StructType schema =
        new StructType().add("v", org.apache.spark.ml.linalg.SQLDataTypes.VectorType());
    Dataset<Row> df =
        spark.createDataFrame(
            List.of(
                RowFactory.create(org.apache.spark.ml.linalg.Vectors.dense(1, 2, 3)),
                RowFactory.create(
                    org.apache.spark.ml.linalg.Vectors.sparse(3, new int[] {1}, new double[] {4}))),
            schema);
    List<Row> rows =
        OnnxModel.fromBytes(TestModels.twoXPlusOne(ElementType.FLOAT, "batch", 3))
            .withInput("x", "v")
            .transform(df)
            .collectAsList();
    assertThat(floats(rows.get(0).getList(1))).containsExactly(3f, 5f, 7f);
    assertThat(floats(rows.get(1).getList(1))).containsExactly(1f, 9f, 1f);
  }

  static Dataset<Row> featuresFrame(float[][] features, int partitions) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < features.length; i++) {
      rows.add(RowFactory.create((long) i, features[i]));
    }
    return SparkSession.active()
        .createDataFrame(rows, ID_FEATURES)
        .repartitionByRange(partitions, functions.col("id"))
        .sortWithinPartitions("id");
  }

  /** How many rows each partition of {@code df} holds, in partition order. */
  static List<Integer> partitionSizes(Dataset<Row> df) {
    return df.javaRDD()
        .mapPartitions(
            it -> {
              int n = 0;
              for (; it.hasNext(); it.next()) {
                n++;
              }
              return List.of(n).iterator();
            })
        .collect();
  }

  static float[][] randomRows(int rows, int n, long seed) {
    Random random = new Random(seed);
    float[][] out = new float[rows][];
    for (int i = 0; i < rows; i++) {
      out[i] = TestModels.gaussian(random, n);
    }
    return out;
  }

  static float[] floats(List<?> values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = ((Number) values.get(i)).floatValue();
    }
    return out;
  }
}
