package ai.onnxspark.spark;

import ai.onnxspark.OnnxOptions;
import ai.onnxspark.convert.Float16Conversion;
import ai.onnxspark.convert.GraphCut;
import ai.onnxspark.convert.GraphOptimization;
import ai.onnxspark.convert.Int8Quantization;
import ai.onnxspark.internal.OnnxErrors;
import ai.onnxspark.internal.model.ModelBytes;
import ai.onnxspark.internal.model.ModelFiles;
import ai.onnxspark.internal.model.ModelShipping;
import ai.onnxspark.internal.model.ModelSource;
import ai.onnxspark.internal.model.OptionalOutputs;
import ai.onnxspark.internal.plan.BroadcastModel;
import ai.onnxspark.internal.plan.ModelHandle;
import ai.onnxspark.internal.plan.ModelParts;
import ai.onnxspark.internal.plan.OptionValues;
import ai.onnxspark.internal.plan.PartitionScorer;
import ai.onnxspark.internal.plan.ScoringPlanner;
import ai.onnxspark.internal.plan.ScoringSpec;
import ai.onnxspark.internal.plan.SparkConfs;
import ai.onnxspark.internal.plan.TransformScoring;
import ai.onnxspark.internal.session.SessionOptionsSpec;
import ai.onnxspark.internal.tensor.OutputBinding;
import ai.onnxspark.model.ModelInfo;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import scala.Option;

/**
 * An ONNX model ready to score DataFrames: the model's bytes and description, which columns feed
 * which inputs, which outputs become which columns, and the scoring options.
 *
 * <pre>{@code
 * OnnxModel model = OnnxModel.fromPath("models/mlp.onnx")
 *     .withInput("features", "features")   // model input <- column (default: the column named like it)
 *     .withOutput("logits", "scores")      // new column <- model output (default: every output)
 *     .withBatchSize(1024);
 * Dataset<Row> scored = model.transform(df);
 * }</pre>
 *
 * <p>Immutable and thread-safe: every {@code withX} returns a new model and leaves this one as it
 * was. Each {@code withX} sets one per-call option of {@link OnnxOptions} ({@link #options()} lists
 * them), so the same settings can be given as a map ({@link #withOptions}), in SQL, to the ML stage
 * and to the jobs. Names of inputs and outputs are checked at once against the model; columns are
 * checked against the DataFrame's schema when scoring starts, before any Spark job runs. Lives on
 * the driver; executors receive a broadcast of the bytes, once per Spark context, or, for a model
 * shipped by path ({@link #withShipping}), copy its files once per node.
 */
public final class OnnxModel {
  private final ModelSource bytes;
  private final ModelInfo info;
  private final ScoringSpec spec;

  private OnnxModel(ModelSource bytes, ModelInfo info, ScoringSpec spec) {
    this.bytes = bytes;
    this.info = info;
    this.spec = spec;
  }

  static {
    ModelParts.install(m -> new ModelParts(m.bytes, m.info, m.spec));
  }

  private static OnnxModel of(ModelBytes bytes) {
    ModelInfo info = ModelInfo.parse(bytes.bytes(), bytes.source());
    return new OnnxModel(bytes, info, ScoringSpec.EMPTY);
  }

  private static OnnxModel load(
      String location, Configuration hadoopConf, long maxBytes, String limitKey) {
    ModelShipping.Loaded loaded =
        ModelShipping.load(location, hadoopConf, maxBytes, limitKey, pathAboveBytes());
    return new OnnxModel(loaded.source(), loaded.info(), ScoringSpec.EMPTY);
  }

  /** {@code spark.onnx.shipping.pathAboveBytes} of the active session, or its default. */
  private static long pathAboveBytes() {
    scala.Option<SparkSession> active = SparkSession.getActiveSession();
    String value =
        active.isDefined()
            ? active.get().conf().get(OnnxOptions.SHIPPING_PATH_ABOVE_BYTES_CONF, null)
            : null;
    return value == null
        ? OnnxOptions.SHIPPING_PATH_ABOVE_BYTES_DEFAULT
        : OptionValues.parseLong(
            OnnxOptions.SHIPPING_PATH_ABOVE_BYTES_CONF, value, "1 or more bytes");
  }

