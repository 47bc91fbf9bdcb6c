package ai.onnxspark.internal.session;

import java.io.Serializable;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What identifies one cached session: the model's fingerprint, the resolved session options and the
 * device ({@code cpu}, or a GPU's provider and id such as {@code cuda:1}).
 */
public final class SessionKey implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String fingerprint;
  private final SessionOptionsSpec options;
  private final String device;
  private final boolean fallbackToCpu;
  private final SortedMap<String, String> providerOptions;

  /** A key for a session on {@code device} that fails when the device is unusable. */
  public SessionKey(String fingerprint, SessionOptionsSpec options, String device) {
    this(fingerprint, options, device, false);
  }

  /**
   * A key for a session on {@code device} ({@code cpu}, {@code cuda:N}, {@code tensorrt:N}); with
   * {@code fallbackToCpu}, an unusable GPU gives a CPU session instead of an error.
   */
  public SessionKey(
      String fingerprint, SessionOptionsSpec options, String device, boolean fallbackToCpu) {
    this(fingerprint, options, device, fallbackToCpu, Map.of());
  }

  /** As the four-argument form, with options for the GPU execution provider. */
  public SessionKey(
      String fingerprint,
      SessionOptionsSpec options,
      String device,
      boolean fallbackToCpu,
      Map<String, String> providerOptions) {
    this.providerOptions = Collections.unmodifiableSortedMap(new TreeMap<>(providerOptions));
    this.fingerprint = Objects.requireNonNull(fingerprint, "fingerprint");
    this.options = Objects.requireNonNull(options, "options");
    this.device = Objects.requireNonNull(device, "device");
    this.fallbackToCpu = fallbackToCpu;
  }

  /** Options for the GPU execution provider. */
  public SortedMap<String, String> providerOptions() {
    return providerOptions;
  }

  /** Whether an unusable GPU gives a CPU session instead of an error. */
  public boolean fallbackToCpu() {
    return fallbackToCpu;
  }

  public String fingerprint() {
    return fingerprint;
  }

  public SessionOptionsSpec options() {
    return options;
  }

  public String device() {
    return device;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof SessionKey)) {
      return false;
    }
    SessionKey that = (SessionKey) o;
    return fingerprint.equals(that.fingerprint)
        && options.equals(that.options)
        && device.equals(that.device)
        && fallbackToCpu == that.fallbackToCpu
        && providerOptions.equals(that.providerOptions);
  }

  @Override
  public int hashCode() {
    return Objects.hash(fingerprint, options, device, fallbackToCpu, providerOptions);
  }

  @Override
  public String toString() {
    return fingerprint.substring(0, Math.min(12, fingerprint.length()))
        + "/"
        + device
        + "/"
        + options;
  }
}
