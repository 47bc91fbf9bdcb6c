package ai.onnxspark.internal.plan;

import ai.onnxspark.internal.model.ModelBytes;
import ai.onnxspark.spark.OnnxModel;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.SparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.KnownSizeEstimation;
import scala.reflect.ClassTag$;

/**
 * The value broadcast to executors for one model: its bytes. It reports its size to Spark's size
 * estimator, so the block manager accounts for the model without walking the array.
 *
 * <p>Each model is broadcast once per {@code SparkContext}, however many DataFrames, copies of an
 * {@link OnnxModel} or calls score with it: {@link #of} keeps the broadcasts by fingerprint.
 */
public final class BroadcastModel implements Serializable, KnownSizeEstimation {
  private static final long serialVersionUID = 1L;

  private static final Map<SparkContext, Map<String, Broadcast<BroadcastModel>>> BROADCASTS =
      new WeakHashMap<>();

  private static final AtomicLong RECEIVED = new AtomicLong();

  private final ModelBytes model;

  private BroadcastModel(ModelBytes model) {
    this.model = model;
  }

  /** The broadcast of {@code model} in {@code sc}, created on first use. */
  public static Broadcast<BroadcastModel> of(SparkContext sc, ModelBytes model) {
    Map<String, Broadcast<BroadcastModel>> byFingerprint;
    synchronized (BROADCASTS) {
      byFingerprint = BROADCASTS.computeIfAbsent(sc, k -> new ConcurrentHashMap<>());
    }
    return byFingerprint.computeIfAbsent(
        model.fingerprint(),
        fp ->
            sc.broadcast(new BroadcastModel(model), ClassTag$.MODULE$.apply(BroadcastModel.class)));
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

  /** The model's bytes. */
  byte[] bytes() {
    return model.bytes();
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
    return model.size() + 256;
  }
}
