package ai.onnxspark;

/**
 * A problem the user can act on: a bad option, a column that does not fit a model input, a row that
 * cannot be scored, a model ONNX Runtime cannot load, an unusable device, a call over its time
 * limit, or ONNX Runtime failing on a batch. The message says what happened, where (model, input,
 * column, row) and how to fix it; {@link #errorClass()} says which kind of problem it is, for
 * programs to switch on; the cause, when there is one, is the underlying error (for example ONNX
 * Runtime's {@code OrtException}).
 *
 * <p>Created by the library only (one factory keeps the messages alike); serializable, so that it
 * reaches the driver from executors intact.
 */
public class OnnxException extends RuntimeException {
  private static final long serialVersionUID = 2L;

  /** The kinds of problems, like Spark's error classes. */
  public enum ErrorClass {
    /** An option, argument or model name is wrong: fix the call or the Spark configuration. */
    CONFIGURATION,
    /** A column is missing, of the wrong type, or clashes with an output column. */
    SCHEMA,
    /** A row's values cannot be scored (null, wrong length, out of range). */
    ROW_INPUT,
    /** The model cannot be read, or ONNX Runtime cannot load it or one of its types. */
    MODEL,
    /** The requested device (a GPU) cannot be used here. */
    DEVICE,
    /** An ONNX Runtime call took longer than the limit set. */
    TIMEOUT,
    /** ONNX Runtime failed while scoring, or returned what the model did not declare. */
    RUNTIME
  }

  private final ErrorClass errorClass;

  /**
   * An error of {@code errorClass} with a message.
   *
   * @param errorClass the kind of problem
   * @param message what happened, where, and the fix
   */
  public OnnxException(ErrorClass errorClass, String message) {
    super(message);
    this.errorClass = errorClass;
  }

  /**
   * An error of {@code errorClass} with a message and the underlying cause.
   *
   * @param errorClass the kind of problem
   * @param message what happened, where, and the fix
   * @param cause the underlying error
   */
  public OnnxException(ErrorClass errorClass, String message, Throwable cause) {
    super(message, cause);
    this.errorClass = errorClass;
  }

  /**
   * The kind of problem.
   *
   * @return the error class, never null
   */
  public ErrorClass errorClass() {
    return errorClass;
  }
}
