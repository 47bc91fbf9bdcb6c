package ai.onnxspark.internal.tensor;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxspark.internal.OnnxErrors;
import ai.onnxspark.model.ElementType;
import ai.onnxspark.model.TensorSpec;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.apache.spark.sql.catalyst.expressions.SpecializedGetters;
import org.apache.spark.unsafe.Platform;

/**
 * The native memory of one input's batch: a native-order direct buffer (or, for string inputs, an
 * array of strings) that values are appended to at a write cursor, converted to the input's element
 * type, and the tensor created over its filled part.
 *
 * <p>This is the only class that computes the native address of a direct buffer ({@link
 * #addressOf}); row readers write through its typed puts and bulk copies and never see an address.
 * The caller sizes the buffer ({@link #ensureRows}, {@link #ensureRoom}) before writing a row's
 * values; puts do not check bounds. Not thread-safe.
 */
final class TensorBuffer {
  /**
   * {@code sun.misc.Unsafe.getLong(Object, long)} bound to the Unsafe instance, or null when the
   * address of direct buffers cannot be read here. Looked up reflectively, so that compiling needs
   * no internal API (javac warns on every use of {@code sun.misc.Unsafe}).
   */
  private static final MethodHandle GET_LONG;

  /** {@code Unsafe.objectFieldOffset} of {@code java.nio.Buffer.address}. */
  private static final long ADDRESS_OFFSET;

  /** Why direct buffer addresses cannot be read, or null when they can. */
  private static final String ADDRESS_FAILURE;

  static {
    MethodHandle getLong = null;
    long offset = -1;
    String failure = null;
    try {
      Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
      Field theUnsafe = unsafeClass.getDeclaredField("theUnsafe");
      theUnsafe.setAccessible(true);
      Object unsafe = theUnsafe.get(null);
      offset =
          (long)
              unsafeClass
                  .getMethod("objectFieldOffset", Field.class)
                  .invoke(unsafe, Buffer.class.getDeclaredField("address"));
      getLong =
          MethodHandles.lookup()
              .findVirtual(
                  unsafeClass,
                  "getLong",
                  MethodType.methodType(long.class, Object.class, long.class))
              .bindTo(unsafe);
      if ((long) getLong.invokeExact((Object) ByteBuffer.allocateDirect(8), offset) == 0) {
        failure = "java.nio.Buffer.address reads 0 for a direct buffer";
      }
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable e) {
      failure = e.toString();
    }
    GET_LONG = failure == null ? getLong : null;
    ADDRESS_OFFSET = offset;
    ADDRESS_FAILURE = failure;
  }

  private final TensorSpec spec;
  private final ElementType type;

  /** The input's columns as named in error messages. */
  private final String column;

  private final int capacityRows;

  /** Bytes per element of the model input. */
  private final int width;

  /** Padded batches: the value padding fills, else null. */
  private final Double padValue;

  /** Padded batches: fixed values per row, and those before and after the variable dimension. */
  private final long fixedPerRow;

  private final long outer;
  private final long inner;

  private ByteBuffer buffer;

  /** Native address of {@link #buffer}; values are written through it in native byte order. */
  private long address;

  /** The values of a string input (ONNX Runtime takes strings as Java strings). */
  private String[] strings;

  /** Values written in the current batch. */
  private long written;

  private long marked;

  /** Padded batches: the padded tensor's buffer and its address. */
  private ByteBuffer padded;

  private long paddedAddress;

  /**
   * An empty buffer for up to {@code capacityRows} rows of input {@code spec}; nothing is allocated
   * until {@link #ensureRows} or {@link #ensureRoom}, which size it from the rows written.
   *
   * @param column the input's column(s) as error messages name them
   * @param rowDims the input's per-row dims, -1 marking the variable one
   * @param padValue the value padded batches are filled with, or null when not padded
   */
  TensorBuffer(TensorSpec spec, String column, int capacityRows, long[] rowDims, Double padValue) {
    this.spec = spec;
    this.type = spec.elementType();
    this.column = column;
    this.capacityRows = capacityRows;
    this.width = type.byteSize();
    this.padValue = padValue;
    long fixed = 1;
    long before = 1;
    long after = 1;
    boolean afterVariable = false;
    for (long d : rowDims) {
      if (d < 0) {
        afterVariable = true;
      } else {
        fixed *= d;
        if (afterVariable) {
          after *= d;
        } else {
          before *= d;
        }
      }
    }
    this.fixedPerRow = fixed;
    this.outer = before;
    this.inner = after;
  }