  /**
   * Reads a model from a local path or a Hadoop FileSystem URI ({@code hdfs://}, {@code s3a://},
   * {@code abfss://}, {@code dbfs:/}), using the active Spark session's Hadoop configuration when
   * there is one (with the session's {@code spark.hadoop.*} settings).
   *
   * <p>The path may name an {@code .onnx} file or a folder holding one. A model with external data
   * (weights in files beside it), or larger than {@code spark.onnx.shipping.pathAboveBytes}, is
   * shipped by path: the driver reads only its description, and each executor node copies its files
   * once into a local cache (see {@link #withShipping}); any path must then be readable by every
   * executor (a distributed file system, or a path present on every node).
   *
   * @throws ai.onnxspark.OnnxException when the file is missing or not an ONNX model, or its
   *     external data is missing, truncated or outside its folder
   */
  public static OnnxModel fromPath(String path) {
    return load(path, SparkConfs.activeHadoopConf(), OnnxOptions.MODELS_MAX_BYTES_DEFAULT, null);
  }

  /** The same as {@link #fromPath}, for URIs; reads with {@code hadoopConf}. */
  public static OnnxModel fromUri(String uri, Configuration hadoopConf) {
    return load(uri, hadoopConf, OnnxOptions.MODELS_MAX_BYTES_DEFAULT, null);
  }

  /**
   * As {@link #fromUri(String, Configuration)}, refusing a file of more than {@code maxBytes} bytes
   * before reading it; {@code limitKey} names the setting of the limit in the message.
   *
   * @throws ai.onnxspark.OnnxException when the file is missing, too large or not an ONNX model
   */
  public static OnnxModel fromUri(
      String uri, Configuration hadoopConf, long maxBytes, String limitKey) {
    return load(uri, hadoopConf, maxBytes, limitKey);
  }

  /** The same as {@link #fromPath}, named for URIs such as {@code s3a://bucket/model.onnx}. */
  public static OnnxModel fromUri(String uri) {
    return fromPath(uri);
  }

  /** A model from its serialized bytes (copied). */
  public static OnnxModel fromBytes(byte[] modelBytes) {
    return of(ModelBytes.of(modelBytes, "bytes"));
  }

  /**
   * Feeds model input {@code input} from {@code columns}: one {@code array<numeric>} or ML vector
   * column, or several numeric columns assembled in order into the input's per-row values. Per
   * call: {@code input.<input>}.
   *
   * @throws ai.onnxspark.OnnxException when the model has no such input
   */
  public OnnxModel withInput(String input, String... columns) {
    Objects.requireNonNull(input, "input");
    if (columns.length == 0) {
      throw OnnxErrors.badOption(
          OnnxOptions.INPUT_PREFIX + input, "", "at least one column (withInput(input, column))");
    }
    return withOption(OnnxOptions.INPUT_PREFIX + input, OptionValues.list(List.of(columns)));
  }

  /**
   * Writes model output {@code output} to a new column {@code column}. Once any output is named,
   * only the named outputs are computed; by default every output is, each in a column named like
   * it. Per call: {@code output.<output>}.
   *
   * @throws ai.onnxspark.OnnxException when the model has no such output
   */
  public OnnxModel withOutput(String output, String column) {
    Objects.requireNonNull(output, "output");
    Objects.requireNonNull(column, "column");
    return withOption(OnnxOptions.OUTPUT_PREFIX + output, column);
  }

  /**
   * Adds column {@code column} with the softmax of output {@code output}'s per-row scores (a {@code
   * [batch, classes]} float or double output), computed stably on the executors. Per call: {@code
   * softmax.<output>}.
   *
   * @throws ai.onnxspark.OnnxException when the model has no such output or it is not such scores
   */
  public OnnxModel withSoftmax(String output, String column) {
    return withOption(OnnxOptions.SOFTMAX_PREFIX + output, column);
  }

  /**
   * Adds column {@code column} with a sentence embedding: the mean of per-token output {@code
   * output} ({@code [batch, seq, dim]}, such as a text encoder's {@code last_hidden_state}) over
   * each row's tokens, excluding the padding the library added to its batch (rows fed by a
   * tokenizer or padded with {@code pad.<input>}), scaled to unit L2 norm when {@code normalized}.
   * Per call: {@code mean-pool.<output>} or {@code mean-pool-normalized.<output>}.
   *
   * @throws ai.onnxspark.OnnxException when the model has no such output or it is not per-token
   *     vectors
   */
  public OnnxModel withMeanPooling(String output, String column, boolean normalized) {
    return withOption(
        (normalized ? OnnxOptions.MEAN_POOL_NORMALIZED_PREFIX : OnnxOptions.MEAN_POOL_PREFIX)
            + output,
        column);
  }

