package ai.onnxspark.internal.tensor;

import ai.onnxruntime.OnnxTensor;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Reads an output tensor's values where ONNX Runtime left them. The public {@link
 * OnnxTensor#getByteBuffer()} copies them into a new heap buffer first: for a small model, whose
 * outputs are read thousands of times a second, that allocation is most of what reading them costs.
 * ONNX Runtime's Java API keeps a view of the native memory private ({@code getBuffer()}); it is
 * looked up once, and when it cannot be (another ONNX Runtime version, a module that does not open
 * it) the public copy is used.
 */
final class OutputMemory {
  /** {@code OnnxTensor.getBuffer()}, or null when it is not there. */
  private static final MethodHandle VIEW;

  static {
    MethodHandle view = null;
    try {
      Method method = OnnxTensor.class.getDeclaredMethod("getBuffer");
      if (method.getReturnType() == ByteBuffer.class && method.getParameterCount() == 0) {
        method.setAccessible(true);
        view = MethodHandles.lookup().unreflect(method);
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      view = null;
    }
    VIEW = view;
  }

  private OutputMemory() {}

  /**
   * The tensor's values (not strings) in native byte order, from position 0: a view of ONNX
   * Runtime's memory, valid while the tensor is open, or a copy when no view can be had. Read it
   * before the tensor (or the result holding it) is closed, and never write to it.
   */
  static ByteBuffer of(OnnxTensor tensor) {
    if (VIEW != null) {
      try {
        ByteBuffer view = (ByteBuffer) VIEW.invokeExact(tensor);
        if (view != null) {
          return view.order(ByteOrder.nativeOrder());
        }
      } catch (RuntimeException | Error e) {
        throw e;
      } catch (Throwable e) {
        // Not expected from a method that declares nothing: fall back to the copy.
      }
    }
    return tensor.getByteBuffer().order(ByteOrder.nativeOrder());
  }

  /** Whether {@link #of} gives views rather than copies here. */
  static boolean viewsNativeMemory() {
    return VIEW != null;
  }
}
