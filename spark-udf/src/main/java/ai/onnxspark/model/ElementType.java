package ai.onnxspark.model;

import java.util.Locale;

/**
 * The element types of ONNX tensors, with their codes in the ONNX format ({@code
 * TensorProto.DataType}) and their size in bytes. Names are ONNX's, in lower case ({@code float},
 * {@code int64}), as users see them in model viewers.
 */
public enum ElementType {
  UNDEFINED(0, 0),
  FLOAT(1, 4),
  UINT8(2, 1),
  INT8(3, 1),
  UINT16(4, 2),
  INT16(5, 2),
  INT32(6, 4),
  INT64(7, 8),
  STRING(8, 0),
  BOOL(9, 1),
  FLOAT16(10, 2),
  DOUBLE(11, 8),
  UINT32(12, 4),
  UINT64(13, 8),
  COMPLEX64(14, 8),
  COMPLEX128(15, 16),
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
