package ai.onnxspark.internal.tensor;

import org.apache.spark.sql.catalyst.InternalRow;

/**
 * What a {@link RowFeeder} needs from the batch it feeds while adding rows: where the row is, for
 * error messages, and the batch-wide checks of a row's number of values, which also make room for
 * them in the {@link TensorBuffer}. Implemented by {@link InputBinding.Batch}; not thread-safe.
 */
interface RowContext {
  /** The row being added, as error messages name it: {@code row 3 of partition 0 (id=42)}. */
  String where();

  /**
   * Checks that the row's {@code values} values fit the input's per-row shape and the batch (equal
   * lengths, or padding), and makes room for them in the buffer.
   *
   * @throws ai.onnxspark.OnnxException for a wrong length or one that differs within the batch
   */
  void checkLength(long values);

  /**
   * Rows of a fixed number of values (scalar columns): sizes the buffer for rows of {@code values}
   * values when the batch holds no row yet.
   */
  void startRows(long values);

  /**
   * Columnar rows: moves to row {@code rowIndex} of the partition, {@code row} naming it by its key
   * in errors (null when no key column is set).
   */
  void moveTo(long rowIndex, InternalRow row);

  /** Columnar rows: the row moved to is complete, its length checked; the batch counts it. */
  void endRow();

  /** The number of values of each row of the batch so far. */
  long valuesPerRow();

  /**
   * The number of values every row must have when the input's per-row shape is fixed (no variable
   * dimension, no padding), else -1.
   */
  long fixedValuesPerRow();

  /**
   * Columnar rows of the fixed length ({@link #fixedValuesPerRow}), already checked: makes room for
   * {@code count} of them at once and counts them, as {@code count} rounds of {@link #checkLength}
   * and {@link #endRow} would.
   */
  void addCheckedRows(int count);

  /** Tokenized text whose tokens are kept ({@link InputBinding#keepsTokens}): the row's tokens. */
  default void keepTokens(ai.onnxspark.internal.text.TokenSpans tokens) {
    throw new IllegalStateException("This batch keeps no tokens");
  }
}
