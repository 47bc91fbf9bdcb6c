package ai.onnxspark.internal.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.onnxspark.model.ElementType;
import ai.onnxspark.testing.TestModels;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Outputs are read where ONNX Runtime left them: with the pinned ONNX Runtime the view is there (a
 * newer one that drops it makes this test say so, and the library falls back to copies), and it
 * holds exactly what ONNX Runtime's own copy holds, for every width.
 */
class OutputMemoryTest {

  @Test
  void theViewOfAnOutputHoldsWhatOnnxRuntimesCopyHolds() throws Exception {
    assertThat(OutputMemory.viewsNativeMemory()).isTrue();
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    for (ElementType type :
        new ElementType[] {
          ElementType.FLOAT, ElementType.DOUBLE, ElementType.INT32, ElementType.INT64
        }) {
      try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
          OrtSession session =
              env.createSession(TestModels.twoXPlusOne(type, "batch", 5), options);
          OnnxTensor input = input(env, type, 7, 5);
          OrtSession.Result result = session.run(Map.of("x", input))) {
        OnnxTensor output = (OnnxTensor) result.get(0);
        ByteBuffer view = OutputMemory.of(output);
        ByteBuffer copy = output.getByteBuffer();

        assertThat(view.isDirect()).as(type.toString()).isTrue();
        assertThat(view.order()).isEqualTo(ByteOrder.nativeOrder());
        assertThat(view.capacity())
            .as(type.toString())
            .isEqualTo(copy.capacity())
            .isEqualTo(7 * 5 * type.byteSize());
        byte[] viewed = new byte[view.capacity()];
        view.get(0, viewed);
        assertThat(viewed).as(type.toString()).isEqualTo(copy.array());
        // Two times the input plus one, in the tensor's own type.
        if (type == ElementType.FLOAT) {
          assertThat(view.getFloat(4 * 4)).isEqualTo(2 * 4f + 1);
        } else if (type == ElementType.INT64) {
          assertThat(view.getLong(8 * 34)).isEqualTo(2 * 34L + 1);
        }
      }
    }
  }

  private static OnnxTensor input(OrtEnvironment env, ElementType type, int rows, int perRow)
      throws Exception {
    int n = rows * perRow;
    ByteBuffer values =
        ByteBuffer.allocateDirect(n * type.byteSize()).order(ByteOrder.nativeOrder());
    for (int i = 0; i < n; i++) {
      switch (type) {
        case FLOAT -> values.putFloat(i);
        case DOUBLE -> values.putDouble(i);
        case INT32 -> values.putInt(i);
        default -> values.putLong(i);
      }
    }
    values.flip();
    ai.onnxruntime.OnnxJavaType javaType =
        switch (type) {
          case FLOAT -> ai.onnxruntime.OnnxJavaType.FLOAT;
          case DOUBLE -> ai.onnxruntime.OnnxJavaType.DOUBLE;
          case INT32 -> ai.onnxruntime.OnnxJavaType.INT32;
          default -> ai.onnxruntime.OnnxJavaType.INT64;
        };
    return OnnxTensor.createTensor(env, values, new long[] {rows, perRow}, javaType);
  }
}
