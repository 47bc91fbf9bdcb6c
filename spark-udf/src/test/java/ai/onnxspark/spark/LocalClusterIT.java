package ai.onnxspark.spark;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxspark.internal.plan.BroadcastModel;
import ai.onnxspark.internal.plan.PartitionScorer;
import ai.onnxspark.sql.OnnxFunctions;
import ai.onnxspark.sql.OnnxModels;
import ai.onnxspark.testing.EveryLine;
import ai.onnxspark.testing.FullSuiteOnly;
import ai.onnxspark.testing.LocalCluster;
import ai.onnxspark.testing.OrtReference;
import ai.onnxspark.testing.TestModels;
import java.io.ByteArrayOutputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * On a real cluster of two executor JVMs ({@code local-cluster[2,1,1024]}, a standalone master and
 * workers in this JVM, executors in their own): the model travels by broadcast, not in task
 * closures; each executor receives it once and creates one session for all of its tasks; and the
 * scores equal ONNX Runtime's.
 *
 * <p>Needs {@code SPARK_HOME} pointing at a folder with a {@code RELEASE} file and the runtime jars
 * in {@code jars/}, which the build prepares in {@code target/spark-home}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@EveryLine
class LocalClusterIT {
  private static SparkSession spark;
  private static java.nio.file.Path natives;

  @BeforeAll
  static void startCluster() throws Exception {
    natives = java.nio.file.Files.createTempDirectory("onnx-natives");
    spark =
        LocalCluster.start(
            LocalCluster.builder(2, 1)
                .appName("onnx-local-cluster-test")
                .config("spark.onnx.native.dir", natives.toString()),
            2);
  }

  @AfterAll
  static void stopCluster() {
    if (spark != null) {
      spark.stop();
    }
  }

