package ai.onnxspark.tensor;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxspark.OnnxErrors;
import ai.onnxspark.model.ElementType;
import ai.onnxspark.model.TensorSpec;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.unsafe.Platform;

/**
 * How one model output becomes a column: the column's name and Spark type, and how an output tensor
 * of a batch is split into one value per row. A per-row tensor of one element becomes a scalar
 * column; any other becomes an array column holding the row's values in row-major order.
 *
 * <p>Immutable and serializable. Supported element types: float, double, int32, int64, bool.
 */
public final class OutputBinding implements Serializable {
  private static final long serialVersionUID = 1L;

  private final TensorSpec spec;
  private final String column;
  private final boolean scalar;

  private OutputBinding(TensorSpec spec, String column, boolean scalar) {
    this.spec = spec;
    this.column = column;
    this.scalar = scalar;
  }

  /**
   * The binding of model output {@code spec} to a new column named {@code column}.
   *
   * @throws ai.onnxspark.OnnxException when the output's kind or element type has no column form
   */
  public static OutputBinding bind(TensorSpec spec, String column) {
    if (spec.kind() != TensorSpec.Kind.TENSOR) {
      throw OnnxErrors.unsupportedOutput(
          spec.name(), spec.typeString(), "only tensor outputs are supported yet");
    }
    if (elementType(spec.elementType()) == null) {
      throw OnnxErrors.unsupportedOutput(
          spec.name(),
          spec.typeString(),
          "element type "
              + spec.elementType()
              + " is not supported yet (float, double, int32, int64, bool)");
    }
    boolean scalar = false;
    if (spec.shapeKnown() && spec.rank() >= 1) {
      scalar = true;
      long[] dims = spec.dims();
      for (int i = 1; i < dims.length; i++) {
        scalar &= dims[i] == 1;
      }
    }
    return new OutputBinding(spec, column, scalar);
  }

  private static DataType elementType(ElementType type) {
    switch (type) {
      case FLOAT:
        return DataTypes.FloatType;
      case DOUBLE:
        return DataTypes.DoubleType;
      case INT32:
        return DataTypes.IntegerType;
      case INT64:
        return DataTypes.LongType;
      case BOOL:
        return DataTypes.BooleanType;
      default:
        return null;
    }
  }

  /** The model output's name. */
  public String outputName() {
    return spec.name();
  }

  /** The model output as the model declares it. */
  public TensorSpec spec() {
    return spec;
  }

  /** The column's name. */
  public String column() {
    return column;
  }

  /** Whether each row gets a single value rather than an array. */
  public boolean scalar() {
    return scalar;
  }

  /** The column's field: the element type, or an array of it; never null. */
  public StructField field() {
    return field(false);
  }

  /** The column's field, nullable where rows that fail get null (permissive mode). */
  public StructField field(boolean nullable) {
    DataType element = elementType(spec.elementType());
    DataType type = scalar ? element : DataTypes.createArrayType(element, false);
    return DataTypes.createStructField(column, type, nullable);
  }

  /** A reusable splitter for one task, for batches of up to {@code batchSize} rows. */
  public Splitter newSplitter(int batchSize) {
    return new Splitter(batchSize);
  }

  /**
   * Splits a batch's output into one Spark value per row: boxed scalars, or {@link UnsafeArrayData}
   * views into one arena per batch (no allocation per row). The values are valid until the next
   * call. Not thread-safe.
   */
  public final class Splitter {
    private final UnsafeArrayData[] slots;
    private long[] arena = new long[0];

    Splitter(int batchSize) {
      slots = new UnsafeArrayData[batchSize];
    }

    /**
     * Writes the per-row values of {@code value} to {@code into[0..rows)}.
     *
     * @throws ai.onnxspark.OnnxException when the output is not a tensor with one entry per row
     */
    public void split(OnnxValue value, int rows, Object[] into) {
      if (!(value instanceof OnnxTensor)) {
        throw OnnxErrors.outputShape(
            spec.name(), spec.typeString(), rows, value.getInfo().toString(), "it is not a tensor");
      }
      OnnxTensor tensor = (OnnxTensor) value;
      long[] shape = tensor.getInfo().getShape();
      if (shape.length == 0 || shape[0] != rows) {
        throw OnnxErrors.outputShape(
            spec.name(),
            spec.typeString(),
            rows,
            Arrays.toString(shape),
            "its first dimension must be the batch's row count");
      }
      long perRowLong = 1;
      for (int i = 1; i < shape.length; i++) {
        perRowLong *= shape[i];
      }
      int perRow = (int) perRowLong;
      if (scalar && perRow != 1) {
        throw OnnxErrors.outputShape(
            spec.name(),
            spec.typeString(),
            rows,
            Arrays.toString(shape),
            "each row must get one value");
      }
      ByteBuffer bytes = tensor.getByteBuffer();
      if (scalar) {
        splitScalars(bytes, rows, into);
      } else {
        splitArrays(bytes.array(), rows, perRow, into);
      }
    }

    private void splitScalars(ByteBuffer bytes, int rows, Object[] into) {
      for (int r = 0; r < rows; r++) {
        switch (spec.elementType()) {
          case FLOAT:
            into[r] = bytes.getFloat(r * 4);
            break;
          case DOUBLE:
            into[r] = bytes.getDouble(r * 8);
            break;
          case INT32:
            into[r] = bytes.getInt(r * 4);
            break;
          case INT64:
            into[r] = bytes.getLong(r * 8);
            break;
          default:
            into[r] = bytes.get(r) != 0;
        }
      }
    }

    private void splitArrays(byte[] values, int rows, int perRow, Object[] into) {
      int width = spec.elementType().byteSize();
      long header = UnsafeArrayData.calculateHeaderPortionInBytes(perRow);
      long valueBytes = (long) perRow * width;
      long rowBytes = header + ((valueBytes + 7) / 8) * 8;
      long words = rows * rowBytes / 8;
      if (arena.length < words) {
        arena = new long[(int) Math.max(words, arena.length * 2L)];
      }
      for (int r = 0; r < rows; r++) {
        long base = Platform.LONG_ARRAY_OFFSET + r * rowBytes;
        Platform.setMemory(arena, base, rowBytes, (byte) 0);
        Platform.putLong(arena, base, perRow);
        Platform.copyMemory(
            values, Platform.BYTE_ARRAY_OFFSET + r * valueBytes, arena, base + header, valueBytes);
        UnsafeArrayData slot = slots[r];
        if (slot == null) {
          slot = slots[r] = new UnsafeArrayData();
        }
        slot.pointTo(arena, base, (int) rowBytes);
        into[r] = slot;
      }
    }
  }
}