  /**
   * The native address of the first byte of a direct buffer (its position is not added), read from
   * {@code java.nio.Buffer.address} through {@code sun.misc.Unsafe} as Netty does, so that it works
   * on every JDK from 17 and every Spark 4.x.
   *
   * @throws IllegalArgumentException when {@code buffer} is not direct
   * @throws IllegalStateException when this JVM does not let the address be read
   */
  static long addressOf(ByteBuffer buffer) {
    if (!buffer.isDirect()) {
      throw new IllegalArgumentException("not a direct buffer: " + buffer);
    }
    if (GET_LONG == null) {
      throw new IllegalStateException(
          "Cannot read the native address of a direct ByteBuffer ("
              + ADDRESS_FAILURE
              + "); ONNX input tensors need sun.misc.Unsafe (module jdk.unsupported) and the"
              + " java.nio.Buffer.address field");
    }
    try {
      return (long) GET_LONG.invokeExact((Object) buffer, ADDRESS_OFFSET);
    } catch (Throwable e) {
      throw new IllegalStateException("Cannot read the native address of " + buffer, e);
    }
  }

  /** Values written in the current batch: the write cursor. */
  long written() {
    return written;
  }

  /** Starts a new batch: the cursor goes back to 0, the memory is kept. */
  void reset() {
    written = 0;
  }

  /** Remembers the cursor, so that a row that fails half-way can be taken back. */
  void mark() {
    marked = written;
  }

  /** Moves the cursor back to where {@link #mark()} left it. */
  void rollback() {
    written = marked;
  }

  /** An idle buffer is reused when at most this many times the bytes needed at the time. */
  static final long REUSE_FACTOR = 64;

  /** The largest buffer, in bytes or strings, one batch of one input may have. */
  private static final long MAX_BUFFER = Integer.MAX_VALUE - 64L;

  /**
   * Makes room for {@code rows} rows (counting those written) of {@code valuesPerRow} values each,
   * growing the buffer and keeping what was written. Buffers are sized from the rows a batch
   * actually gathers, never from the batch size alone: a batch size of millions on ten rows
   * allocates for ten.
   *
   * @throws ai.onnxspark.OnnxException when that many would not fit in one buffer
   */
  void ensureRows(long rows, long valuesPerRow) {
    long batchValues =
        valuesPerRow > 0 && capacityRows > Long.MAX_VALUE / valuesPerRow
            ? Long.MAX_VALUE
            : capacityRows * valuesPerRow;
    ensureRoom(rows * valuesPerRow, batchValues);
  }

  /**
   * Grows the buffer, keeping what was written, to hold {@code values} values; it at least doubles
   * when it grows, so that a batch gathered row by row is copied a few times at most.
   *
   * @throws ai.onnxspark.OnnxException when that many would not fit in one buffer
   */
  void ensureRoom(long values) {
    ensureRoom(values, Long.MAX_VALUE);
  }

  /** As {@link #ensureRoom(long)}, doubling no further than {@code atMost} values. */
  private void ensureRoom(long values, long atMost) {
    if (type == ElementType.STRING) {
      if (strings != null && strings.length >= values) {
        return;
      }
      long want = grown(values, strings == null ? 0 : strings.length, atMost);
      strings = strings == null ? new String[(int) want] : Arrays.copyOf(strings, (int) want);
      if (buffer == null) {
        buffer = ByteBuffer.allocate(0);
      }
      return;
    }
    long bytes = values * width;
    if (buffer != null && buffer.capacity() >= bytes) {
      return;
    }
    long most = Math.min(atMost, MAX_BUFFER) * width;
    long want = grown(bytes, buffer == null ? 0 : buffer.capacity(), most);
    // An idle buffer of an earlier task that holds the whole batch is taken at once, if it is not
    // far larger than what is needed now: a batch of ten rows never holds a buffer for millions.
    ByteBuffer bigger =
        DirectBuffers.take((int) want, Math.min(Math.max(want, most), REUSE_FACTOR * want));
    long biggerAddress = addressOf(bigger);
    if (buffer != null && written > 0) {
      Platform.copyMemory(null, address, null, biggerAddress, written * width);
    }
    // The smaller buffer is left to the garbage collector: only a batch's final buffer is kept.
    buffer = bigger;
    address = biggerAddress;
  }

