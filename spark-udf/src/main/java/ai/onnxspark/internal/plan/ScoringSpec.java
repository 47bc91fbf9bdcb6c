package ai.onnxspark.internal.plan;

import ai.onnxspark.OnnxOption;
import ai.onnxspark.OnnxOptions;
import ai.onnxspark.internal.OnnxErrors;
import ai.onnxspark.internal.tensor.InputBinding;
import ai.onnxspark.internal.tensor.PostProcess;
import ai.onnxspark.model.ModelInfo;
import ai.onnxspark.model.TensorSpec;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a user asked of one scoring, apart from the model's bytes: which columns feed which inputs,
 * which outputs go where, pre- and post-processing, and the options set per call. Every API builds
 * one ({@code OnnxModel.withX}, {@code withOptions}, SQL's option map, the ML stage's parameters,
 * the job's flags) and {@link ScoringPlanner} turns it into the executors' plan.
 *
 * <p>It is an ordered map of per-call option keys ({@link OnnxOptions}) to values, each checked
 * when set, so that it can be saved and restored exactly ({@link #settings()}) and so that every
 * API takes every option the same way. Immutable and serializable.
 */
public final class ScoringSpec implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Nothing set: every option follows the Spark configuration, then its default. */
  public static final ScoringSpec EMPTY = new ScoringSpec(new LinkedHashMap<>());

  private final Map<String, String> settings;

  private ScoringSpec(LinkedHashMap<String, String> settings) {
    this.settings = Collections.unmodifiableMap(settings);
  }

  /** A column computed from an output's scores (softmax, argmax, labels, top k), in order. */
  public record Derived(String output, String column, PostProcess post) implements Serializable {}

  /** An image column feeding an input, with the per-channel normalisation. */
  public record ImageFeed(String column, float[] mean, float[] std) implements Serializable {}

  /** The options set, in the order they were first set; keys as {@link OnnxOptions} names them. */
  public Map<String, String> settings() {
    return settings;
  }

  /** The value set for {@code key}, if any. */
  public Optional<String> get(String key) {
    return Optional.ofNullable(settings.get(key));
  }

  /**
   * This spec with {@code key} set to {@code value}, checked against its option's values and
   * against {@code info}'s input and output names; setting a key again replaces its value.
   *
   * @throws ai.onnxspark.OnnxException naming the key and the valid keys or values
   */
  public ScoringSpec with(String key, String value, ModelInfo info) {
    Objects.requireNonNull(key, "option key");
    OnnxOption option =
        OnnxOptions.forKey(key)
            .orElseThrow(
                () -> OnnxErrors.unknownOption(key, OnnxOptions.keysFor(OnnxOption.Api.TRANSFORM)));
    if (value == null) {
      throw OnnxErrors.badOption(key, null, option.values());
    }
    String name = option.isPrefix() ? key.substring(option.key().length()) : null;
    LinkedHashMap<String, String> next = new LinkedHashMap<>(settings);
    next.put(key, check(option, key, name, value.trim(), info));
    if (key.equals(OnnxOptions.ERROR_COLUMN)) {
      next.put(OnnxOptions.PERMISSIVE, "true");
    }
    return new ScoringSpec(next);
  }

  /** This spec without {@code key}. */
  public ScoringSpec without(String key) {
    LinkedHashMap<String, String> next = new LinkedHashMap<>(settings);
    next.remove(key);
    return new ScoringSpec(next);
  }

  /** This spec without any key of the family {@code prefix} ({@code output.}). */
  public ScoringSpec withoutPrefix(String prefix) {
    LinkedHashMap<String, String> next = new LinkedHashMap<>(settings);
    next.keySet().removeIf(k -> k.startsWith(prefix));
    return new ScoringSpec(next);
  }

  /** Checks and normalises one value; the option's values say what is expected. */
  private static String check(
      OnnxOption option, String key, String name, String value, ModelInfo info) {
    String expected = option.values();
    String family = option.isPrefix() ? option.key() : key;
    switch (family) {
      case OnnxOptions.BATCH_SIZE,
          OnnxOptions.INTER_OP_THREADS,
          OnnxOptions.BUCKET_BATCHES,
          OnnxOptions.MAX_LENGTH -> {
        if (OptionValues.parseInt(key, value, expected) < 1) {
          throw OnnxErrors.badOption(key, value, expected);
        }
      }
      case OnnxOptions.INTRA_OP_THREADS -> {
        if (OptionValues.parseInt(key, value, expected) < 0) {
          throw OnnxErrors.badOption(key, value, expected);
        }
      }
      case OnnxOptions.BATCH_TIMEOUT_MS -> {
        if (OptionValues.parseLong(key, value, expected) < 0) {
          throw OnnxErrors.badOption(key, value, expected);
        }
      }
      case OnnxOptions.GROUP_PREFIX -> {
        requireOutput(name, info);
        if (OptionValues.parseInt(key, value, expected) < 0) {
          throw OnnxErrors.badOption(key, value, expected);
        }
      }
      case OnnxOptions.MAX_BATCH_BYTES -> {
        if (OptionValues.parseLong(key, value, expected) < 1) {
          throw OnnxErrors.badOption(key, value, expected);
        }
      }
      case OnnxOptions.TOP_K_PREFIX -> {
        requireOutput(name, info);
        if (OptionValues.parseInt(key, value, expected) < 1) {
          throw OnnxErrors.badOption(key, value, expected);
        }
      }
      case OnnxOptions.PERMISSIVE,
          OnnxOptions.NARROWING,
          OnnxOptions.FLATTEN_OUTPUTS,
          OnnxOptions.OUTPUT_SHAPES,
          OnnxOptions.ROW_AS_TENSOR,
          OnnxOptions.EXTENSIONS -> {
        return Boolean.toString(OptionValues.parseBoolean(key, value));
      }
      case OnnxOptions.OPTIMIZATION_LEVEL ->
          ai.onnxspark.internal.session.SessionOptionsSpec.OptimizationLevel.parse(value);
      case OnnxOptions.DEVICE -> ai.onnxspark.internal.session.DeviceSpec.of(value, 0, "none");
      case OnnxOptions.DEVICE_FALLBACK ->
          ai.onnxspark.internal.session.DeviceSpec.of("cpu", 0, value);
      case OnnxOptions.GPUS_PER_TASK -> {
        double gpus = OptionValues.parseDouble(key, value, expected);
        if (!(gpus > 0 && gpus <= 1 || gpus == Math.rint(gpus) && gpus >= 1)) {
          throw OnnxErrors.badOption(key, value, expected);
        }
      }
      case OnnxOptions.PAD_PREFIX -> {
        requireInput(name, info);
        OptionValues.parseDouble(key, value, expected);
      }
      case OnnxOptions.INPUT_PREFIX -> {
        requireInput(name, info);
        List<String> columns = OptionValues.parseList(key, value);
        if (columns.isEmpty() || columns.stream().anyMatch(String::isEmpty)) {
          throw OnnxErrors.badOption(key, value, "at least one column");
        }
        return OptionValues.list(columns);
      }
      case OnnxOptions.IMAGE_PREFIX -> {
        requireInput(name, info);
        requireName(key, value);
      }
      case OnnxOptions.IMAGE_MEAN_PREFIX, OnnxOptions.IMAGE_STD_PREFIX -> {
        requireInput(name, info);
        return OptionValues.floats(OptionValues.parseFloats(key, value, 3));
      }
      case OnnxOptions.OUTPUT_PREFIX,
          OnnxOptions.SOFTMAX_PREFIX,
          OnnxOptions.ARGMAX_PREFIX,
          OnnxOptions.LABEL_PREFIX,
          OnnxOptions.TOP_K_INDICES_PREFIX,
          OnnxOptions.TOP_K_SCORES_PREFIX,
          OnnxOptions.MEAN_POOL_PREFIX,
          OnnxOptions.MEAN_POOL_NORMALIZED_PREFIX,
          OnnxOptions.TOKEN_LABELS_PREFIX -> {
        requireOutput(name, info);
        requireName(key, value);
      }
      case OnnxOptions.LABELS_PREFIX -> {
        requireOutput(name, info);
        return OptionValues.list(OptionValues.parseList(key, value));
      }
      case OnnxOptions.ERROR_COLUMN, OnnxOptions.KEY_COLUMN, OnnxOptions.STRUCT_COLUMN ->
          requireName(key, value);
      case OnnxOptions.TOKENIZER -> {
        if (value.isEmpty()) {
          throw OnnxErrors.badOption(key, value, expected);
        }
        if (info != null
            && info.input(ai.onnxspark.internal.tensor.InputBinding.TokenField.IDS.inputName())
                .isEmpty()) {
          throw OnnxErrors.badOption(
              key,
              value,
              "a model with an input named input_ids (its inputs: " + info.inputNames() + ")");
        }
      }
      case OnnxOptions.TEXT_COLUMN -> {
        List<String> columns = OptionValues.parseList(key, value);
        if (columns.isEmpty() || columns.size() > 2 || columns.stream().anyMatch(String::isEmpty)) {
          throw OnnxErrors.badOption(key, value, expected);
        }
        return OptionValues.list(columns);
      }
      default -> {
        // provider.<key>: passed to ONNX Runtime as it is.
      }
    }
    return value;
  }

  private static void requireName(String key, String value) {
    if (value.isEmpty()) {
      throw OnnxErrors.badOption(key, value, "a column name");
    }
  }

  private static void requireInput(String name, ModelInfo info) {
    if (info != null && info.input(name).isEmpty()) {
      throw OnnxErrors.unknownInput(name, info.inputNames());
    }
  }

  private static void requireOutput(String name, ModelInfo info) {
    if (info != null && info.output(name).isEmpty()) {
      throw OnnxErrors.unknownOutput(name, info.outputNames());
    }
  }

  private Map<String, String> family(String prefix) {
    Map<String, String> found = new LinkedHashMap<>();
    settings.forEach(
        (k, v) -> {
          if (k.startsWith(prefix)) {
            found.put(k.substring(prefix.length()), v);
          }
        });
    return found;
  }

  /** Per input: the columns set with {@code input.<input>}. */
  public Map<String, List<String>> inputColumns() {
    Map<String, List<String>> columns = new LinkedHashMap<>();
    family(OnnxOptions.INPUT_PREFIX)
        .forEach((input, v) -> columns.put(input, OptionValues.parseList(input, v)));
    return columns;
  }

  /** Per output: the column set with {@code output.<output>}, in the order they were set. */
  public Map<String, String> outputColumns() {
    return family(OnnxOptions.OUTPUT_PREFIX);
  }

  /** Per input: the image column and normalisation set with {@code image.<input>}. */
  public Map<String, ImageFeed> images() {
    Map<String, ImageFeed> images = new LinkedHashMap<>();
    family(OnnxOptions.IMAGE_PREFIX)
        .forEach(
            (input, column) ->
                images.put(
                    input,
                    new ImageFeed(
                        column,
                        OptionValues.parseFloats(
                            OnnxOptions.IMAGE_MEAN_PREFIX + input,
                            settings.getOrDefault(
                                OnnxOptions.IMAGE_MEAN_PREFIX + input,
                                OnnxOptions.IMAGE_MEAN_DEFAULT),
                            3),
                        OptionValues.parseFloats(
                            OnnxOptions.IMAGE_STD_PREFIX + input,
                            settings.getOrDefault(
                                OnnxOptions.IMAGE_STD_PREFIX + input,
                                OnnxOptions.IMAGE_STD_DEFAULT),
                            3))));
    return images;
  }

  /** Per input: the padding value set with {@code pad.<input>}. */
  public Map<String, Integer> groupings() {
    Map<String, Integer> groupings = new LinkedHashMap<>();
    family(OnnxOptions.GROUP_PREFIX)
        .forEach((output, v) -> groupings.put(output, Integer.parseInt(v.trim())));
    return groupings;
  }

  /** Per padded input, the value its rows are padded with. */
  public Map<String, Double> paddings() {
    Map<String, Double> paddings = new LinkedHashMap<>();
    family(OnnxOptions.PAD_PREFIX)
        .forEach((input, v) -> paddings.put(input, Double.parseDouble(v)));
    return paddings;
  }

  /** The columns derived from outputs' scores, in the order they were set. */
  public List<Derived> derived(ModelInfo info) {
    List<Derived> derived = new ArrayList<>();
    settings.forEach(
        (key, column) -> {
          if (key.startsWith(OnnxOptions.SOFTMAX_PREFIX)) {
            String output = key.substring(OnnxOptions.SOFTMAX_PREFIX.length());
            derived.add(new Derived(output, column, PostProcess.softmax()));
          } else if (key.startsWith(OnnxOptions.ARGMAX_PREFIX)) {
            String output = key.substring(OnnxOptions.ARGMAX_PREFIX.length());
            derived.add(new Derived(output, column, PostProcess.argmax()));
          } else if (key.startsWith(OnnxOptions.LABEL_PREFIX)) {
            String output = key.substring(OnnxOptions.LABEL_PREFIX.length());
            derived.add(new Derived(output, column, PostProcess.label(labels(output, info))));
          } else if (key.startsWith(OnnxOptions.TOP_K_INDICES_PREFIX)) {
            String output = key.substring(OnnxOptions.TOP_K_INDICES_PREFIX.length());
            derived.add(new Derived(output, column, PostProcess.topKIndices(topK(output))));
          } else if (key.startsWith(OnnxOptions.TOP_K_SCORES_PREFIX)) {
            String output = key.substring(OnnxOptions.TOP_K_SCORES_PREFIX.length());
            derived.add(new Derived(output, column, PostProcess.topKScores(topK(output))));
          } else if (key.startsWith(OnnxOptions.MEAN_POOL_PREFIX)) {
            String output = key.substring(OnnxOptions.MEAN_POOL_PREFIX.length());
            derived.add(new Derived(output, column, PostProcess.meanPool(false)));
          } else if (key.startsWith(OnnxOptions.MEAN_POOL_NORMALIZED_PREFIX)) {
            String output = key.substring(OnnxOptions.MEAN_POOL_NORMALIZED_PREFIX.length());
            derived.add(new Derived(output, column, PostProcess.meanPool(true)));
          } else if (key.startsWith(OnnxOptions.TOKEN_LABELS_PREFIX)) {
            String output = key.substring(OnnxOptions.TOKEN_LABELS_PREFIX.length());
            derived.add(new Derived(output, column, PostProcess.tokenLabels(labels(output, info))));
          }
        });
    return derived;
  }

  private int topK(String output) {
    String k = settings.get(OnnxOptions.TOP_K_PREFIX + output);
    if (k == null) {
      throw OnnxErrors.badOption(
          OnnxOptions.TOP_K_PREFIX + output,
          null,
          "how many scores top-k-indices." + output + " and top-k-scores." + output + " hold");
    }
    return Integer.parseInt(k);
  }

  /** The labels of {@code output}: {@code labels.<output>}, else the model's metadata. */
  private List<String> labels(String output, ModelInfo info) {
    String given = settings.get(OnnxOptions.LABELS_PREFIX + output);
    if (given != null) {
      return OptionValues.parseList(OnnxOptions.LABELS_PREFIX + output, given);
    }
    for (String key : List.of("labels", "classes", "class_labels")) {
      String value = info.metadata().get(key);
      if (value != null) {
        return OptionValues.parseList(key, value);
      }
    }
    throw OnnxErrors.badOption(
        "labels of " + output,
        "(none in the model's metadata " + info.metadata().keySet() + ")",
        "labels given with "
            + (settings.containsKey(OnnxOptions.TOKEN_LABELS_PREFIX + output)
                ? "withTokenLabels(output, column, labels)"
                : "withLabel(output, column, labels)")
            + " or labels."
            + output
            + ", or metadata 'labels'");
  }

  /**
   * Per input, the columns that feed it when no columns are given by the call: the text column(s)
   * of a tokenized input, the image column, the columns of {@code input.<input>}, else the column
   * named like the input.
   */
  public Map<String, List<String>> feeding(ModelInfo info) {
    Map<String, List<String>> mapped = inputColumns();
    Map<String, ImageFeed> images = images();
    Map<String, InputBinding.TokenField> tokenized = tokenized(info);
    Map<String, List<String>> feeding = new LinkedHashMap<>();
    for (TensorSpec spec : info.inputs()) {
      ImageFeed image = images.get(spec.name());
      feeding.put(
          spec.name(),
          tokenized.containsKey(spec.name())
              ? textColumns()
              : image != null
                  ? List.of(image.column())
                  : mapped.getOrDefault(spec.name(), List.of(spec.name())));
    }
    return feeding;
  }

  /** Whether {@code input}'s columns were left to the default (the column named like it). */
  public boolean defaulted(String input) {
    return !settings.containsKey(OnnxOptions.INPUT_PREFIX + input)
        && !settings.containsKey(OnnxOptions.IMAGE_PREFIX + input)
        && !(tokenizer() != null
            && InputBinding.TokenField.forInput(input) != null
            && settings.containsKey(OnnxOptions.TEXT_COLUMN));
  }

  /** Whether a column labels the tokens of the text ({@code token-labels.<output>}). */
  public boolean labelsTokens() {
    return settings.keySet().stream().anyMatch(k -> k.startsWith(OnnxOptions.TOKEN_LABELS_PREFIX));
  }

  /** The tokenizer file ({@code tokenizer}), or null. */
  public String tokenizer() {
    return settings.get(OnnxOptions.TOKENIZER);
  }

  /** The text column and, for pairs, its pair column ({@code text-column}). */
  public List<String> textColumns() {
    return OptionValues.parseList(
        OnnxOptions.TEXT_COLUMN,
        settings.getOrDefault(OnnxOptions.TEXT_COLUMN, OnnxOptions.TEXT_COLUMN_DEFAULT));
  }

  /** The most tokens a row keeps ({@code max-length}), or null when not set per call. */
  public Integer maxLength() {
    String v = settings.get(OnnxOptions.MAX_LENGTH);
    return v == null ? null : Integer.valueOf(v.trim());
  }

  /**
   * With a tokenizer: the model's inputs it feeds ({@code input_ids}, {@code attention_mask},
   * {@code token_type_ids}, those the model has), in the model's order, each with the field it
   * takes; else empty.
   */
  public Map<String, InputBinding.TokenField> tokenized(ModelInfo info) {
    Map<String, InputBinding.TokenField> tokenized = new LinkedHashMap<>();
    if (tokenizer() == null) {
      return tokenized;
    }
    for (TensorSpec spec : info.inputs()) {
      InputBinding.TokenField field = InputBinding.TokenField.forInput(spec.name());
      if (field != null) {
        tokenized.put(spec.name(), field);
      }
    }
    return tokenized;
  }

  public boolean narrowing() {
    return Boolean.parseBoolean(settings.get(OnnxOptions.NARROWING));
  }

  /** Whether outputs of per-row rank 2 or more come back flat (asked, or with shape columns). */
  public boolean flattenOutputs() {
    return Boolean.parseBoolean(settings.get(OnnxOptions.FLATTEN_OUTPUTS)) || outputShapes();
  }

  /** Whether each array output gets a shape column ({@code output-shapes}). */
  public boolean outputShapes() {
    return Boolean.parseBoolean(settings.get(OnnxOptions.OUTPUT_SHAPES));
  }

  /** Whether each row holds whole tensors because the user asked ({@code row-as-tensor}). */
  public boolean rowAsTensor() {
    return Boolean.parseBoolean(settings.get(OnnxOptions.ROW_AS_TENSOR));
  }

  /** How rows of the model {@code info} describes become ONNX Runtime runs. */
  public Batching batching(ModelInfo info) {
    return Batching.of(info, rowAsTensor());
  }

  public int bucketBatches() {
    return Integer.parseInt(settings.getOrDefault(OnnxOptions.BUCKET_BATCHES, "1"));
  }

  public String keyColumn() {
    return settings.get(OnnxOptions.KEY_COLUMN);
  }

  public String structColumn() {
    return settings.get(OnnxOptions.STRUCT_COLUMN);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ScoringSpec other
        && List.copyOf(settings.entrySet()).equals(List.copyOf(other.settings.entrySet()));
  }

  @Override
  public int hashCode() {
    return List.copyOf(settings.entrySet()).hashCode();
  }

  @Override
  public String toString() {
    return settings.toString();
  }
}
