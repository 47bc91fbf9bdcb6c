package ai.onnxspark.spark;

import ai.onnxspark.OnnxErrors;
import ai.onnxspark.OnnxOptions;
import ai.onnxspark.convert.Float16Conversion;
import ai.onnxspark.convert.GraphCut;
import ai.onnxspark.convert.GraphOptimization;
import ai.onnxspark.convert.Int8Quantization;
import ai.onnxspark.model.ModelBytes;
import ai.onnxspark.model.ModelInfo;
import ai.onnxspark.model.TensorSpec;
import ai.onnxspark.session.DeviceSpec;
import ai.onnxspark.session.SessionOptionsSpec;
import ai.onnxspark.tensor.InputBinding;
import ai.onnxspark.tensor.OutputBinding;
import ai.onnxspark.tensor.PostProcess;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
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
 * <p>Immutable: every {@code withX} returns a new model and leaves this one as it was. Names of
 * inputs and outputs are checked at once against the model; columns are checked against the
 * DataFrame's schema when scoring starts, before any Spark job runs. Lives on the driver; what goes
 * to executors is a {@link PartitionScorer} holding a broadcast of the bytes.
 */
public final class OnnxModel {
  private final ModelBytes bytes;
  private final ModelInfo info;
  private final Map<String, List<String>> inputColumns;
  private final Map<String, String> outputColumns;
  private final CallOptions options;

  /** Columns computed from an output's scores (softmax, argmax, labels, top k), in order. */
  private final List<Derived> derived;

  private record Derived(String output, String column, PostProcess post)
      implements java.io.Serializable {}

  private OnnxModel(
      ModelBytes bytes,
      ModelInfo info,
      Map<String, List<String>> inputColumns,
      Map<String, String> outputColumns,
      CallOptions options) {
    this(bytes, info, inputColumns, outputColumns, options, List.of());
  }

  private OnnxModel(
      ModelBytes bytes,
      ModelInfo info,
      Map<String, List<String>> inputColumns,
      Map<String, String> outputColumns,
      CallOptions options,
      List<Derived> derived) {
    this.bytes = bytes;
    this.info = info;
    this.inputColumns = Collections.unmodifiableMap(inputColumns);
    this.outputColumns = Collections.unmodifiableMap(outputColumns);
    this.options = options;
    this.derived = List.copyOf(derived);
  }

  private static OnnxModel of(ModelBytes bytes) {
    ModelInfo info = ModelInfo.parse(bytes.bytes(), bytes.source());
    return new OnnxModel(
        bytes, info, new LinkedHashMap<>(), new LinkedHashMap<>(), CallOptions.NONE);
  }

  /**
   * Reads a model from a local path or a Hadoop FileSystem URI ({@code hdfs://}, {@code s3a://},
   * {@code abfss://}, {@code dbfs:/}), using the active Spark session's Hadoop configuration when
   * there is one.
   *
   * @throws ai.onnxspark.OnnxException when the file is missing or not an ONNX model
   */
  public static OnnxModel fromPath(String path) {
    return of(ModelBytes.read(path, activeHadoopConf()));
  }

  /** The same as {@link #fromPath}, for URIs; reads with {@code hadoopConf}. */
  public static OnnxModel fromUri(String uri, Configuration hadoopConf) {
    return of(ModelBytes.read(uri, hadoopConf));
  }

  /** The same as {@link #fromPath}, named for URIs such as {@code s3a://bucket/model.onnx}. */
  public static OnnxModel fromUri(String uri) {
    return fromPath(uri);
  }

  /** A model from its serialized bytes (copied). */
  public static OnnxModel fromBytes(byte[] modelBytes) {
    return of(ModelBytes.of(modelBytes, "bytes"));
  }

  private static Configuration activeHadoopConf() {
    Option<SparkSession> active = SparkSession.getActiveSession();
    return active.isDefined()
        ? active.get().sparkContext().hadoopConfiguration()
        : new Configuration();
  }

  /**
   * Feeds model input {@code input} from {@code columns}: one {@code array<numeric>} or ML vector
   * column, or several numeric columns assembled in order into the input's per-row values.
   *
   * @throws ai.onnxspark.OnnxException when the model has no such input
   */
  public OnnxModel withInput(String input, String... columns) {
    Objects.requireNonNull(input, "input");
    if (info.input(input).isEmpty()) {
      throw OnnxErrors.unknownInput(input, info.inputNames());
    }
    if (columns.length == 0) {
      throw OnnxErrors.badOption("withInput(" + input + ")", "", "at least one column");
    }
    Map<String, List<String>> copy = new LinkedHashMap<>(inputColumns);
    copy.put(input, List.of(columns));
    return new OnnxModel(bytes, info, copy, outputColumns, options, derived);
  }