  /**
   * Gives the native memory back for other tasks to reuse (see {@link DirectBuffers}); the buffer
   * is empty afterwards and allocates again if written to. Call when no tensor over it is open.
   */
  void release() {
    if (buffer != null && buffer.isDirect()) {
      DirectBuffers.give(buffer);
    }
    if (padded != null) {
      DirectBuffers.give(padded);
    }
    buffer = null;
    address = 0;
    padded = null;
    paddedAddress = 0;
    written = 0;
    marked = 0;
  }

  /** The size to grow to from {@code current} to hold {@code needed} (bytes or strings). */
  private long grown(long needed, long current, long atMost) {
    if (needed > MAX_BUFFER) {
      throw OnnxErrors.unsupportedInput(
          spec.name(),
          spec.typeString(),
          "a batch of "
              + (type == ElementType.STRING ? needed + " strings" : needed + " bytes")
              + " does not fit in one buffer; lower the batch size or "
              + ai.onnxspark.OnnxOptions.MAX_BATCH_BYTES_CONF);
    }
    return Math.max(needed, Math.min(Math.min(2 * current, atMost), MAX_BUFFER));
  }

  /** What the buffer holds now: bytes of native memory, or strings for a string input. */
  long capacity() {
    if (type == ElementType.STRING) {
      return strings == null ? 0 : strings.length;
    }
    return buffer == null ? 0 : buffer.capacity();
  }

  /** Bytes written in the current batch (strings count 16 bytes each, their reference and more). */
  long writtenBytes() {
    return type == ElementType.STRING ? written * 16 : written * width;
  }

  /**
   * Appends value {@code i} of {@code from}, held as {@code source}, converted to the input's
   * element type.
   *
   * @param where the row being added, named when the value is out of the element type's range
   * @throws ai.onnxspark.OnnxException for uint8 inputs, when the value is not in 0..255
   */
  void put(SpecializedGetters from, int i, NumericType source, RowContext where) {
    long at = address + written * width;
    switch (type) {
      case FLOAT:
        Platform.putFloat(
            null,
            at,
            source == NumericType.FLOAT
                ? from.getFloat(i)
                : source == NumericType.DOUBLE
                    ? (float) from.getDouble(i)
                    : (float) asLong(from, i, source));
        break;
      case DOUBLE:
        Platform.putDouble(null, at, asDouble(from, i, source));
        break;
      case INT32:
        Platform.putInt(null, at, (int) asLong(from, i, source));
        break;
      case INT64:
        Platform.putLong(null, at, asLong(from, i, source));
        break;
      case INT8:
        Platform.putByte(null, at, from.getByte(i));
        break;
      case INT16:
        Platform.putShort(null, at, (short) asLong(from, i, source));
        break;
      case UINT8:
        long value = asLong(from, i, source);
        if (value < 0 || value > 255) {
          throw OnnxErrors.outOfRange(
              spec.name(), spec.typeString(), column, value, "0..255", where.where());
        }
        Platform.putByte(null, at, (byte) value);
        break;
      case FLOAT16:
        Platform.putShort(null, at, Float16.fromFloat(asHalfSource(from, i, source)));
        break;
      case BFLOAT16:
        Platform.putShort(null, at, Float16.toBfloat16(asHalfSource(from, i, source)));
        break;
      case BOOL:
        Platform.putByte(null, at, from.getBoolean(i) ? (byte) 1 : (byte) 0);
        break;
      case STRING:
        strings[(int) written] = from.getUTF8String(i).toString();
        break;
      default:
        throw new IllegalStateException("unsupported element type " + type);
    }
    written++;
  }

