package ai.onnxspark.internal.tensor;

import ai.onnxspark.internal.OnnxErrors;
import ai.onnxspark.model.ElementType;
import ai.onnxspark.model.TensorSpec;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;

/**
 * Feeds a float or double input from one Spark ML vector column ({@link SourceKind#VECTOR}), dense
 * or sparse; its double values are rounded for float inputs.
 */
final class VectorFeeder implements RowFeeder {
  private final TensorSpec spec;
  private final String column;
  private final int ordinal;
  private final boolean toFloat;

  VectorFeeder(InputBinding binding) {
    this.spec = binding.spec();
    this.column = binding.column(0);
    this.ordinal = binding.ordinal(0);
    this.toFloat = spec.elementType() == ElementType.FLOAT;
  }

  @Override
  public void add(InternalRow row, TensorBuffer out, RowContext where) {
    if (row.isNullAt(ordinal)) {
      throw OnnxErrors.nullValue(spec.name(), column, where.where(), "vector");
    }
    // The vector UDT's struct: type (0 sparse, 1 dense), size, indices, values.
    InternalRow vector = row.getStruct(ordinal, 4);
    ArrayData values = vector.getArray(3);
    boolean dense = vector.getByte(0) == 1;
    int size = dense ? values.numElements() : vector.getInt(1);
    where.checkLength(size);
    if (dense) {
      for (int i = 0; i < size; i++) {
        out.putDouble(values.getDouble(i), toFloat);
      }
      return;
    }
    ArrayData indices = vector.getArray(2);
    long start = out.written();
    for (int i = 0; i < size; i++) {
      out.putDouble(0.0, toFloat);
    }
    for (int k = 0; k < indices.numElements(); k++) {
      int index = indices.getInt(k);
      if (index < 0 || index >= size) {
        throw OnnxErrors.columnType(
            spec.name(),
            spec.typeString(),
            column,
            "a sparse vector of size " + size + " with index " + index,
            "at " + where.where(),
            "the vector is malformed; rebuild it with indices below its size");
      }
      out.putDoubleAt(start + index, values.getDouble(k), toFloat);
    }
  }
}