  /**
   * Writes model output {@code output} to a new column {@code column}. Once any output is named,
   * only the named outputs are computed; by default every output is, each in a column named like
   * it.
   *
   * @throws ai.onnxspark.OnnxException when the model has no such output
   */
  public OnnxModel withOutput(String output, String column) {
    Objects.requireNonNull(output, "output");
    Objects.requireNonNull(column, "column");
    if (info.output(output).isEmpty()) {
      throw OnnxErrors.unknownOutput(output, info.outputNames());
    }
    Map<String, String> copy = new LinkedHashMap<>(outputColumns);
    copy.put(output, column);
    return new OnnxModel(bytes, info, inputColumns, copy, options, derived);
  }

  /**
   * Adds column {@code column} with the softmax of output {@code output}'s per-row scores (a {@code
   * [batch, classes]} float or double output), computed stably on the executors.
   *
   * @throws ai.onnxspark.OnnxException when the model has no such output or it is not such scores
   */
  public OnnxModel withSoftmax(String output, String column) {
    return withDerived(output, column, PostProcess.softmax());
  }

  /** Adds column {@code column} (int) with the index of output {@code output}'s largest score. */
  public OnnxModel withArgmax(String output, String column) {
    return withDerived(output, column, PostProcess.argmax());
  }

  /**
   * Adds column {@code column} (string) with the label of output {@code output}'s largest score,
   * {@code labels} holding one label per class in order.
   */
  public OnnxModel withLabel(String output, String column, List<String> labels) {
    return withDerived(output, column, PostProcess.label(labels));
  }

  /**
   * As {@link #withLabel(String, String, List)}, with the labels the model's metadata holds under
   * {@code labels}, {@code classes} or {@code class_labels} (comma-separated or a JSON list).
   *
   * @throws ai.onnxspark.OnnxException when the metadata has no labels
   */
  public OnnxModel withLabel(String output, String column) {
    for (String key : List.of("labels", "classes", "class_labels")) {
      String value = info.metadata().get(key);
      if (value != null) {
        return withLabel(output, column, parseLabels(value));
      }
    }
    throw OnnxErrors.badOption(
        "labels of " + output,
        "(none in the model's metadata " + info.metadata().keySet() + ")",
        "labels given with withLabel(output, column, labels), or metadata 'labels'");
  }

  /**
   * Adds columns with the indices (array of int) and the scores of output {@code output}'s {@code
   * k} largest scores, largest first; either column name may be null to leave it out.
   */
  public OnnxModel withTopK(String output, int k, String indicesColumn, String scoresColumn) {
    OnnxModel model = this;
    if (indicesColumn != null) {
      model = model.withDerived(output, indicesColumn, PostProcess.topKIndices(k));
    }
    if (scoresColumn != null) {
      model = model.withDerived(output, scoresColumn, PostProcess.topKScores(k));
    }
    return model;
  }

  private OnnxModel withDerived(String output, String column, PostProcess post) {
    Objects.requireNonNull(column, "column");
    TensorSpec spec =
        info.output(output).orElseThrow(() -> OnnxErrors.unknownOutput(output, info.outputNames()));
    OutputBinding.bind(spec, column, post);
    List<Derived> more = new ArrayList<>(derived);
    more.add(new Derived(output, column, post));
    return new OnnxModel(bytes, info, inputColumns, outputColumns, options, more);
  }

  static List<String> parseLabels(String value) {
    String v = value.trim();
    if (v.startsWith("[") && v.endsWith("]")) {
      v = v.substring(1, v.length() - 1);
    }
    List<String> labels = new ArrayList<>();
    for (String part : v.split(",")) {
      String label = part.trim();
      if (label.length() >= 2
          && (label.startsWith("\"") && label.endsWith("\"")
              || label.startsWith("'") && label.endsWith("'"))) {
        label = label.substring(1, label.length() - 1);
      }
      labels.add(label);
    }
    return labels;
  }

  /** Rows per ONNX Runtime call; default {@code spark.onnx.batchSize}, else 1024. */
  public OnnxModel withBatchSize(int rows) {
    if (rows < 1) {
      throw OnnxErrors.badOption(OnnxOptions.BATCH_SIZE, rows, "a positive number of rows");
    }
    return with(options.withBatchSize(rows));
  }

  /** Intra-op threads per session; 0 (the default) means the task's CPU share. */
  public OnnxModel withIntraOpThreads(int threads) {
    SessionOptionsSpec.defaults().withIntraOpThreads(threads);
    return with(options.withIntraOpThreads(threads));
  }

  /**
   * ONNX Runtime's graph optimization level: {@code none}, {@code basic}, {@code extended}, {@code
   * all}.
   */
  public OnnxModel withOptimizationLevel(String level) {
    SessionOptionsSpec.OptimizationLevel.parse(level);
    return with(options.withOptimizationLevel(level));
  }