  /**
   * Adds column {@code column} labelling each token of the text: per row, one {@code struct<token:
   * string, start: int, end: int, label: string, score: float>} per token the tokenizer read from
   * the text, in order ({@code [CLS]}, {@code [SEP]} and the other special tokens it adds are left
   * out, as is the padding), with the label of the token's largest score in per-token output {@code
   * output} ({@code [batch, seq, labels]}, as a token classifier's logits) and that score's softmax
   * probability: named entities, part-of-speech tags. {@code start} and {@code end} are the token's
   * span in the row's text in UTF-16 code units, so that {@code text.substring(start, end)} is the
   * text the token was read from. The model must be fed from text ({@link #withTokenizer}); a text
   * pair is refused. Per call: {@code token-labels.<output>}, with {@code labels.<output>}.
   *
   * @param labels one per score of the output's last dimension, in order; none to take the model's
   *     metadata ({@code labels}, {@code classes} or {@code class_labels}), as {@link
   *     #withLabel(String, String)} does
   * @throws ai.onnxspark.OnnxException when the model has no such output, it is not of rank 3, or
   *     the labels are not one per score
   */
  public OnnxModel withTokenLabels(String output, String column, String... labels) {
    Objects.requireNonNull(output, "output");
    OnnxModel model = this;
    if (labels.length > 0) {
      model = withOption(OnnxOptions.LABELS_PREFIX + output, OptionValues.list(List.of(labels)));
    }
    return model.withOption(OnnxOptions.TOKEN_LABELS_PREFIX + output, column);
  }

  /**
   * Adds column {@code column} (int) with the index of output {@code output}'s largest score. Per
   * call: {@code argmax.<output>}.
   */
  public OnnxModel withArgmax(String output, String column) {
    return withOption(OnnxOptions.ARGMAX_PREFIX + output, column);
  }

  /**
   * Adds column {@code column} (string) with the label of output {@code output}'s largest score,
   * {@code labels} holding one label per class in order. Per call: {@code label.<output>} and
   * {@code labels.<output>}.
   */
  public OnnxModel withLabel(String output, String column, List<String> labels) {
    return withOption(OnnxOptions.LABELS_PREFIX + output, OptionValues.list(labels))
        .withOption(OnnxOptions.LABEL_PREFIX + output, column);
  }

  /**
   * As {@link #withLabel(String, String, List)}, with the labels the model's metadata holds under
   * {@code labels}, {@code classes} or {@code class_labels} (comma-separated or a JSON list).
   *
   * @throws ai.onnxspark.OnnxException when the metadata has no labels
   */
  public OnnxModel withLabel(String output, String column) {
    return withOption(OnnxOptions.LABEL_PREFIX + output, column);
  }

  /**
   * Adds columns with the indices (array of int) and the scores of output {@code output}'s {@code
   * k} largest scores, largest first; either column name may be null to leave it out. Per call:
   * {@code top-k.<output>}, {@code top-k-indices.<output>}, {@code top-k-scores.<output>}.
   */
  public OnnxModel withTopK(String output, int k, String indicesColumn, String scoresColumn) {
    OnnxModel model = withOption(OnnxOptions.TOP_K_PREFIX + output, Integer.toString(k));
    if (indicesColumn != null) {
      model = model.withOption(OnnxOptions.TOP_K_INDICES_PREFIX + output, indicesColumn);
    }
    if (scoresColumn != null) {
      model = model.withOption(OnnxOptions.TOP_K_SCORES_PREFIX + output, scoresColumn);
    }
    return model;
  }

  /**
   * How the model reaches executors: {@code broadcast} (its bytes, through the driver), {@code
   * path} (each executor node copies its files once into a local cache and loads them from there;
   * for external data and large models) or {@code auto} (path for external data or files over
   * {@code spark.onnx.shipping.pathAboveBytes}, else broadcast). Per call: {@code shipping}.
   *
   * @throws ai.onnxspark.OnnxException at scoring, when the model cannot take that form: bytes
   *     given in memory have no path, external data cannot be broadcast
   */
  public OnnxModel withShipping(String shipping) {
    ModelShipping.parse(shipping);
    return withOption(OnnxOptions.SHIPPING, shipping);
  }

  /** Rows per ONNX Runtime call; default {@code spark.onnx.batchSize}, else 1024. */
  public OnnxModel withBatchSize(int rows) {
    return withOption(OnnxOptions.BATCH_SIZE, Integer.toString(rows));
  }

  /** Intra-op threads per session; 0 (the default) means the task's CPU share. */
  public OnnxModel withIntraOpThreads(int threads) {
    return withOption(OnnxOptions.INTRA_OP_THREADS, Integer.toString(threads));
  }

  /**
   * Sessions load ONNX Runtime Extensions' custom operators (domain {@code ai.onnx.contrib}), for
   * models that carry their pre-processing inside the graph: tokenizers ({@code BertTokenizer},
   * {@code SentencepieceTokenizer}, …), string and image operators. Per call: {@code extensions};
   * for every session: {@code spark.onnx.extensions}.
   */
  public OnnxModel withExtensions() {
    return withOption(OnnxOptions.EXTENSIONS, "true");
  }

