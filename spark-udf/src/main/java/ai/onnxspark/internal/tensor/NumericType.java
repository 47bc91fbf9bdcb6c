package ai.onnxspark.internal.tensor;

import ai.onnxspark.model.ElementType;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.types.UserDefinedType;

/**
 * The scalar Spark types a column (or an array's elements) may hold, and which model element types
 * each feeds safely.
 */
enum NumericType {
  BYTE,
  SHORT,
  INT,
  LONG,
  FLOAT,
  DOUBLE,
  BOOLEAN,
  STRING;

  /** The numeric type of a Spark scalar type, or null when it is not one this library reads. */
  static NumericType of(DataType type) {
    if (type.equals(DataTypes.ByteType)) {
      return BYTE;
    } else if (type.equals(DataTypes.ShortType)) {
      return SHORT;
    } else if (type.equals(DataTypes.IntegerType)) {
      return INT;
    } else if (type.equals(DataTypes.LongType)) {
      return LONG;
    } else if (type.equals(DataTypes.FloatType)) {
      return FLOAT;
    } else if (type.equals(DataTypes.DoubleType)) {
      return DOUBLE;
    } else if (type.equals(DataTypes.BooleanType)) {
      return BOOLEAN;
    } else if (type.equals(DataTypes.StringType)) {
      return STRING;
    }
    return null;
  }

  /**
   * Whether values of this type can feed {@code target} without losing information: exactly, or,
   * for uint8, with each value checked to be in range as it is read ({@link #rangeChecked}). Float
   * columns feed float16 inputs rounded to the nearest float16, as float16 models expect.
   */
  boolean convertsExactlyTo(ElementType target) {
    switch (target) {
      case FLOAT:
        return this == FLOAT || this == BYTE || this == SHORT;
      case DOUBLE:
        return this == DOUBLE || this == FLOAT || this == INT || this == SHORT || this == BYTE;
      case INT32:
        return this == INT || this == SHORT || this == BYTE;
      case INT64:
        return this == LONG || this == INT || this == SHORT || this == BYTE;
      case INT8:
        return this == BYTE;
      case INT16:
        return this == SHORT || this == BYTE;
      case UINT8:
        return this == BYTE || this == SHORT || this == INT || this == LONG;
      case FLOAT16:
      case BFLOAT16:
        return this == FLOAT || this == BYTE;
      case BOOL:
        return this == BOOLEAN;
      case STRING:
        return this == STRING;
      default:
        return false;
    }
  }

  /**
   * Whether this type can feed {@code target} when the user allows narrowing: double to float or
   * float16 (rounded), bigint to int (values beyond int's range wrap, so only for ids known to
   * fit).
   */
  boolean narrowsTo(ElementType target) {
    return this == DOUBLE
            && (target == ElementType.FLOAT
                || target == ElementType.FLOAT16
                || target == ElementType.BFLOAT16)
        || this == LONG && target == ElementType.INT32;
  }

  /** Whether feeding {@code target} from this type checks each value's range. */
  static boolean rangeChecked(ElementType target) {
    return target == ElementType.UINT8;
  }

  /**
   * Whether a Spark ML vector column is stored as this UDT: Spark ML's {@code VectorUDT} keeps a
   * vector as {@code struct<type:tinyint,size:int,indices:array<int>,values:array<double>>}, with
   * type 0 for sparse and 1 for dense. Matching the storage lets the library read vectors without a
   * compile-time dependency on Spark ML.
   */
  static boolean isVector(DataType type) {
    if (!(type instanceof UserDefinedType)) {
      return false;
    }
    DataType sql = ((UserDefinedType<?>) type).sqlType();
    if (!(sql instanceof StructType)) {
      return false;
    }
    StructField[] f = ((StructType) sql).fields();
    return f.length == 4
        && f[0].name().equals("type")
        && f[0].dataType().equals(DataTypes.ByteType)
        && f[1].name().equals("size")
        && f[1].dataType().equals(DataTypes.IntegerType)
        && f[2].name().equals("indices")
        && f[2].dataType() instanceof ArrayType
        && ((ArrayType) f[2].dataType()).elementType().equals(DataTypes.IntegerType)
        && f[3].name().equals("values")
        && f[3].dataType() instanceof ArrayType
        && ((ArrayType) f[3].dataType()).elementType().equals(DataTypes.DoubleType);
  }

  /** The Spark SQL name of the scalar type matching {@code target}. */
  static String sparkName(ElementType target) {
    switch (target) {
      case FLOAT:
        return "float";
      case DOUBLE:
        return "double";
      case INT32:
        return "int";
      case INT64:
        return "bigint";
      case INT8:
        return "tinyint";
      case INT16:
        return "smallint";
      case BOOL:
        return "boolean";
      case UINT8:
        return "smallint";
      case FLOAT16:
      case BFLOAT16:
        return "float";
      case STRING:
        return "string";
      default:
        return target.toString();
    }
  }
}
