package ai.onnxspark;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * The declaration of one option: its per-call key, its Spark configuration key, its default, what
 * values it takes, what it does, and which APIs take it. {@link OnnxOptions#all()} lists every
 * option; the SQL function's usage text, the ML stage's parameter docs, the jobs' help and the
 * README's option table are all made from these declarations.
 *
 * <p>Immutable and thread-safe.
 */
public final class OnnxOption {

  /** Where an option can be set. */
  public enum Api {
    /** {@code OnnxModel.withX} and {@code OnnxModel.withOptions}, then {@code transform}. */
    TRANSFORM,
    /** The column function {@code onnxPredict(model, ...)} and SQL's {@code onnx_predict}. */
    COLUMN,
    /** The Spark ML stage {@code OnnxTransformer}. */
    ML,
    /** The {@code onnx-score} job ({@code --option key=value}). */
    JOB
  }

  private final String key;
  private final String confKey;
  private final String defaultValue;
  private final String values;
  private final String doc;
  private final Set<Api> apis;
  private final boolean prefix;
  private final String placeholder;
  private final boolean staticSetting;

  private OnnxOption(
      String key,
      String confKey,
      String defaultValue,
      String values,
      String doc,
      Set<Api> apis,
      boolean prefix,
      String placeholder,
      boolean staticSetting) {
    this.key = key;
    this.confKey = confKey;
    this.defaultValue = defaultValue;
    this.values = values;
    this.doc = doc;
    this.apis = Collections.unmodifiableSet(apis);
    this.prefix = prefix;
    this.placeholder = placeholder;
    this.staticSetting = staticSetting;
  }

  /** An option every API takes under {@code key}, with no Spark configuration key. */
  static OnnxOption perCall(String key, String values, String doc) {
    return new OnnxOption(
        key, null, null, values, doc, EnumSet.allOf(Api.class), false, null, false);
  }

  /**
   * A family of per-call options {@code <prefix><name>}, such as {@code pad.input_ids}; {@code
   * placeholder} says what the name is ({@code <input>}, {@code <output>}).
   */
  static OnnxOption perCallPrefix(String prefix, String placeholder, String values, String doc) {
    return new OnnxOption(
        prefix,
        null,
        null,
        values,
        doc.replace("<name>", placeholder),
        EnumSet.allOf(Api.class),
        true,
        placeholder,
        false);
  }

  /** A copy with a Spark configuration key and its default. */
  OnnxOption conf(String sparkConfKey, Object defaultValue) {
    return new OnnxOption(
        key,
        sparkConfKey,
        String.valueOf(defaultValue),
        values,
        doc,
        EnumSet.copyOf(apis),
        prefix,
        placeholder,
        staticSetting);
  }

  /** A copy that only the given APIs take. */
  OnnxOption only(Api first, Api... rest) {
    return new OnnxOption(
        key,
        confKey,
        defaultValue,
        values,
        doc,
        EnumSet.of(first, rest),
        prefix,
        placeholder,
        staticSetting);
  }

  /**
   * A copy marked static: read only from the application's {@code SparkConf} (cluster or launch
   * configuration: {@code spark-defaults.conf}, {@code --conf}, the builder of a new application),
   * and refused when a session sets another value ({@code SET}, {@code spark.conf.set}). Settings
   * that decide what code or files the library loads are static.
   */
  OnnxOption staticSetting() {
    return new OnnxOption(
        key,
        confKey,
        defaultValue,
        values,
        doc,
        apis.isEmpty() ? EnumSet.noneOf(Api.class) : EnumSet.copyOf(apis),
        prefix,
        placeholder,
        true);
  }

  /** A copy that no API takes per call: a Spark configuration entry only. */
  static OnnxOption confOnly(String sparkConfKey, Object defaultValue, String values, String doc) {
    return new OnnxOption(
        null,
        sparkConfKey,
        String.valueOf(defaultValue),
        values,
        doc,
        EnumSet.noneOf(Api.class),
        false,
        null,
        false);
  }

  /**
   * The per-call key (kebab-case, {@code batch-size}), the prefix of a family ({@code pad.}), or
   * null for an option set only in the Spark configuration.
   */
  public String key() {
    return key;
  }

  /** The Spark configuration key ({@code spark.onnx.batchSize}), or null for per-call only. */
  public String confKey() {
    return confKey;
  }

  /** The value when neither the call nor the Spark configuration sets one, or null for none. */
  public String defaultValue() {
    return defaultValue;
  }

  /** What values the option takes, in words ({@code a positive number of rows}). */
  public String values() {
    return values;
  }

  /** What the option does. */
  public String doc() {
    return doc;
  }

  /** Which APIs take it per call. */
  public Set<Api> apis() {
    return apis;
  }

  /**
   * Whether the option is static: read only from the application's {@code SparkConf} at launch, and
   * refused when a session sets another value ({@code SET}, {@code spark.conf.set}).
   */
  public boolean isStatic() {
    return staticSetting;
  }

  /** Whether {@link #key()} is the prefix of a family of keys ({@code pad.<input>}). */
  public boolean isPrefix() {
    return prefix;
  }

  /** Whether {@code perCallKey} is this option's key, or a key of its family. */
  public boolean matches(String perCallKey) {
    return key != null && (prefix ? perCallKey.startsWith(key) : perCallKey.equals(key));
  }

  /** The key as documentation shows it: {@code pad.<input>} for a family. */
  public String displayKey() {
    if (key == null) {
      return confKey;
    }
    return prefix ? key + placeholder : key;
  }

  @Override
  public String toString() {
    return displayKey();
  }
}
