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
 * How one model output becomes a column: the column's name and Spark type, and how an output
 * tensor of a batch is split into one value per row. A per-row tensor of one element becomes a
 * scalar column; any other becomes an array column holding the row's values in row-major order.
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
      throw OnnxErrors.unsupportedOutput(spec.name(), spec.typeString(), "only tensor outputs are supported yet");
    }
    if (elementType(spec.elementType()) == null) {
      throw OnnxErrors.unsupportedOutput(
          spec.name(),
          spec.typeString(),
          "element type " + spec.elementType() + " is not supported yet (float, double, int32, int64, bool)");
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
    DataType element = elementType(spec.elementType());
    DataType type = scalar ? element : DataTypes.createArrayType(element, false);
    return DataTypes.createStructField(column, type, false);
  }

  /**
   * Splits a batch's output into one Spark value per row (boxed scalars or {@link
   * UnsafeArrayData}), written to {@code into[0..rows)}.
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
          spec.name(), spec.typeString(), rows, Arrays.toString(shape), "each row must get one value");
    }
    switch (spec.elementType()) {
      case FLOAT:
        {
          float[] all = tensor.getFloatBuffer().array();
          for (int r = 0; r < rows; r++) {
            into[r] =
                scalar
                    ? (Object) all[r]
                    : UnsafeArrayData.fromPrimitiveArray(
                        all, Platform.FLOAT_ARRAY_OFFSET + r * perRow * 4, perRow, 4);
          }
          break;
        }
      case DOUBLE:
        {
          double[] all = tensor.getDoubleBuffer().array();
          for (int r = 0; r < rows; r++) {
            into[r] =
                scalar
                    ? (Object) all[r]
                    : UnsafeArrayData.fromPrimitiveArray(
                        all, Platform.DOUBLE_ARRAY_OFFSET + r * perRow * 8, perRow, 8);
          }
          break;
        }
      case INT32:
        {
          int[] all = tensor.getIntBuffer().array();
          for (int r = 0; r < rows; r++) {
            into[r] =
                scalar
                    ? (Object) all[r]
                    : UnsafeArrayData.fromPrimitiveArray(
                        all, Platform.INT_ARRAY_OFFSET + r * perRow * 4, perRow, 4);
          }
          break;
        }
      case INT64:
        {
          long[] all = tensor.getLongBuffer().array();
          for (int r = 0; r < rows; r++) {
            into[r] =
                scalar
                    ? (Object) all[r]
                    : UnsafeArrayData.fromPrimitiveArray(
                        all, Platform.LONG_ARRAY_OFFSET + r * perRow * 8, perRow, 8);
          }
          break;
        }
      default:
        {
          ByteBuffer bytes = tensor.getByteBuffer();
          for (int r = 0; r < rows; r++) {
            if (scalar) {
              into[r] = bytes.get(r) != 0;
            } else {
              boolean[] row = new boolean[perRow];
              for (int i = 0; i < perRow; i++) {
                row[i] = bytes.get(r * perRow + i) != 0;
              }
              into[r] = UnsafeArrayData.fromPrimitiveArray(row);
            }
          }
        }
    }
  }
}
