package ai.onnxspark.internal.plan;

import ai.onnxspark.OnnxOptions;
import ai.onnxspark.internal.OnnxErrors;
import ai.onnxspark.internal.model.ModelBytes;
import ai.onnxspark.internal.model.ModelFiles;
import ai.onnxspark.internal.model.ModelShipping;
import ai.onnxspark.internal.model.ModelSource;
import ai.onnxspark.internal.model.OptionalOutputs;
import ai.onnxspark.internal.model.SequenceInputs;
import ai.onnxspark.internal.tensor.InputBinding;
import ai.onnxspark.internal.tensor.OutputBinding;
import ai.onnxspark.internal.text.TextTokenizer;
import ai.onnxspark.model.ModelInfo;
import ai.onnxspark.model.TensorSpec;
import ai.onnxspark.spark.ScoringMetrics;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Turns a {@link ScoringSpec} into what executors run, the same way for every API: resolves the
 * options (per call, then {@code spark.onnx.*}, then defaults), binds the columns that feed each
 * input (plain, assembled, image, padded, bucketed, with a key column) and the outputs (plain and
 * post-processed, checked against existing and duplicate columns), and makes the serializable
 * {@link PartitionScorer} or, for the column function, the {@link PredictFunction}.
 *
 * <p>Driver-side and stateless.
 */
public final class ScoringPlanner {
  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(ScoringPlanner.class);

  private ScoringPlanner() {}

  /** The session's {@code spark.onnx.*} configuration entries. */
  public static Map<String, String> onnxConf(SparkSession spark) {
    Map<String, String> conf = new TreeMap<>();
    SparkConfs.all(spark)
        .forEach(
            (k, v) -> {
              if (k.startsWith("spark.onnx.")) {
                conf.put(k, v);
              }
            });
    return conf;
  }

  /**
   * The model with {@code spec}'s options resolved in {@code spark}, not broadcast yet.
   *
   * @throws ai.onnxspark.OnnxException when the session sets a static setting ({@code
   *     spark.onnx.native.dir}) to another value than the application was launched with
   */
  public static ModelHandle handle(
      SparkSession spark, ModelSource model, ModelInfo info, ScoringSpec spec) {
    String nativeDir = SparkConfs.staticValue(spark, OnnxOptions.NATIVE_DIR_CONF).orElse(null);
    SparkConfs.staticValue(spark, OnnxOptions.MODEL_CACHE_DIR_CONF)
        .ifPresent(ai.onnxspark.internal.model.NodeCache::checkedRoot);
    SparkConfs.staticValue(spark, OnnxOptions.MODEL_CACHE_MAX_BYTES_CONF);
    SparkConfs.staticValue(spark, OnnxOptions.MODEL_CACHE_MAX_AGE_HOURS_CONF);
    ResolvedOptions options = ResolvedOptions.resolve(spec, onnxConf(spark), nativeDir, info);
    java.util.SortedSet<String> extensionOps = info.operators(OnnxOptions.EXTENSIONS_DOMAIN);
    if (!extensionOps.isEmpty() && !options.session().extensions()) {
      throw ai.onnxspark.internal.OnnxErrors.extensionsNeeded(
          model.source(), OnnxOptions.EXTENSIONS_DOMAIN, extensionOps);
    }
    checkTokenLabels(spec, spec.textColumns().size());
    if (spec.tokenizer() != null) {
      options =
          options.withTokenizer(
              TextTokenizer.load(
                      spec.tokenizer(),
                      maxLength(spec, info),
                      SparkConfs.hadoopConf(spark),
                      nativeDir)
                  .shippedIn(spark.sparkContext()));
    }
    String batching = options.batching().describe(model.source());
    if (!batching.isEmpty()) {
      LOG.info(batching);
    }
    ModelSource shipped =
        options
            .shipping()
            .ship(model, info, options.pathAboveBytes(), SparkConfs.hadoopConf(spark));
    List<TensorSpec> optional = scoredOptionalOutputs(info, spec);
    List<TensorSpec> sequences =
        info.inputs().stream().filter(i -> i.kind() == TensorSpec.Kind.SEQUENCE).toList();
    if (!options.batching().wholeTensors()) {
      // In batches an optional output is refused when its column is bound (OutputBinding), a
      // sequence input when its columns are (InputBinding).
      return ModelHandle.of(shipped, info, options);
    }
    if (optional.isEmpty() && sequences.isEmpty()) {
      return ModelHandle.of(shipped, info, options);
    }
    if (shipped instanceof ModelFiles files) {
      if (!sequences.isEmpty()) {
        throw sequenceInputByPath(sequences.get(0), files, options.shipping());
      }
      throw optionalOutputByPath(optional.get(0), files, options.shipping());
    }
    ModelBytes bytes = (ModelBytes) shipped;
    Map<String, SequenceInputs.Names> sequenceNames = Map.of();
    if (!sequences.isEmpty()) {
      SequenceInputs.Rewritten fed = SequenceInputs.rewrite(bytes, sequences);
      LOG.info(
          "Model {}: sequence inputs {} are fed as values and lengths tensors through"
              + " SplitToSequence added to the graph; the rewritten model has sha256 {}.",
          model.source(),
          fed.names().keySet(),
          fed.model().shortFingerprint());
      bytes = fed.model();
      sequenceNames = fed.names();
    }
    if (optional.isEmpty()) {
      return ModelHandle.of(bytes, info, options, Map.of(), sequenceNames);
    }
    OptionalOutputs.Rewritten rewritten = OptionalOutputs.rewrite(bytes, optional);
    LOG.info(
        "Model {}: optional outputs {} are read through OptionalHasElement and"
            + " OptionalGetElement added to the graph (a null where absent); the rewritten model"
            + " has sha256 {}.",
        model.source(),
        rewritten.names().keySet(),
        rewritten.model().shortFingerprint());
    return ModelHandle.of(rewritten.model(), info, options, rewritten.names(), sequenceNames);
  }

