package ai.onnxspark;

import ai.onnxspark.OnnxOption.Api;
import java.util.List;
import java.util.Optional;

/**
 * Every option of the library: its keys, each with its default beside it, and the declarations
 * ({@link #all()}) that every API and document is made from.
 *
 * <p>Options resolve in one order: a value set on the model or call (per-call keys, kebab-case),
 * then the Spark session's configuration ({@code spark.onnx.*}), then the default here. Every
 * {@code OnnxModel.withX} method sets one of these per-call keys, so {@code
 * OnnxModel.withOptions(map)}, the map argument of SQL's {@code onnx_predict}, the ML stage's
 * {@code options} and the job's {@code --option key=value} all take the same keys.
 */
public final class OnnxOptions {
  private OnnxOptions() {}

  /** Rows per ONNX Runtime call. Per call: {@code batch-size}. */
  public static final String BATCH_SIZE = "batch-size";

  /** Session-wide batch size. */
  public static final String BATCH_SIZE_CONF = "spark.onnx.batchSize";

  /** The default of the option above. */
  public static final int BATCH_SIZE_DEFAULT = 1024;

  /**
   * Intra-op threads of each session. 0 means the task's CPU share ({@code spark.task.cpus}), so
   * that concurrent tasks sharing one session do not oversubscribe the executor's cores.
   */
  public static final String INTRA_OP_THREADS = "intra-op-threads";

  /** The option above as a Spark conf key, {@code spark.onnx.intraOpThreads}. */
  public static final String INTRA_OP_THREADS_CONF = "spark.onnx.intraOpThreads";

  /** The default of the option above. */
  public static final int INTRA_OP_THREADS_DEFAULT = 0;

  /** Inter-op threads of each session (parallel execution mode only). */
  public static final String INTER_OP_THREADS = "inter-op-threads";

  /** The option above as a Spark conf key, {@code spark.onnx.interOpThreads}. */
  public static final String INTER_OP_THREADS_CONF = "spark.onnx.interOpThreads";

  /** The default of the option above. */
  public static final int INTER_OP_THREADS_DEFAULT = 1;

  /**
   * ONNX Runtime graph optimization level: {@code none}, {@code basic}, {@code extended}, {@code
   * all}.
   */
  public static final String OPTIMIZATION_LEVEL = "optimization-level";

  /** The option above as a Spark conf key, {@code spark.onnx.optimizationLevel}. */
  public static final String OPTIMIZATION_LEVEL_CONF = "spark.onnx.optimizationLevel";

  /** The default of the option above. */
  public static final String OPTIMIZATION_LEVEL_DEFAULT = "all";

  /** How many sessions one executor JVM keeps; the least recently used idle one is closed first. */
  public static final String SESSION_CACHE_SIZE_CONF = "spark.onnx.sessionCache.maxSessions";

  /** The default of the option above. */
  public static final int SESSION_CACHE_SIZE_DEFAULT = 8;

  /**
   * Where sessions run: {@code cpu}, {@code cuda}, {@code tensorrt}, or {@code auto} (the GPU Spark
   * assigned to the task, else the CPU).
   */
  public static final String DEVICE = "device";

  /** The option above as a Spark conf key, {@code spark.onnx.device}. */
  public static final String DEVICE_CONF = "spark.onnx.device";

  /** The default of the option above. */
  public static final String DEVICE_DEFAULT = "auto";

  /** What an unusable GPU does: {@code none} fails the task, {@code cpu} scores on the CPU. */
  public static final String DEVICE_FALLBACK = "device-fallback";

  /** The option above as a Spark conf key, {@code spark.onnx.deviceFallback}. */
  public static final String DEVICE_FALLBACK_CONF = "spark.onnx.deviceFallback";

  /** The default of the option above. */
  public static final String DEVICE_FALLBACK_DEFAULT = "none";

  /**
   * The GPU id for {@code cuda}/{@code tensorrt} when Spark assigned the task none (local mode).
   */
  public static final String GPU_DEVICE_ID_CONF = "spark.onnx.gpu.deviceId";

  /** The default of the option above. */
  public static final int GPU_DEVICE_ID_DEFAULT = 0;

