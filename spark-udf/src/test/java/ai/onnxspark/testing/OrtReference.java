package ai.onnxspark.testing;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.LinkedHashMap;
import java.util.Map;

/** Runs a model directly on ONNX Runtime, the reference that scoring on Spark must match. */
public final class OrtReference {
  private OrtReference() {}

  /**
   * Runs {@code model} once on {@code inputs} (Java arrays such as {@code float[rows][n]}) and
   * returns output {@code output} as the Java array ONNX Runtime gives ({@code float[rows][m]}).
   */
  public static Object run(byte[] model, Map<String, Object> inputs, String output)
      throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    Map<String, OnnxTensor> tensors = new LinkedHashMap<>();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        OrtSession session = env.createSession(model, options)) {
      for (Map.Entry<String, Object> e : inputs.entrySet()) {
        tensors.put(e.getKey(), OnnxTensor.createTensor(env, e.getValue()));
      }
      // Only the output asked for: others (an absent optional) are not fetched.
      try (OrtSession.Result result = session.run(tensors, java.util.Set.of(output))) {
        return result.get(output).orElseThrow().getValue();
      }
    } finally {
      tensors.values().forEach(OnnxTensor::close);
    }
  }
}
