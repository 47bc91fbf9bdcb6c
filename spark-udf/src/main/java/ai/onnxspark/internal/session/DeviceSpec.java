package ai.onnxspark.internal.session;

import ai.onnxspark.OnnxOptions;
import ai.onnxspark.internal.OnnxErrors;
import java.io.Serializable;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.spark.resource.ResourceInformation;

/**
 * Where sessions run, as the user asked: {@code cpu}, {@code cuda}, {@code tensorrt}, or {@code
 * auto} (the GPU Spark assigned to the task if there is one, else the CPU); the GPU id to use when
 * Spark assigned none (local mode); and whether an unusable GPU falls back to the CPU.
 *
 * <p>{@link #resolve} turns it, per task, into the device a session is cached under: {@code cpu},
 * {@code cuda:1}, {@code tensorrt:0}. Immutable and serializable.
 */
public final class DeviceSpec implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The kinds of device users can ask for. */
  public enum Kind {
    CPU,
    CUDA,
    TENSORRT,
    AUTO
  }

  private final Kind kind;
  private final int defaultGpuId;
  private final boolean fallbackToCpu;
  private final SortedMap<String, String> providerOptions;

  private DeviceSpec(
      Kind kind, int defaultGpuId, boolean fallbackToCpu, Map<String, String> providerOptions) {
    this.kind = Objects.requireNonNull(kind, "kind");
    if (defaultGpuId < 0) {
      throw OnnxErrors.badOption(
          OnnxOptions.GPU_DEVICE_ID_CONF, defaultGpuId, "a GPU id, 0 or more");
    }
    this.defaultGpuId = defaultGpuId;
    this.fallbackToCpu = fallbackToCpu;
    this.providerOptions = Collections.unmodifiableSortedMap(new TreeMap<>(providerOptions));
  }

  /**
   * Parses a device ({@code cpu|cuda|tensorrt|auto}) and a fallback ({@code none|cpu}).
   *
   * @throws ai.onnxspark.OnnxException for other values
   */
  public static DeviceSpec of(String device, int defaultGpuId, String fallback) {
    Kind kind;
    try {
      kind = Kind.valueOf(device.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw OnnxErrors.badOption(OnnxOptions.DEVICE, device, "cpu, cuda, tensorrt or auto");
    }
    String f = fallback.trim().toLowerCase(Locale.ROOT);
    if (!f.equals("none") && !f.equals("cpu")) {
      throw OnnxErrors.badOption(OnnxOptions.DEVICE_FALLBACK, fallback, "none or cpu");
    }
    return new DeviceSpec(kind, defaultGpuId, f.equals("cpu"), Map.of());
  }

  /**
   * A copy with options for the GPU execution provider, passed to ONNX Runtime as they are: for
   * CUDA {@code gpu_mem_limit}, {@code cudnn_conv_algo_search}, {@code arena_extend_strategy}, …;
   * for TensorRT {@code trt_fp16_enable}, {@code trt_engine_cache_enable}, {@code
   * trt_engine_cache_path}, …
   */
  public DeviceSpec withProviderOptions(Map<String, String> options) {
    return new DeviceSpec(kind, defaultGpuId, fallbackToCpu, options);
  }

  /** Options for the GPU execution provider, by key. */
  public SortedMap<String, String> providerOptions() {
    return providerOptions;
  }

  /** The CPU, with no fallback needed. */
  public static DeviceSpec cpu() {
    return new DeviceSpec(Kind.CPU, 0, false, Map.of());
  }

  public Kind kind() {
    return kind;
  }

  /** Whether a session that cannot use its GPU is created on the CPU instead of failing. */
  public boolean fallbackToCpu() {
    return fallbackToCpu;
  }

  /**
   * The device for a task with {@code resources} (Spark's task resources; empty in local mode):
   * {@code auto} takes the task's first {@code gpu} address if it has one, else the CPU; {@code
   * cuda} and {@code tensorrt} take it, else the configured default GPU id.
   *
   * @throws ai.onnxspark.OnnxException when the task's GPU address is not a number
   */
  public String resolve(Map<String, ResourceInformation> resources) {
    if (kind == Kind.CPU) {
      return "cpu";
    }
    Integer assigned = null;
    ResourceInformation gpu = resources == null ? null : resources.get("gpu");
    if (gpu != null && gpu.addresses().length > 0) {
      String address = gpu.addresses()[0];
      try {
        assigned = Integer.parseInt(address.trim());
      } catch (NumberFormatException e) {
        throw OnnxErrors.badOption(
            "the task's gpu resource address",
            address,
            "a CUDA device id (check the discovery script)");
      }
    }
    if (kind == Kind.AUTO) {
      return assigned == null ? "cpu" : "cuda:" + assigned;
    }
    int id = assigned != null ? assigned : defaultGpuId;
    return (kind == Kind.CUDA ? "cuda:" : "tensorrt:") + id;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof DeviceSpec)) {
      return false;
    }
    DeviceSpec that = (DeviceSpec) o;
    return kind == that.kind
        && defaultGpuId == that.defaultGpuId
        && fallbackToCpu == that.fallbackToCpu;
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, defaultGpuId, fallbackToCpu, providerOptions);
  }

  @Override
  public String toString() {
    return kind.name().toLowerCase(Locale.ROOT)
        + (fallbackToCpu ? " (fallback cpu)" : "")
        + (providerOptions.isEmpty() ? "" : " " + providerOptions);
  }
}