  /** Per call: {@code permissive} ({@code true}/{@code false}). */
  public static final String PERMISSIVE = "permissive";

  /**
   * Permissive mode: a row that cannot be scored gets null outputs and its error message in the
   * error column; every other row is scored. Off by default: the first bad row fails the task.
   */
  public static final String PERMISSIVE_CONF = "spark.onnx.permissive";

  /** The default of the option above. */
  public static final boolean PERMISSIVE_DEFAULT = false;

  /** The error column of permissive mode. Per call: {@code error-column}. */
  public static final String ERROR_COLUMN = "error-column";

  /** Session-wide error column of permissive mode. */
  public static final String ERROR_COLUMN_CONF = "spark.onnx.errorColumn";

  /** The default of the option above. */
  public static final String ERROR_COLUMN_DEFAULT = "onnx_error";

  /**
   * Per call: {@code flatten-outputs} ({@code true}/{@code false}, default false): outputs of rank
   * 3 or more ({@code [batch, seq, dim]}) become one flat array per row instead of nested arrays.
   */
  public static final String FLATTEN_OUTPUTS = "flatten-outputs";

  /**
   * Per call: {@code output-shapes} ({@code true}/{@code false}, default false): outputs come back
   * flat as with {@link #FLATTEN_OUTPUTS}, and each output whose rows are arrays gets a column
   * {@code <column>_shape} ({@code array<int>}) with the row's dimensions of it (without the batch
   * dimension in batches; every dimension of a whole tensor).
   */
  public static final String OUTPUT_SHAPES = "output-shapes";

  /** The suffix of the shape column of an output's column ({@link #OUTPUT_SHAPES}). */
  public static final String SHAPE_COLUMN_SUFFIX = "_shape";

  /**
   * Per call: {@code row-as-tensor} ({@code true}/{@code false}, default false): each row holds the
   * model's complete input tensors (no batch dimension) and gets its complete output tensors, one
   * ONNX Runtime run per row. Chosen without it for models whose shapes have no batch dimension.
   */
  public static final String ROW_AS_TENSOR = "row-as-tensor";

  /** Per call: {@code provider.<key>}, for example {@code provider.gpu_mem_limit}. */
  public static final String PROVIDER_OPTION_PREFIX = "provider.";

  /**
   * Prefix of GPU execution provider options: {@code spark.onnx.provider.gpu_mem_limit=8589934592},
   * {@code spark.onnx.provider.trt_fp16_enable=1}. Passed to ONNX Runtime as they are.
   */
  public static final String PROVIDER_OPTION_CONF_PREFIX = "spark.onnx.provider.";

  /**
   * A node-local folder where the first executor on each node extracts ONNX Runtime's native
   * libraries once, for every later executor on the node to load (unset: each JVM extracts its own
   * copy into {@code java.io.tmpdir}). Ignored when {@code -Donnxruntime.native.path} is set.
   *
   * <p>Static: it decides which native code executors load, so it is read only from the
   * application's {@code SparkConf} (cluster or launch configuration), and scoring is refused in a
   * session that sets another value ({@code SET}, {@code spark.conf.set}).
   */
  public static final String NATIVE_DIR_CONF = "spark.onnx.native.dir";

  /**
   * Where models named by a session's configuration ({@code SET spark.onnx.models.<name>.path=...})
   * may be read from: comma-separated folders or URI prefixes ({@code
   * /models,s3a://bucket/models}), or a scheme alone ({@code s3a:}) for every path of it. Unset
   * (the default), a session may not name model files at all; paths in the application's {@code
   * SparkConf} are trusted whatever this says.
   *
   * <p>Static: read only from the application's {@code SparkConf}, refused when a session sets
   * another value.
   */
  public static final String MODELS_ALLOWED_ROOTS_CONF = "spark.onnx.models.allowedRoots";

  /**
   * The largest model file, in bytes, that a model named by configuration ({@code
   * spark.onnx.models.<name>.path}) may have; checked before it is read. Static.
   */
  public static final String MODELS_MAX_BYTES_CONF = "spark.onnx.models.maxBytes";

  /** The largest model the library can hold in one array (protobuf's and Java's limit). */
  public static final long MODELS_MAX_BYTES_DEFAULT = Integer.MAX_VALUE - 16L;

