package ai.onnxspark.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxspark.sql.OnnxFunctions;
import ai.onnxspark.sql.OnnxModels;
import ai.onnxspark.testing.SparkTestBase;
import ai.onnxspark.testing.TestModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fail-fast mode names the row ONNX Runtime rejects (its position in the partition and its key),
 * not only the batch it was in: the batch's rows are scored one by one, as in permissive mode.
 */
class FailFastRowTest extends SparkTestBase {
  /** Rows 0..299 with key 1000 + row; row 250 holds id 99, outside the lookup's table of 10. */
  private static Dataset<Row> oneBadRowOfMany(String keyName) {
    StructType schema =
        new StructType()
            .add(keyName, DataTypes.LongType)
            .add("ids", DataTypes.createArrayType(DataTypes.LongType, false), false);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      rows.add(RowFactory.create(1000L + i, new long[] {i == 250 ? 99 : i % 10}));
    }
    return spark.createDataFrame(rows, schema).coalesce(1);
  }

  @Test
  void transformNamesTheRejectedRowAndItsIdNotJustTheBatch() {
    OnnxModel lookup = OnnxModel.fromBytes(TestModels.lookup()).withBatchSize(72);
    assertThatThrownBy(() -> lookup.transform(oneBadRowOfMany("id")).collect())
        .hasStackTraceContaining(
            "ONNX Runtime failed scoring row 250 of partition 0 (id=1250) with model bytes")
        .hasStackTraceContaining("this row fails when scored alone")
        .hasStackTraceContaining("withPermissive()")
        // The batch's own error is kept in the exception, for its rows 216 to 287.
        .hasStackTraceContaining("rows 216 to 287 of partition 0");
  }

  @Test
  void aConfiguredKeyColumnNamesTheRowInTransformColumnAndSql() {
    Dataset<Row> df = oneBadRowOfMany("order_no");
    OnnxModel lookup =
        OnnxModel.fromBytes(TestModels.lookup()).withBatchSize(64).withKeyColumn("order_no");
    String expected = "failed scoring row 250 of partition 0 (order_no=1250)";

    assertThatThrownBy(() -> lookup.transform(df).collect()).hasStackTraceContaining(expected);
    assertThatThrownBy(
            () -> df.withColumn("value", OnnxFunctions.onnxPredict(lookup, "ids")).collect())
        .hasStackTraceContaining(expected);
    OnnxModels.register(spark, "lookup", OnnxModel.fromBytes(TestModels.lookup()));
    df.createOrReplaceTempView("orders");
    assertThatThrownBy(
            () ->
                spark
                    .sql(
                        "SELECT order_no, onnx_predict('lookup', map('batch-size', '64',"
                            + " 'key-column', 'order_no'), ids) AS value FROM orders")
                    .collect())
        .hasStackTraceContaining(expected);
  }

  @Test
  void anIdColumnBesideTheArgumentsNamesTheRowInSql() {
    oneBadRowOfMany("id").createOrReplaceTempView("keyed");
    OnnxModels.register(spark, "lookup_id", OnnxModel.fromBytes(TestModels.lookup()));
    assertThatThrownBy(
            () ->
                spark
                    .sql(
                        "SELECT id, onnx_predict('lookup_id', map('batch-size', '50'), ids) AS v"
                            + " FROM keyed")
                    .collect())
        .hasStackTraceContaining("failed scoring row 250 of partition 0 (id=1250)");
  }

  @Test
  void columnarScansFindTheRowToo(@TempDir Path dir) {
    String path = dir.resolve("ids.parquet").toString();
    oneBadRowOfMany("id").write().parquet(path);
    assertThatThrownBy(
            () ->
                OnnxModel.fromBytes(TestModels.lookup())
                    .withBatchSize(128)
                    .transform(spark.read().parquet(path))
                    .collect())
        .hasStackTraceContaining("failed scoring row 250 of partition 0 (id=1250)");
  }

  @Test
  void permissiveModeGivesTheSameRowItsErrorAndScoresTheOthers() {
    List<Row> rows =
        OnnxModel.fromBytes(TestModels.lookup())
            .withBatchSize(72)
            .withPermissive()
            .transform(oneBadRowOfMany("id"))
            .collectAsList();
    assertThat(rows).hasSize(300);
    assertThat(rows)
        .filteredOn(r -> !r.isNullAt(3))
        .extracting(r -> r.getLong(0))
        .containsExactly(1250L);
    assertThat(rows.get(250).getString(3))
        .contains("failed scoring row 250 of partition 0 (id=1250)");
    assertThat(rows.get(251).getFloat(2)).isEqualTo(10f);
  }
}
