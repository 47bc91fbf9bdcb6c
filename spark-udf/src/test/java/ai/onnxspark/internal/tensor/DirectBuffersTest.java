package ai.onnxspark.internal.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxspark.model.ElementType;
import ai.onnxspark.model.TensorSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;

/**
 * Direct buffers are reused across owners: what one gives back the next takes when it fits, never
 * one too large for the taker's batch, never beyond the kept limit; a released tensor buffer's
 * memory serves the next one, whose tensors hold only what it wrote.
 */
class DirectBuffersTest {

  /** Sizes no other test uses, so that the JVM-wide pool holds nothing of these sizes before. */
  private static final int SIZE = 3 * 1024 * 1024 + 13;

  @Test
  void aBufferGivenBackIsTakenAgainWhenItFitsAndNotWhenItIsTooLarge() {
    ByteBuffer first = DirectBuffers.take(SIZE, SIZE);
    assertThat(first.isDirect()).isTrue();
    assertThat(first.capacity()).isEqualTo(SIZE);
    assertThat(first.order()).isEqualTo(ByteOrder.nativeOrder());
    first.position(100).limit(200).order(ByteOrder.BIG_ENDIAN);
    DirectBuffers.give(first);

    // Larger than the taker allows: a new buffer, the idle one stays.
    ByteBuffer small = DirectBuffers.take(SIZE / 2, SIZE - 1);
    assertThat(small).isNotSameAs(first);
    assertThat(small.capacity()).isEqualTo(SIZE / 2);
    // Fits: the same memory, cleared and in native order.
    ByteBuffer again = DirectBuffers.take(SIZE / 2, SIZE);
    assertThat(again).isSameAs(first);
    assertThat(again.position()).isZero();
    assertThat(again.limit()).isEqualTo(SIZE);
    assertThat(again.order()).isEqualTo(ByteOrder.nativeOrder());
    // Taken once: the next taker gets a new one.
    assertThat(DirectBuffers.take(SIZE, SIZE)).isNotSameAs(first);
    // Heap buffers and empty ones are not kept.
    long before = DirectBuffers.kept();
    DirectBuffers.give(ByteBuffer.allocate(SIZE));
    DirectBuffers.give(ByteBuffer.allocateDirect(0));
    assertThat(DirectBuffers.kept()).isEqualTo(before);
  }

  @Test
  void nothingIsKeptBeyondTheLimit() {
    int big = (int) (DirectBuffers.MAX_KEPT / 3) + 7;
    ByteBuffer[] buffers = new ByteBuffer[4];
    for (int i = 0; i < buffers.length; i++) {
      buffers[i] = DirectBuffers.take(big, big);
    }
    // Earlier tests of this JVM may have left buffers idle: only what fits beside them is kept.
    long before = DirectBuffers.kept();
    for (ByteBuffer buffer : buffers) {
      DirectBuffers.give(buffer);
    }
    assertThat(DirectBuffers.kept()).isLessThanOrEqualTo(DirectBuffers.MAX_KEPT);
    long fitting = Math.min(buffers.length, (DirectBuffers.MAX_KEPT - before) / big);
    assertThat(fitting).isLessThan(buffers.length);
    int reused = 0;
    for (int i = 0; i < buffers.length; i++) {
      ByteBuffer taken = DirectBuffers.take(big, big);
      for (ByteBuffer buffer : buffers) {
        reused += taken == buffer ? 1 : 0;
      }
    }
    assertThat(reused).isEqualTo(fitting);
  }

  @Test
  void aReleasedTensorBuffersMemoryServesTheNextAndItsTensorsHoldOnlyWhatItWrote()
      throws Exception {
    // 61 rows of 1009 floats: a size no other test gives back.
    TensorSpec spec = TensorSpec.tensor("x", ElementType.FLOAT, -1, 1009);
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    TensorBuffer first = new TensorBuffer(spec, "features", 61, new long[] {1009}, null);
    first.ensureRows(61, 1009);
    for (int i = 0; i < 61 * 1009; i++) {
      first.putFloatAt(i, 7f);
    }
    first.advance(61 * 1009);
    long memory = first.capacity();
    first.release();
    assertThat(first.capacity()).isZero();

    // The next owner growing to 60 rows takes that idle buffer, which holds its whole batch.
    TensorBuffer second = new TensorBuffer(spec, "features", 61, new long[] {1009}, null);
    second.ensureRows(60, 1009);
    assertThat(second.capacity()).isEqualTo(memory);
    for (int i = 0; i < 2 * 1009; i++) {
      second.putFloatAt(i, i);
    }
    second.advance(2 * 1009);
    try (OnnxTensor tensor = second.toTensor(env, new long[] {2, 1009})) {
      FloatBuffer values = tensor.getFloatBuffer();
      assertThat(values.remaining()).isEqualTo(2 * 1009);
      for (int i = 0; i < 2 * 1009; i++) {
        assertThat(values.get(i)).isEqualTo((float) i);
      }
    }
    second.release();
  }
}