  /**
   * Per call: how the model reaches executors: {@code broadcast} (its bytes, through the driver),
   * {@code path} (executors copy its files once per node into {@link #MODEL_CACHE_DIR_CONF} and
   * load them from there; the driver reads only the graph's description) or {@code auto} (the
   * default: path for models with external data or larger than {@link
   * #SHIPPING_PATH_ABOVE_BYTES_CONF}).
   */
  public static final String SHIPPING = "shipping";

  /** Spark configuration key of {@link #SHIPPING}. */
  public static final String SHIPPING_CONF = "spark.onnx.shipping";

  /** Default of {@link #SHIPPING}. */
  public static final String SHIPPING_DEFAULT = "auto";

  /** Model files larger than this many bytes are shipped by path under {@code shipping=auto}. */
  public static final String SHIPPING_PATH_ABOVE_BYTES_CONF = "spark.onnx.shipping.pathAboveBytes";

  /** Default of {@link #SHIPPING_PATH_ABOVE_BYTES_CONF}: 1 GiB. */
  public static final long SHIPPING_PATH_ABOVE_BYTES_DEFAULT = 1L << 30;

  /**
   * The node-local folder where executors keep copies of models shipped by path, shared by the
   * executors of a node (default: {@code onnx-spark-models-<user>} in {@code java.io.tmpdir}). Read
   * from the executors' Spark configuration, set at launch.
   */
  public static final String MODEL_CACHE_DIR_CONF = "spark.onnx.modelCache.dir";

  /** Bytes of models the node cache keeps before deleting the least recently used. */
  public static final String MODEL_CACHE_MAX_BYTES_CONF = "spark.onnx.modelCache.maxBytes";

  /** Default of {@link #MODEL_CACHE_MAX_BYTES_CONF}: 64 GiB. */
  public static final long MODEL_CACHE_MAX_BYTES_DEFAULT = 64L << 30;

  /** Hours a model unused stays in the node cache. */
  public static final String MODEL_CACHE_MAX_AGE_HOURS_CONF = "spark.onnx.modelCache.maxAgeHours";

  /** Default of {@link #MODEL_CACHE_MAX_AGE_HOURS_CONF}: a week. */
  public static final long MODEL_CACHE_MAX_AGE_HOURS_DEFAULT = 168;

  /** Per call: {@code input.<input>}: the column(s) feeding a model input, comma-separated. */
  public static final String INPUT_PREFIX = "input.";

  /** Per call: {@code output.<output>}: the column a model output is written to. */
  public static final String OUTPUT_PREFIX = "output.";

  /** Per call: {@code image.<input>}: the image column (struct or encoded bytes) feeding it. */
  public static final String IMAGE_PREFIX = "image.";

  /** Per call: {@code image-mean.<input>}: per-channel mean, {@code 0.485,0.456,0.406}. */
  public static final String IMAGE_MEAN_PREFIX = "image-mean.";

  /** Per call: {@code image-std.<input>}: per-channel standard deviation. */
  public static final String IMAGE_STD_PREFIX = "image-std.";

  /** ImageNet's per-channel mean, the default of image inputs. */
  public static final String IMAGE_MEAN_DEFAULT = "0.485,0.456,0.406";

  /** ImageNet's per-channel standard deviation, the default of image inputs. */
  public static final String IMAGE_STD_DEFAULT = "0.229,0.224,0.225";

  /**
   * Per call: {@code pad.<input>}: pad that input's rows to the longest of each batch with the
   * value (see {@code OnnxModel.withPadding}).
   */
  public static final String PAD_PREFIX = "pad.";

  /** Per call: {@code bucket-batches}, see {@code OnnxModel.withBucketing}. */
  public static final String BUCKET_BATCHES = "bucket-batches";

  /**
   * Per call: {@code narrowing} ({@code true}/{@code false}, default false): double columns feed
   * float and float16 inputs, rounded, and bigint columns int32 inputs.
   */
  public static final String NARROWING = "narrowing";

  /** Per call: {@code key-column}: a column naming bad rows in error messages. */
  public static final String KEY_COLUMN = "key-column";

  /** Per call: {@code struct-column}: every output of {@code transform} in one struct column. */
  public static final String STRUCT_COLUMN = "struct-column";

