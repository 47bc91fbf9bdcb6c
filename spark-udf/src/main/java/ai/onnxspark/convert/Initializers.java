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
      raw.putShort(ai.onnxspark.internal.tensor.Float16.fromFloat(v));
    }
    TensorProto.Builder b =
        TensorProto.newBuilder()
            .setName(name)
            .setDataType(TensorProto.DataType.FLOAT16_VALUE)
            .setRawData(ByteString.copyFrom(raw.array()));
    dims.forEach(b::addDims);
    return b.build();
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