  private static RuntimeException sequenceInputByPath(
      TensorSpec input, ModelFiles files, ModelShipping shipping) {
    return OnnxErrors.unsupportedInput(
        input.name(),
        input.typeString(),
        "the library feeds a sequence input as a values and a lengths tensor through a"
            + " SplitToSequence node it adds to the model in memory (ONNX Runtime's Java API"
            + " cannot create sequence values), but this model is shipped by path ("
            + shippedByPathBecause(files, shipping)
            + "), and executors load such a model from its own files, unchanged; "
            + (files.hasExternalData()
                ? ""
                : "score it broadcast with withShipping(\"broadcast\") (shipping=broadcast), or ")
            + "re-export the model with a tensor input and a SplitToSequence node that makes the"
            + " sequence inside the model");
  }

  private static String shippedByPathBecause(ModelFiles files, ModelShipping shipping) {
    return files.hasExternalData()
        ? "its weights are external data in " + files.dataFiles().size() + " file(s)"
        : shipping == ModelShipping.PATH
            ? OnnxOptions.SHIPPING + " is path"
            : "it is larger than "
                + OnnxOptions.SHIPPING_PATH_ABOVE_BYTES_CONF
                + " or was loaded from a folder";
  }

  /**
   * Refuses {@code token-labels.<output>} where it cannot label the text's tokens: without a
   * tokenizer (the library knows no tokens then), or for text pairs (the tokens of two texts).
   */
  static void checkTokenLabels(ScoringSpec spec, int textColumns) {
    if (!spec.labelsTokens()) {
      return;
    }
    String key =
        spec.settings().keySet().stream()
            .filter(k -> k.startsWith(OnnxOptions.TOKEN_LABELS_PREFIX))
            .findFirst()
            .orElseThrow();
    if (spec.tokenizer() == null) {
      throw OnnxErrors.badOption(
          key,
          spec.settings().get(key),
          "a model fed from text by the library's tokenizer, which knows each token's span: set"
              + " withTokenizer(textColumn, tokenizerJson) (option tokenizer, or"
              + " spark.onnx.models.<name>.tokenizer); this model is fed token ids, so label its"
              + " output with withOutput(output, column) and map the scores to tokens yourself");
    }
    if (textColumns > 1) {
      throw OnnxErrors.badOption(
          key,
          spec.settings().get(key),
          "one text column: a text pair's tokens belong to two texts");
    }
  }