  /** Per call: {@code softmax.<output>}: a column with the softmax of the output's scores. */
  public static final String SOFTMAX_PREFIX = "softmax.";

  /** Per call: {@code argmax.<output>}: a column with the index of the largest score. */
  public static final String ARGMAX_PREFIX = "argmax.";

  /** Per call: {@code label.<output>}: a column with the label of the largest score. */
  public static final String LABEL_PREFIX = "label.";

  /** Per call: {@code labels.<output>}: the labels, one per class, for {@code label.<output>}. */
  public static final String LABELS_PREFIX = "labels.";

  /**
   * Per call: {@code mean-pool.<output>}: a column with the mean of a per-token output ({@code
   * [batch, seq, dim]}) over each row's tokens, padding excluded: a sentence embedding.
   */
  public static final String MEAN_POOL_PREFIX = "mean-pool.";

  /** Per call: {@code mean-pool-normalized.<output>}: as {@code mean-pool}, of unit L2 norm. */
  public static final String MEAN_POOL_NORMALIZED_PREFIX = "mean-pool-normalized.";

  /**
   * Per call: {@code token-labels.<output>}: a column with, per token of a row's text (special
   * tokens and padding left out), the token, its span in the text (UTF-16 code units), the label of
   * its largest score in per-token output {@code [batch, seq, labels]} and that score's softmax
   * probability, as {@code array<struct<token, start, end, label, score>>}: named entities.
   */
  public static final String TOKEN_LABELS_PREFIX = "token-labels.";

  /** Per call: {@code top-k.<output>}: how many of the largest scores top-k columns hold. */
  public static final String TOP_K_PREFIX = "top-k.";

  /** Per call: {@code top-k-indices.<output>}: a column with the indices of the k largest. */
  public static final String TOP_K_INDICES_PREFIX = "top-k-indices.";

  /** Per call: {@code top-k-scores.<output>}: a column with the k largest scores. */
  public static final String TOP_K_SCORES_PREFIX = "top-k-scores.";

  /**
   * Per call: {@code group.<output>}: the column (0-based) of output {@code [entries, 1 + k]} that
   * holds each entry's row in the batch, as NonMaxSuppression's {@code selected_indices} does; each
   * row gets the array of its entries, without that column (empty when it has none).
   */
  public static final String GROUP_PREFIX = "group.";

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

  /** The default of the option above. */
  public static final long BATCH_TIMEOUT_MS_DEFAULT = 0;

  /**
   * Largest batch in bytes of input tensors: a batch is closed early, before {@code batch-size}
   * rows, when the next row would take it over this; a single row larger than this is still scored,
   * alone. Keeps large rows (long sequences, images) from asking for more native memory than the
   * executor has, whatever the batch size.
   */
  public static final String MAX_BATCH_BYTES = "max-batch-bytes";

  /** Session-wide limit of a batch's input bytes. */
  public static final String MAX_BATCH_BYTES_CONF = "spark.onnx.maxBatchBytes";

  /** The default of the option above: 256 MB. */
  public static final long MAX_BATCH_BYTES_DEFAULT = 256L * 1024 * 1024;

  /**
   * Per call: {@code tokenizer}, the path (or Hadoop URI) of a Hugging Face {@code tokenizer.json}
   * that turns a text column into the model's {@code input_ids}, {@code attention_mask} and {@code
   * token_type_ids} (those the model has). Read once on the driver and broadcast.
   */
  public static final String TOKENIZER = "tokenizer";

  /**
   * Per call: {@code extensions}, whether sessions load ONNX Runtime Extensions' custom operators
   * (domain {@code ai.onnx.contrib}: tokenizers, string and image operators inside the graph).
   */
  public static final String EXTENSIONS = "extensions";

  /** The option above as a Spark conf key, {@code spark.onnx.extensions}. */
  public static final String EXTENSIONS_CONF = "spark.onnx.extensions";

  /** The domain of ONNX Runtime Extensions' operators. */
  public static final String EXTENSIONS_DOMAIN = "ai.onnx.contrib";