  /**
   * Where sessions run: {@code cpu}, {@code cuda}, {@code tensorrt}, or {@code auto} (default
   * {@code spark.onnx.device}, else {@code auto}: the GPU Spark assigned to the task, else the
   * CPU).
   */
  public OnnxModel withDevice(String device) {
    DeviceSpec.of(device, 0, "none");
    return with(options.withDevice(device));
  }

  /**
   * What an unusable GPU does: {@code none} (default) fails the task with the reason, {@code cpu}
   * scores on the CPU and says so in the log and in {@link ScoringMetrics#providers()}.
   */
  public OnnxModel withDeviceFallback(String fallback) {
    DeviceSpec.of("cpu", 0, fallback);
    return with(options.withDeviceFallback(fallback));
  }

  /**
   * Runs the scoring stage of {@link #transform} with its own Spark resource profile: executors
   * with one GPU each and {@code gpusPerTask} of a GPU per task (0.25 runs four tasks per GPU),
   * while the rest of the job keeps the default profile, so a cluster can give GPUs to scoring
   * alone. Needs stage-level scheduling: YARN, Kubernetes or standalone with dynamic allocation.
   */
  public OnnxModel withGpuStage(double gpusPerTask) {
    if (!(gpusPerTask > 0 && gpusPerTask <= 1
        || gpusPerTask == Math.rint(gpusPerTask) && gpusPerTask >= 1)) {
      throw OnnxErrors.badOption(
          OnnxOptions.GPUS_PER_TASK, gpusPerTask, "a fraction in (0, 1] or a whole number of GPUs");
    }
    return with(options.withGpusPerTask(gpusPerTask));
  }

  /**
   * Stops any ONNX Runtime call that takes longer than {@code millis} (0: no limit; default {@code
   * spark.onnx.batchTimeoutMs}): the batch fails with a clear error, or, in permissive mode, its
   * rows are retried one by one and those over the limit get the error.
   */
  public OnnxModel withBatchTimeout(long millis) {
    if (millis < 0) {
      throw OnnxErrors.badOption(OnnxOptions.BATCH_TIMEOUT_MS, millis, "0 or more milliseconds");
    }
    return with(options.withBatchTimeoutMs(millis));
  }

  /**
   * An option of the GPU execution provider, passed to ONNX Runtime as it is: for CUDA {@code
   * gpu_mem_limit}, {@code cudnn_conv_algo_search}, {@code arena_extend_strategy}; for TensorRT
   * {@code trt_fp16_enable}, {@code trt_engine_cache_enable}, {@code trt_engine_cache_path}.
   * Overrides {@code spark.onnx.provider.<key>}.
   */
  public OnnxModel withProviderOption(String key, String value) {
    return with(options.withProviderOption(key, value));
  }

  /**
   * Permissive mode: a row that cannot be scored (a null, a wrong length, a value ONNX Runtime
   * rejects) gets null outputs and its error message in column {@code onnx_error}; every other row
   * is scored, and the result has exactly the input's rows. Default: {@code spark.onnx.permissive},
   * else off (the first bad row fails the task with its message).
   */
  public OnnxModel withPermissive() {
    return withPermissive(OnnxOptions.ERROR_COLUMN_DEFAULT);
  }

  /** Permissive mode with the error message in {@code errorColumn}. */
  public OnnxModel withPermissive(String errorColumn) {
    Objects.requireNonNull(errorColumn, "errorColumn");
    return with(options.withErrorColumn(errorColumn));
  }

  /**
   * Returns outputs of rank 3 or more ({@code [batch, seq, dim]}) as one flat array per row, in
   * row-major order, instead of nested arrays ({@code array<array<float>>}).
   */
  public OnnxModel withFlatOutputs() {
    return with(options.withFlattenOutputs(true));
  }

