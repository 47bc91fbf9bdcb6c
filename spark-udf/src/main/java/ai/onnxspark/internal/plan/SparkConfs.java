package ai.onnxspark.internal.plan;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

/** A session's runtime configuration: the one place the library reads it whole. */
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
