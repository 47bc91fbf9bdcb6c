package ai.onnxspark;

/**
 * Every option key of the library, each with its default beside it.
 *
 * <p>Options resolve in one order: a value set on the model or call (per-call keys, kebab-case),
 * then the Spark session's configuration ({@code spark.onnx.*}), then the default here.
 */
public final class OnnxOptions {
  private OnnxOptions() {}

  /** Rows per ONNX Runtime call. Per call: {@code batch-size}. */
  public static final String BATCH_SIZE = "batch-size";

  /** Session-wide batch size. */
  public static final String BATCH_SIZE_CONF = "spark.onnx.batchSize";

  public static final int BATCH_SIZE_DEFAULT = 1024;

  /**
   * Intra-op threads of each session. 0 means the task's CPU share ({@code spark.task.cpus}), so
   * that concurrent tasks sharing one session do not oversubscribe the executor's cores.
   */
  public static final String INTRA_OP_THREADS = "intra-op-threads";

  public static final String INTRA_OP_THREADS_CONF = "spark.onnx.intraOpThreads";
  public static final int INTRA_OP_THREADS_DEFAULT = 0;

  /** Inter-op threads of each session (parallel execution mode only). */
  public static final String INTER_OP_THREADS = "inter-op-threads";

  public static final String INTER_OP_THREADS_CONF = "spark.onnx.interOpThreads";
  public static final int INTER_OP_THREADS_DEFAULT = 1;

  /**
   * ONNX Runtime graph optimization level: {@code none}, {@code basic}, {@code extended}, {@code
   * all}.
   */
  public static final String OPTIMIZATION_LEVEL = "optimization-level";

  public static final String OPTIMIZATION_LEVEL_CONF = "spark.onnx.optimizationLevel";
  public static final String OPTIMIZATION_LEVEL_DEFAULT = "all";

  /** How many sessions one executor JVM keeps; the least recently used idle one is closed first. */
  public static final String SESSION_CACHE_SIZE_CONF = "spark.onnx.sessionCache.maxSessions";

  public static final int SESSION_CACHE_SIZE_DEFAULT = 8;

  /**
   * Where sessions run: {@code cpu}, {@code cuda}, {@code tensorrt}, or {@code auto} (the GPU Spark
   * assigned to the task, else the CPU).
   */
  public static final String DEVICE = "device";

  public static final String DEVICE_CONF = "spark.onnx.device";
  public static final String DEVICE_DEFAULT = "auto";

  /** What an unusable GPU does: {@code none} fails the task, {@code cpu} scores on the CPU. */
  public static final String DEVICE_FALLBACK = "device-fallback";

  public static final String DEVICE_FALLBACK_CONF = "spark.onnx.deviceFallback";
  public static final String DEVICE_FALLBACK_DEFAULT = "none";

  /**
   * The GPU id for {@code cuda}/{@code tensorrt} when Spark assigned the task none (local mode).
   */
  public static final String GPU_DEVICE_ID_CONF = "spark.onnx.gpu.deviceId";

  public static final int GPU_DEVICE_ID_DEFAULT = 0;

  /**
   * Permissive mode: a row that cannot be scored gets null outputs and its error message in the
   * error column; every other row is scored. Off by default: the first bad row fails the task.
   */
  public static final String PERMISSIVE_CONF = "spark.onnx.permissive";

  public static final boolean PERMISSIVE_DEFAULT = false;

  /**
   * Per call: {@code flatten-outputs} ({@code true}/{@code false}, default false): outputs of rank
   * 3 or more ({@code [batch, seq, dim]}) become one flat array per row instead of nested arrays.
   */
  public static final String FLATTEN_OUTPUTS = "flatten-outputs";

  /** Per call: {@code permissive} ({@code true}/{@code false}). */
  public static final String PERMISSIVE = "permissive";

  /** The error column of permissive mode. Per call: {@code error-column}. */
  public static final String ERROR_COLUMN = "error-column";

  /** Session-wide error column of permissive mode. */
  public static final String ERROR_COLUMN_CONF = "spark.onnx.errorColumn";

  public static final String ERROR_COLUMN_DEFAULT = "onnx_error";

  /**
   * Prefix of GPU execution provider options: {@code spark.onnx.provider.gpu_mem_limit=8589934592},
   * {@code spark.onnx.provider.trt_fp16_enable=1}. Passed to ONNX Runtime as they are.
   */
  public static final String PROVIDER_OPTION_CONF_PREFIX = "spark.onnx.provider.";

  /**
   * A node-local folder where the first executor on each node extracts ONNX Runtime's native
   * libraries once, for every later executor on the node to load (unset: each JVM extracts its own
   * copy into {@code java.io.tmpdir}). Ignored when {@code -Donnxruntime.native.path} is set.
   */
  public static final String NATIVE_DIR_CONF = "spark.onnx.native.dir";

  /**
   * Per call: {@code pad.<input>}: pad that input's rows to the longest of each batch with the
   * value (see {@code OnnxModel.withPadding}).
   */
  public static final String PAD_PREFIX = "pad.";

  /**
   * Per call: {@code narrowing} ({@code true}/{@code false}, default false): double columns feed
   * float and float16 inputs, rounded, and bigint columns int32 inputs.
   */
  public static final String NARROWING = "narrowing";

  /** Per call: {@code bucket-batches}, see {@code OnnxModel.withBucketing}. */
  public static final String BUCKET_BATCHES = "bucket-batches";

  /** Per call: {@code provider.<key>}, for example {@code provider.gpu_mem_limit}. */
  public static final String PROVIDER_OPTION_PREFIX = "provider.";

  /**
   * Per call only: run the scoring stage with its own resource profile, this many GPUs per task
   * (see {@code OnnxModel.withGpuStage}).
   */
  public static final String GPUS_PER_TASK = "gpus-per-task";

  /**
   * Longest time one ONNX Runtime call may take, in milliseconds; 0 (default) for no limit. A batch
   * over the limit is stopped and fails (or, in permissive mode, its rows are retried one by one
   * and those over the limit get the error).
   */
  public static final String BATCH_TIMEOUT_MS = "batch-timeout-ms";

  /** Session-wide limit per ONNX Runtime call. */
  public static final String BATCH_TIMEOUT_MS_CONF = "spark.onnx.batchTimeoutMs";

  public static final long BATCH_TIMEOUT_MS_DEFAULT = 0;
}