  /**
   * ONNX Runtime's graph optimization level: {@code none}, {@code basic}, {@code extended}, {@code
   * all}.
   */
  public OnnxModel withOptimizationLevel(String level) {
    return withOption(OnnxOptions.OPTIMIZATION_LEVEL, level);
  }

  /**
   * Where sessions run: {@code cpu}, {@code cuda}, {@code tensorrt}, or {@code auto} (default
   * {@code spark.onnx.device}, else {@code auto}: the GPU Spark assigned to the task, else the
   * CPU).
   */
  public OnnxModel withDevice(String device) {
    return withOption(OnnxOptions.DEVICE, device);
  }

  /**
   * What an unusable GPU does: {@code none} (default) fails the task with the reason, {@code cpu}
   * scores on the CPU and says so in the log and in {@link ScoringMetrics#providers()}.
   */
  public OnnxModel withDeviceFallback(String fallback) {
    return withOption(OnnxOptions.DEVICE_FALLBACK, fallback);
  }

  /**
   * Runs the scoring stage of {@link #transform} with its own Spark resource profile: executors
   * with one GPU each and {@code gpusPerTask} of a GPU per task (0.25 runs four tasks per GPU),
   * while the rest of the job keeps the default profile, so a cluster can give GPUs to scoring
   * alone. Needs stage-level scheduling: YARN, Kubernetes or standalone with dynamic allocation.
   */
  public OnnxModel withGpuStage(double gpusPerTask) {
    return withOption(OnnxOptions.GPUS_PER_TASK, Double.toString(gpusPerTask));
  }

  /**
   * Ends a batch early, before the batch size, when the next row would take its input tensors over
   * {@code bytes} (default {@code spark.onnx.maxBatchBytes}, 256 MB); a row larger than that is
   * scored alone. Per call: {@code max-batch-bytes}.
   *
   * @throws ai.onnxspark.OnnxException when {@code bytes} is less than 1
   */
  public OnnxModel withMaxBatchBytes(long bytes) {
    return withOption(OnnxOptions.MAX_BATCH_BYTES, Long.toString(bytes));
  }

  /**
   * Stops any ONNX Runtime call that takes longer than {@code millis} (0: no limit; default {@code
   * spark.onnx.batchTimeoutMs}): the batch fails with a clear error, or, in permissive mode, its
   * rows are retried one by one and those over the limit get the error.
   */
  public OnnxModel withBatchTimeout(long millis) {
    return withOption(OnnxOptions.BATCH_TIMEOUT_MS, Long.toString(millis));
  }

  /**
   * An option of the GPU execution provider, passed to ONNX Runtime as it is: for CUDA {@code
   * gpu_mem_limit}, {@code cudnn_conv_algo_search}, {@code arena_extend_strategy}; for TensorRT
   * {@code trt_fp16_enable}, {@code trt_engine_cache_enable}, {@code trt_engine_cache_path}.
   * Overrides {@code spark.onnx.provider.<key>}.
   */
  public OnnxModel withProviderOption(String key, String value) {
    return withOption(OnnxOptions.PROVIDER_OPTION_PREFIX + key, value);
  }

  /**
   * Permissive mode: a row that cannot be scored (a null, a wrong length, a value ONNX Runtime
   * rejects) gets null outputs and its error message in the error column ({@code
   * spark.onnx.errorColumn}, else {@code onnx_error}); every other row is scored, and the result
   * has exactly the input's rows. Default: {@code spark.onnx.permissive}, else off (the first bad
   * row fails the task with its message).
   */
  public OnnxModel withPermissive() {
    return withOption(OnnxOptions.PERMISSIVE, "true");
  }

  /** Permissive mode with the error message in {@code errorColumn}. */
  public OnnxModel withPermissive(String errorColumn) {
    Objects.requireNonNull(errorColumn, "errorColumn");
    return withOption(OnnxOptions.ERROR_COLUMN, errorColumn);
  }

  /** Fails the task at the first row that cannot be scored, whatever the Spark conf says. */
  public OnnxModel withFailFast() {
    return withOption(OnnxOptions.PERMISSIVE, "false");
  }

  /**
   * Returns outputs of rank 3 or more ({@code [batch, seq, dim]}) as one flat array per row, in
   * row-major order, instead of nested arrays ({@code array<array<float>>}).
   */
  public OnnxModel withFlatOutputs() {
    return withOption(OnnxOptions.FLATTEN_OUTPUTS, "true");
  }

