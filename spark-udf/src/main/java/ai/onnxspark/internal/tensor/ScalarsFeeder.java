package ai.onnxspark.internal.tensor;

import ai.onnxspark.internal.OnnxErrors;
import org.apache.spark.sql.catalyst.InternalRow;

/**
 * Feeds an input from one or more numeric columns ({@link SourceKind#SCALARS}), one value each,
 * assembled in the order given.
 */
final class ScalarsFeeder implements RowFeeder {
  private final String input;
  private final String[] columns;
  private final int[] ordinals;

  /** Per column: its numeric type. */
  private final NumericType[] types;

  ScalarsFeeder(InputBinding binding) {
    this.input = binding.inputName();
    int n = binding.columnCount();
    this.columns = new String[n];
    this.ordinals = new int[n];
    this.types = new NumericType[n];
    for (int i = 0; i < n; i++) {
      columns[i] = binding.column(i);
      ordinals[i] = binding.ordinal(i);
      types[i] = binding.columnType(i);
    }
  }

  @Override
  public void add(InternalRow row, TensorBuffer out, RowContext where) {
    where.startRows(columns.length);
    for (int i = 0; i < ordinals.length; i++) {
      if (row.isNullAt(ordinals[i])) {
        throw OnnxErrors.nullValue(input, columns[i], where.where(), "value");
      }
      out.put(row, ordinals[i], types[i], where);
    }
  }
}