  /** The optional outputs that {@code spec} scores, in columns or post-processed. */
  static List<TensorSpec> scoredOptionalOutputs(ModelInfo info, ScoringSpec spec) {
    Set<String> scored = new java.util.LinkedHashSet<>(spec.outputColumns().keySet());
    if (scored.isEmpty()) {
      scored.addAll(info.outputNames());
    }
    spec.derived(info).forEach(d -> scored.add(d.output()));
    List<TensorSpec> optional = new ArrayList<>();
    for (String name : scored) {
      info.output(name).filter(o -> o.kind() == TensorSpec.Kind.OPTIONAL).ifPresent(optional::add);
    }
    return optional;
  }

  private static RuntimeException optionalOutputByPath(
      TensorSpec output, ModelFiles files, ModelShipping shipping) {
    String why = shippedByPathBecause(files, shipping);
    return OnnxErrors.unsupportedOutput(
        output.name(),
        output.typeString(),
        "the library reads an optional output through OptionalHasElement and OptionalGetElement"
            + " nodes it adds to the model in memory (ONNX Runtime's Java API crashes the JVM"
            + " when it fetches an absent optional value), but this model is shipped by path ("
            + why
            + "), and executors load such a model from its own files, unchanged; "
            + (files.hasExternalData()
                ? ""
                : "score it broadcast with withShipping(\"broadcast\") (shipping=broadcast), or ")
            + "re-export the model with OptionalHasElement of this output (a bool output) and an"
            + " If giving OptionalGetElement of it or a default tensor, or score the model's other"
            + " outputs only, naming them with withOutput(output, column)");
  }

  /**
   * The most tokens a row keeps: {@code max-length}, else 512, and at most the model's fixed
   * sequence length.
   */
  static int maxLength(ScoringSpec spec, ModelInfo info) {
    Integer set = spec.maxLength();
    int max = set != null ? set : OnnxOptions.MAX_LENGTH_DEFAULT;
    for (String input : spec.tokenized(info).keySet()) {
      TensorSpec t = info.input(input).orElseThrow();
      if (t.shapeKnown() && t.rank() == 2 && t.dims()[1] > 0) {
        max = (int) Math.min(max, t.dims()[1]);
      }
    }
    return max;
  }