  /**
   * Per call: {@code text-column}, the string column the tokenizer reads, or two columns
   * (comma-separated) for text pairs. Default: {@code text}; the column function and SQL take the
   * text column(s) as arguments instead.
   */
  public static final String TEXT_COLUMN = "text-column";

  /** The default of {@link #TEXT_COLUMN}. */
  public static final String TEXT_COLUMN_DEFAULT = "text";

  /**
   * Per call: {@code max-length}, the most tokens a row keeps, special tokens included; longer
   * texts (pairs: the longer of the two first) are truncated. Default 512, or the model's fixed
   * sequence length when it has one (whichever is smaller).
   */
  public static final String MAX_LENGTH = "max-length";

  /** The default of {@link #MAX_LENGTH}. */
  public static final int MAX_LENGTH_DEFAULT = 512;

  private static final List<OnnxOption> ALL =
      List.of(
          OnnxOption.perCall(BATCH_SIZE, "a positive number of rows", "Rows per ONNX Runtime call.")
              .conf(BATCH_SIZE_CONF, BATCH_SIZE_DEFAULT),
          OnnxOption.perCall(
                  MAX_BATCH_BYTES,
                  "1 or more bytes",
                  "Largest batch, in bytes of input tensors: a batch ends early when the next row"
                      + " would take it over this; a larger row is scored alone.")
              .conf(MAX_BATCH_BYTES_CONF, MAX_BATCH_BYTES_DEFAULT),
          OnnxOption.perCall(
                  SHIPPING,
                  "auto, broadcast or path",
                  "How the model reaches executors: broadcast sends its bytes through the driver;"
                      + " path has each node copy its files once (external data, models over 2"
                      + " GB); auto picks path for external data or files over "
                      + SHIPPING_PATH_ABOVE_BYTES_CONF
                      + ".")
              .conf(SHIPPING_CONF, SHIPPING_DEFAULT),
          OnnxOption.confOnly(
              SHIPPING_PATH_ABOVE_BYTES_CONF,
              SHIPPING_PATH_ABOVE_BYTES_DEFAULT,
              "1 or more bytes",
              "Model files larger than this are shipped by path under shipping=auto."),
          OnnxOption.confOnly(
                  MODEL_CACHE_DIR_CONF,
                  "onnx-spark-models-<user> in java.io.tmpdir",
                  "a node-local folder",
                  "Where executors keep one copy per node of each model shipped by path.")
              .staticSetting(),
          OnnxOption.confOnly(
                  MODEL_CACHE_MAX_BYTES_CONF,
                  MODEL_CACHE_MAX_BYTES_DEFAULT,
                  "1 or more bytes",
                  "Bytes of models a node's cache keeps; the least recently used go first (none"
                      + " used in the last ten minutes).")
              .staticSetting(),
          OnnxOption.confOnly(
                  MODEL_CACHE_MAX_AGE_HOURS_CONF,
                  MODEL_CACHE_MAX_AGE_HOURS_DEFAULT,
                  "1 or more hours",
                  "How long a model unused stays in a node's cache.")
              .staticSetting(),
          OnnxOption.perCall(
                  DEVICE,
                  "cpu, cuda, tensorrt or auto",
                  "Where sessions run; auto: the GPU Spark assigned to the task, else the CPU.")
              .conf(DEVICE_CONF, DEVICE_DEFAULT),
          OnnxOption.perCall(
                  DEVICE_FALLBACK,
                  "none or cpu",
                  "What an unusable GPU does: none fails the task with the reason, cpu scores on"
                      + " the CPU and says so.")
              .conf(DEVICE_FALLBACK_CONF, DEVICE_FALLBACK_DEFAULT),
          OnnxOption.perCall(
                  PERMISSIVE,
                  "true or false",
                  "A row that cannot be scored gets null outputs and its error in the error"
                      + " column; every other row is scored.")
              .conf(PERMISSIVE_CONF, PERMISSIVE_DEFAULT),
          OnnxOption.perCall(
                  ERROR_COLUMN,
                  "a column name",
                  "The error column of permissive mode; setting it per call turns permissive mode"
                      + " on.")
              .conf(ERROR_COLUMN_CONF, ERROR_COLUMN_DEFAULT),
          OnnxOption.perCall(
                  BATCH_TIMEOUT_MS,
                  "0 or more milliseconds",
                  "Longest time one ONNX Runtime call may take (0: no limit); a batch over it fails,"
                      + " or in permissive mode its rows are retried one by one.")
              .conf(BATCH_TIMEOUT_MS_CONF, BATCH_TIMEOUT_MS_DEFAULT),
          OnnxOption.perCall(
                  INTRA_OP_THREADS,
                  "0 or more threads",
                  "Intra-op threads per session; 0: the task's CPU share (spark.task.cpus).")
              .conf(INTRA_OP_THREADS_CONF, INTRA_OP_THREADS_DEFAULT),
          OnnxOption.perCall(INTER_OP_THREADS, "1 or more threads", "Inter-op threads per session.")
              .conf(INTER_OP_THREADS_CONF, INTER_OP_THREADS_DEFAULT),
          OnnxOption.perCall(
                  OPTIMIZATION_LEVEL,
                  "none, basic, extended or all",
                  "ONNX Runtime's graph optimization level for sessions.")
              .conf(OPTIMIZATION_LEVEL_CONF, OPTIMIZATION_LEVEL_DEFAULT),
          OnnxOption.perCallPrefix(
                  PROVIDER_OPTION_PREFIX,
                  "<key>",
                  "a string",
                  "An option of the GPU execution provider, passed as it is (provider.gpu_mem_limit,"
                      + " provider.trt_fp16_enable).")
              .conf(PROVIDER_OPTION_CONF_PREFIX + "<key>", "(none)"),
          OnnxOption.perCall(
              GPUS_PER_TASK,
              "a fraction in (0, 1] or a whole number of GPUs",
              "Runs the scoring stage with its own resource profile: executors with GPUs, this"
                  + " many GPUs per task (stage-level scheduling)."),
          OnnxOption.perCallPrefix(
              INPUT_PREFIX,
              "<input>",
              "column names, comma-separated (or a JSON list)",
              "The column(s) feeding model input <name>: one array or vector column, or several"
                  + " numeric columns assembled in order. Default: the column named like the"
                  + " input."),
          OnnxOption.perCallPrefix(
              OUTPUT_PREFIX,
              "<output>",
              "a column name",
              "Writes model output <name> to this column; once any output is named, only named"
                  + " outputs are computed."),
          OnnxOption.perCallPrefix(
              IMAGE_PREFIX,
              "<input>",
              "a column name",
              "Feeds image input <name> float[batch,3,H,W] from an image struct or JPEG/PNG bytes,"
                  + " resized and normalised."),
          OnnxOption.perCallPrefix(
              IMAGE_MEAN_PREFIX,
              "<input>",
              "three numbers, comma-separated",
              "Per-channel (RGB) mean of image input <name>; default " + IMAGE_MEAN_DEFAULT + "."),
          OnnxOption.perCallPrefix(
              IMAGE_STD_PREFIX,
              "<input>",
              "three numbers, comma-separated",
              "Per-channel (RGB) standard deviation of image input <name>; default "
                  + IMAGE_STD_DEFAULT
                  + "."),
          OnnxOption.perCallPrefix(
              PAD_PREFIX,
              "<input>",
              "a number",
              "Pads input <name>'s variable dimension to the longest row of each batch with this"
                  + " value; padded positions are removed from per-token outputs."),
          OnnxOption.perCall(
                  EXTENSIONS,
                  "true or false",
                  "Sessions load ONNX Runtime Extensions' custom operators (domain "
                      + EXTENSIONS_DOMAIN
                      + ": tokenizers, string and image operators in the graph); required by models"
                      + " that use them.")
              .conf(EXTENSIONS_CONF, "false"),
          OnnxOption.perCall(
              TOKENIZER,
              "the path or URI of a tokenizer.json",
              "Tokenizes a text column into the model's input_ids, attention_mask and"
                  + " token_type_ids (those it has), padded per batch; read on the driver and"
                  + " broadcast to executors."),
          OnnxOption.perCall(
              TEXT_COLUMN,
              "one string column, or two (comma-separated) for text pairs",
              "The text the tokenizer reads; default "
                  + TEXT_COLUMN_DEFAULT
                  + " (onnx_predict takes the text column(s) as arguments)."),
          OnnxOption.perCall(
              MAX_LENGTH,
              "1 or more tokens",
              "With a tokenizer: the most tokens a row keeps, special tokens included; longer"
                  + " text is truncated. Default "
                  + MAX_LENGTH_DEFAULT
                  + ", or the model's fixed sequence length."),
          OnnxOption.perCall(
              BUCKET_BATCHES,
              "1 or more batches",
              "With padding: reads this many batches at a time and scores rows of similar length"
                  + " together, keeping the rows' order."),
          OnnxOption.perCall(
              NARROWING,
              "true or false",
              "Lets double columns feed float/float16 inputs and bigint columns int32 inputs,"
                  + " rounded."),
          OnnxOption.perCall(
              KEY_COLUMN, "a column name", "Names bad rows in error messages by this column too."),
          OnnxOption.perCall(
              FLATTEN_OUTPUTS,
              "true or false",
              "Outputs of per-row rank 2 or more come back as one flat array per row."),
          OnnxOption.perCall(
              OUTPUT_SHAPES,
              "true or false",
              "Outputs come back flat (as with flatten-outputs), each array output with a column"
                  + " <column>_shape (array<int>): the row's dimensions of it, without the batch"
                  + " dimension."),
          OnnxOption.perCall(
              ROW_AS_TENSOR,
              "true or false",
              "Each row holds whole input tensors and gets whole output tensors, one run per row;"
                  + " automatic for models with no batch dimension."),
          OnnxOption.perCall(
                  STRUCT_COLUMN,
                  "a column name",
                  "Every output of transform in one struct column (the column function always"
                      + " returns a struct for several outputs).")
              .only(Api.TRANSFORM, Api.ML, Api.JOB),
          OnnxOption.perCallPrefix(
              SOFTMAX_PREFIX,
              "<output>",
              "a column name",
              "A column with the softmax of output <name>'s per-row scores."),
          OnnxOption.perCallPrefix(
              ARGMAX_PREFIX,
              "<output>",
              "a column name",
              "A column (int) with the index of output <name>'s largest score."),
          OnnxOption.perCallPrefix(
              LABEL_PREFIX,
              "<output>",
              "a column name",
              "A column (string) with the label of output <name>'s largest score, from"
                  + " labels.<name> or the model's metadata."),
          OnnxOption.perCallPrefix(
              LABELS_PREFIX,
              "<output>",
              "labels, comma-separated (or a JSON list)",
              "The labels of output <name>'s classes, in order, for label.<name> and"
                  + " token-labels.<name>."),
          OnnxOption.perCallPrefix(
              TOP_K_PREFIX,
              "<output>",
              "a positive number",
              "How many of output <name>'s largest scores the top-k columns hold."),
          OnnxOption.perCallPrefix(
              TOP_K_INDICES_PREFIX,
              "<output>",
              "a column name",
              "A column (array<int>) with the indices of output <name>'s k largest scores."),
          OnnxOption.perCallPrefix(
              MEAN_POOL_PREFIX,
              "<output>",
              "a column name",
              "A column with the mean of per-token output <output> ([batch, seq, dim]) over each"
                  + " row's tokens, the padding of its batch excluded: a sentence embedding,"
                  + " array of dim."),
          OnnxOption.perCallPrefix(
              MEAN_POOL_NORMALIZED_PREFIX,
              "<output>",
              "a column name",
              "As mean-pool.<output>, scaled to unit L2 norm (for cosine similarity)."),
          OnnxOption.perCallPrefix(
              TOKEN_LABELS_PREFIX,
              "<output>",
              "a column name",
              "A column with, per token of the text (special tokens and padding left out), its"
                  + " span, label and score from per-token output <output> ([batch, seq, labels]):"
                  + " array<struct<token, start, end, label, score>>, labels from labels.<output>"
                  + " or the model's metadata. Needs tokenizer."),
          OnnxOption.perCallPrefix(
              TOP_K_SCORES_PREFIX,
              "<output>",
              "a column name",
              "A column with output <name>'s k largest scores, largest first."),
          OnnxOption.perCallPrefix(
              GROUP_PREFIX,
              "<output>",
              "a column number, from 0",
              "Output <name> [entries, 1+k] names each entry's row in this column (as"
                  + " NonMaxSuppression does): each row gets an array of its entries."),
          OnnxOption.confOnly(
              GPU_DEVICE_ID_CONF,
              GPU_DEVICE_ID_DEFAULT,
              "a GPU id",
              "The GPU for cuda/tensorrt when Spark assigned the task none (local mode)."),
          OnnxOption.confOnly(
              SESSION_CACHE_SIZE_CONF,
              SESSION_CACHE_SIZE_DEFAULT,
              "1 or more sessions",
              "Sessions one executor JVM keeps; the least recently used idle one is closed"
                  + " first."),
          OnnxOption.confOnly(
                  NATIVE_DIR_CONF,
                  "(none)",
                  "a node-local folder",
                  "Where the first executor of each node extracts ONNX Runtime's native libraries"
                      + " for the others to load.")
              .staticSetting(),
          OnnxOption.confOnly(
              "spark.onnx.models.<name>.path",
              "(none)",
              "a model file or URI",
              "Registers a model for SQL's onnx_predict('<name>', ...); read on first use and"
                  + " again when the path, or the file's size or modification time, changes. Set"
                  + " in a session (SET), the path must be under "
                  + MODELS_ALLOWED_ROOTS_CONF
                  + "."),
          OnnxOption.confOnly(
                  MODELS_ALLOWED_ROOTS_CONF,
                  "(none)",
                  "folders or URI prefixes, comma-separated; a scheme alone (s3a:) for all its"
                      + " paths",
                  "Where a session (SET spark.onnx.models.<name>.path) may read models from;"
                      + " unset, sessions cannot name model files (paths in the cluster"
                      + " configuration are trusted).")
              .staticSetting(),
          OnnxOption.confOnly(
                  MODELS_MAX_BYTES_CONF,
                  MODELS_MAX_BYTES_DEFAULT,
                  "1 or more bytes",
                  "Largest model file spark.onnx.models.<name>.path may name; checked before"
                      + " reading.")
              .staticSetting());

