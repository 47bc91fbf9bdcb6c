package ai.onnxspark.internal.plan;

import ai.onnxspark.OnnxOptions;
import ai.onnxspark.internal.model.ModelBytes;
import ai.onnxspark.internal.model.ModelFiles;
import ai.onnxspark.internal.model.ModelSource;
import ai.onnxspark.internal.model.NodeCache;
import ai.onnxspark.internal.session.SessionCache.ModelLoader;
import ai.onnxspark.spark.OnnxModel;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.KnownSizeEstimation;
import scala.reflect.ClassTag$;

/**
 * The value broadcast to executors for one model: its bytes, or, for a model shipped by path, the
 * description of its files and the Hadoop configuration to read them with (executors copy them into
 * their node's {@link NodeCache}). It reports its size to Spark's size estimator, so the block
 * manager accounts for the model without walking the array.
 *
 * <p>Each model is broadcast once per {@code SparkContext}, however many DataFrames, copies of an
 * {@link OnnxModel} or calls score with it: {@link #of} keeps the broadcasts by fingerprint.
 */
public final class BroadcastModel implements Serializable, KnownSizeEstimation {
  private static final long serialVersionUID = 1L;

  private static final Map<SparkContext, Map<String, Broadcast<BroadcastModel>>> BROADCASTS =
      new WeakHashMap<>();

  private static final AtomicLong RECEIVED = new AtomicLong();

  private final ModelSource model;
  private final byte[] hadoopConf;

  private BroadcastModel(ModelSource model, byte[] hadoopConf) {
    this.model = model;
    this.hadoopConf = hadoopConf;
  }

  /**
   * The broadcast of {@code model} in {@code sc}, created on first use; a model shipped by path
   * carries {@code hadoopConf}, which executors read its files with.
   */
  public static Broadcast<BroadcastModel> of(
      SparkContext sc, ModelSource model, Configuration hadoopConf) {
    Map<String, Broadcast<BroadcastModel>> byFingerprint;
    synchronized (BROADCASTS) {
      byFingerprint = BROADCASTS.computeIfAbsent(sc, k -> new ConcurrentHashMap<>());
    }
    return byFingerprint.computeIfAbsent(
        model.fingerprint(),
        fp ->
            sc.broadcast(
                new BroadcastModel(model, model instanceof ModelFiles ? write(hadoopConf) : null),
                ClassTag$.MODULE$.apply(BroadcastModel.class)));
  }

  /**
   * Drops the executors' copies of the model with {@code fingerprint} in {@code sc}, if it was
   * broadcast, and forgets the broadcast, so the next scoring broadcasts it anew. Queries still
   * holding the old handle fetch its value again from the driver.
   *
   * @return whether there was such a broadcast
   */
  public static boolean release(SparkContext sc, String fingerprint) {
    Map<String, Broadcast<BroadcastModel>> byFingerprint;
    synchronized (BROADCASTS) {
      byFingerprint = BROADCASTS.get(sc);
    }
    Broadcast<BroadcastModel> released =
        byFingerprint == null ? null : byFingerprint.remove(fingerprint);
    if (released != null) {
      released.unpersist(false);
    }
    return released != null;
  }

  /**
   * How executors create sessions of the model: from the broadcast bytes, or from the node cache's
   * copy of its files.
   */
  ModelLoader loader() {
    if (model instanceof ModelBytes bytes) {
      return ModelLoader.ofBytes(bytes::bytes);
    }
    ModelFiles files = (ModelFiles) model;
    return (env, options) -> {
      Path local = nodeCache().localModel(files, read(hadoopConf));
      return env.createSession(local.toString(), options);
    };
  }

  /** The node cache of this JVM's Spark configuration (the executor's, as launched). */
  private static NodeCache nodeCache() {
    SparkEnv env = SparkEnv.get();
    SparkConf conf = env != null ? env.conf() : new SparkConf(false);
    String dir =
        conf.get(
            OnnxOptions.MODEL_CACHE_DIR_CONF,
            Path.of(
                    System.getProperty("java.io.tmpdir"),
                    "onnx-spark-models-" + System.getProperty("user.name"))
                .toString());
    long maxBytes =
        conf.getLong(
            OnnxOptions.MODEL_CACHE_MAX_BYTES_CONF, OnnxOptions.MODEL_CACHE_MAX_BYTES_DEFAULT);
    long maxAgeHours =
        conf.getLong(
            OnnxOptions.MODEL_CACHE_MAX_AGE_HOURS_CONF,
            OnnxOptions.MODEL_CACHE_MAX_AGE_HOURS_DEFAULT);
    return new NodeCache(Path.of(dir), maxBytes, Duration.ofHours(maxAgeHours));
  }

  private static byte[] write(Configuration conf) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      (conf == null ? new Configuration() : conf).write(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private static Configuration read(byte[] bytes) {
    Configuration conf = new Configuration(false);
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      conf.readFields(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return conf;
  }

  /**
   * How many copies of broadcast models this JVM has deserialized. Spark keeps a broadcast value
   * per executor, so this stays at one per model however many tasks use it.
   */
  public static long receivedCopies() {
    return RECEIVED.get();
  }

  private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
    in.defaultReadObject();
    RECEIVED.incrementAndGet();
  }

  @Override
  public long estimatedSize() {
    return (model instanceof ModelBytes ? model.size() : 4096)
        + (hadoopConf == null ? 0 : hadoopConf.length)
        + 256;
  }
}