  /**
   * Returns outputs flat, as {@link #withFlatOutputs()} does, each output whose rows are arrays
   * with a column {@code <column>_shape} ({@code array<int>}) beside it: the row's dimensions of
   * the output, without the batch dimension in batches, every dimension of a whole tensor ({@link
   * #withRowAsTensor()}), so that the flat values, in row-major order, can be read back as the
   * tensor (zero-size dimensions included). Outputs of one value per row stay scalars, with no
   * shape column. The column function returns a struct of the outputs and their shapes. Per call:
   * {@code output-shapes}.
   */
  public OnnxModel withOutputShapes() {
    return withOption(OnnxOptions.OUTPUT_SHAPES, "true");
  }

  /**
   * Feeds each row's columns as the model's complete input tensors (every dimension, none of them a
   * batch) and returns each output whole, one ONNX Runtime run per row: for models that take whole
   * tensors, such as signal or graph models. Models whose shapes have no batch dimension (scalar
   * inputs, inputs of different first dimensions) are scored this way without it. Per call: {@code
   * row-as-tensor}.
   */
  public OnnxModel withRowAsTensor() {
    return withOption(OnnxOptions.ROW_AS_TENSOR, "true");
  }

  /**
   * Groups output {@code output}, a list of entries for the whole batch ({@code [entries, 1 + k]})
   * whose column {@code indexColumn} names each entry's row in the batch, as ONNX
   * NonMaxSuppression's {@code selected_indices} does: each row gets the array of its own entries
   * (each without the index column), an empty array when it has none. For detectors that return the
   * detections of a whole batch together. Per call: {@code group.<output>}.
   */
  public OnnxModel withGroupedOutput(String output, int indexColumn) {
    return withOption(OnnxOptions.GROUP_PREFIX + output, Integer.toString(indexColumn));
  }

  /**
   * Returns every output (and derived column) of {@link #transform} as the fields of one struct
   * column {@code column} instead of a column each; in permissive mode the error column stays
   * beside it.
   */
  public OnnxModel withStructOutput(String column) {
    Objects.requireNonNull(column, "column");
    return withOption(OnnxOptions.STRUCT_COLUMN, column);
  }

  /**
   * Pads input {@code input}, which has a variable dimension per row ({@code [batch, seq]}), to the
   * longest row of each batch with {@code value} (0 for token ids and attention masks), so rows of
   * different lengths share a batch. Outputs whose first dimension after the batch has the same
   * name ({@code [batch, seq, dim]}) get the padded positions removed again, row by row.
   *
   * @throws ai.onnxspark.OnnxException when the model has no such input
   */
  public OnnxModel withPadding(String input, double value) {
    return withOption(OnnxOptions.PAD_PREFIX + input, Double.toString(value));
  }

  /**
   * Feeds image model input {@code input} ({@code float[batch, 3, height, width]}) from image
   * column {@code column}: Spark's image data source struct ({@code spark.read().format("image")})
   * or encoded JPEG/PNG bytes ({@code format("binaryFile")}'s {@code content}). Each image is
   * converted to RGB, resized bilinearly to the input's height and width, scaled to 0..1 and
   * normalised per channel with ImageNet's mean (0.485, 0.456, 0.406) and standard deviation
   * (0.229, 0.224, 0.225).
   */
  public OnnxModel withImage(String input, String column) {
    return withOption(OnnxOptions.IMAGE_PREFIX + input, column);
  }

  /** As {@link #withImage(String, String)}, with the given per-channel (RGB) mean and std. */
  public OnnxModel withImage(String input, String column, float[] mean, float[] std) {
    return withImage(input, column)
        .withOption(OnnxOptions.IMAGE_MEAN_PREFIX + input, OptionValues.floats(mean))
        .withOption(OnnxOptions.IMAGE_STD_PREFIX + input, OptionValues.floats(std));
  }

  /**
   * Feeds the model's {@code input_ids}, {@code attention_mask} and {@code token_type_ids} (those
   * it has, as int64 or int32, as it declares them) from string column {@code textColumn},
   * tokenized by the Hugging Face tokenizer {@code tokenizerPath} ({@code tokenizer.json}, a local
   * path or Hadoop URI) with its special tokens, truncated to {@link #withMaxLength max-length}
   * tokens, and padded to each batch's longest row (a model with a fixed sequence length gets every
   * row padded to it). The file is read once on the driver and broadcast; each executor JVM builds
   * one native tokenizer per file. A null text fails its row (or, in permissive mode, gets null
   * outputs and an error); an empty one is just the special tokens. Per call: {@code tokenizer} and
   * {@code text-column}.
   */
  public OnnxModel withTokenizer(String textColumn, String tokenizerPath) {
    Objects.requireNonNull(textColumn, "textColumn");
    Objects.requireNonNull(tokenizerPath, "tokenizerPath");
    return withOption(OnnxOptions.TOKENIZER, tokenizerPath)
        .withOption(OnnxOptions.TEXT_COLUMN, OptionValues.list(List.of(textColumn)));
  }

