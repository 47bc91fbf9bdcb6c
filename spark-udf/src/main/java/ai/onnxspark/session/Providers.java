package ai.onnxspark.session;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

/**
 * Adds the execution provider of a resolved device ({@code cuda:N}, {@code tensorrt:N}) to session
 * options.
 */
final class Providers {
  private Providers() {}

  /**
   * Adds the provider for {@code device}; TensorRT gets CUDA after it for the nodes TensorRT does
   * not take. The CPU provider is always ONNX Runtime's last resort.
   *
   * @throws OrtException when the provider is not in this ONNX Runtime build or cannot start
   */
  static void add(OrtSession.SessionOptions options, String device) throws OrtException {
    int colon = device.indexOf(':');
    String kind = colon < 0 ? device : device.substring(0, colon);
    int id = colon < 0 ? 0 : Integer.parseInt(device.substring(colon + 1));
    switch (kind) {
      case "cuda":
        options.addCUDA(id);
        break;
      case "tensorrt":
        options.addTensorrt(id);
        options.addCUDA(id);
        break;
      default:
        throw new IllegalArgumentException("not a GPU device: " + device);
    }
  }
}
