package ai.onnxspark.spark;

import ai.onnxspark.internal.plan.ScoringCounters;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;

/**
 * Counters of a scoring run, kept as named Spark accumulators so they show in the Spark UI and can
 * be read on the driver after an action: rows scored, batches run, ONNX Runtime sessions created
 * and the time their creation took, the time spent inside ONNX Runtime, and the distribution of
 * per-batch latency.
 *
 * <p>Like every accumulator, a counter adds up again when Spark recomputes the DataFrame (a second
 * action, a retried task). Serializable; the accumulators travel with the scoring function.
 */
public final class ScoringMetrics implements Serializable {
  private static final long serialVersionUID = 1L;

  private final LongAccumulator rows;
  private final LongAccumulator batches;
  private final LongAccumulator sessionsCreated;
  private final LongAccumulator runNanos;
  private final LongAccumulator sessionCreateNanos;
  private final LatencyHistogram batchLatency;
  private final CollectionAccumulator<String> providers;

  static {
    ScoringCounters.install(
        new ScoringCounters() {
          @Override
          public void addBatch(ScoringMetrics metrics, int batchRows, long nanos) {
            metrics.addBatch(batchRows, nanos);
          }

          @Override
          public void addSessionCreated(
              ScoringMetrics metrics, String provider, long creationNanos) {
            metrics.addSessionCreated(provider, creationNanos);
          }
        });
  }

  private ScoringMetrics(SparkContext sc) {
    this.rows = sc.longAccumulator("onnx.rowsScored");
    this.batches = sc.longAccumulator("onnx.batches");
    this.sessionsCreated = sc.longAccumulator("onnx.sessionsCreated");
    this.runNanos = sc.longAccumulator("onnx.runNanos");
    this.sessionCreateNanos = sc.longAccumulator("onnx.sessionCreateNanos");
    this.batchLatency = new LatencyHistogram();
    sc.register(batchLatency, "onnx.batchLatency");
    this.providers = sc.collectionAccumulator("onnx.providers");
  }

  /** New counters registered with {@code sc}. */
  public static ScoringMetrics register(SparkContext sc) {
    return new ScoringMetrics(sc);
  }

  /** Rows scored. */
  public long rows() {
    return rows.value();
  }

  /** ONNX Runtime calls made. */
  public long batches() {
    return batches.value();
  }

  /** Sessions created by the tasks (at most one per model, options and device per executor). */
  public long sessionsCreated() {
    return sessionsCreated.value();
  }

  /** Nanoseconds spent in ONNX Runtime's {@code run}, summed over tasks. */
  public long runNanos() {
    return runNanos.value();
  }

  /** Nanoseconds the tasks spent creating sessions, summed. */
  public long sessionCreateNanos() {
    return sessionCreateNanos.value();
  }

  /** Per-batch time inside ONNX Runtime's {@code run}: count, percentiles, maximum. */
  public LatencyHistogram batchLatency() {
    return batchLatency.value();
  }

  /** Counts one batch of {@code batchRows} rows that spent {@code nanos} in ONNX Runtime. */
  private void addBatch(int batchRows, long nanos) {
    rows.add(batchRows);
    batches.add(1);
    runNanos.add(nanos);
    batchLatency.add(nanos);
  }

  /**
   * Which execution provider served the sessions created, one entry per executor and provider:
   * {@code executor 1: cuda:0}, {@code driver: cpu}, {@code executor 2: cpu (fallback from
   * cuda:1)}.
   */
  public List<String> providers() {
    return new ArrayList<>(new TreeSet<>(providers.value()));
  }

  /** Counts one session created on {@code provider} in {@code creationNanos}. */
  private void addSessionCreated(String provider, long creationNanos) {
    sessionsCreated.add(1);
    sessionCreateNanos.add(creationNanos);
    SparkEnv env = SparkEnv.get();
    String executor = env == null ? "driver" : env.executorId();
    providers.add(
        ("driver".equals(executor) ? "driver" : "executor " + executor) + ": " + provider);
  }

  @Override
  public String toString() {
    return "rows="
        + rows()
        + ", batches="
        + batches()
        + ", sessionsCreated="
        + sessionsCreated()
        + ", sessionCreateMs="
        + sessionCreateNanos() / 1_000_000
        + ", runMs="
        + runNanos() / 1_000_000
        + ", batchLatency=["
        + batchLatency
        + "]"
        + ", providers="
        + providers();
  }
}
