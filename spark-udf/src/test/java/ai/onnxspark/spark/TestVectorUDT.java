package ai.onnxspark.spark;

import java.io.Serializable;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.types.UserDefinedType;

/**
 * A vector type stored exactly as Spark ML's {@code VectorUDT} stores vectors (Spark ML is not a
 * dependency of the library), so tests can feed dense and sparse vector columns.
 */
public class TestVectorUDT extends UserDefinedType<TestVectorUDT.Vector> {
  private static final long serialVersionUID = 1L;

  /** A dense vector (indices null) or a sparse one. */
  public record Vector(int size, int[] indices, double[] values) implements Serializable {
    public static Vector dense(double... values) {
      return new Vector(values.length, null, values);
    }

    public static Vector sparse(int size, int[] indices, double[] values) {
      return new Vector(size, indices, values);
    }
  }

  @Override
  public DataType sqlType() {
    return new StructType()
        .add("type", DataTypes.ByteType, false)
        .add("size", DataTypes.IntegerType, true)
        .add("indices", DataTypes.createArrayType(DataTypes.IntegerType, false), true)
        .add("values", DataTypes.createArrayType(DataTypes.DoubleType, false), true);
  }

  @Override
  public Object serialize(Vector v) {
    boolean dense = v.indices() == null;
    return new GenericInternalRow(
        new Object[] {
          (byte) (dense ? 1 : 0),
          dense ? null : v.size(),
          dense ? null : new GenericArrayData(v.indices()),
          new GenericArrayData(v.values())
        });
  }

  @Override
  public Vector deserialize(Object datum) {
    InternalRow row = (InternalRow) datum;
    ArrayData values = row.getArray(3);
    if (row.getByte(0) == 1) {
      return Vector.dense(values.toDoubleArray());
    }
    return Vector.sparse(row.getInt(1), row.getArray(2).toIntArray(), values.toDoubleArray());
  }

  @Override
  public Class<Vector> userClass() {
    return Vector.class;
  }
}
