package ai.onnxspark.model;

import java.util.Locale;

/**
 * The element types of ONNX tensors, with their codes in the ONNX format ({@code
 * TensorProto.DataType}) and their size in bytes. Names are ONNX's, in lower case ({@code float},
 * {@code int64}), as users see them in model viewers.
 */
public enum ElementType {
  /** No type: an unset element type in a malformed model. */
  UNDEFINED(0, 0),
  /** 32-bit IEEE float; Spark {@code float}. */
  FLOAT(1, 4),
  /** Unsigned 8-bit integer (0 to 255). */
  UINT8(2, 1),
  /** Signed 8-bit integer; Spark {@code byte}. */
  INT8(3, 1),
  /** Unsigned 16-bit integer. */
  UINT16(4, 2),
  /** Signed 16-bit integer; Spark {@code short}. */
  INT16(5, 2),
  /** Signed 32-bit integer; Spark {@code int}. */
  INT32(6, 4),
  /** Signed 64-bit integer; Spark {@code bigint}. */
  INT64(7, 8),
  /** UTF-8 string; Spark {@code string}. */
  STRING(8, 0),
  /** Boolean; Spark {@code boolean}. */
  BOOL(9, 1),
  /** 16-bit IEEE half-precision float. */
  FLOAT16(10, 2),
  /** 64-bit IEEE float; Spark {@code double}. */
  DOUBLE(11, 8),
  /** Unsigned 32-bit integer. */
  UINT32(12, 4),
  /** Unsigned 64-bit integer. */
  UINT64(13, 8),
  /** Complex number of two 32-bit floats (not scored). */
  COMPLEX64(14, 8),
  /** Complex number of two 64-bit floats (not scored). */
  COMPLEX128(15, 16),
  /** 16-bit brain float (8-bit exponent). */
  BFLOAT16(16, 2);

  private static final ElementType[] BY_CODE = new ElementType[17];

  static {
    for (ElementType type : values()) {
      BY_CODE[type.code] = type;
    }
  }

  private final int code;
  private final int byteSize;

  ElementType(int code, int byteSize) {
    this.code = code;
    this.byteSize = byteSize;
  }

  /** The type's code in the ONNX format. */
  public int code() {
    return code;
  }

  /** Bytes per element in a dense tensor; 0 for strings and undefined. */
  public int byteSize() {
    return byteSize;
  }

  /** The type for an ONNX code; {@link #UNDEFINED} for codes this library does not know. */
  public static ElementType fromCode(int code) {
    return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : UNDEFINED;
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