  /** Appends {@code value} to a float ({@code toFloat}, rounded) or double input. */
  void putDouble(double value, boolean toFloat) {
    if (toFloat) {
      Platform.putFloat(null, address + written * 4, (float) value);
    } else {
      Platform.putDouble(null, address + written * 8, value);
    }
    written++;
  }

  /**
   * Overwrites value {@code index} (counted from the batch's start, below {@link #written()}) of a
   * float ({@code toFloat}, rounded) or double input.
   */
  void putDoubleAt(long index, double value, boolean toFloat) {
    long at = address + index * width;
    if (toFloat) {
      Platform.putFloat(null, at, (float) value);
    } else {
      Platform.putDouble(null, at, value);
    }
  }

  /**
   * Writes value {@code index} (counted from the batch's start) of a float input without moving the
   * cursor; {@link #advance} then takes the values written so in.
   */
  void putFloatAt(long index, float value) {
    Platform.putFloat(null, address + index * 4, value);
  }

  /** Moves the cursor past {@code values} values written with {@link #putFloatAt}. */
  void advance(long values) {
    written += values;
  }

  /**
   * Appends {@code values} values of the input's element type from memory at {@code offset} of
   * {@code base} (null for native memory), such as an {@code UnsafeArrayData}'s values.
   */
  void copyFrom(Object base, long offset, long values) {
    Platform.copyMemory(base, offset, null, address + written * width, values * width);
    written += values;
  }

  /** Appends the first {@code n} values of {@code values} to a float input. */
  void putAll(float[] values, int n) {
    copyFrom(values, Platform.FLOAT_ARRAY_OFFSET, n);
  }

  /** Appends the first {@code n} values of {@code values} to a double input. */
  void putAll(double[] values, int n) {
    copyFrom(values, Platform.DOUBLE_ARRAY_OFFSET, n);
  }

  /** Appends the first {@code n} values of {@code values} to an int32 input. */
  void putAll(int[] values, int n) {
    copyFrom(values, Platform.INT_ARRAY_OFFSET, n);
  }

  /** Appends the first {@code n} values of {@code values} to an int64 input. */
  void putAll(long[] values, int n) {
    copyFrom(values, Platform.LONG_ARRAY_OFFSET, n);
  }

  /**
   * Appends {@code n} values of the input's element type held little-endian in {@code bytes},
   * converted to native byte order.
   */
  void putLittleEndian(byte[] bytes, long n) {
    ByteBuffer values = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    long at = address + written * width;
    for (int i = 0; i < n; i++) {
      switch (width) {
        case 1:
          Platform.putByte(null, at + i, values.get(i));
          break;
        case 2:
          Platform.putShort(null, at + 2L * i, values.getShort(2 * i));
          break;
        case 4:
          Platform.putInt(null, at + 4L * i, values.getInt(4 * i));
          break;
        default:
          Platform.putLong(null, at + 8L * i, values.getLong(8 * i));
      }
    }
    written += n;
  }

  /**
   * A tensor of {@code shape} over the filled part of the buffer, without copying (string inputs:
   * over a copy of the strings). The caller closes it; the buffer must not be written while the
   * tensor is in use.
   */
  OnnxTensor toTensor(OrtEnvironment env, long[] shape) throws OrtException {
    long values = count(shape);
    if (type == ElementType.STRING) {
      return OnnxTensor.createTensor(
          env, strings == null ? new String[0] : Arrays.copyOf(strings, (int) values), shape);
    }
    if (values == 0) {
      // A tensor with a zero-size dimension: no values, and maybe no buffer yet.
      return OnnxTensor.createTensor(
          env, ByteBuffer.allocateDirect(0).order(ByteOrder.nativeOrder()), shape, javaType());
    }
    ByteBuffer view = buffer.duplicate().order(ByteOrder.nativeOrder());
    view.position(0).limit((int) (values * width));
    return OnnxTensor.createTensor(
        env, view.slice().order(ByteOrder.nativeOrder()), shape, javaType());
  }

  /**
   * Padded batches: a tensor of {@code shape} holding the batch's {@code rows} rows, written back
   * to back with {@code rowValues[r]} values each, every row padded to the longest ({@code perRow}
   * values) along the variable dimension. The padded copy's buffer is reused by the next call.
   */
  OnnxTensor toPaddedTensor(
      OrtEnvironment env, long[] shape, int rows, long[] rowValues, long perRow)
      throws OrtException {
    return OnnxTensor.createTensor(
        env, padToLongest(count(shape), rows, rowValues, perRow), shape, javaType());
  }