  /**
   * Returns every output (and derived column) of {@link #transform} as the fields of one struct
   * column {@code column} instead of a column each; in permissive mode the error column stays
   * beside it.
   */
  public OnnxModel withStructOutput(String column) {
    Objects.requireNonNull(column, "column");
    return with(options.withStructColumn(column));
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
    if (info.input(input).isEmpty()) {
      throw OnnxErrors.unknownInput(input, info.inputNames());
    }
    return with(options.withPadding(input, value));
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
    return withImage(
        input, column, new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f});
  }

  /** As {@link #withImage(String, String)}, with the given per-channel (RGB) mean and std. */
  public OnnxModel withImage(String input, String column, float[] mean, float[] std) {
    if (info.input(input).isEmpty()) {
      throw OnnxErrors.unknownInput(input, info.inputNames());
    }
    Objects.requireNonNull(column, "column");
    return with(
        options.withImage(input, new CallOptions.ImageFeed(column, mean.clone(), std.clone())));
  }

  /**
   * Names bad rows in error messages also by column {@code column} ({@code row 7 of partition 3
   * (id=1042)}), for finding them in the source table.
   */
  public OnnxModel withKeyColumn(String column) {
    Objects.requireNonNull(column, "column");
    return with(options.withKeyColumn(column));
  }

  /**
   * With padded inputs ({@link #withPadding}): reads {@code batches} batches of rows at a time and
   * scores them in batches of rows of similar length, so that little padding is computed; the rows
   * still come out in their order. Per call: {@code bucket-batches}.
   */
  public OnnxModel withBucketing(int batches) {
    if (batches < 1) {
      throw OnnxErrors.badOption(OnnxOptions.BUCKET_BATCHES, batches, "1 or more batches");
    }
    return with(options.withBucketBatches(batches));
  }

  /**
   * Lets columns that would lose precision feed the model, rounded: {@code double} (arrays, vectors
   * aside) to float and float16 inputs, {@code bigint} to int32 inputs (ids that fit). Off by
   * default, when such columns are refused with the cast to write. Per call: {@code narrowing}.
   */
  public OnnxModel withNarrowing() {
    return with(options.withNarrowing(true));
  }

  /** Fails the task at the first row that cannot be scored, whatever the Spark conf says. */
  public OnnxModel withFailFast() {
    return with(options.withErrorColumn(""));
  }

  /**
   * Sets per-call options by key, as the SQL function, the ML stage and the jobs pass them: {@code
   * batch-size}, {@code intra-op-threads}, {@code optimization-level}, {@code device}, {@code
   * device-fallback}, {@code gpus-per-task}, {@code batch-timeout-ms}, {@code permissive}, {@code
   * error-column} and {@code provider.<key>} (see {@link OnnxOptions}). Each does what the matching
   * {@code withX} method does.
   *
   * @throws ai.onnxspark.OnnxException naming the key and the valid keys or values
   */
  public OnnxModel withOptions(Map<String, String> callOptions) {
    OnnxModel model = this;
    for (Map.Entry<String, String> e : callOptions.entrySet()) {
      model = model.withOption(e.getKey(), e.getValue());
    }
    return model;
  }

  private OnnxModel withOption(String key, String value) {
    Objects.requireNonNull(key, "option key");
    if (value == null) {
      throw OnnxErrors.badOption(key, null, "a value");
    }
    String v = value.trim();
    if (key.startsWith(OnnxOptions.PAD_PREFIX)) {
      try {
        return withPadding(key.substring(OnnxOptions.PAD_PREFIX.length()), Double.parseDouble(v));
      } catch (NumberFormatException e) {
        throw OnnxErrors.badOption(key, v, "a number to pad with");
      }
    }
    if (key.startsWith(OnnxOptions.PROVIDER_OPTION_PREFIX)) {
      return withProviderOption(key.substring(OnnxOptions.PROVIDER_OPTION_PREFIX.length()), v);
    }
    switch (key) {
      case OnnxOptions.BATCH_SIZE:
        return withBatchSize((int) parseLong(key, v, "a positive number of rows"));
      case OnnxOptions.INTRA_OP_THREADS:
        return withIntraOpThreads((int) parseLong(key, v, "0 or more threads"));
      case OnnxOptions.OPTIMIZATION_LEVEL:
        return withOptimizationLevel(v);
      case OnnxOptions.DEVICE:
        return withDevice(v);
      case OnnxOptions.DEVICE_FALLBACK:
        return withDeviceFallback(v);
      case OnnxOptions.GPUS_PER_TASK:
        try {
          return withGpuStage(Double.parseDouble(v));
        } catch (NumberFormatException e) {
          throw OnnxErrors.badOption(key, v, "a number of GPUs such as 0.25 or 1");
        }
      case OnnxOptions.BATCH_TIMEOUT_MS:
        return withBatchTimeout(parseLong(key, v, "0 or more milliseconds"));
      case OnnxOptions.PERMISSIVE:
        if (v.equalsIgnoreCase("true")) {
          return options.errorColumn() != null && !options.errorColumn().isEmpty()
              ? this
              : withPermissive();
        }
        if (v.equalsIgnoreCase("false")) {
          return withFailFast();
        }
        throw OnnxErrors.badOption(key, v, "true or false");
      case OnnxOptions.FLATTEN_OUTPUTS:
        return with(options.withFlattenOutputs(parseBoolean(key, v)));
      case OnnxOptions.NARROWING:
        return with(options.withNarrowing(parseBoolean(key, v)));
      case OnnxOptions.BUCKET_BATCHES:
        return withBucketing((int) parseLong(key, v, "1 or more batches"));
      case OnnxOptions.ERROR_COLUMN:
        if (v.isEmpty()) {
          throw OnnxErrors.badOption(key, v, "a column name");
        }
        return withPermissive(v);
      default:
        throw OnnxErrors.unknownOption(
            key,
            List.of(
                OnnxOptions.BATCH_SIZE,
                OnnxOptions.INTRA_OP_THREADS,
                OnnxOptions.OPTIMIZATION_LEVEL,
                OnnxOptions.DEVICE,
                OnnxOptions.DEVICE_FALLBACK,
                OnnxOptions.GPUS_PER_TASK,
                OnnxOptions.BATCH_TIMEOUT_MS,
                OnnxOptions.PERMISSIVE,
                OnnxOptions.ERROR_COLUMN,
                OnnxOptions.FLATTEN_OUTPUTS,
                OnnxOptions.PAD_PREFIX + "<input>",
                OnnxOptions.BUCKET_BATCHES,
                OnnxOptions.NARROWING,
                OnnxOptions.PROVIDER_OPTION_PREFIX + "<key>"));
    }
  }

  private static boolean parseBoolean(String key, String value) {
    if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
      throw OnnxErrors.badOption(key, value, "true or false");
    }
    return Boolean.parseBoolean(value);
  }

  /** A copy with the options {@code changed}. */
  private OnnxModel with(CallOptions changed) {
    return new OnnxModel(bytes, info, inputColumns, outputColumns, changed, derived);
  }

  private static long parseLong(String key, String value, String expected) {
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw OnnxErrors.badOption(key, value, expected);
    }
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
    Int8Quantization.Result result = quantization.apply(bytes.bytes(), bytes.source());
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
    Float16Conversion.Result result = conversion.apply(bytes.bytes(), bytes.source());
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
    byte[] optimizedBytes = GraphOptimization.apply(bytes.bytes(), parsed, bytes.source());
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
    byte[] cut = GraphCut.apply(bytes.bytes(), bytes.source(), List.of(values));
    return new OnnxModel(
        ModelBytes.of(cut, bytes.source() + " (cut at " + String.join(", ", values) + ")"),
        ModelInfo.parse(cut, bytes.source()),
        new LinkedHashMap<>(inputColumns),
        new LinkedHashMap<>(),
        options,
        List.of());
  }

  private OnnxModel converted(byte[] modelBytes, String source) {
    return new OnnxModel(
        ModelBytes.of(modelBytes, source),
        ModelInfo.parse(modelBytes, source),
        new LinkedHashMap<>(inputColumns),
        new LinkedHashMap<>(outputColumns),
        options,
        derived);
  }

  /** Writes the model's ONNX bytes to {@code out}, which the caller closes. */
  public void writeTo(java.io.OutputStream out) throws java.io.IOException {
    out.write(bytes.bytes());
  }

  /** What the model declares: inputs, outputs, opsets, producer, metadata. */
  public ModelInfo info() {
    return info;
  }

  /** SHA-256 of the model bytes. */
  public String fingerprint() {
    return bytes.fingerprint();
  }

  /** Where the model was read from. */
  public String source() {
    return bytes.source();
  }

  /** Size of the model in bytes. */
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
    org.apache.spark.sql.classic.Dataset<Row> classic = classic(df);
    PartitionScorer scorer = scorer(classic.sparkSession(), df.schema(), metrics);
    SparkPlan columnar = ColumnarScans.source(classic.queryExecution().executedPlan());
    RDD<InternalRow> scored;
    if (columnar != null) {
      // A columnar scan (Parquet, ORC): read rows in place, skipping the conversion to rows.
      scored =
          columnar.executeColumnar().toJavaRDD().mapPartitions(scorer::scoreColumnar, true).rdd();
    } else {
      scored =
          classic.queryExecution().toRdd().toJavaRDD().mapPartitions(scorer::score, true).rdd();
    }
    if (scorer.model().gpusPerTask() != null) {
      scored = scored.withResources(scorer.model().gpuStage(classic.sparkSession().sparkContext()));
    }
    Dataset<Row> result =
        classic.sparkSession().internalCreateDataFrame(scored, scorer.outputSchema(), false);
    return options.structColumn() == null ? result : packStruct(result, df.schema());
  }

  /** {@code scored} with its output columns moved into one struct column. */
  private Dataset<Row> packStruct(Dataset<Row> scored, StructType input) {
    String name = options.structColumn();
    if (Arrays.asList(input.fieldNames()).contains(name)) {
      throw OnnxErrors.outputColumnExists("(struct of the outputs)", name);
    }
    Set<String> kept = new HashSet<>(Arrays.asList(input.fieldNames()));
    List<org.apache.spark.sql.Column> columns = new ArrayList<>();
    List<org.apache.spark.sql.Column> fields = new ArrayList<>();
    String error = errorColumn(scored.sparkSession());
    for (String field : scored.schema().fieldNames()) {
      if (kept.contains(field) || field.equals(error)) {
        continue;
      }
      fields.add(scored.col("`" + field + "`"));
    }
    for (String field : input.fieldNames()) {
      columns.add(scored.col("`" + field + "`"));
    }
    columns.add(
        org.apache
            .spark
            .sql
            .functions
            .struct(fields.toArray(new org.apache.spark.sql.Column[0]))
            .as(name));
    if (error != null) {
      columns.add(scored.col("`" + error + "`"));
    }
    return scored.select(columns.toArray(new org.apache.spark.sql.Column[0]));
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
   * Checks the mapping against {@code schema}, broadcasts the model (once per Spark context) and
   * returns the serializable per-partition scorer.
   */
  public PartitionScorer scorer(SparkSession spark, StructType schema, ScoringMetrics metrics) {
    List<InputBinding> inputs = bindInputs(schema);
    List<OutputBinding> outputs = bindOutputs(schema);
    String errorColumn = errorColumn(spark);
    List<StructField> fields = new ArrayList<>(Arrays.asList(schema.fields()));
    outputs.forEach(o -> fields.add(o.field(errorColumn != null)));
    if (errorColumn != null) {
      if (Arrays.asList(schema.fieldNames()).contains(errorColumn)
          || outputs.stream().anyMatch(o -> o.column().equals(errorColumn))) {
        throw OnnxErrors.outputColumnExists("(error column)", errorColumn);
      }
      fields.add(DataTypes.createStructField(errorColumn, DataTypes.StringType, true));
    }
    StructType outputSchema = new StructType(fields.toArray(new StructField[0]));
    return handle(spark)
        .scorer(
            inputs,
            outputs,
            outputSchema,
            metrics != null ? metrics : ScoringMetrics.register(spark.sparkContext()),
            errorColumn != null);
  }

  /** The error column when rows fail permissively, or null when a bad row fails the task. */
  private String errorColumn(SparkSession spark) {
    if (options.errorColumn() != null) {
      return options.errorColumn().isEmpty() ? null : options.errorColumn();
    }
    boolean permissive =
        Boolean.parseBoolean(
            spark
                .conf()
                .get(
                    OnnxOptions.PERMISSIVE_CONF, Boolean.toString(OnnxOptions.PERMISSIVE_DEFAULT)));
    return permissive
        ? spark.conf().get(OnnxOptions.ERROR_COLUMN_CONF, OnnxOptions.ERROR_COLUMN_DEFAULT)
        : null;
  }

  /**
   * The model as executors see it, with options resolved against {@code spark}'s configuration and
   * the bytes broadcast (once per Spark context).
   */
  public ModelHandle handle(SparkSession spark) {
    SessionOptionsSpec sessionOptions =
        SessionOptionsSpec.defaults()
            .withIntraOpThreads(
                options.intraOpThreads() != null
                    ? options.intraOpThreads()
                    : confInt(
                        spark,
                        OnnxOptions.INTRA_OP_THREADS_CONF,
                        OnnxOptions.INTRA_OP_THREADS_DEFAULT))
            .withInterOpThreads(
                confInt(
                    spark, OnnxOptions.INTER_OP_THREADS_CONF, OnnxOptions.INTER_OP_THREADS_DEFAULT))
            .withOptimizationLevel(
                optimizationLevel(
                    options.optimizationLevel() != null
                        ? options.optimizationLevel()
                        : spark
                            .conf()
                            .get(
                                OnnxOptions.OPTIMIZATION_LEVEL_CONF,
                                OnnxOptions.OPTIMIZATION_LEVEL_DEFAULT)));
    int rows =
        options.batchSize() != null
            ? options.batchSize()
            : confInt(spark, OnnxOptions.BATCH_SIZE_CONF, OnnxOptions.BATCH_SIZE_DEFAULT);
    if (rows < 1) {
      throw OnnxErrors.badOption(OnnxOptions.BATCH_SIZE_CONF, rows, "a positive number of rows");
    }
    int maxSessions =
        confInt(spark, OnnxOptions.SESSION_CACHE_SIZE_CONF, OnnxOptions.SESSION_CACHE_SIZE_DEFAULT);
    return new ModelHandle(
        BroadcastModel.of(spark.sparkContext(), bytes),
        bytes.fingerprint(),
        bytes.source() + " (sha256 " + bytes.shortFingerprint() + ")",
        info,
        rows,
        sessionOptions,
        maxSessions,
        DeviceSpec.of(
                options.device() != null
                    ? options.device()
                    : spark.conf().get(OnnxOptions.DEVICE_CONF, OnnxOptions.DEVICE_DEFAULT),
                confInt(spark, OnnxOptions.GPU_DEVICE_ID_CONF, OnnxOptions.GPU_DEVICE_ID_DEFAULT),
                options.deviceFallback() != null
                    ? options.deviceFallback()
                    : spark
                        .conf()
                        .get(OnnxOptions.DEVICE_FALLBACK_CONF, OnnxOptions.DEVICE_FALLBACK_DEFAULT))
            .withProviderOptions(providerOptions(spark)),
        batchTimeoutMs(spark),
        spark.conf().get(OnnxOptions.NATIVE_DIR_CONF, null),
        options.gpusPerTask());
  }

  /**
   * The level sessions use. Float16 models (see {@link #toFloat16}) stop at {@code extended}: ONNX
   * Runtime 1.28's layout optimizations of level {@code all} crash the JVM (SIGSEGV) while creating
   * the CPU session of some of them, such as a converted transformer encoder.
   */
  private SessionOptionsSpec.OptimizationLevel optimizationLevel(String level) {
    SessionOptionsSpec.OptimizationLevel parsed = SessionOptionsSpec.OptimizationLevel.parse(level);
    if (parsed == SessionOptionsSpec.OptimizationLevel.ALL
        && info.metadata().containsKey(Float16Conversion.METADATA_KEY)) {
      return SessionOptionsSpec.OptimizationLevel.EXTENDED;
    }
    return parsed;
  }

  private long batchTimeoutMs(SparkSession spark) {
    long timeout =
        options.batchTimeoutMs() != null
            ? options.batchTimeoutMs()
            : Long.parseLong(
                spark
                    .conf()
                    .get(
                        OnnxOptions.BATCH_TIMEOUT_MS_CONF,
                        Long.toString(OnnxOptions.BATCH_TIMEOUT_MS_DEFAULT))
                    .trim());
    if (timeout < 0) {
      throw OnnxErrors.badOption(
          OnnxOptions.BATCH_TIMEOUT_MS_CONF, timeout, "0 or more milliseconds");
    }
    return timeout;
  }

  /**
   * GPU provider options: {@code spark.onnx.provider.*}, overridden by {@link #withProviderOption}.
   */
  private Map<String, String> providerOptions(SparkSession spark) {
    Map<String, String> merged = new java.util.TreeMap<>();
    scala.jdk.javaapi.CollectionConverters.asJava(spark.conf().getAll())
        .forEach(
            (k, v) -> {
              if (k.startsWith(OnnxOptions.PROVIDER_OPTION_CONF_PREFIX)) {
                merged.put(k.substring(OnnxOptions.PROVIDER_OPTION_CONF_PREFIX.length()), v);
              }
            });
    merged.putAll(options.providerOptions());
    return merged;
  }

  /**
   * The model as the {@code onnx_predict} column function uses it with {@code arguments} argument
   * columns (see {@link OnnxFunctions#onnxPredict(OnnxModel, org.apache.spark.sql.Column...)}).
   */
  PredictFunction predictFunction(SparkSession spark, String name, int arguments) {
    int[] split = PredictFunction.columnsPerInput(info, name, arguments);
    List<OutputBinding> outputs = new ArrayList<>();
    Map<String, String> wanted = new LinkedHashMap<>();
    if (outputColumns.isEmpty()) {
      info.outputNames().forEach(o -> wanted.put(o, o));
    } else {
      wanted.putAll(outputColumns);
    }
    wanted.forEach(
        (output, field) ->
            outputs.add(
                OutputBinding.bind(
                    info.output(output).orElseThrow(), field, options.flattenOutputs())));
    for (Derived d : derived) {
      outputs.add(OutputBinding.bind(info.output(d.output()).orElseThrow(), d.column(), d.post()));
    }
    return new PredictFunction(
        name,
        handle(spark),
        outputs,
        split,
        errorColumn(spark),
        options.paddings(),
        options.narrowing());
  }

  /**
   * The columns that feed the model when {@code onnx_predict} is given none: per input, the columns
   * set with {@link #withInput}, else the column named like the input. Empty when an input takes
   * several columns, which only works with explicit arguments.
   */
  List<String> defaultArgumentColumns() {
    List<String> columns = new ArrayList<>();
    for (TensorSpec spec : info.inputs()) {
      List<String> mapped = inputColumns.getOrDefault(spec.name(), List.of(spec.name()));
      if (mapped.size() != 1 && info.inputs().size() > 1) {
        return List.of();
      }
      columns.addAll(mapped);
    }
    return columns;
  }

  /**
   * The schema {@link #transform} produces for input {@code schema} in the active session (with the
   * error column in permissive mode). Checks the columns, and broadcasts the model, as transform
   * does.
   */
  public StructType outputSchema(StructType schema) {
    SparkSession spark = SparkSession.active();
    StructType scored = scorer(spark, schema, null).outputSchema();
    if (options.structColumn() == null) {
      return scored;
    }
    String error = errorColumn(spark);
    Set<String> kept = new HashSet<>(Arrays.asList(schema.fieldNames()));
    StructType struct = new StructType();
    for (StructField f : scored.fields()) {
      if (!kept.contains(f.name()) && !f.name().equals(error)) {
        struct = struct.add(f);
      }
    }
    StructType out = schema.add(options.structColumn(), struct, false);
    return error == null ? out : out.add(error, DataTypes.StringType, true);
  }

  private List<InputBinding> bindInputs(StructType schema) {
    List<InputBinding> bindings = new ArrayList<>();
    for (InputBinding binding : bindInputsWithoutKey(schema)) {
      bindings.add(withKey(binding, schema));
    }
    return bindings;
  }

  private InputBinding withKey(InputBinding binding, StructType schema) {
    String key = options.keyColumn();
    if (key == null) {
      return binding;
    }
    List<String> names = Arrays.asList(schema.fieldNames());
    int ordinal = names.indexOf(key);
    if (ordinal < 0) {
      throw OnnxErrors.badOption("key column", key, "a column of the DataFrame " + names);
    }
    return binding.withKey(key, ordinal, schema.fields()[ordinal].dataType());
  }

  private List<InputBinding> bindInputsWithoutKey(StructType schema) {
    if (options.bucketBatches() > 1 && options.paddings().isEmpty()) {
      throw OnnxErrors.badOption(
          OnnxOptions.BUCKET_BATCHES,
          options.bucketBatches(),
          "padded inputs to group by length: bucketing by length needs padding (withPadding) first");
    }
    List<InputBinding> bindings = new ArrayList<>();
    Map<String, String> feeding = new HashMap<>();
    for (TensorSpec spec : info.inputs()) {
      List<String> columns = inputColumns.get(spec.name());
      boolean defaulted = columns == null;
      for (String column : defaulted ? List.of(spec.name()) : columns) {
        String other = feeding.putIfAbsent(column, spec.name());
        if (other != null && !other.equals(spec.name())) {
          throw OnnxErrors.columnFeedsTwoInputs(column, other, spec.name());
        }
      }
      CallOptions.ImageFeed image = options.images().get(spec.name());
      if (image != null) {
        bindings.add(
            InputBinding.bindImage(spec, image.column(), schema, image.mean(), image.std()));
        continue;
      }
      InputBinding binding =
          InputBinding.bind(
              spec,
              defaulted ? List.of(spec.name()) : columns,
              schema,
              defaulted,
              options.narrowing());
      Double pad = options.paddings().get(spec.name());
      if (pad != null) {
        binding = binding.withPadding(pad);
        if (options.bucketBatches() > 1) {
          binding = binding.withBucketing(options.bucketBatches());
        }
      }
      bindings.add(binding);
    }
    return bindings;
  }

  private List<OutputBinding> bindOutputs(StructType schema) {
    Map<String, String> wanted = new LinkedHashMap<>();
    if (outputColumns.isEmpty()) {
      info.outputNames().forEach(name -> wanted.put(name, name));
    } else {
      wanted.putAll(outputColumns);
    }
    Set<String> existing = new HashSet<>(Arrays.asList(schema.fieldNames()));
    Set<String> taken = new HashSet<>();
    List<OutputBinding> bindings = new ArrayList<>();
    for (Map.Entry<String, String> e : wanted.entrySet()) {
      if (existing.contains(e.getValue())) {
        throw OnnxErrors.outputColumnExists(e.getKey(), e.getValue());
      }
      if (!taken.add(e.getValue())) {
        throw OnnxErrors.duplicateOutputColumn(e.getValue());
      }
      bindings.add(
          OutputBinding.bind(
              info.output(e.getKey()).orElseThrow(), e.getValue(), options.flattenOutputs()));
    }
    for (Derived d : derived) {
      if (existing.contains(d.column())) {
        throw OnnxErrors.outputColumnExists(d.output() + " (" + d.post() + ")", d.column());
      }
      if (!taken.add(d.column())) {
        throw OnnxErrors.duplicateOutputColumn(d.column());
      }
      bindings.add(OutputBinding.bind(info.output(d.output()).orElseThrow(), d.column(), d.post()));
    }
    return bindings;
  }

  private static int confInt(SparkSession spark, String key, int defaultValue) {
    String value = spark.conf().get(key, Integer.toString(defaultValue));
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw OnnxErrors.badOption(key, value, "an integer");
    }
  }

  private static org.apache.spark.sql.classic.Dataset<Row> classic(Dataset<Row> df) {
    if (df instanceof org.apache.spark.sql.classic.Dataset) {
      return (org.apache.spark.sql.classic.Dataset<Row>) df;
    }
    throw new UnsupportedOperationException(
        "OnnxModel.transform needs a classic (non-Connect) Spark session; with Spark Connect, use the"
            + " onnx_predict SQL function on the server.");
  }

  @Override
  public String toString() {
    return "OnnxModel{"
        + bytes
        + ", inputs="
        + info.inputNames()
        + ", outputs="
        + info.outputNames()
        + "}";
  }
}
