package ai.onnxspark;

/**
 * A problem the user can act on: a model that cannot be read, a column that does not fit a model
 * input, a row that cannot be scored, or ONNX Runtime failing on a batch. The message says what
 * happened, where (model, input, column, row) and how to fix it; the cause, when there is one, is
 * the underlying error (for example ONNX Runtime's {@code OrtException}).
 *
 * <p>Created through {@link OnnxErrors}, so that messages stay consistent.
 */
public class OnnxException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** An error with a message only. */
  public OnnxException(String message) {
    super(message);
  }

  /** An error with a message and the underlying cause. */
  public OnnxException(String message, Throwable cause) {
    super(message, cause);
  }
}
