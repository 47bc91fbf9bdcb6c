package ai.onnxspark.internal.tensor;

import ai.onnxspark.internal.OnnxErrors;
import ai.onnxspark.model.TensorSpec;
import org.apache.spark.sql.catalyst.InternalRow;

/**
 * Feeds an input from one binary column ({@link SourceKind#BYTES}) holding each row's tensor as
 * little-endian values of the input's element type.
 */
final class BytesFeeder implements RowFeeder {
  private final TensorSpec spec;
  private final String column;
  private final int ordinal;

  /** Bytes per element of the model input. */
  private final int width;

  BytesFeeder(InputBinding binding) {
    this.spec = binding.spec();
    this.column = binding.column(0);
    this.ordinal = binding.ordinal(0);
    this.width = spec.elementType().byteSize();
  }

  @Override
  public void add(InternalRow row, TensorBuffer out, RowContext where) {
    if (row.isNullAt(ordinal)) {
      throw OnnxErrors.nullValue(spec.name(), column, where.where(), "binary value");
    }
    byte[] bytes = row.getBinary(ordinal);
    if (bytes.length % width != 0) {
      throw OnnxErrors.columnType(
          spec.name(),
          spec.typeString(),
          column,
          bytes.length + " bytes",
          "at " + where.where() + ", not a whole number of " + width + "-byte values",
          "write the row's tensor as little-endian " + spec.elementType() + " values");
    }
    long n = bytes.length / width;
    where.checkLength(n);
    out.putLittleEndian(bytes, n);
  }
}