  private static long count(long[] shape) {
    long values = 1;
    for (long d : shape) {
      values *= d;
    }
    return values;
  }

  /** The batch's rows, each padded to the longest, in a buffer of {@code values} values. */
  private ByteBuffer padToLongest(long values, int rows, long[] rowValues, long perRow) {
    long bytes = values * width;
    if (padded == null || padded.capacity() < bytes) {
      padded = DirectBuffers.take((int) Math.max(bytes, 8), Math.max(bytes, 8) * 2);
      paddedAddress = addressOf(padded);
    }
    for (long i = 0; i < values; i++) {
      putPad(paddedAddress + i * width);
    }
    // Rows are back to back in the buffer; in the tensor the variable dimension is the longest.
    long rowStride = perRow;
    long read = 0;
    for (int r = 0; r < rows; r++) {
      long length = rowValues[r] / fixedPerRow;
      long longest = perRow / fixedPerRow;
      for (long o = 0; o < outer; o++) {
        long chunk = length * inner * width;
        Platform.copyMemory(
            null,
            address + read * width,
            null,
            paddedAddress + (r * rowStride + o * longest * inner) * width,
            chunk);
        read += length * inner;
      }
    }
    ByteBuffer view = padded.duplicate().order(ByteOrder.nativeOrder());
    view.position(0).limit((int) bytes);
    return view.slice().order(ByteOrder.nativeOrder());
  }

  private void putPad(long at) {
    double v = padValue;
    switch (type) {
      case FLOAT:
        Platform.putFloat(null, at, (float) v);
        break;
      case DOUBLE:
        Platform.putDouble(null, at, v);
        break;
      case FLOAT16:
        Platform.putShort(null, at, Float16.fromFloat((float) v));
        break;
      case BFLOAT16:
        Platform.putShort(null, at, Float16.toBfloat16((float) v));
        break;
      case INT32:
        Platform.putInt(null, at, (int) v);
        break;
      case INT64:
        Platform.putLong(null, at, (long) v);
        break;
      case INT16:
        Platform.putShort(null, at, (short) v);
        break;
      default:
        Platform.putByte(null, at, (byte) v);
    }
  }

  private OnnxJavaType javaType() {
    switch (type) {
      case FLOAT:
        return OnnxJavaType.FLOAT;
      case DOUBLE:
        return OnnxJavaType.DOUBLE;
      case INT32:
        return OnnxJavaType.INT32;
      case INT64:
        return OnnxJavaType.INT64;
      case INT8:
        return OnnxJavaType.INT8;
      case UINT8:
        return OnnxJavaType.UINT8;
      case INT16:
        return OnnxJavaType.INT16;
      case FLOAT16:
        return OnnxJavaType.FLOAT16;
      case BFLOAT16:
        return OnnxJavaType.BFLOAT16;
      case BOOL:
        return OnnxJavaType.BOOL;
      default:
        throw new IllegalStateException("unsupported element type " + type);
    }
  }

  /** A float, double or tinyint value as the float a 16-bit float input rounds. */
  private static float asHalfSource(SpecializedGetters from, int i, NumericType source) {
    return source == NumericType.FLOAT
        ? from.getFloat(i)
        : source == NumericType.DOUBLE ? (float) from.getDouble(i) : from.getByte(i);
  }

  private static long asLong(SpecializedGetters from, int i, NumericType type) {
    switch (type) {
      case BYTE:
        return from.getByte(i);
      case SHORT:
        return from.getShort(i);
      case INT:
        return from.getInt(i);
      case LONG:
        return from.getLong(i);
      default:
        throw new IllegalStateException("not an integral type: " + type);
    }
  }

  private static double asDouble(SpecializedGetters from, int i, NumericType type) {
    switch (type) {
      case FLOAT:
        return from.getFloat(i);
      case DOUBLE:
        return from.getDouble(i);
      default:
        return asLong(from, i, type);
    }
  }
}
