package ai.onnxspark.internal.plan;

import ai.onnxspark.internal.OnnxErrors;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

/**
 * A session's runtime configuration: the one place the library reads it whole; and the static
 * settings, which are read from the application's {@code SparkConf} alone.
 */
public final class SparkConfs {
  private static final String HADOOP_PREFIX = "spark.hadoop.";

  private SparkConfs() {}

  /**
   * The session's settings. Iterated by hand rather than converted: Java sees the same Scala map
   * and iterator API on Scala 2.12 and 2.13, not the same converters.
   */
  public static Map<String, String> all(SparkSession spark) {
    Map<String, String> all = new LinkedHashMap<>();
    scala.collection.Iterator<Tuple2<String, String>> entries = spark.conf().getAll().iterator();
    while (entries.hasNext()) {
      Tuple2<String, String> entry = entries.next();
      all.put(entry._1(), entry._2());
    }
    return all;
  }

  /**
   * The value of static setting {@code key}: the application's {@code SparkConf} (cluster or launch
   * configuration), never the session's runtime configuration.
   *
   * @throws ai.onnxspark.OnnxException when the session has another value for it (set by {@code
   *     SET} or {@code spark.conf.set}), which is refused rather than ignored
   */
  public static Optional<String> staticValue(SparkSession spark, String key) {
    scala.Option<String> launched = spark.sparkContext().getConf().getOption(key);
    String atLaunch = launched.isDefined() ? launched.get() : null;
    scala.Option<String> session = spark.conf().getOption(key);
    if (session.isDefined() && !session.get().equals(atLaunch)) {
      throw OnnxErrors.staticSettingInSession(key, atLaunch);
    }
    return Optional.ofNullable(atLaunch);
  }

  /**
   * Whether the session's value of {@code key} is the one the application's {@code SparkConf} has
   * (set at launch, so trusted), rather than one a session set.
   */
  public static boolean isFromLaunch(SparkSession spark, String key, String sessionValue) {
    scala.Option<String> launched = spark.sparkContext().getConf().getOption(key);
    return launched.isDefined() && launched.get().equals(sessionValue);
  }

  /**
   * The Hadoop configuration a model file is read with: the application's, plus the session's
   * {@code spark.hadoop.*} settings (prefix removed), so credentials and file system classes set on
   * a running session ({@code spark.conf.set}, {@code --conf} of a job sharing the session) reach
   * the model's file system as they reach the application's at startup.
   */
  public static Configuration hadoopConf(SparkSession spark) {
    Configuration conf = new Configuration(spark.sparkContext().hadoopConfiguration());
    all(spark)
        .forEach(
            (key, value) -> {
              if (key.startsWith(HADOOP_PREFIX) && value != null) {
                conf.set(key.substring(HADOOP_PREFIX.length()), value);
              }
            });
    return conf;
  }

  /** {@link #hadoopConf(SparkSession)} of the active session, or a default one without. */
  public static Configuration activeHadoopConf() {
    scala.Option<SparkSession> active = SparkSession.getActiveSession();
    return active.isDefined() ? hadoopConf(active.get()) : new Configuration();
  }
}
