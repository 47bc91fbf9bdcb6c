package ai.onnxspark.spark;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxspark.OnnxOptions;
import ai.onnxspark.model.ElementType;
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
 * Batches are sized from the rows they gather, and closed early by {@code max-batch-bytes}: a huge
 * batch size on a few rows scores them without reserving memory for the batch size, and a row over
 * the limit is scored alone.
 */
class BatchBytesTest extends SparkTestBase {
  private static final StructType SCHEMA =
      new StructType()
          .add("id", DataTypes.IntegerType, false)
          .add("x", DataTypes.createArrayType(DataTypes.FloatType, false), false);

  /** Ten rows of 16 floats (64 bytes each) in one partition: row i holds i everywhere. */
  private static Dataset<Row> tenRows() {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      float[] x = new float[16];
      java.util.Arrays.fill(x, i);
      rows.add(RowFactory.create(i, x));
    }
    return spark.createDataFrame(rows, SCHEMA).coalesce(1);
  }

  private static List<Float> rowsInBatches(OnnxModel model, Dataset<Row> df) {
    List<Float> sizes = new ArrayList<>();
    for (Row r : model.withOutput("rows", "n").transform(df).orderBy("id").collectAsList()) {
      sizes.add(r.<Float>getAs("n"));
    }
    return sizes;
  }

  @Test
  void aBatchSizeOfTwentyMillionScoresTenRows() {
    Dataset<Row> scored =
        OnnxModel.fromBytes(TestModels.twoXPlusOne(ElementType.FLOAT, "batch", 16))
            .withBatchSize(20_000_000)
            .transform(tenRows());
    List<Row> rows = scored.orderBy("id").collectAsList();
    assertThat(rows).hasSize(10);
    for (Row r : rows) {
      float expected = 2 * r.getInt(0) + 1;
      assertThat(r.<Float>getList(2)).hasSize(16).containsOnly(expected);
    }
    assertThat(
            rowsInBatches(
                OnnxModel.fromBytes(TestModels.rowsInBatch(16)).withBatchSize(20_000_000),
                tenRows()))
        .containsOnly(10f);
  }

  @Test
  void maxBatchBytesClosesBatchesEarly(@TempDir Path dir) {
    OnnxModel model = OnnxModel.fromBytes(TestModels.rowsInBatch(16));
    // 64 bytes a row: three rows fit in 200 bytes, a fourth would not.
    assertThat(rowsInBatches(model.withMaxBatchBytes(200), tenRows()))
        .containsExactly(3f, 3f, 3f, 3f, 3f, 3f, 3f, 3f, 3f, 1f);
    assertThat(rowsInBatches(model.withOption("max-batch-bytes", "64"), tenRows()))
        .containsOnly(1f);
    // A row over the limit is scored alone.
    assertThat(rowsInBatches(model.withMaxBatchBytes(10), tenRows())).containsOnly(1f);

    String parquet = dir.resolve("t.parquet").toString();
    tenRows().write().parquet(parquet);
    Dataset<Row> columnar = spark.read().parquet(parquet).coalesce(1);
    assertThat(rowsInBatches(model.withMaxBatchBytes(200), columnar)).containsOnly(3f, 1f);
    assertThat(rowsInBatches(model, columnar)).containsOnly(10f);

    spark.conf().set(OnnxOptions.MAX_BATCH_BYTES_CONF, "128");
    try {
      assertThat(rowsInBatches(model, tenRows()))
          .containsExactly(2f, 2f, 2f, 2f, 2f, 2f, 2f, 2f, 2f, 2f);
      // Per call wins over the session.
      assertThat(rowsInBatches(model.withMaxBatchBytes(1 << 20), tenRows())).containsOnly(10f);
    } finally {
      spark.conf().unset(OnnxOptions.MAX_BATCH_BYTES_CONF);
    }
  }

  @Test
  void theDefaultIs256Megabytes() {
    assertThat(OnnxOptions.MAX_BATCH_BYTES_DEFAULT).isEqualTo(256L * 1024 * 1024);
    assertThat(OnnxOptions.forConfKey(OnnxOptions.MAX_BATCH_BYTES_CONF).orElseThrow().key())
        .isEqualTo(OnnxOptions.MAX_BATCH_BYTES);
  }
}
