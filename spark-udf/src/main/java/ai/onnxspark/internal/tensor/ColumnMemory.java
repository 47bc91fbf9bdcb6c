package ai.onnxspark.internal.tensor;

import ai.onnxspark.model.ElementType;
import java.lang.reflect.Field;
import org.apache.spark.sql.execution.vectorized.OffHeapColumnVector;
import org.apache.spark.sql.execution.vectorized.OnHeapColumnVector;
import org.apache.spark.sql.execution.vectorized.WritableColumnVector;
import org.apache.spark.unsafe.Platform;

/**
 * Copies a run of values out of Spark's own column vectors in one piece, straight from the memory
 * that holds them: the array of an on-heap vector (read once per chunk, by reflection, as Spark has
 * no public accessor for it), or the native memory of an off-heap one. Spark's bulk getters ({@code
 * getFloats}, …) allocate and fill a new array per call, which the tensor then copies again.
 */
final class ColumnMemory {
  private static final Field FLOATS = field("floatData");
  private static final Field DOUBLES = field("doubleData");
  private static final Field INTS = field("intData");
  private static final Field LONGS = field("longData");

  private ColumnMemory() {}

  private static Field field(String name) {
    try {
      Field f = OnHeapColumnVector.class.getDeclaredField(name);
      f.setAccessible(true);
      return f;
    } catch (ReflectiveOperationException | RuntimeException e) {
      // Another Spark build: the bulk getters then.
      return null;
    }
  }

  /**
   * Appends {@code count} values of {@code vector} (of element type {@code type}: float, double,
   * int32 or int64) from {@code first} to {@code out}, which has room for them; false, having
   * written nothing, when the vector is not one whose memory it can read (dictionary-encoded, or
   * another class).
   */
  static boolean copy(
      WritableColumnVector vector, ElementType type, int first, int count, TensorBuffer out) {
    if (vector.hasDictionary()) {
      return false;
    }
    long width;
    Field field;
    long arrayOffset;
    switch (type) {
      case FLOAT:
        width = 4;
        field = FLOATS;
        arrayOffset = Platform.FLOAT_ARRAY_OFFSET;
        break;
      case DOUBLE:
        width = 8;
        field = DOUBLES;
        arrayOffset = Platform.DOUBLE_ARRAY_OFFSET;
        break;
      case INT32:
        width = 4;
        field = INTS;
        arrayOffset = Platform.INT_ARRAY_OFFSET;
        break;
      case INT64:
        width = 8;
        field = LONGS;
        arrayOffset = Platform.LONG_ARRAY_OFFSET;
        break;
      default:
        return false;
    }
    if (vector instanceof OffHeapColumnVector) {
      out.copyFrom(
          null, ((OffHeapColumnVector) vector).valuesNativeAddress() + first * width, count);
      return true;
    }
    if (!(vector instanceof OnHeapColumnVector) || field == null) {
      return false;
    }
    Object array;
    try {
      array = field.get(vector);
    } catch (IllegalAccessException e) {
      return false;
    }
    if (array == null) {
      return false;
    }
    out.copyFrom(array, arrayOffset + first * width, count);
    return true;
  }
}
