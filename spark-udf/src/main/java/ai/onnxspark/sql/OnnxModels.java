package ai.onnxspark.sql;

import ai.onnxspark.internal.OnnxErrors;
import ai.onnxspark.internal.plan.BroadcastModel;
import ai.onnxspark.internal.plan.ModelParts;
import ai.onnxspark.internal.plan.PredictFunction;
import ai.onnxspark.internal.plan.ScoringPlanner;
import ai.onnxspark.internal.plan.SparkConfs;
import ai.onnxspark.spark.OnnxModel;
import java.util.Map;
import java.util.TreeSet;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.sql.SparkSession;

/**
 * Models registered by name for the SQL function {@code onnx_predict('<name>', col, …)}, per Spark
 * session.
 *
 * <p>Register from Java or Scala with {@link #register}; from SQL or PySpark set {@code
 * spark.onnx.models.<name>.path} to a model file or URI (for example {@code SET
 * spark.onnx.models.fraud.path=/models/fraud.onnx}), which is read on the first use of the name.
 * Thread-safe.
 */
public final class OnnxModels {
  /**
   * Prefix of the configuration entries that name models: {@code spark.onnx.models.<name>.path}.
   */
  public static final String MODEL_PATH_CONF_PREFIX = "spark.onnx.models.";

  private static final Map<SparkSession, Map<String, OnnxModel>> MODELS = new WeakHashMap<>();

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
   * The model registered under {@code name}, reading {@code spark.onnx.models.<name>.path} if it
   * was not registered in code.
   *
   * @throws ai.onnxspark.OnnxException listing the registered names when there is none
   */
  public static OnnxModel get(SparkSession spark, String name) {
    Map<String, OnnxModel> models = models(spark);
    OnnxModel model = models.get(name);
    if (model != null) {
      return model;
    }
    String key = MODEL_PATH_CONF_PREFIX + name + ".path";
    if (spark.conf().contains(key)) {
      return models.computeIfAbsent(
          name, n -> OnnxModel.fromUri(spark.conf().get(key), SparkConfs.hadoopConf(spark)));
    }
    TreeSet<String> known = new TreeSet<>(models.keySet());
    for (String k : SparkConfs.all(spark).keySet()) {
      if (k.startsWith(MODEL_PATH_CONF_PREFIX) && k.endsWith(".path")) {
        known.add(k.substring(MODEL_PATH_CONF_PREFIX.length(), k.length() - ".path".length()));
      }
    }
    throw OnnxErrors.unknownModelName(name, known);
  }

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
        spark, name, ModelParts.of(get(spark, name).withOptions(options)), arguments);
  }

  private static Map<String, OnnxModel> models(SparkSession spark) {
    synchronized (MODELS) {
      return MODELS.computeIfAbsent(spark, s -> new ConcurrentHashMap<>());
    }
  }
}
