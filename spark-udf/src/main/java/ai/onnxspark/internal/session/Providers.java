package ai.onnxspark.internal.session;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.providers.OrtCUDAProviderOptions;
import ai.onnxruntime.providers.OrtTensorRTProviderOptions;
import java.util.Map;
import java.util.TreeMap;

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
  static void add(
      OrtSession.SessionOptions options, String device, Map<String, String> providerOptions)
      throws OrtException {
    int colon = device.indexOf(':');
    String kind = colon < 0 ? device : device.substring(0, colon);
    int id = colon < 0 ? 0 : Integer.parseInt(device.substring(colon + 1));
    switch (kind) {
      case "cuda":
        try (OrtCUDAProviderOptions cuda = cuda(id, providerOptions)) {
          options.addCUDA(cuda);
        }
        break;
      case "tensorrt":
        try (OrtTensorRTProviderOptions trt = new OrtTensorRTProviderOptions(id)) {
          for (Map.Entry<String, String> e : providerOptions.entrySet()) {
            if (e.getKey().startsWith("trt_")) {
              trt.add(e.getKey(), e.getValue());
            }
          }
          options.addTensorrt(trt);
        }
        Map<String, String> rest = new TreeMap<>(providerOptions);
        rest.keySet().removeIf(k -> k.startsWith("trt_"));
        try (OrtCUDAProviderOptions cuda = cuda(id, rest)) {
          options.addCUDA(cuda);
        }
        break;
      default:
        throw new IllegalArgumentException("not a GPU device: " + device);
    }
  }

  /**
   * CUDA provider options for device {@code id}, to be closed by the caller once added (the session
   * options keep their own copy).
   */
  private static OrtCUDAProviderOptions cuda(int id, Map<String, String> providerOptions)
      throws OrtException {
    OrtCUDAProviderOptions cuda = new OrtCUDAProviderOptions(id);
    try {
      for (Map.Entry<String, String> e : providerOptions.entrySet()) {
        cuda.add(e.getKey(), e.getValue());
      }
      return cuda;
    } catch (OrtException | RuntimeException e) {
      cuda.close();
      throw e;
    }
  }
}
