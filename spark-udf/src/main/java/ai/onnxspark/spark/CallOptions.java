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
    java.util.Map<String, String> providerOptions) {

  static final CallOptions NONE =
      new CallOptions(null, null, null, null, null, null, null, java.util.Map.of());

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
        copy);
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
        providerOptions);
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
        providerOptions);
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
        providerOptions);
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
        providerOptions);
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
        providerOptions);
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
        providerOptions);
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
        providerOptions);
  }
}
