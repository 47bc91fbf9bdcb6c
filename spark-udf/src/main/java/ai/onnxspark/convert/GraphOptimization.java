package ai.onnxspark.convert;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxspark.internal.OnnxErrors;
import ai.onnxspark.internal.session.SessionOptionsSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * ONNX Runtime's graph optimization (constant folding, node fusions) run once, here, with the
 * optimized graph kept as model bytes, so that sessions created from them (one per executor) skip
 * the work.
 *
 * <p>Levels {@code basic} and {@code extended} give graphs that any device can run; {@code
 * extended} may fuse nodes into operators of ONNX Runtime's own domain that only some providers
 * implement, so optimize for the device that scores. {@code all} adds CPU-specific layouts.
 * Thread-safe.
 */
public final class GraphOptimization {
  private GraphOptimization() {}

  /**
   * The model optimized at {@code level}.
   *
   * @throws ai.onnxspark.OnnxException when ONNX Runtime cannot load or optimize the model
   */
  public static byte[] apply(
      byte[] model, SessionOptionsSpec.OptimizationLevel level, String source) {
    Path file = null;
    try {
      file = Files.createTempFile("onnx-optimized-", ".onnx");
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
        options.setOptimizationLevel(level.ort());
        options.setOptimizedModelFilePath(file.toString());
        try (OrtSession session = env.createSession(model, options)) {
          // Creating the session writes the optimized graph.
        }
      }
      return Files.readAllBytes(file);
    } catch (OrtException | IOException e) {
      throw OnnxErrors.cannotConvert(
          "Cannot optimize " + source + " at level " + level + ": " + e.getMessage(), e);
    } finally {
      if (file != null) {
        try {
          Files.deleteIfExists(file);
        } catch (IOException e) {
          file.toFile().deleteOnExit();
        }
      }
    }
  }
}
