package ai.onnxspark.spark;

import ai.onnxspark.model.ModelBytes;
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
final class BroadcastModel implements Serializable, KnownSizeEstimation {
  private static final long serialVersionUID = 1L;

  private static final Map<SparkContext, Map<String, Broadcast<BroadcastModel>>> BROADCASTS =
      new WeakHashMap<>();

  private static final AtomicLong RECEIVED = new AtomicLong();

  private final ModelBytes model;

  private BroadcastModel(ModelBytes model) {
    this.model = model;
  }

  /** The broadcast of {@code model} in {@code sc}, created on first use. */
  static Broadcast<BroadcastModel> of(SparkContext sc, ModelBytes model) {
    Map<String, Broadcast<BroadcastModel>> byFingerprint;
    synchronized (BROADCASTS) {
      byFingerprint = BROADCASTS.computeIfAbsent(sc, k -> new ConcurrentHashMap<>());
    }
    return byFingerprint.computeIfAbsent(
        model.fingerprint(),
        fp ->
            sc.broadcast(new BroadcastModel(model), ClassTag$.MODULE$.apply(BroadcastModel.class)));
  }

  /** The model's bytes. */
  byte[] bytes() {
    return model.bytes();
  }

  /**
   * How many copies of broadcast models this JVM has deserialized. Spark keeps a broadcast value
   * per executor, so this stays at one per model however many tasks use it.
   */
  static long receivedCopies() {
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
