package ai.onnxspark.internal.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.TreeMap;

/**
 * Direct buffers that input tensors are written into, kept when a task ends for the next tasks of
 * this JVM. A fresh direct buffer costs far more than its size suggests: the JVM zeroes it and the
 * operating system faults its pages in on first touch, and it is freed only when the garbage
 * collector finds it. Image batches of 32 rows need about 19 MB; allocated anew by every task, that
 * cost about a millisecond of CPU per image.
 *
 * <p>At most {@link #MAX_KEPT} bytes are kept idle (128 MB, or a sixteenth of the heap when that is
 * less, as direct memory is budgeted beside the heap); a buffer given back beyond that is left to
 * the garbage collector. A buffer is handed out to one owner at a time, with its old contents:
 * owners write every value they read (as they already do from batch to batch).
 */
final class DirectBuffers {
  /** Bytes of idle buffers kept at most, over all sizes. */
  static final long MAX_KEPT = Math.min(128L << 20, Runtime.getRuntime().maxMemory() / 16);

  private static final TreeMap<Integer, ArrayDeque<ByteBuffer>> IDLE = new TreeMap<>();
  private static long kept;

  private DirectBuffers() {}

  /**
   * A native-order direct buffer of at least {@code bytes} bytes: the smallest idle one of at most
   * {@code atMost} bytes, else a new one of exactly {@code bytes}.
   */
  static ByteBuffer take(int bytes, long atMost) {
    synchronized (IDLE) {
      Map.Entry<Integer, ArrayDeque<ByteBuffer>> smallest = IDLE.ceilingEntry(bytes);
      if (smallest != null && smallest.getKey() <= atMost) {
        ByteBuffer buffer = smallest.getValue().pollFirst();
        if (smallest.getValue().isEmpty()) {
          IDLE.remove(smallest.getKey());
        }
        kept -= buffer.capacity();
        return buffer.clear().order(ByteOrder.nativeOrder());
      }
    }
    return ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
  }

  /** Gives {@code buffer} back; its owner must not touch it any more. */
  static void give(ByteBuffer buffer) {
    if (buffer == null || !buffer.isDirect() || buffer.capacity() == 0) {
      return;
    }
    synchronized (IDLE) {
      if (kept + buffer.capacity() > MAX_KEPT) {
        return;
      }
      IDLE.computeIfAbsent(buffer.capacity(), c -> new ArrayDeque<>()).addFirst(buffer);
      kept += buffer.capacity();
    }
  }

  /** Drops every idle buffer (to the garbage collector); for tests that count fresh memory. */
  static void drain() {
    synchronized (IDLE) {
      IDLE.clear();
      kept = 0;
    }
  }

  /** Bytes held idle now. */
  static long kept() {
    synchronized (IDLE) {
      return kept;
    }
  }
}
