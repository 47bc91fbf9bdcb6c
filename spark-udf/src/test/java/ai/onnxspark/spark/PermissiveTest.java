package ai.onnxspark.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxspark.model.ElementType;
import ai.onnxspark.sql.OnnxFunctions;
import ai.onnxspark.sql.OnnxModels;
import ai.onnxspark.testing.SparkTestBase;
import ai.onnxspark.testing.TestModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Permissive mode: bad rows get null outputs and their error; no row is lost. */
class PermissiveTest extends SparkTestBase {
  private static final byte[] MODEL = TestModels.twoXPlusOne(ElementType.FLOAT, "batch", 3);
  private static final StructType SCHEMA =
      new StructType()
          .add("id", DataTypes.IntegerType)
          .add("features", DataTypes.createArrayType(DataTypes.FloatType, true), true);

  private static List<Row> mixedRows() {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      Float[] values = {(float) i, 1f, 2f};
      if (i == 3) {
        rows.add(RowFactory.create(i, null));
      } else if (i == 7) {
        rows.add(RowFactory.create(i, new Float[] {1f, 2f}));
      } else if (i == 12) {
        rows.add(RowFactory.create(i, new Float[] {1f, null, 2f}));
      } else {
        rows.add(RowFactory.create(i, values));
      }
    }
    return rows;
  }

  @ParameterizedTest(name = "batch {0}")
  @ValueSource(ints = {1, 4, 64})
  void badRowsGetNullOutputsAndTheirErrorOthersAreScored(int batchSize) {
    Dataset<Row> df = spark.createDataFrame(mixedRows(), SCHEMA).coalesce(1);
    List<Row> rows =
        OnnxModel.fromBytes(MODEL)
            .withInput("x", "features")
            .withBatchSize(batchSize)
            .withPermissive()
            .transform(df)
            .collectAsList();

    assertThat(rows).hasSize(20);
    assertThat(rows.get(0).schema().fieldNames())
        .containsExactly("id", "features", "y", "onnx_error");
    for (Row row : rows) {
      int id = row.getInt(0);
      if (id == 3 || id == 7 || id == 12) {
        assertThat(row.isNullAt(2)).isTrue();
        assertThat(row.getString(3)).contains("row " + id + " of partition 0");
      } else {
        assertThat(row.isNullAt(3)).isTrue();
        assertThat(TransformTest.floats(row.getList(2))).containsExactly(2f * id + 1, 3f, 5f);
      }
    }
    assertThat(rows.get(3).getString(3)).contains("holds a null array");
    assertThat(rows.get(7).getString(3)).contains("has 2 values");
    assertThat(rows.get(12).getString(3)).contains("null element at index 1");
  }

  @Test
  void theColumnFunctionAndSqlReturnTheOutputsAndTheErrorAsAStruct() {
    Dataset<Row> df = spark.createDataFrame(mixedRows(), SCHEMA).repartition(3);
    OnnxModel model = OnnxModel.fromBytes(MODEL).withBatchSize(4).withPermissive();
    Dataset<Row> column = df.withColumn("p", OnnxFunctions.onnxPredict(model, "features"));
    OnnxModels.register(spark, "twice", OnnxModel.fromBytes(MODEL));
    df.createOrReplaceTempView("mixed");
    Dataset<Row> sql =
        spark.sql(
            "SELECT id, features, onnx_predict('twice', map('permissive', 'true', 'batch-size',"
                + " '4'), features) AS p FROM mixed");

    for (Dataset<Row> scored : List.of(column, sql)) {
      List<Row> rows = scored.select("id", "p.*").orderBy("id").collectAsList();
      assertThat(rows).hasSize(20);
      assertThat(rows.get(0).schema().fieldNames()).containsExactly("id", "y", "onnx_error");
      assertThat(rows.get(0).schema().fields()[1].nullable()).isTrue();
      for (Row row : rows) {
        int id = row.getInt(0);
        if (id == 3 || id == 7 || id == 12) {
          assertThat(row.isNullAt(1)).isTrue();
          assertThat(row.getString(2)).contains("features");
        } else {
          assertThat(row.isNullAt(2)).isTrue();
          assertThat(TransformTest.floats(row.getList(1))).containsExactly(2f * id + 1, 3f, 5f);
        }
      }
      assertThat(rows.get(3).getString(2)).contains("holds a null array");
      assertThat(rows.get(7).getString(2)).contains("has 2 values");
    }
    // The per-call option wins over the session's permissive mode.
    spark.conf().set("spark.onnx.permissive", "true");
    try {
      assertThat(
              spark
                  .sql("SELECT onnx_predict('twice', features) AS p FROM mixed")
                  .schema()
                  .apply("p")
                  .dataType()
                  .typeName())
          .isEqualTo("struct");
      assertThatThrownBy(
              () ->
                  spark
                      .sql(
                          "SELECT onnx_predict('twice', map('permissive', 'false'), features)"
                              + " FROM mixed")
                      .collect())
          .hasStackTraceContaining("column 'features'");
    } finally {
      spark.conf().unset("spark.onnx.permissive");
    }
  }

  @Test
  void aKeyColumnNamesBadRowsAndNanOrInfinityAreValuesNotErrors() {
    Dataset<Row> df = spark.createDataFrame(mixedRows(), SCHEMA).coalesce(1);
    List<Row> rows =
        OnnxModel.fromBytes(MODEL)
            .withInput("x", "features")
            .withKeyColumn("id")
            .withPermissive()
            .transform(df)
            .collectAsList();
    assertThat(rows.get(7).getString(3)).contains("row 7 of partition 0 (id=7)");
    assertThatThrownBy(
            () ->
                OnnxModel.fromBytes(MODEL)
                    .withInput("x", "features")
                    .withKeyColumn("id")
                    .transform(df)
                    .collect())
        .hasStackTraceContaining("at row 3 of partition 0 (id=3)");

    List<Row> special =
        List.of(
            RowFactory.create(0, new Float[] {Float.NaN, Float.POSITIVE_INFINITY, -0f}),
            RowFactory.create(1, new Float[] {Float.NEGATIVE_INFINITY, 1f, 2f}));
    List<Row> scored =
        OnnxModel.fromBytes(MODEL)
            .withInput("x", "features")
            .transform(spark.createDataFrame(special, SCHEMA))
            .orderBy("id")
            .collectAsList();
    assertThat(TransformTest.floats(scored.get(0).getList(2)))
        .containsExactly(Float.NaN, Float.POSITIVE_INFINITY, 1f);
    assertThat(TransformTest.floats(scored.get(1).getList(2))[0])
        .isEqualTo(Float.NEGATIVE_INFINITY);
  }

  @Test
  void permissiveParquetScansKeepEveryRow(@TempDir Path dir) {
    String path = dir.resolve("mixed.parquet").toString();
    spark.createDataFrame(mixedRows(), SCHEMA).coalesce(1).write().parquet(path);
    List<Row> rows =
        OnnxModel.fromBytes(MODEL)
            .withInput("x", "features")
            .withBatchSize(8)
            .withPermissive("why")
            .transform(spark.read().parquet(path))
            .collectAsList();
    assertThat(rows).hasSize(20);
    assertThat(rows)
        .filteredOn(r -> !r.isNullAt(3))
        .extracting(r -> r.getInt(0))
        .containsExactlyInAnyOrder(3, 7, 12);
  }

  @Test
  void rowsThatOnnxRuntimeRejectsAreIsolatedFromTheirBatch() {
    StructType schema = new StructType().add("ids", DataTypes.createArrayType(DataTypes.LongType));
    List<Row> data = new ArrayList<>();
    for (long id : new long[] {1, 2, 99, 4, -50, 5}) {
      data.add(RowFactory.create((Object) new long[] {id}));
    }
    Dataset<Row> df = spark.createDataFrame(data, schema).coalesce(1);
    ScoringMetrics metrics = ScoringMetrics.register(spark.sparkContext());

    List<Row> rows =
        OnnxModel.fromBytes(TestModels.lookup())
            .withBatchSize(6)
            .withPermissive()
            .transform(df, metrics)
            .collectAsList();

    assertThat(rows).hasSize(6);
    assertThat(rows)
        .extracting(r -> r.isNullAt(1) ? null : r.getFloat(1))
        .containsExactly(10f, 20f, null, 40f, null, 50f);
    assertThat(rows.get(2).getString(2))
        .contains("ONNX Runtime failed scoring row 2 of partition 0 with model");
    assertThat(rows.get(4).getString(2)).contains("row 4 of partition 0");
    assertThat(Arrays.asList(rows.get(0).schema().fieldNames()))
        .containsExactly("ids", "value", "onnx_error");
  }

  @Test
  void aBatchOverItsTimeLimitIsStoppedWithAClearError() {
    // 40 layers of 1024x1024 MatMuls over 256 rows: seconds of work, stopped after 50 ms.
    OnnxModel slow =
        OnnxModel.fromBytes(TestModels.slowChain(1024, 40)).withBatchSize(256).withBatchTimeout(50);
    Dataset<Row> df =
        spark.createDataFrame(
            java.util.Collections.nCopies(256, RowFactory.create((Object) new float[1024])),
            new StructType().add("x", DataTypes.createArrayType(DataTypes.FloatType)));

    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> slow.transform(df.coalesce(1)).collect())
        .hasStackTraceContaining("did not score a batch of 256 rows with model bytes")
        .hasStackTraceContaining("within 50 ms (spark.onnx.batchTimeoutMs)");
    // Without a limit the same model scores (one small batch, to keep it quick).
    assertThat(OnnxModel.fromBytes(TestModels.slowChain(1024, 2)).transform(df.limit(2)).count())
        .isEqualTo(2);
  }

  @Test
  void permissiveModeCanBeSetForTheSession() {
    spark.conf().set("spark.onnx.permissive", "true");
    try {
      Dataset<Row> df = spark.createDataFrame(mixedRows(), SCHEMA);
      assertThat(
              OnnxModel.fromBytes(MODEL)
                  .withInput("x", "features")
                  .transform(df)
                  .where("onnx_error IS NOT NULL")
                  .count())
          .isEqualTo(3);
      assertThat(
              OnnxModel.fromBytes(MODEL)
                  .withInput("x", "features")
                  .withFailFast()
                  .transform(df)
                  .columns())
          .doesNotContain("onnx_error");
    } finally {
      spark.conf().unset("spark.onnx.permissive");
    }
  }
}