  /**
   * As {@link #withTokenizer(String, String)} for text pairs (question and passage, two sentences):
   * each row's {@code textColumn} and {@code pairColumn} are encoded together, as the tokenizer's
   * template puts pairs ({@code [CLS] a [SEP] b [SEP]}, {@code token_type_ids} 0 then 1), and
   * truncated longest first.
   */
  public OnnxModel withTokenizer(String textColumn, String pairColumn, String tokenizerPath) {
    Objects.requireNonNull(textColumn, "textColumn");
    Objects.requireNonNull(pairColumn, "pairColumn");
    Objects.requireNonNull(tokenizerPath, "tokenizerPath");
    return withOption(OnnxOptions.TOKENIZER, tokenizerPath)
        .withOption(OnnxOptions.TEXT_COLUMN, OptionValues.list(List.of(textColumn, pairColumn)));
  }

  /**
   * With a tokenizer: the most tokens a row keeps, special tokens included (default 512, and at
   * most the model's fixed sequence length). Per call: {@code max-length}.
   */
  public OnnxModel withMaxLength(int tokens) {
    return withOption(OnnxOptions.MAX_LENGTH, Integer.toString(tokens));
  }

  /**
   * Names bad rows in error messages also by column {@code column} ({@code row 7 of partition 3
   * (id=1042)}), for finding them in the source table.
   */
  public OnnxModel withKeyColumn(String column) {
    Objects.requireNonNull(column, "column");
    return withOption(OnnxOptions.KEY_COLUMN, column);
  }

  /**
   * With padded inputs ({@link #withPadding}): reads {@code batches} batches of rows at a time and
   * scores them in batches of rows of similar length, so that little padding is computed; the rows
   * still come out in their order. Per call: {@code bucket-batches}.
   */
  public OnnxModel withBucketing(int batches) {
    return withOption(OnnxOptions.BUCKET_BATCHES, Integer.toString(batches));
  }

  /**
   * Lets columns that would lose precision feed the model, rounded: {@code double} (arrays, vectors
   * aside) to float and float16 inputs, {@code bigint} to int32 inputs (ids that fit). Off by
   * default, when such columns are refused with the cast to write. Per call: {@code narrowing}.
   */
  public OnnxModel withNarrowing() {
    return withOption(OnnxOptions.NARROWING, "true");
  }

  /**
   * Sets per-call options by key, as the SQL function, the ML stage and the jobs pass them; each
   * key does what its {@code withX} method does, and {@link OnnxOptions#all()} lists them all
   * ({@code batch-size}, {@code device}, {@code permissive}, {@code input.<input>}, {@code
   * pad.<input>}, {@code softmax.<output>}, ...). Keys set again replace their value.
   *
   * @throws ai.onnxspark.OnnxException naming the key and the valid keys or values
   */
  public OnnxModel withOptions(Map<String, String> callOptions) {
    ScoringSpec next = spec;
    for (Map.Entry<String, String> e : callOptions.entrySet()) {
      next = next.with(e.getKey(), e.getValue(), info);
    }
    return checked(next, callOptions.keySet());
  }

  /** Sets one per-call option by key; see {@link #withOptions}. */
  public OnnxModel withOption(String key, String value) {
    return checked(spec.with(key, value, info), List.of(key));
  }

  /** A model of {@code next}, with post-processing checked against its outputs at once. */
  private OnnxModel checked(ScoringSpec next, java.util.Collection<String> changed) {
    boolean postProcessing =
        changed.stream()
            .anyMatch(
                key ->
                    OnnxOptions.forKey(key)
                        .map(o -> o.isPrefix() && isPostProcess(o.key()))
                        .orElse(false));
    if (postProcessing) {
      boolean whole = next.batching(info).wholeTensors();
      for (ScoringSpec.Derived d : next.derived(info)) {
        OutputBinding.bind(info.output(d.output()).orElseThrow(), d.column(), d.post(), whole);
      }
    }
    return new OnnxModel(bytes, info, next);
  }

  private static boolean isPostProcess(String prefix) {
    return prefix.equals(OnnxOptions.SOFTMAX_PREFIX)
        || prefix.equals(OnnxOptions.ARGMAX_PREFIX)
        || prefix.equals(OnnxOptions.LABEL_PREFIX)
        || prefix.equals(OnnxOptions.TOP_K_INDICES_PREFIX)
        || prefix.equals(OnnxOptions.TOP_K_SCORES_PREFIX)
        || prefix.equals(OnnxOptions.MEAN_POOL_PREFIX)
        || prefix.equals(OnnxOptions.MEAN_POOL_NORMALIZED_PREFIX)
        || prefix.equals(OnnxOptions.TOKEN_LABELS_PREFIX);
  }

