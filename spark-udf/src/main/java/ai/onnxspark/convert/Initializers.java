package ai.onnxspark.convert;

import ai.onnxspark.onnx.OnnxProto.TensorProto;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Reading and writing the values of constant tensors (initializers). */
final class Initializers {
  private Initializers() {}

  /** The values of a float tensor, from {@code raw_data} or {@code float_data}. */
  static float[] floats(TensorProto tensor) {
    if (tensor.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
      throw new IllegalArgumentException(tensor.getName() + " is not a float tensor");
    }
    if (tensor.hasRawData()) {
      ByteBuffer raw = tensor.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      float[] values = new float[raw.remaining() / 4];
      raw.asFloatBuffer().get(values);
      return values;
    }
    float[] values = new float[tensor.getFloatDataCount()];
    for (int i = 0; i < values.length; i++) {
      values[i] = tensor.getFloatData(i);
    }
    return values;
  }

  /** Number of elements the dims describe. */
  static long elements(TensorProto tensor) {
    long n = 1;
    for (long d : tensor.getDimsList()) {
      n *= d;
    }
    return n;
  }

  static boolean isExternal(TensorProto tensor) {
    return tensor.getDataLocation() == TensorProto.DataLocation.EXTERNAL;
  }

  static TensorProto int8(String name, long[] dims, byte[] values) {
    return tensor(name, TensorProto.DataType.INT8, dims, values);
  }

  static TensorProto uint8(String name, long[] dims, byte[] values) {
    return tensor(name, TensorProto.DataType.UINT8, dims, values);
  }

  static TensorProto float32(String name, long[] dims, float[] values) {
    ByteBuffer raw = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    raw.asFloatBuffer().put(values);
    return tensor(name, TensorProto.DataType.FLOAT, dims, raw.array());
  }

  static TensorProto float16(String name, Iterable<Long> dims, float[] values) {
    ByteBuffer raw = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      raw.putShort(toHalf(v));
    }
    TensorProto.Builder b =
        TensorProto.newBuilder()
            .setName(name)
            .setDataType(TensorProto.DataType.FLOAT16_VALUE)
            .setRawData(ByteString.copyFrom(raw.array()));
    dims.forEach(b::addDims);
    return b.build();
  }

  /** IEEE 754 binary16 bits of {@code f}, rounded to nearest even (Java 17 has no such method). */
  static short toHalf(float f) {
    int bits = Float.floatToRawIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int exponent = (bits >>> 23) & 0xff;
    int mantissa = bits & 0x7fffff;
    if (exponent == 0xff) {
      // Inf stays Inf; NaN stays a (quiet) NaN.
      return (short) (sign | 0x7c00 | (mantissa != 0 ? 0x200 : 0));
    }
    int e = exponent - 127 + 15;
    if (e >= 0x1f) {
      return (short) (sign | 0x7c00);
    }
    if (e <= 0) {
      if (e < -10) {
        return (short) sign;
      }
      // Subnormal half: shift the mantissa with its implicit leading one.
      int m = mantissa | 0x800000;
      int shift = 14 - e;
      int half = m >> shift;
      int rest = m & ((1 << shift) - 1);
      int midpoint = 1 << (shift - 1);
      if (rest > midpoint || (rest == midpoint && (half & 1) == 1)) {
        half++;
      }
      return (short) (sign | half);
    }
    int half = (e << 10) | (mantissa >> 13);
    int rest = mantissa & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1) == 1)) {
      half++;
    }
    return (short) (sign | half);
  }

  private static TensorProto tensor(
      String name, TensorProto.DataType type, long[] dims, byte[] raw) {
    TensorProto.Builder b =
        TensorProto.newBuilder()
            .setName(name)
            .setDataType(type.getNumber())
            .setRawData(ByteString.copyFrom(raw));
    for (long d : dims) {
      b.addDims(d);
    }
    return b.build();
  }
}
