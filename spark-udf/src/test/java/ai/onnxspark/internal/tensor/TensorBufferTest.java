package ai.onnxspark.internal.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.spark.unsafe.Platform;
import org.junit.jupiter.api.Test;

class TensorBufferTest {

  @Test
  void addressOfPointsAtTheDirectBuffersMemory() {
    ByteBuffer buffer = ByteBuffer.allocateDirect(64).order(ByteOrder.nativeOrder());
    long address = TensorBuffer.addressOf(buffer);
    assertThat(address).isNotZero();

    Platform.putInt(null, address + 4, 0x12345678);
    Platform.putDouble(null, address + 8, 2.5);
    assertThat(buffer.getInt(4)).isEqualTo(0x12345678);
    assertThat(buffer.getDouble(8)).isEqualTo(2.5);

    buffer.putLong(16, -7L);
    assertThat(Platform.getLong(null, address + 16)).isEqualTo(-7L);
  }

  @Test
  void addressOfASliceIsOffsetByItsStart() {
    ByteBuffer buffer = ByteBuffer.allocateDirect(64);
    buffer.position(24);
    ByteBuffer slice = buffer.slice();
    assertThat(TensorBuffer.addressOf(slice)).isEqualTo(TensorBuffer.addressOf(buffer) + 24);
    // The position is not added: the address is the buffer's first byte.
    assertThat(TensorBuffer.addressOf(buffer.position(8)))
        .isEqualTo(TensorBuffer.addressOf(buffer));
  }

  @Test
  void addressOfRejectsHeapBuffers() {
    assertThatThrownBy(() -> TensorBuffer.addressOf(ByteBuffer.allocate(8)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a direct buffer");
  }
}
