package ai.onnxspark.sql;

import ai.onnxspark.OnnxOptions;
import ai.onnxspark.internal.OnnxErrors;
import ai.onnxspark.internal.model.ModelBytes;
import ai.onnxspark.internal.model.ModelRoots;
import ai.onnxspark.internal.plan.BroadcastModel;
import ai.onnxspark.internal.plan.ModelParts;
import ai.onnxspark.internal.plan.OptionValues;
import ai.onnxspark.internal.plan.PredictFunction;
import ai.onnxspark.internal.plan.ScoringPlanner;
import ai.onnxspark.internal.plan.SparkConfs;
import ai.onnxspark.internal.session.SessionCache;
import ai.onnxspark.spark.OnnxModel;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Models registered by name for the SQL function {@code onnx_predict('<name>', col, …)}, per Spark
 * session.
 *
 * <p>Register from Java or Scala with {@link #register}; from SQL or PySpark set {@code
 * spark.onnx.models.<name>.path} to a model file or URI (for example {@code SET
 * spark.onnx.models.fraud.path=/models/fraud.onnx}), which is read on the first use of the name and
 * again when the path or the file changes. A path set in a session must be under a root the
 * administrator allowed ({@code spark.onnx.models.allowedRoots}, cluster configuration only); paths
 * in the cluster configuration are trusted (see {@link #get}). Thread-safe.
 */
public final class OnnxModels {
  /**
   * Prefix of the configuration entries that name models: {@code spark.onnx.models.<name>.path}.
   */
  public static final String MODEL_PATH_CONF_PREFIX = "spark.onnx.models.";

  private static final Logger LOG = LoggerFactory.getLogger(OnnxModels.class);

  private static final Map<SparkSession, Map<String, OnnxModel>> MODELS = new WeakHashMap<>();

  private static final Map<SparkSession, Map<String, ConfModel>> CONF_MODELS = new WeakHashMap<>();

  private OnnxModels() {}

  /**
   * Registers {@code model} under {@code name} in {@code spark}, replacing any model of that name,
   * and makes {@code onnx_predict} available in the session.
   */
  public static void register(SparkSession spark, String name, OnnxModel model) {
    OnnxSql.install(spark);
    OnnxModel replaced = models(spark).put(name, model);
    if (replaced != null && !replaced.fingerprint().equals(model.fingerprint())) {
      // Executors may drop the replaced model's bytes; a query still using it fetches them again.
      BroadcastModel.release(spark.sparkContext(), replaced.fingerprint());
    }
  }

  /**
   * The model registered under {@code name}: one registered in code ({@link #register}), else the
   * one {@code spark.onnx.models.<name>.path} names.
   *
   * <p>A path from the application's {@code SparkConf} (cluster or launch configuration) is
   * trusted. A path a session set ({@code SET}, {@code spark.conf.set}) must be under one of the
   * roots of {@code spark.onnx.models.allowedRoots}, or it is refused with a message that says
   * nothing about the file. Either way the file must be at most {@code spark.onnx.models.maxBytes}
   * long, checked before it is read.
   *
   * <p>The model is read once and kept per session and name while the path and the file's size and
   * modification time stay the same (without a modification time, while its bytes have the same
   * fingerprint); when either changes, the new file is read, and the old model's broadcast and this
   * JVM's idle sessions of it are released.
   *
   * @throws ai.onnxspark.OnnxException listing the registered names when there is none, or when the
   *     path is not allowed, the file is missing, too large or not an ONNX model
   */
  public static OnnxModel get(SparkSession spark, String name) {
    OnnxModel model = models(spark).get(name);
    if (model != null) {
      return model;
    }
    String key = MODEL_PATH_CONF_PREFIX + name + ".path";
    scala.Option<String> path = spark.conf().getOption(key);
    if (path.isDefined()) {
      return fromConf(spark, name, key, path.get());
    }
    TreeSet<String> known = new TreeSet<>(models(spark).keySet());
    for (String k : SparkConfs.all(spark).keySet()) {
      if (k.startsWith(MODEL_PATH_CONF_PREFIX) && k.endsWith(".path")) {
        known.add(k.substring(MODEL_PATH_CONF_PREFIX.length(), k.length() - ".path".length()));
      }
    }
    throw OnnxErrors.unknownModelName(name, known);
  }

  /** The model {@code location} names, checked, and read again when the file changed. */
  private static OnnxModel fromConf(SparkSession spark, String name, String key, String location) {
    String readFrom = location;
    if (!SparkConfs.isFromLaunch(spark, key, location)) {
      ModelRoots roots =
          ModelRoots.parse(
              SparkConfs.staticValue(spark, OnnxOptions.MODELS_ALLOWED_ROOTS_CONF).orElse(null));
      readFrom =
          roots
              .resolve(location)
              .orElseThrow(
                  () ->
                      OnnxErrors.modelPathNotAllowed(
                          name,
                          key,
                          location,
                          OnnxOptions.MODELS_ALLOWED_ROOTS_CONF,
                          roots.roots()));
    }
    long maxBytes = maxBytes(spark);
    Configuration hadoopConf = SparkConfs.hadoopConf(spark);
    ModelBytes.FileState state = ModelBytes.stat(readFrom, hadoopConf);
    if (state.size() > maxBytes) {
      throw OnnxErrors.modelOverLimit(
          location, state.size(), maxBytes, OnnxOptions.MODELS_MAX_BYTES_CONF);
    }
    Map<String, ConfModel> byName = confModels(spark);
    synchronized (byName) {
      ConfModel cached = byName.get(name);
      if (cached != null
          && cached.location().equals(readFrom)
          && cached.state().equals(state)
          && state.hasModificationTime()) {
        return cached.model();
      }
      OnnxModel model =
          OnnxModel.fromUri(readFrom, hadoopConf, maxBytes, OnnxOptions.MODELS_MAX_BYTES_CONF);
      if (cached != null && cached.model().fingerprint().equals(model.fingerprint())) {
        // Same bytes (a path without modification times, or a copy): keep the model in use.
        byName.put(name, new ConfModel(readFrom, state, cached.model()));
        return cached.model();
      }
      byName.put(name, new ConfModel(readFrom, state, model));
      if (cached != null) {
        LOG.info(
            "Model '{}' ({}) changed: {} replaces {}; releasing the old model's broadcast",
            name,
            key,
            model,
            cached.model());
        release(spark, cached.model().fingerprint());
      }
      return model;
    }
  }

  private static long maxBytes(SparkSession spark) {
    String value =
        SparkConfs.staticValue(spark, OnnxOptions.MODELS_MAX_BYTES_CONF)
            .orElse(Long.toString(OnnxOptions.MODELS_MAX_BYTES_DEFAULT));
    long parsed =
        OptionValues.parseLong(OnnxOptions.MODELS_MAX_BYTES_CONF, value, "1 or more bytes");
    if (parsed < 1) {
      throw OnnxErrors.badOption(OnnxOptions.MODELS_MAX_BYTES_CONF, value, "1 or more bytes");
    }
    return parsed;
  }

  /**
   * Drops the broadcast of the model with {@code fingerprint} and closes this JVM's idle sessions
   * of it (those of the driver, which are the executors' in local mode); executors elsewhere close
   * theirs when their session cache evicts them.
   */
  private static void release(SparkSession spark, String fingerprint) {
    BroadcastModel.release(spark.sparkContext(), fingerprint);
    SessionCache.get().closeIdle(fingerprint);
  }

  /** A model read from {@code spark.onnx.models.<name>.path}, with the file's state when read. */
  private record ConfModel(String location, ModelBytes.FileState state, OnnxModel model) {}

  /**
   * The function {@code onnx_predict('<name>', …)} uses, for {@code arguments} argument columns.
   */
  static PredictFunction function(SparkSession spark, String name, int arguments) {
    return function(spark, name, Map.of(), arguments);
  }

  /**
   * The function {@code onnx_predict('<name>', map(<options>), …)} uses: the registered model with
   * per-call {@code options} (keys as {@link OnnxModel#withOptions}) applied.
   */
  static PredictFunction function(
      SparkSession spark, String name, Map<String, String> options, int arguments) {
    return ScoringPlanner.forColumn(
        spark,
        name,
        ModelParts.of(get(spark, name).withOptions(callOptions(spark, name, options))),
        arguments);
  }

  /**
   * The options of one SQL call of the model {@code name}: those the configuration gives it for
   * every call, {@code spark.onnx.models.<name>.<key>} for each per-call option key (for example
   * {@code spark.onnx.models.sentiment.tokenizer}; keys ending in {@code .path} name models), then
   * the call's own {@code options} over them.
   *
   * <p>The tokenizer file in effect is checked as a model file is: named by the call (SQL text is
   * the session's) or set in the session, it must be under {@code spark.onnx.models.allowedRoots};
   * from the cluster or launch configuration, it is trusted.
   */
  static Map<String, String> callOptions(
      SparkSession spark, String name, Map<String, String> options) {
    String prefix = MODEL_PATH_CONF_PREFIX + name + ".";
    Map<String, String> merged = new LinkedHashMap<>();
    SparkConfs.all(spark)
        .forEach(
            (key, value) -> {
              if (key.startsWith(prefix) && !key.endsWith(".path")) {
                merged.put(key.substring(prefix.length()), value);
              }
            });
    merged.putAll(options);
    String tokenizer = merged.get(OnnxOptions.TOKENIZER);
    if (tokenizer != null) {
      String key = prefix + OnnxOptions.TOKENIZER;
      if (options.containsKey(OnnxOptions.TOKENIZER)) {
        merged.put(
            OnnxOptions.TOKENIZER,
            allowedFile(spark, name, "map('" + OnnxOptions.TOKENIZER + "', ...)", tokenizer));
      } else if (!SparkConfs.isFromLaunch(spark, key, tokenizer)) {
        merged.put(OnnxOptions.TOKENIZER, allowedFile(spark, name, key, tokenizer));
      }
    }
    return merged;
  }

  /** {@code location} resolved under the allowed roots, or an error naming where it was set. */
  private static String allowedFile(
      SparkSession spark, String name, String setBy, String location) {
    ModelRoots roots =
        ModelRoots.parse(
            SparkConfs.staticValue(spark, OnnxOptions.MODELS_ALLOWED_ROOTS_CONF).orElse(null));
    return roots
        .resolve(location)
        .orElseThrow(
            () ->
                OnnxErrors.filePathNotAllowed(
                    "The tokenizer of model " + OnnxErrors.quote(name),
                    setBy,
                    location,
                    OnnxOptions.MODELS_ALLOWED_ROOTS_CONF,
                    roots.roots()));
  }

  private static Map<String, ConfModel> confModels(SparkSession spark) {
    synchronized (CONF_MODELS) {
      return CONF_MODELS.computeIfAbsent(spark, s -> new HashMap<>());
    }
  }

  private static Map<String, OnnxModel> models(SparkSession spark) {
    synchronized (MODELS) {
      return MODELS.computeIfAbsent(spark, s -> new ConcurrentHashMap<>());
    }
  }
}