  /** Every option, in the order documents list them. */
  public static List<OnnxOption> all() {
    return ALL;
  }

  /** The per-call options {@code api} takes. */
  public static List<OnnxOption> forApi(Api api) {
    return ALL.stream().filter(o -> o.key() != null && o.apis().contains(api)).toList();
  }

  /** The option a per-call key belongs to (exactly, or as a key of its family). */
  public static Optional<OnnxOption> forKey(String perCallKey) {
    return ALL.stream().filter(o -> o.matches(perCallKey)).findFirst();
  }

  /** The option with this Spark configuration key. */
  public static Optional<OnnxOption> forConfKey(String confKey) {
    return ALL.stream().filter(o -> confKey.equals(o.confKey())).findFirst();
  }

  /** The per-call keys {@code api} takes, as messages list them ({@code pad.<name>}). */
  public static List<String> keysFor(Api api) {
    return forApi(api).stream().map(OnnxOption::displayKey).toList();
  }

  /**
   * The options as a Markdown table (key, Spark configuration, default, APIs, what it does), as the
   * README shows it. Static options ({@link OnnxOption#isStatic()}) say so in the APIs column.
   */
  public static String markdownTable() {
    StringBuilder table =
        new StringBuilder(
            "| per-call key | Spark configuration | default | taken by | what it does |\n"
                + "|---|---|---|---|---|\n");
    for (OnnxOption o : ALL) {
      table
          .append("| ")
          .append(o.key() == null ? "–" : "`" + o.displayKey() + "`")
          .append(" | ")
          .append(o.confKey() == null ? "–" : "`" + o.confKey() + "`")
          .append(" | ")
          .append(o.defaultValue() == null ? "–" : "`" + o.defaultValue() + "`")
          .append(" | ")
          .append(
              o.apis().isEmpty()
                  ? (o.isStatic() ? "Spark conf at launch only (static)" : "Spark conf")
                  : String.join(", ", o.apis().stream().map(a -> a.name().toLowerCase()).toList()))
          .append(" | ")
          .append(o.doc())
          .append(" Values: ")
          .append(o.values())
          .append(". |\n");
    }
    return table.toString();
  }
}