  /**
   * The scorer {@code transform} maps over partitions of rows of {@code schema}: the rows, then one
   * column per output (and derived column), then the error column in permissive mode. Checks every
   * column before any job runs and broadcasts the model.
   */
  public static PartitionScorer forTransform(
      SparkSession spark,
      ModelSource bytes,
      ModelInfo info,
      ScoringSpec spec,
      StructType schema,
      ScoringMetrics metrics) {
    ModelHandle handle = handle(spark, bytes, info, spec).broadcastIn(spark.sparkContext());
    Set<String> defaulted = new HashSet<>();
    for (TensorSpec input : info.inputs()) {
      if (spec.defaulted(input.name())) {
        defaulted.add(input.name());
      }
    }
    String key = spec.keyColumn();
    int keyOrdinal = -1;
    if (key != null) {
      keyOrdinal = Arrays.asList(schema.fieldNames()).indexOf(key);
      if (keyOrdinal < 0) {
        throw OnnxErrors.badOption(
            OnnxOptions.KEY_COLUMN,
            key,
            "a column of the DataFrame " + List.of(schema.fieldNames()));
      }
    }
    List<InputBinding> inputs =
        bindInputs(
            info,
            spec,
            schema,
            spec.feeding(info),
            defaulted,
            keyOrdinal,
            handle.resolved().tokenizer());
    ColumnNames names = ColumnNames.of(spark);
    List<OutputBinding> outputs =
        bindOutputs(
            info,
            spec,
            names.index(Arrays.asList(schema.fieldNames())),
            names,
            handle.optionalOutputs());
    String errorColumn = handle.resolved().errorColumn();
    List<StructField> fields = new ArrayList<>(Arrays.asList(schema.fields()));
    outputs.forEach(o -> fields.add(o.field(errorColumn != null)));
    if (errorColumn != null) {
      List<String> taken = new ArrayList<>(Arrays.asList(schema.fieldNames()));
      outputs.forEach(o -> taken.add(o.column()));
      String existing = names.index(taken).get(names.key(errorColumn));
      if (existing != null) {
        throw OnnxErrors.outputColumnExists("(error column)", errorColumn, existing);
      }
      fields.add(DataTypes.createStructField(errorColumn, DataTypes.StringType, true));
    }
    return handle.scorer(
        inputs,
        outputs,
        new StructType(fields.toArray(new StructField[0])),
        metrics != null ? metrics : ScoringMetrics.register(spark.sparkContext()),
        errorColumn != null);
  }

  /**
   * The column function {@code onnx_predict} of this spec with {@code arguments} argument columns
   * (after which comes the key column when the spec names one). Not broadcast until the query runs.
   */
  public static PredictFunction forColumn(
      SparkSession spark,
      String name,
      ModelSource bytes,
      ModelInfo info,
      ScoringSpec spec,
      int arguments) {
    ModelHandle handle = handle(spark, bytes, info, spec);
    int[] split = PredictFunction.columnsPerInput(info, spec, name, arguments);
    ColumnNames names = ColumnNames.of(spark);
    List<OutputBinding> outputs =
        bindOutputs(info, spec, Map.of(), names, handle.optionalOutputs());
    return new PredictFunction(name, handle, spec, outputs, split);
  }

  /**
   * Binds every model input to its columns in {@code schema}.
   *
   * @param feeding per input, the names of the columns feeding it
   * @param defaulted inputs whose columns were not named by the user (for messages)
   * @param keyOrdinal the key column's ordinal in {@code schema}, or -1 for none
   * @param tokenizer the tokenizer of the spec's token inputs, or null
   */
  static List<InputBinding> bindInputs(
      ModelInfo info,
      ScoringSpec spec,
      StructType schema,
      Map<String, List<String>> feeding,
      Set<String> defaulted,
      int keyOrdinal,
      TextTokenizer tokenizer) {
    Map<String, InputBinding.TokenField> tokenized = spec.tokenized(info);
    if (!tokenized.isEmpty() && tokenizer == null) {
      throw new IllegalStateException("token inputs " + tokenized.keySet() + " without tokenizer");
    }
    if (keyOrdinal < 0) {
      keyOrdinal = implicitKey(schema);
    }
    Map<String, Double> paddings = spec.paddings();
    int bucketBatches = spec.bucketBatches();
    if (bucketBatches > 1 && paddings.isEmpty() && tokenized.isEmpty()) {
      throw OnnxErrors.badOption(
          OnnxOptions.BUCKET_BATCHES,
          bucketBatches,
          "padded inputs to group by length: bucketing by length needs padding (withPadding) first");
    }
    Map<String, ScoringSpec.ImageFeed> images = spec.images();
    boolean whole = spec.batching(info).wholeTensors();
    List<InputBinding> bindings = new ArrayList<>();
    Map<String, String> feedingColumn = new HashMap<>();
    for (TensorSpec input : info.inputs()) {
      List<String> columns = feeding.get(input.name());
      InputBinding.TokenField field = tokenized.get(input.name());
      for (String column : field != null ? List.<String>of() : columns) {
        String other = feedingColumn.putIfAbsent(column, input.name());
        if (other != null && !other.equals(input.name())) {
          throw OnnxErrors.columnFeedsTwoInputs(column, other, input.name());
        }
      }
      ScoringSpec.ImageFeed image = images.get(input.name());
      InputBinding binding;
      if (field != null) {
        binding =
            InputBinding.bindTokens(
                input, columns, schema, defaulted.contains(input.name()), tokenizer, field);
        Double pad = paddings.get(input.name());
        if (pad != null) {
          binding = binding.withPadding(pad);
        }
        if (field == InputBinding.TokenField.IDS && spec.labelsTokens()) {
          checkTokenLabels(spec, columns.size());
          binding = binding.keepingTokens();
        }
        if (bucketBatches > 1 && binding.padded()) {
          binding = binding.withBucketing(bucketBatches);
        }
      } else if (image != null) {
        binding = InputBinding.bindImage(input, columns.get(0), schema, image.mean(), image.std());
      } else {
        binding =
            InputBinding.bind(
                input, columns, schema, defaulted.contains(input.name()), spec.narrowing(), whole);
        Double pad = paddings.get(input.name());
        if (pad != null) {
          binding = binding.withPadding(pad);
          if (bucketBatches > 1) {
            binding = binding.withBucketing(bucketBatches);
          }
        }
      }
      if (keyOrdinal >= 0) {
        StructField key = schema.fields()[keyOrdinal];
        binding = binding.withKey(key.name(), keyOrdinal, key.dataType());
      }
      bindings.add(binding);
    }
    return bindings;
  }

