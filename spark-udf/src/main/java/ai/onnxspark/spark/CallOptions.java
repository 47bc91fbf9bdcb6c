package ai.onnxspark.spark;

import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The options set on one {@link OnnxModel} (per call), each null when unset, so that the Spark conf
 * and then the defaults of {@link ai.onnxspark.OnnxOptions} apply. Immutable: every {@code withX}
 * returns a changed copy.
 */
final class CallOptions {
  static final CallOptions NONE = new CallOptions();

  private Integer batchSize;
  private Integer intraOpThreads;
  private String optimizationLevel;
  private String device;
  private String deviceFallback;
  private Double gpusPerTask;
  private String errorColumn;
  private Map<String, String> providerOptions = Map.of();
  private Long batchTimeoutMs;
  private boolean flattenOutputs;
  private String structColumn;
  private Map<String, Double> paddings = Map.of();
  private Map<String, ImageFeed> images = Map.of();
  private String keyColumn;
  private int bucketBatches = 1;
  private boolean narrowing;

  /** An image column feeding an input, with the per-channel normalisation. */
  record ImageFeed(String column, float[] mean, float[] std) implements java.io.Serializable {}

  private CallOptions() {}

  /** A copy with {@code change} applied; only ever called on a fresh copy. */
  private CallOptions with(Consumer<CallOptions> change) {
    CallOptions copy = new CallOptions();
    copy.batchSize = batchSize;
    copy.intraOpThreads = intraOpThreads;
    copy.optimizationLevel = optimizationLevel;
    copy.device = device;
    copy.deviceFallback = deviceFallback;
    copy.gpusPerTask = gpusPerTask;
    copy.errorColumn = errorColumn;
    copy.providerOptions = providerOptions;
    copy.batchTimeoutMs = batchTimeoutMs;
    copy.flattenOutputs = flattenOutputs;
    copy.structColumn = structColumn;
    copy.paddings = paddings;
    copy.images = images;
    copy.keyColumn = keyColumn;
    copy.bucketBatches = bucketBatches;
    copy.narrowing = narrowing;
    change.accept(copy);
    return copy;
  }

  CallOptions withBatchSize(int v) {
    return with(c -> c.batchSize = v);
  }

  CallOptions withIntraOpThreads(int v) {
    return with(c -> c.intraOpThreads = v);
  }

  CallOptions withOptimizationLevel(String v) {
    return with(c -> c.optimizationLevel = v);
  }

  CallOptions withDevice(String v) {
    return with(c -> c.device = v);
  }

  CallOptions withDeviceFallback(String v) {
    return with(c -> c.deviceFallback = v);
  }

  CallOptions withGpusPerTask(double v) {
    return with(c -> c.gpusPerTask = v);
  }

  CallOptions withErrorColumn(String v) {
    return with(c -> c.errorColumn = v);
  }

  CallOptions withProviderOption(String key, String value) {
    Map<String, String> options = new TreeMap<>(providerOptions);
    options.put(key, value);
    return with(c -> c.providerOptions = Map.copyOf(options));
  }

  CallOptions withBatchTimeoutMs(long v) {
    return with(c -> c.batchTimeoutMs = v);
  }

  CallOptions withFlattenOutputs(boolean v) {
    return with(c -> c.flattenOutputs = v);
  }

  CallOptions withPadding(String input, double value) {
    Map<String, Double> more = new TreeMap<>(paddings);
    more.put(input, value);
    return with(c -> c.paddings = Map.copyOf(more));
  }

  CallOptions withImage(String input, ImageFeed feed) {
    Map<String, ImageFeed> more = new TreeMap<>(images);
    more.put(input, feed);
    return with(c -> c.images = Map.copyOf(more));
  }

  CallOptions withNarrowing(boolean v) {
    return with(c -> c.narrowing = v);
  }

  boolean narrowing() {
    return narrowing;
  }

  CallOptions withBucketBatches(int v) {
    return with(c -> c.bucketBatches = v);
  }

  int bucketBatches() {
    return bucketBatches;
  }

  CallOptions withKeyColumn(String v) {
    return with(c -> c.keyColumn = v);
  }

  String keyColumn() {
    return keyColumn;
  }

  Map<String, ImageFeed> images() {
    return images;
  }

  Map<String, Double> paddings() {
    return paddings;
  }

  CallOptions withStructColumn(String v) {
    return with(c -> c.structColumn = v);
  }

  String structColumn() {
    return structColumn;
  }

  boolean flattenOutputs() {
    return flattenOutputs;
  }

  Integer batchSize() {
    return batchSize;
  }

  Integer intraOpThreads() {
    return intraOpThreads;
  }

  String optimizationLevel() {
    return optimizationLevel;
  }

  String device() {
    return device;
  }

  String deviceFallback() {
    return deviceFallback;
  }

  Double gpusPerTask() {
    return gpusPerTask;
  }

  String errorColumn() {
    return errorColumn;
  }

  Map<String, String> providerOptions() {
    return providerOptions;
  }

  Long batchTimeoutMs() {
    return batchTimeoutMs;
  }
}
