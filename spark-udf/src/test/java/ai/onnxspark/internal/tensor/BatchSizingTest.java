package ai.onnxspark.internal.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxspark.model.ElementType;
import ai.onnxspark.model.TensorSpec;
import ai.onnxspark.spark.OnnxModel;
import ai.onnxspark.testing.TestModels;
import java.util.List;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Batch buffers are sized from the rows a batch gathers, not from the batch size alone; idle
 * buffers of earlier tasks are reused only when not far larger than what the batch needs.
 */
class BatchSizingTest {
  /** The sizes below are those of fresh buffers: none left idle by earlier tests. */
  @BeforeEach
  void noIdleBuffers() {
    DirectBuffers.drain();
  }

  @Test
  void aSmallBatchDoesNotTakeAnIdleBufferFarLargerThanItNeeds() {
    InputBinding.Batch big = binding("batch", 16).newBatch(20_000_000);
    for (int r = 0; r < 2000; r++) {
      big.add(row(16), 0, r);
    }
    long bigCapacity = big.capacity();
    big.release();
    assertThat(DirectBuffers.kept()).isEqualTo(bigCapacity);

    // Ten rows of the same input: 64 bytes at the first row, the idle buffer is 2000 rows' worth.
    InputBinding.Batch small = binding("batch", 16).newBatch(20_000_000);
    for (int r = 0; r < 10; r++) {
      small.add(row(16), 0, r);
    }
    assertThat(small.capacity()).isBetween(10L * 16 * 4, 2L * 10 * 16 * 4);
    assertThat(DirectBuffers.kept()).isEqualTo(bigCapacity);

    // A batch growing to the same size takes it once it needs a 64th of it.
    InputBinding.Batch again = binding("batch", 16).newBatch(20_000_000);
    for (int r = 0; r < 2000; r++) {
      again.add(row(16), 0, r);
    }
    assertThat(again.capacity()).isEqualTo(bigCapacity);
    assertThat(DirectBuffers.kept()).isZero();
  }

  private static final StructType SCHEMA =
      new StructType().add("x", DataTypes.createArrayType(DataTypes.FloatType, false), false);

  private static InputBinding binding(Object... dims) {
    TensorSpec x =
        OnnxModel.fromBytes(TestModels.twoXPlusOne(ElementType.FLOAT, dims)).info().inputs().get(0);
    return InputBinding.bind(x, List.of("x"), SCHEMA, false);
  }

  private static GenericInternalRow row(int values) {
    float[] v = new float[values];
    java.util.Arrays.fill(v, 1f);
    return new GenericInternalRow(new Object[] {UnsafeArrayData.fromPrimitiveArray(v)});
  }

  @Test
  void aHugeBatchSizeOnTenRowsAllocatesForTenRows() {
    InputBinding.Batch batch = binding("batch", 16).newBatch(20_000_000);
    assertThat(batch.capacity()).isZero();
    for (int r = 0; r < 10; r++) {
      batch.add(row(16), 0, r);
    }
    assertThat(batch.rows()).isEqualTo(10);
    assertThat(batch.bytes()).isEqualTo(10 * 16 * 4);
    // Doubling as rows come: at most twice what the rows need.
    assertThat(batch.capacity()).isBetween(10L * 16 * 4, 2L * 10 * 16 * 4);
    assertThat(batch.shape()).containsExactly(10, 16);
  }

  @Test
  void growingKeepsTheValuesWrittenAndResetKeepsTheMemory() {
    InputBinding.Batch batch = binding("batch", "n").newBatch(1024);
    for (int r = 0; r < 100; r++) {
      batch.add(row(8), 0, r);
    }
    long capacity = batch.capacity();
    assertThat(capacity).isBetween(100L * 8 * 4, 2L * 100 * 8 * 4);
    batch.reset();
    batch.add(row(8), 0, 0);
    assertThat(batch.capacity()).isEqualTo(capacity);
  }

  @Test
  void theBatchSizeBoundsTheGrowth() {
    InputBinding.Batch batch = binding("batch", 16).newBatch(3);
    for (int r = 0; r < 3; r++) {
      batch.add(row(16), 0, r);
    }
    assertThat(batch.capacity()).isEqualTo(3L * 16 * 4);
  }
}