  /**
   * The ordinal of the column that names rows in messages when no key column is set: a column
   * {@code id} (any case) of a number or string type, when the rows have exactly one; else -1.
   */
  static int implicitKey(StructType schema) {
    int found = -1;
    StructField[] fields = schema.fields();
    for (int i = 0; i < fields.length; i++) {
      DataType type = fields[i].dataType();
      if (fields[i].name().equalsIgnoreCase("id")
          && (type instanceof NumericType || type instanceof StringType)) {
        if (found >= 0) {
          return -1;
        }
        found = i;
      }
    }
    return found;
  }

  /**
   * Binds the outputs the spec asks for (every output when it names none) and the derived columns,
   * refusing columns in {@code existing} (keyed by {@link ColumnNames#key}) and duplicates, as
   * {@code names} compares them. An optional output is read from the outputs {@code optional} names
   * for it (the model was rewritten for it, see {@link OptionalOutputs}).
   */
  static List<OutputBinding> bindOutputs(
      ModelInfo info,
      ScoringSpec spec,
      Map<String, String> existing,
      ColumnNames names,
      Map<String, OptionalOutputs.Names> optional) {
    Map<String, String> wanted = new LinkedHashMap<>(spec.outputColumns());
    if (wanted.isEmpty()) {
      info.outputNames().forEach(name -> wanted.put(name, name));
    }
    Map<String, String> taken = new HashMap<>();
    boolean whole = spec.batching(info).wholeTensors();
    List<OutputBinding> bindings = new ArrayList<>();
    Map<String, Integer> groupings = spec.groupings();
    for (Map.Entry<String, String> e : wanted.entrySet()) {
      checkColumn(e.getKey(), e.getValue(), existing, taken, names);
      OutputBinding binding =
          OutputBinding.bind(
              info.output(e.getKey()).orElseThrow(), e.getValue(), spec.flattenOutputs(), whole);
      Integer group = groupings.get(e.getKey());
      OutputBinding read =
          readingOptional(group == null ? binding : binding.groupedBy(group), optional);
      bindings.add(read);
      if (spec.outputShapes() && read.takesShapeColumn()) {
        String shapeColumn = e.getValue() + OnnxOptions.SHAPE_COLUMN_SUFFIX;
        checkColumn(e.getKey() + " (shape)", shapeColumn, existing, taken, names);
        bindings.add(read.shapeColumn(shapeColumn));
      }
    }
    for (ScoringSpec.Derived d : spec.derived(info)) {
      checkColumn(d.output() + " (" + d.post() + ")", d.column(), existing, taken, names);
      bindings.add(
          readingOptional(
              OutputBinding.bind(
                  info.output(d.output()).orElseThrow(), d.column(), d.post(), whole),
              optional));
    }
    return bindings;
  }

