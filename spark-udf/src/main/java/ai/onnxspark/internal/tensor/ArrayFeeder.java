package ai.onnxspark.internal.tensor;

import ai.onnxspark.internal.OnnxErrors;
import ai.onnxspark.model.ElementType;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.execution.vectorized.WritableColumnVector;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarArray;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.apache.spark.unsafe.Platform;

/**
 * Feeds an input from one {@code array<numeric>} column ({@link SourceKind#ARRAY}), flattened in
 * row-major order. Arrays whose elements already have the input's element type are copied in bulk:
 * an unsafe row's array in one piece, and a whole chunk of a columnar batch in one piece ({@link
 * #addColumnar}).
 */
final class ArrayFeeder implements RowFeeder {
  private final String input;
  private final String column;
  private final int ordinal;
  private final NumericType source;
  private final ElementType type;
  private final boolean elementsNullable;

  /** Whether array elements have the model's element type, so rows can be copied in bulk. */
  private final boolean sameWidth;

  /** Whether whole columnar chunks can be copied in one piece (same width, not padded). */
  private final boolean bulkColumnar;

  /** Whether rows are named by a key column in errors. */
  private final boolean keyed;

  ArrayFeeder(InputBinding binding) {
    this.input = binding.inputName();
    this.column = binding.column(0);
    this.ordinal = binding.ordinal(0);
    this.source = binding.source();
    this.type = binding.spec().elementType();
    this.elementsNullable = binding.elementsNullable();
    this.sameWidth = binding.sameWidth();
    this.bulkColumnar = sameWidth && !binding.padded();
    this.keyed = binding.keyed();
  }

  @Override
  public void add(InternalRow row, TensorBuffer out, RowContext where) {
    if (row.isNullAt(ordinal)) {
      throw OnnxErrors.nullValue(input, column, where.where(), "array");
    }
    ArrayData array = row.getArray(ordinal);
    int n = array.numElements();
    where.checkLength(n);
    if (elementsNullable && hasNull(array, n)) {
      for (int i = 0; i < n; i++) {
        if (array.isNullAt(i)) {
          throw OnnxErrors.nullValue(input, column, where.where(), "element at index " + i);
        }
      }
    }
    if (sameWidth && array instanceof UnsafeArrayData) {
      // The array's values are laid out as the tensor wants them: one bulk copy.
      UnsafeArrayData unsafe = (UnsafeArrayData) array;
      long header = UnsafeArrayData.calculateHeaderPortionInBytes(n);
      out.copyFrom(unsafe.getBaseObject(), unsafe.getBaseOffset() + header, n);
    } else if (sameWidth && array instanceof ColumnarArray) {
      copyPrimitive(array, n, out);
    } else {
      for (int i = 0; i < n; i++) {
        out.put(array, i, source, where);
      }
    }
  }

  /** Copies an array of the model's element type through a primitive array (columnar rows). */
  private void copyPrimitive(ArrayData array, int n, TensorBuffer out) {
    switch (type) {
      case FLOAT:
        out.putAll(array.toFloatArray(), n);
        break;
      case DOUBLE:
        out.putAll(array.toDoubleArray(), n);
        break;
      case INT32:
        out.putAll(array.toIntArray(), n);
        break;
      default:
        out.putAll(array.toLongArray(), n);
    }
  }

  /** Whether any element is null, reading an unsafe array's null bits a word at a time. */
  private static boolean hasNull(ArrayData array, int n) {
    if (!(array instanceof UnsafeArrayData)) {
      return true;
    }
    UnsafeArrayData unsafe = (UnsafeArrayData) array;
    long words = (n + 63) / 64;
    for (long w = 0; w < words; w++) {
      if (Platform.getLong(unsafe.getBaseObject(), unsafe.getBaseOffset() + 8 + w * 8) != 0) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether {@link #addColumnar} can copy {@code chunk}'s column in one piece: its elements have
   * the input's element type, the input is not padded, and Spark holds the column in a writable
   * column vector.
   */
  boolean copiesInBulk(ColumnarBatch chunk) {
    ColumnVector vector = chunk.column(ordinal);
    return bulkColumnar && vector instanceof WritableColumnVector;
  }

  /**
   * Whether rows {@code start..start+count)} of {@code vector} are all present, of {@code perRow}
   * values each, and laid out back to back.
   */
  private static boolean backToBack(
      WritableColumnVector vector, int start, int count, long perRow) {
    long expected = vector.getArrayOffset(start);
    boolean nulls = vector.hasNull();
    for (int rowId = start; rowId < start + count; rowId++) {
      if ((nulls && vector.isNullAt(rowId))
          || vector.getArrayLength(rowId) != perRow
          || vector.getArrayOffset(rowId) != expected) {
        return false;
      }
      expected += perRow;
    }
    return true;
  }

  /**
   * Appends {@code count} rows of {@code chunk} from {@code start}, which {@link #copiesInBulk}
   * accepts, to an empty batch: checks them (in one loop when all have the input's fixed length,
   * else row by row, moving {@code where} to each and ending it) and copies their values in one
   * piece.
   *
   * @param firstRowIndex the position of row {@code start} in its partition, for error messages
   * @return false, having written nothing, when the rows' arrays are not laid out back to back; the
   *     caller then empties the batch and adds the rows one by one
   * @throws ai.onnxspark.OnnxException for nulls or wrong lengths
   */
  boolean addColumnar(
      ColumnarBatch chunk,
      int start,
      int count,
      long firstRowIndex,
      TensorBuffer out,
      RowContext where) {
    WritableColumnVector vector = (WritableColumnVector) chunk.column(ordinal);
    WritableColumnVector values = vector.arrayData();
    int first = vector.getArrayOffset(start);
    long fixed = where.fixedValuesPerRow();
    long expectedOffset;
    if (fixed >= 0 && backToBack(vector, start, count, fixed)) {
      // The common case, checked in one tight loop; anything else is found and named row by row.
      where.addCheckedRows(count);
      expectedOffset = first + count * fixed;
    } else {
      expectedOffset = first;
      for (int i = 0; i < count; i++) {
        int rowId = start + i;
        where.moveTo(firstRowIndex + i, keyed ? chunk.getRow(rowId) : null);
        if (vector.isNullAt(rowId)) {
          throw OnnxErrors.nullValue(input, column, where.where(), "array");
        }
        int n = vector.getArrayLength(rowId);
        where.checkLength(n);
        if (vector.getArrayOffset(rowId) != expectedOffset) {
          // Not laid out back to back: the caller copies this chunk row by row.
          return false;
        }
        expectedOffset += n;
        where.endRow();
      }
    }
    int total = (int) (expectedOffset - first);
    if (elementsNullable && values.hasNull()) {
      for (int k = 0; k < total; k++) {
        if (values.isNullAt(first + k)) {
          long perRow = where.valuesPerRow();
          int row = (int) (k / perRow);
          where.moveTo(firstRowIndex + row, keyed ? chunk.getRow(start + row) : null);
          throw OnnxErrors.nullValue(
              input, column, where.where(), "element at index " + k % perRow);
        }
      }
    }
    if (ColumnMemory.copy(values, type, first, total, out)) {
      return true;
    }
    switch (type) {
      case FLOAT:
        out.putAll(values.getFloats(first, total), total);
        break;
      case DOUBLE:
        out.putAll(values.getDoubles(first, total), total);
        break;
      case INT32:
        out.putAll(values.getInts(first, total), total);
        break;
      default:
        out.putAll(values.getLongs(first, total), total);
    }
    return true;
  }
}