  @Test
  @Order(1)
  void modelIsBroadcastAndEachExecutorCreatesOneSessionForManyTasks() throws Exception {
    // ~1 MB of weights, so a model inside task closures could not go unnoticed.
    TestModels.Affine affine = new TestModels.Affine(512, 512, 17);
    int rows = 2000;
    int partitions = 16;
    float[][] x = new float[rows][];
    Random random = new Random(3);
    List<Row> data = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      x[i] = TestModels.gaussian(random, 512);
      data.add(RowFactory.create((long) i, x[i]));
    }
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType)
            .add("x", DataTypes.createArrayType(DataTypes.FloatType, false));
    Dataset<Row> df =
        spark
            .createDataFrame(data, schema)
            .repartitionByRange(partitions, functions.col("id"))
            .sortWithinPartitions("id");
    OnnxModel model = OnnxModel.fromBytes(affine.bytes).withInput("x", "x").withBatchSize(50);
    ScoringMetrics metrics = ScoringMetrics.register(spark.sparkContext());

    PartitionScorer scorer = model.scorer(spark, schema, metrics);
    List<Row> scored = model.transform(df, metrics).collectAsList();

    assertThat(serializedSize(scorer))
        .as("task closure bytes")
        .isLessThan(20_000)
        .isLessThan(affine.bytes.length / 50);
    float[][] expected = (float[][]) OrtReference.run(affine.bytes, Map.of("x", x), "y");
    assertThat(scored).hasSize(rows);
    for (int i = 0; i < rows; i++) {
      assertThat(scored.get(i).getLong(0)).isEqualTo(i);
      assertThat(TransformTest.floats(scored.get(i).getList(2))).containsExactly(expected[i]);
    }

    // What each executor JVM saw: sessions created and broadcast copies received.
    Map<String, String> perExecutor = executorStats();
    assertThat(perExecutor).hasSize(2);
    assertThat(perExecutor.values())
        .allMatch(s -> s.equals("sessions=1 copies=1"), "one session and one copy per executor");
    assertThat(metrics.sessionsCreated()).isEqualTo(2);
    assertThat(metrics.rows()).isEqualTo(rows);
    List<Integer> sizes = TransformTest.partitionSizes(df);
    assertThat(metrics.batches()).isEqualTo(sizes.stream().mapToLong(n -> (n + 49) / 50).sum());

    // Later jobs with the same model, through transform, withColumn and SQL, reuse the executors'
    // sessions and broadcast.
    model.withBatchSize(64).transform(df, metrics).count();
    List<Row> withColumn =
        df.withColumn("y", OnnxFunctions.onnxPredict(model, functions.col("x")))
            .orderBy("id")
            .collectAsList();
    OnnxModels.register(spark, "affine", model);
    df.createOrReplaceTempView("xs");
    List<Row> sql =
        spark.sql("SELECT id, onnx_predict('affine', x) AS y FROM xs ORDER BY id").collectAsList();
    for (int i = 0; i < rows; i++) {
      assertThat(TransformTest.floats(withColumn.get(i).getList(2))).containsExactly(expected[i]);
      assertThat(TransformTest.floats(sql.get(i).getList(1))).containsExactly(expected[i]);
    }
    assertThat(executorStats().values()).allMatch(s -> s.equals("sessions=1 copies=1"));
    assertThat(metrics.sessionsCreated()).isEqualTo(2);

    // Both executors loaded ONNX Runtime from the one node-local copy (spark.onnx.native.dir).
    java.nio.file.Path folder =
        natives.resolve(ai.onnxspark.internal.session.NativeLibraries.folderName());
    assertThat(
            LocalCluster.perExecutor(
                    spark, () -> String.valueOf(System.getProperty("onnxruntime.native.path")))
                .values())
        .hasSize(2)
        .containsOnly(folder.toString());
    assertThat(folder.resolve("libonnxruntime.so")).isRegularFile();
  }

  /**
   * Full suite only: what it proves (tasks of a lost executor rerun elsewhere, whose session cache
   * fills anew) rests on Spark's task retry, the same on every line; the broadcast test above runs
   * the executor side of the library on every line.
   */
  @Test
  @Order(2)
  @FullSuiteOnly
  void anExecutorKilledMidJobLosesNoRowAndDuplicatesNone(@TempDir Path dir) throws Exception {
    TestModels.Affine affine = new TestModels.Affine(8, 2, 5);
    float[][] x = TransformTest.randomRows(4000, 8, 9);
    // Read from Parquet, so that no shuffle output is lost with the executor.
    String in = dir.resolve("features").toString();
    TransformTest.featuresFrame(x, 8).write().parquet(in);
    Dataset<Row> df = spark.read().parquet(in);
    Dataset<Row> scored =
        OnnxModel.fromBytes(affine.bytes)
            .withInput("x", "features")
            .withBatchSize(50)
            .transform(df);
    // The first attempt of partition 0 kills its executor JVM after 120 rows were scored.
    Dataset<Row> killing =
        scored.mapPartitions(
            (MapPartitionsFunction<Row, Row>)
                rows -> {
                  TaskContext task = TaskContext.get();
                  if (task.partitionId() != 0
                      || task.attemptNumber() > 0
                      || task.stageAttemptNumber() > 0) {
                    return rows;
                  }
                  List<Row> seen = new ArrayList<>();
                  while (rows.hasNext()) {
                    seen.add(rows.next());
                    if (seen.size() == 120) {
                      Runtime.getRuntime().halt(1);
                    }
                  }
                  return seen.iterator();
                },
            Encoders.row(scored.schema()));
    String out = dir.resolve("scores").toString();
    java.util.concurrent.atomic.AtomicInteger removed =
        new java.util.concurrent.atomic.AtomicInteger();
    org.apache.spark.scheduler.SparkListener listener =
        new org.apache.spark.scheduler.SparkListener() {
          @Override
          public void onExecutorRemoved(org.apache.spark.scheduler.SparkListenerExecutorRemoved e) {
            removed.incrementAndGet();
          }
        };
    spark.sparkContext().addSparkListener(listener);

    killing.write().parquet(out);
    spark.sparkContext().listenerBus().waitUntilEmpty();
    spark.sparkContext().removeSparkListener(listener);
    assertThat(removed).as("executors lost during the job").hasValueGreaterThanOrEqualTo(1);

    List<Row> written = spark.read().parquet(out).orderBy("id").collectAsList();
    assertThat(written).hasSize(4000);
    for (int i = 0; i < written.size(); i++) {
      Row row = written.get(i);
      assertThat(row.getLong(0)).isEqualTo(i);
      double[] expected = affine.apply(x[i]);
      List<Float> y = row.getList(2);
      assertThat((double) y.get(0))
          .isCloseTo(expected[0], org.assertj.core.data.Offset.offset(1e-4));
    }
  }

  /**
   * A streaming query over Parquet files on two executor JVMs: an executor is killed in the middle
   * of a micro-batch, the query is stopped after its first micro-batches and started again from its
   * checkpoint, and the file sink holds every input row exactly once with its scores.
   */
  @Test
  @Order(3)
  @FullSuiteOnly
  void aStreamSurvivesAKilledExecutorAndARestartWithEveryRowOnce(@TempDir Path dir)
      throws Exception {
    TestModels.Affine affine = new TestModels.Affine(8, 2, 11);
    int files = 4;
    int perFile = 500;
    float[][] x = TransformTest.randomRows(files * perFile, 8, 13);
    String in = dir.resolve("in").toString();
    for (int f = 0; f < files; f++) {
      float[][] part = java.util.Arrays.copyOfRange(x, f * perFile, (f + 1) * perFile);
      TransformTest.featuresFrame(part, 1)
          .selectExpr("id + " + (f * perFile) + " AS id", "features")
          .write()
          .mode("append")
          .parquet(in);
    }
    String marker = dir.resolve("killed").toString();
    OnnxModel model =
        OnnxModel.fromBytes(affine.bytes).withInput("x", "features").withBatchSize(50);
    String out = dir.resolve("out").toString();
    String checkpoint = dir.resolve("checkpoint").toString();
    StructType schema = spark.read().parquet(in).schema();

    // First run: one file per micro-batch; the first task to reach its 100th row kills its
    // executor JVM (once: the marker file says it happened); stopped after two micro-batches.
    org.apache.spark.sql.streaming.StreamingQuery first =
        killOnce(model.transform(stream(schema, in)), marker)
            .writeStream()
            .format("parquet")
            .option("checkpointLocation", checkpoint)
            .trigger(org.apache.spark.sql.streaming.Trigger.ProcessingTime(200))
            .start(out);
    long deadline = System.currentTimeMillis() + 180_000;
    while (first.recentProgress().length < 2 && System.currentTimeMillis() < deadline) {
      assertThat(first.exception().isEmpty()).as("query failed: %s", first.exception()).isTrue();
      Thread.sleep(100);
    }
    first.stop();
    assertThat(java.nio.file.Files.exists(Path.of(marker))).as("an executor was killed").isTrue();
    long afterFirst = spark.read().parquet(out).count();
    assertThat(afterFirst).isBetween((long) perFile, (long) (files - 1) * perFile);

    // Restarted from the checkpoint, it scores what is left and nothing twice.
    org.apache.spark.sql.streaming.StreamingQuery second =
        model
            .transform(stream(schema, in))
            .writeStream()
            .format("parquet")
            .option("checkpointLocation", checkpoint)
            .trigger(org.apache.spark.sql.streaming.Trigger.AvailableNow())
            .start(out);
    assertThat(second.awaitTermination(180_000)).isTrue();

    List<Row> written = spark.read().parquet(out).orderBy("id").collectAsList();
    assertThat(written).hasSize(files * perFile);
    for (int i = 0; i < written.size(); i++) {
      Row row = written.get(i);
      assertThat(row.getLong(0)).isEqualTo(i);
      double[] expected = affine.apply(x[i]);
      List<Float> y = row.getList(2);
      assertThat((double) y.get(1))
          .isCloseTo(expected[1], org.assertj.core.data.Offset.offset(1e-4));
    }
  }

  private static Dataset<Row> stream(StructType schema, String in) {
    return spark.readStream().schema(schema).option("maxFilesPerTrigger", 1).parquet(in);
  }

  /**
   * {@code df} whose first task to reach its 100th row halts its JVM, unless {@code marker} exists.
   */
  private static Dataset<Row> killOnce(Dataset<Row> df, String marker) {
    return df.mapPartitions(
        (MapPartitionsFunction<Row, Row>)
            rows -> {
              List<Row> seen = new ArrayList<>();
              while (rows.hasNext()) {
                seen.add(rows.next());
                if (seen.size() == 100 && !java.nio.file.Files.exists(Path.of(marker))) {
                  try {
                    java.nio.file.Files.createFile(Path.of(marker));
                  } catch (java.nio.file.FileAlreadyExistsException e) {
                    continue;
                  }
                  Runtime.getRuntime().halt(1);
                }
              }
              return seen.iterator();
            },
        Encoders.row(df.schema()));
  }

  private static Map<String, String> executorStats() {
    return LocalCluster.sessionsAndCopies(spark, BroadcastModel::receivedCopies);
  }

  private static int serializedSize(Object o) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(o);
    }
    return bytes.size();
  }
}