  /** {@code binding}, reading an optional output from the outputs that stand for it. */
  private static OutputBinding readingOptional(
      OutputBinding binding, Map<String, OptionalOutputs.Names> optional) {
    OptionalOutputs.Names read = optional.get(binding.outputName());
    if (binding.spec().kind() != TensorSpec.Kind.OPTIONAL) {
      return binding;
    }
    if (read == null) {
      throw new IllegalStateException(
          "Optional output "
              + binding.outputName()
              + " was bound without the model being rewritten for it");
    }
    return binding.readingOptionalFrom(read.value(), read.present());
  }

  private static void checkColumn(
      String output,
      String column,
      Map<String, String> existing,
      Map<String, String> taken,
      ColumnNames names) {
    String key = names.key(column);
    String clash = existing.get(key);
    if (clash != null) {
      throw OnnxErrors.outputColumnExists(output, column, clash);
    }
    String other = taken.putIfAbsent(key, column);
    if (other != null) {
      throw OnnxErrors.duplicateOutputColumn(other, column);
    }
  }

  /**
   * How the session compares column names: exactly with {@code spark.sql.caseSensitive=true}, else
   * ignoring case (Spark's default), so that no output column clashes with another that Spark would
   * take for the same one.
   */
  public record ColumnNames(boolean caseSensitive) {
    /** The session's way, from {@code spark.sql.caseSensitive}. */
    public static ColumnNames of(SparkSession spark) {
      return new ColumnNames(
          Boolean.parseBoolean(spark.conf().get("spark.sql.caseSensitive", "false").trim()));
    }

    /** What two names that Spark takes for the same column have in common. */
    public String key(String column) {
      return caseSensitive ? column : column.toLowerCase(java.util.Locale.ROOT);
    }

    /** {@code columns} by {@link #key}, each to its name (the first, for names alike). */
    public Map<String, String> index(List<String> columns) {
      Map<String, String> index = new HashMap<>();
      columns.forEach(c -> index.putIfAbsent(key(c), c));
      return index;
    }
  }

  /** {@link #forColumn} for the parts of a model. */
  public static PredictFunction forColumn(
      SparkSession spark, String name, ModelParts model, int arguments) {
    return forColumn(spark, name, model.bytes(), model.info(), model.spec(), arguments);
  }

  /**
   * The columns that feed the model when {@code onnx_predict} is given none, in argument order: per
   * input, the image column, the columns of {@code input.<input>}, else the column named like the
   * input. Empty when an input takes several columns in a model of several inputs, which only works
   * with explicit arguments. The key column, when set, comes after the arguments.
   */
  public static List<String> defaultArguments(ModelParts model) {
    List<String> columns = new ArrayList<>();
    Map<String, InputBinding.TokenField> tokenized = model.spec().tokenized(model.info());
    boolean textAdded = false;
    for (Map.Entry<String, List<String>> feeding : model.spec().feeding(model.info()).entrySet()) {
      if (tokenized.containsKey(feeding.getKey())) {
        // The text column(s) feed every token input: given once.
        if (!textAdded) {
          columns.addAll(feeding.getValue());
          textAdded = true;
        }
        continue;
      }
      if (feeding.getValue().size() != 1 && model.info().inputs().size() > 1) {
        return List.of();
      }
      columns.addAll(feeding.getValue());
    }
    return columns;
  }
}
