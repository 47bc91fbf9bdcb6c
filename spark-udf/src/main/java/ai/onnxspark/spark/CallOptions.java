package ai.onnxspark.spark;

/**
 * The options set on one {@link OnnxModel} (per call), each null when unset, so that the Spark conf
 * and then the defaults of {@link ai.onnxspark.OnnxOptions} apply. Immutable.
 */
record CallOptions(
    Integer batchSize,
    Integer intraOpThreads,
    String optimizationLevel,
    String device,
    String deviceFallback,
    Double gpusPerTask,
    String errorColumn,
    java.util.Map<String, String> providerOptions,
    Long batchTimeoutMs) {

  static final CallOptions NONE =
      new CallOptions(null, null, null, null, null, null, null, java.util.Map.of(), null);

  CallOptions withProviderOption(String key, String value) {
    java.util.Map<String, String> copy = new java.util.TreeMap<>(providerOptions);
    copy.put(key, value);
    return new CallOptions(
        batchSize,
        intraOpThreads,
        optimizationLevel,
        device,
        deviceFallback,
        gpusPerTask,
        errorColumn,
        copy,
        batchTimeoutMs);
  }

  CallOptions withBatchSize(int v) {
    return new CallOptions(
        v,
        intraOpThreads,
        optimizationLevel,
        device,
        deviceFallback,
        gpusPerTask,
        errorColumn,
        providerOptions,
        batchTimeoutMs);
  }

  CallOptions withIntraOpThreads(int v) {
    return new CallOptions(
        batchSize,
        v,
        optimizationLevel,
        device,
        deviceFallback,
        gpusPerTask,
        errorColumn,
        providerOptions,
        batchTimeoutMs);
  }

  CallOptions withOptimizationLevel(String v) {
    return new CallOptions(
        batchSize,
        intraOpThreads,
        v,
        device,
        deviceFallback,
        gpusPerTask,
        errorColumn,
        providerOptions,
        batchTimeoutMs);
  }

  CallOptions withDevice(String v) {
    return new CallOptions(
        batchSize,
        intraOpThreads,
        optimizationLevel,
        v,
        deviceFallback,
        gpusPerTask,
        errorColumn,
        providerOptions,
        batchTimeoutMs);
  }

  CallOptions withDeviceFallback(String v) {
    return new CallOptions(
        batchSize,
        intraOpThreads,
        optimizationLevel,
        device,
        v,
        gpusPerTask,
        errorColumn,
        providerOptions,
        batchTimeoutMs);
  }

  CallOptions withGpusPerTask(double v) {
    return new CallOptions(
        batchSize,
        intraOpThreads,
        optimizationLevel,
        device,
        deviceFallback,
        v,
        errorColumn,
        providerOptions,
        batchTimeoutMs);
  }

  CallOptions withErrorColumn(String v) {
    return new CallOptions(
        batchSize,
        intraOpThreads,
        optimizationLevel,
        device,
        deviceFallback,
        gpusPerTask,
        v,
        providerOptions,
        batchTimeoutMs);
  }

  CallOptions withBatchTimeoutMs(long v) {
    return new CallOptions(
        batchSize,
        intraOpThreads,
        optimizationLevel,
        device,
        deviceFallback,
        gpusPerTask,
        errorColumn,
        providerOptions,
        v);
  }
}