  /**
   * The per-call options this model carries, in the order they were set: everything {@code withX}
   * set, under the keys of {@link OnnxOptions}. {@code
   * OnnxModel.fromBytes(b).withOptions(m.options())} scores like {@code m} for the same bytes
   * {@code b}; the ML stage saves them this way.
   */
  public Map<String, String> options() {
    return spec.settings();
  }

  /**
   * This model with its MatMul/Gemm weights quantized to int8 (see {@link Int8Quantization}):
   * smaller, and faster on CPUs, at a small cost in accuracy. Input and output names and types, the
   * column mapping and the options stay as they are; this model is untouched.
   *
   * @throws ai.onnxspark.OnnxException when the model has nothing to quantize or an opset older
   *     than 11
   */
  public OnnxModel quantize(Int8Quantization quantization) {
    Int8Quantization.Result result =
        quantization.apply(inMemory("int8 quantization"), bytes.source());
    return converted(result.model(), bytes.source() + " (int8)");
  }

  /** {@link #quantize} with per-channel, symmetric int8 weights. */
  public OnnxModel quantizeInt8() {
    return quantize(Int8Quantization.defaults());
  }

  /**
   * This model with float16 weights and computation (see {@link Float16Conversion}), for GPU
   * scoring: about half the size and memory, and faster on GPUs with float16 units. Inputs and
   * outputs keep their types; this model is untouched. Sessions of the converted model use at most
   * the {@code extended} optimization level.
   *
   * @throws ai.onnxspark.OnnxException when the model has no float computation or has subgraphs
   */
  public OnnxModel toFloat16(Float16Conversion conversion) {
    Float16Conversion.Result result =
        conversion.apply(inMemory("float16 conversion"), bytes.source());
    return converted(result.model(), bytes.source() + " (float16)");
  }

  /** {@link #toFloat16(Float16Conversion)} with the default ops kept in float32. */
  public OnnxModel toFloat16() {
    return toFloat16(Float16Conversion.defaults());
  }

  /**
   * This model with ONNX Runtime's graph optimizations at {@code level} applied once, here, and its
   * sessions created without optimizing again ({@code optimization-level none}), so that every
   * executor's session creation skips the work. Use {@code basic} for graphs any device runs,
   * {@code extended} or {@code all} when optimizing for the device that scores (see {@link
   * GraphOptimization}).
   */
  public OnnxModel optimized(String level) {
    SessionOptionsSpec.OptimizationLevel parsed = SessionOptionsSpec.OptimizationLevel.parse(level);
    byte[] optimizedBytes =
        GraphOptimization.apply(inMemory("optimization"), parsed, bytes.source());
    return converted(optimizedBytes, bytes.source() + " (optimized " + level + ")")
        .withOptimizationLevel("none");
  }

  /**
   * This model cut at the intermediate values {@code values} (names of values the graph computes,
   * such as {@code /encoder/layers.1/Add_output_0}): they become its only outputs, each in a column
   * named like it unless {@link #withOutput} names another, and nodes that only lead elsewhere are
   * not run. Column mapping and options stay.
   *
   * @throws ai.onnxspark.OnnxException when a name is not computed by the graph
   */
  public OnnxModel cutAt(String... values) {
    byte[] cut = GraphCut.apply(inMemory("cutAt"), bytes.source(), List.of(values));
    ScoringSpec kept = spec;
    for (String prefix :
        List.of(
            OnnxOptions.OUTPUT_PREFIX,
            OnnxOptions.SOFTMAX_PREFIX,
            OnnxOptions.ARGMAX_PREFIX,
            OnnxOptions.LABEL_PREFIX,
            OnnxOptions.LABELS_PREFIX,
            OnnxOptions.TOP_K_PREFIX,
            OnnxOptions.TOP_K_INDICES_PREFIX,
            OnnxOptions.TOP_K_SCORES_PREFIX,
            OnnxOptions.MEAN_POOL_PREFIX,
            OnnxOptions.MEAN_POOL_NORMALIZED_PREFIX,
            OnnxOptions.TOKEN_LABELS_PREFIX)) {
      kept = kept.withoutPrefix(prefix);
    }
    return new OnnxModel(
        ModelBytes.of(cut, bytes.source() + " (cut at " + String.join(", ", values) + ")"),
        ModelInfo.parse(cut, bytes.source()),
        kept);
  }

