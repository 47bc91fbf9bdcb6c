package ai.onnxspark.internal.tensor;

import org.apache.spark.sql.catalyst.InternalRow;

/**
 * Reads one model input's values from a row's column(s), for one {@link SourceKind}: validates them
 * (nulls, lengths, shapes, encodings) and appends them to the batch's {@link TensorBuffer}. Feeders
 * are created per task from an {@link InputBinding} and hold only its configuration.
 */
interface RowFeeder {
  /**
   * Appends {@code row}'s values to {@code out}, having checked their number with {@link
   * RowContext#checkLength} (or {@link RowContext#startRows}) before writing any.
   *
   * @throws ai.onnxspark.OnnxException naming the row by {@code where} when it cannot feed the
   *     input; values written before may remain, and the caller rolls them back
   */
  void add(InternalRow row, TensorBuffer out, RowContext where);

  /** The feeder for {@code binding}'s source kind. */
  static RowFeeder of(InputBinding binding) {
    switch (binding.kind()) {
      case ARRAY:
        return new ArrayFeeder(binding);
      case VECTOR:
        return new VectorFeeder(binding);
      case NESTED:
        return new NestedFeeder(binding);
      case BYTES:
        return new BytesFeeder(binding);
      case IMAGE:
        return new ImageFeeder(binding);
      case SEQUENCE:
        return new SequenceFeeder(binding);
      case TOKENS:
        return new TokensFeeder(binding);
      default:
        return new ScalarsFeeder(binding);
    }
  }
}
