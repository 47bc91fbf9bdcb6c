package ai.onnxspark.internal.plan;

import ai.onnxspark.OnnxOption;
import ai.onnxspark.OnnxOptions;
import ai.onnxspark.convert.Float16Conversion;
import ai.onnxspark.internal.OnnxErrors;
import ai.onnxspark.internal.model.ModelShipping;
import ai.onnxspark.internal.session.DeviceSpec;
import ai.onnxspark.internal.session.SessionOptionsSpec;
import ai.onnxspark.model.ModelInfo;
import java.io.Serializable;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The options of one scoring after resolution, in the one order the library documents: the value
 * set per call ({@link ScoringSpec}), then the Spark configuration ({@code spark.onnx.*}), then the
 * default of {@link OnnxOptions}. Resolved once on the driver; immutable and serializable, it goes
 * to executors inside the {@link ModelHandle}.
 */
public final class ResolvedOptions implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int batchSize;
  private final Batching batching;
  private final SessionOptionsSpec session;
  private final int maxSessions;
  private final DeviceSpec device;
  private final long batchTimeoutMs;
  private final String nativeDir;
  private final Double gpusPerTask;
  private final String errorColumn;
  private final long maxBatchBytes;
  private final ModelShipping shipping;
  private final long pathAboveBytes;

  /** The tokenizer of raw text inputs, read on the driver ({@code tokenizer}), or null. */
  private ai.onnxspark.internal.text.TextTokenizer tokenizer;

  private ResolvedOptions(
      int batchSize,
      Batching batching,
      SessionOptionsSpec session,
      int maxSessions,
      DeviceSpec device,
      long batchTimeoutMs,
      String nativeDir,
      Double gpusPerTask,
      String errorColumn,
      long maxBatchBytes,
      ModelShipping shipping,
      long pathAboveBytes) {
    this.batchSize = batchSize;
    this.batching = batching;
    this.session = session;
    this.maxSessions = maxSessions;
    this.device = device;
    this.batchTimeoutMs = batchTimeoutMs;
    this.nativeDir = nativeDir;
    this.gpusPerTask = gpusPerTask;
    this.errorColumn = errorColumn;
    this.maxBatchBytes = maxBatchBytes;
    this.shipping = shipping;
    this.pathAboveBytes = pathAboveBytes;
  }

  /**
   * Resolves {@code spec}'s options against {@code conf} (a session's {@code spark.onnx.*} entries)
   * for the model {@code info} describes. Static settings are not read from {@code conf}: {@code
   * nativeDir} is {@code spark.onnx.native.dir} as the application's {@code SparkConf} has it (see
   * {@link SparkConfs#staticValue}), or null.
   *
   * @throws ai.onnxspark.OnnxException naming the per-call or configuration key of a bad value
   */
  public static ResolvedOptions resolve(
      ScoringSpec spec, Map<String, String> conf, String nativeDir, ModelInfo info) {
    Resolver r = new Resolver(spec, conf);
    Batching batching = spec.batching(info);
    int batchSize = batching.batchSize(r.integer(OnnxOptions.BATCH_SIZE, 1));
    SessionOptionsSpec session =
        SessionOptionsSpec.defaults()
            .withIntraOpThreads(r.integer(OnnxOptions.INTRA_OP_THREADS, 0))
            .withInterOpThreads(r.integer(OnnxOptions.INTER_OP_THREADS, 1))
            .withOptimizationLevel(
                optimizationLevel(
                    r.checked(
                        OnnxOptions.OPTIMIZATION_LEVEL,
                        SessionOptionsSpec.OptimizationLevel::parse),
                    info))
            .withExtensions(r.bool(OnnxOptions.EXTENSIONS));
    int maxSessions = r.confInteger(OnnxOptions.SESSION_CACHE_SIZE_CONF, 1);
    Map<String, String> providerOptions = new TreeMap<>();
    conf.forEach(
        (k, v) -> {
          if (k.startsWith(OnnxOptions.PROVIDER_OPTION_CONF_PREFIX)) {
            providerOptions.put(k.substring(OnnxOptions.PROVIDER_OPTION_CONF_PREFIX.length()), v);
          }
        });
    spec.settings()
        .forEach(
            (k, v) -> {
              if (k.startsWith(OnnxOptions.PROVIDER_OPTION_PREFIX)) {
                providerOptions.put(k.substring(OnnxOptions.PROVIDER_OPTION_PREFIX.length()), v);
              }
            });
    DeviceSpec device =
        DeviceSpec.of(
                r.checked(OnnxOptions.DEVICE, v -> DeviceSpec.of(v, 0, "none")),
                r.confInteger(OnnxOptions.GPU_DEVICE_ID_CONF, 0),
                r.checked(OnnxOptions.DEVICE_FALLBACK, v -> DeviceSpec.of("cpu", 0, v)))
            .withProviderOptions(providerOptions);
    long timeout = r.longValue(OnnxOptions.BATCH_TIMEOUT_MS, 0);
    Double gpus =
        spec.get(OnnxOptions.GPUS_PER_TASK).map(v -> Double.valueOf(v.trim())).orElse(null);
    boolean permissive = r.bool(OnnxOptions.PERMISSIVE);
    String errorColumn = permissive ? r.string(OnnxOptions.ERROR_COLUMN) : null;
    if (errorColumn != null && errorColumn.isEmpty()) {
      throw OnnxErrors.badOption(OnnxOptions.ERROR_COLUMN_CONF, errorColumn, "a column name");
    }
    long maxBatchBytes = r.longValue(OnnxOptions.MAX_BATCH_BYTES, 1);
    return new ResolvedOptions(
        batchSize,
        batching,
        session,
        maxSessions,
        device,
        timeout,
        nativeDir,
        gpus,
        errorColumn,
        maxBatchBytes,
        ModelShipping.parse(r.checked(OnnxOptions.SHIPPING, ModelShipping::parse)),
        r.confLong(OnnxOptions.SHIPPING_PATH_ABOVE_BYTES_CONF, 1));
  }

  /**
   * The level sessions use. Float16 models stop at {@code extended}: ONNX Runtime 1.28's layout
   * optimizations of level {@code all} crash the JVM (SIGSEGV) while creating the CPU session of
   * some of them, such as a converted transformer encoder.
   */
  private static SessionOptionsSpec.OptimizationLevel optimizationLevel(
      String level, ModelInfo info) {
    SessionOptionsSpec.OptimizationLevel parsed = SessionOptionsSpec.OptimizationLevel.parse(level);
    if (parsed == SessionOptionsSpec.OptimizationLevel.ALL
        && info.metadata().containsKey(Float16Conversion.METADATA_KEY)) {
      return SessionOptionsSpec.OptimizationLevel.EXTENDED;
    }
    return parsed;
  }

  /** Looks each option up per call, then in the configuration, then takes its default. */
  private static final class Resolver {
    private final ScoringSpec spec;
    private final Map<String, String> conf;

    Resolver(ScoringSpec spec, Map<String, String> conf) {
      this.spec = spec;
      this.conf = conf;
    }

    private OnnxOption option(String key) {
      return OnnxOptions.forKey(key).orElseThrow();
    }

    /** The key the value came from, for messages. */
    private String source(OnnxOption option) {
      if (spec.get(option.key()).isPresent() || option.confKey() == null) {
        return option.key();
      }
      return conf.containsKey(option.confKey()) ? option.confKey() : option.key();
    }

    String string(String key) {
      OnnxOption option = option(key);
      return spec.get(key)
          .orElseGet(
              () ->
                  option.confKey() != null
                      ? conf.getOrDefault(option.confKey(), option.defaultValue())
                      : option.defaultValue())
          .trim();
    }

    /**
     * The option's value after {@code parse} accepted it; a value {@code parse} refuses is reported
     * under the key it came from (per call or {@code spark.onnx.*}) with the option's values.
     */
    String checked(String key, java.util.function.Function<String, ?> parse) {
      OnnxOption option = option(key);
      String value = string(key);
      try {
        parse.apply(value);
      } catch (ai.onnxspark.OnnxException e) {
        throw OnnxErrors.badOption(source(option), value, option.values());
      }
      return value;
    }

    int integer(String key, int min) {
      return Math.toIntExact(atLeast(key, min, true));
    }

    long longValue(String key, long min) {
      return atLeast(key, min, false);
    }

    /** The option's value as an int or a long, refused below {@code min}. */
    private long atLeast(String key, long min, boolean isInt) {
      OnnxOption option = option(key);
      String source = source(option);
      long value =
          isInt
              ? OptionValues.parseInt(source, string(key), option.values())
              : OptionValues.parseLong(source, string(key), option.values());
      if (value < min) {
        throw OnnxErrors.badOption(source, value, option.values());
      }
      return value;
    }

    boolean bool(String key) {
      return OptionValues.parseBoolean(source(option(key)), string(key));
    }

    long confLong(String confKey, long min) {
      OnnxOption option = OnnxOptions.forConfKey(confKey).orElseThrow();
      String value = conf.getOrDefault(confKey, option.defaultValue());
      long parsed = OptionValues.parseLong(confKey, value, option.values());
      if (parsed < min) {
        throw OnnxErrors.badOption(confKey, value, option.values());
      }
      return parsed;
    }

    int confInteger(String confKey, int min) {
      long parsed = confLong(confKey, min);
      if (parsed > Integer.MAX_VALUE) {
        throw OnnxErrors.badOption(
            confKey, parsed, OnnxOptions.forConfKey(confKey).orElseThrow().values());
      }
      return (int) parsed;
    }
  }

  /** Rows per ONNX Runtime call. */
  public int batchSize() {
    return batchSize;
  }

  /** How rows become runs: batches of free size, of the model's fixed size, or one whole row. */
  public Batching batching() {
    return batching;
  }

  /** Session options before each task adds its CPU share. */
  public SessionOptionsSpec session() {
    return session;
  }

  /** Sessions one executor JVM keeps. */
  public int maxSessions() {
    return maxSessions;
  }

  /** Where sessions run, before each task resolves it against its resources. */
  public DeviceSpec device() {
    return device;
  }

  /** Longest time one ONNX Runtime call may take, in milliseconds; 0 for no limit. */
  public long batchTimeoutMs() {
    return batchTimeoutMs;
  }

  /**
   * Largest batch in bytes of input tensors; a batch ends early when the next row would take it
   * over this (a larger row is scored alone).
   */
  public long maxBatchBytes() {
    return maxBatchBytes;
  }

  /** How the model reaches executors. */
  public ModelShipping shipping() {
    return shipping;
  }

  /** Model files larger than this are shipped by path under {@code auto} shipping. */
  public long pathAboveBytes() {
    return pathAboveBytes;
  }

  /** These options with {@code tokenizer} feeding the model's token inputs. */
  ResolvedOptions withTokenizer(ai.onnxspark.internal.text.TextTokenizer tokenizer) {
    ResolvedOptions copy =
        new ResolvedOptions(
            batchSize,
            batching,
            session,
            maxSessions,
            device,
            batchTimeoutMs,
            nativeDir,
            gpusPerTask,
            errorColumn,
            maxBatchBytes,
            shipping,
            pathAboveBytes);
    copy.tokenizer = tokenizer;
    return copy;
  }

  /** The tokenizer of raw text inputs, or null. */
  public ai.onnxspark.internal.text.TextTokenizer tokenizer() {
    return tokenizer;
  }

  /** The node-local folder for ONNX Runtime's natives, or null. */
  public String nativeDir() {
    return nativeDir;
  }

  /** GPUs per task of the scoring stage's own resource profile, or null. */
  public Double gpusPerTask() {
    return gpusPerTask;
  }

  /** The error column when rows fail permissively, or null when a bad row fails the task. */
  public String errorColumn() {
    return errorColumn;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ResolvedOptions r
        && batchSize == r.batchSize
        && batching.mode() == r.batching.mode()
        && maxSessions == r.maxSessions
        && batchTimeoutMs == r.batchTimeoutMs
        && maxBatchBytes == r.maxBatchBytes
        && session.equals(r.session)
        && device.equals(r.device)
        && Objects.equals(nativeDir, r.nativeDir)
        && Objects.equals(gpusPerTask, r.gpusPerTask)
        && Objects.equals(errorColumn, r.errorColumn)
        && Objects.equals(tokenizer, r.tokenizer);
  }

  @Override
  public int hashCode() {
    return Objects.hash(batchSize, session, device, batchTimeoutMs, errorColumn);
  }
}