  /**
   * The model's bytes, read now for a model shipped by path, for a conversion {@code what} that
   * needs the whole model in memory.
   *
   * @throws ai.onnxspark.OnnxException for a model with external data, which conversions do not
   *     handle
   */
  private byte[] inMemory(String what) {
    if (bytes instanceof ModelBytes b) {
      return b.bytes();
    }
    ModelFiles files = (ModelFiles) bytes;
    if (files.hasExternalData()) {
      throw OnnxErrors.cannotConvert(
          "Model '"
              + files.source()
              + "' keeps its weights as external data ("
              + files.dataFiles().size()
              + " file(s)), which "
              + what
              + " does not read. Convert it where it was exported (onnx.load with its external"
              + " data, then the conversion), or score it as it is.");
    }
    return ((ModelBytes)
            ModelShipping.BROADCAST.ship(
                files, info, Long.MAX_VALUE, SparkConfs.activeHadoopConf()))
        .bytes();
  }

  private OnnxModel converted(byte[] modelBytes, String source) {
    return new OnnxModel(
        ModelBytes.of(modelBytes, source), ModelInfo.parse(modelBytes, source), spec);
  }

  /** Writes the model's ONNX bytes to {@code out}, which the caller closes. */
  public void writeTo(java.io.OutputStream out) throws java.io.IOException {
    out.write(inMemory("writeTo"));
  }

  /** What the model declares: inputs, outputs, opsets, producer, metadata. */
  public ModelInfo info() {
    return info;
  }

  /**
   * SHA-256 of the model bytes; for a model shipped by path, of its file's SHA-256 and its data
   * files' sizes and checksums.
   */
  public String fingerprint() {
    return bytes.fingerprint();
  }

  /** Where the model was read from. */
  public String source() {
    return bytes.source();
  }

  /** Size of the model in bytes, external data files included. */
  public long size() {
    return bytes.size();
  }

  /**
   * Scores every row of {@code df}: the result has the same rows, in the same order within each
   * partition, with all of {@code df}'s columns followed by one column per output.
   *
   * @throws ai.onnxspark.OnnxException when a column does not fit its model input; raised here,
   *     before any job runs. Errors in individual rows surface when the result is computed.
   */
  public Dataset<Row> transform(Dataset<Row> df) {
    return transform(df, null);
  }

  /** As {@link #transform(Dataset)}, adding to the given counters (see {@link ScoringMetrics}). */
  public Dataset<Row> transform(Dataset<Row> df, ScoringMetrics metrics) {
    PartitionScorer scorer = scorer(df.sparkSession(), df.schema(), metrics);
    return TransformScoring.transform(df, scorer, spec.structColumn());
  }

  /**
   * A function for {@code df.mapPartitions(fn, fn.encoder())} over {@link Row}s of {@code df}'s
   * schema, for users who score inside their own partition logic.
   */
  public OnnxPartitionFunction partitionFunction(Dataset<Row> df) {
    PartitionScorer scorer = scorer(df.sparkSession(), df.schema(), null);
    return new OnnxPartitionFunction(scorer, df.schema());
  }

  /**
   * The schema {@link #transform} produces for input {@code schema} in the active session (with the
   * error column in permissive mode). Checks the columns, as transform does.
   */
  public StructType outputSchema(StructType schema) {
    PartitionScorer scorer = scorer(SparkSession.active(), schema, null);
    return TransformScoring.schema(
        schema,
        scorer.outputSchema(),
        spec.structColumn(),
        scorer.model().resolved().errorColumn());
  }

  /**
   * Drops the executors' cached copies of this model's broadcast bytes in the active Spark context
   * (queries that still use the model fetch them again). Sessions already created stay in the
   * executors' bounded session cache until evicted.
   */
  public void unpersist() {
    Option<SparkSession> active = SparkSession.getActiveSession();
    if (active.isDefined()) {
      BroadcastModel.release(active.get().sparkContext(), bytes.fingerprint());
      // The model rewritten to read its optional outputs, when it was scored so.
      for (String rewritten : OptionalOutputs.rewrittenFrom(bytes.fingerprint())) {
        BroadcastModel.release(active.get().sparkContext(), rewritten);
      }
    }
  }

  /** The scorer {@code transform} runs, checked against {@code schema} and broadcast. */
  PartitionScorer scorer(SparkSession spark, StructType schema, ScoringMetrics metrics) {
    return ScoringPlanner.forTransform(spark, bytes, info, spec, schema, metrics);
  }

  /** The model as executors see it, with options resolved in {@code spark}; not broadcast. */
  ModelHandle handle(SparkSession spark) {
    return ScoringPlanner.handle(spark, bytes, info, spec);
  }

  @Override
  public String toString() {
    return "OnnxModel{"
        + bytes
        + ", inputs="
        + info.inputNames()
        + ", outputs="
        + info.outputNames()
        + (spec.settings().isEmpty() ? "" : ", options=" + spec.settings())
        + "}";
  }
}
