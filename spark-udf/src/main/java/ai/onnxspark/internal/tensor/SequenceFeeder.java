package ai.onnxspark.internal.tensor;

import ai.onnxspark.internal.OnnxErrors;
import ai.onnxspark.model.TensorSpec;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;

/**
 * Feeds a sequence of 1-D tensors from one {@code array<array<…>>} column ({@link
 * SourceKind#SEQUENCE}): appends the row's inner arrays one after the other and keeps their
 * lengths, which the batch sends beside the values ({@link InputBinding.Batch#lengthsTensor}). A
 * batch holds one row, so the lengths are the last row's.
 */
final class SequenceFeeder implements RowFeeder {
  private static final long[] NONE = new long[0];

  private final TensorSpec spec;
  private final String column;
  private final int ordinal;
  private final NumericType source;

  /** The elements' lengths of the row last added. */
  private long[] lengths = NONE;

  SequenceFeeder(InputBinding binding) {
    this.spec = binding.spec();
    this.column = binding.column(0);
    this.ordinal = binding.ordinal(0);
    this.source = binding.source();
  }

  @Override
  public void add(InternalRow row, TensorBuffer out, RowContext where) {
    lengths = NONE;
    if (row.isNullAt(ordinal)) {
      throw OnnxErrors.nullValue(spec.name(), column, where.where(), "array (the sequence)");
    }
    ArrayData outer = row.getArray(ordinal);
    int n = outer.numElements();
    long[] sizes = new long[n];
    long total = 0;
    for (int i = 0; i < n; i++) {
      if (outer.isNullAt(i)) {
        throw OnnxErrors.nullValue(
            spec.name(), column, where.where(), "array at index [" + i + "] (element " + i + ")");
      }
      sizes[i] = outer.getArray(i).numElements();
      total += sizes[i];
    }
    where.checkLength(total);
    for (int i = 0; i < n; i++) {
      ArrayData inner = outer.getArray(i);
      for (int j = 0; j < sizes[i]; j++) {
        if (inner.isNullAt(j)) {
          throw OnnxErrors.nullValue(
              spec.name(), column, where.where(), "element at index [" + i + "][" + j + "]");
        }
        out.put(inner, j, source, where);
      }
    }
    lengths = sizes;
  }

  /** The elements' lengths of the row last added. */
  long[] lengths() {
    return lengths.clone();
  }
}
