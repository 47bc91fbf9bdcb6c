package ai.onnxspark.internal.plan;

import ai.onnxspark.spark.ScoringMetrics;

/**
 * How the scorers count into a {@link ScoringMetrics} without its counting methods being public
 * API. {@code ScoringMetrics} installs the implementation when its class is initialised, which has
 * happened once any instance exists (on executors too: deserialising one initialises the class).
 */
public interface ScoringCounters {
  /** Counts one batch of {@code batchRows} rows that spent {@code nanos} in ONNX Runtime. */
  void addBatch(ScoringMetrics metrics, int batchRows, long nanos);

  /** Counts one session created on {@code provider} in {@code creationNanos}. */
  void addSessionCreated(ScoringMetrics metrics, String provider, long creationNanos);

  /** Called once, by {@code ScoringMetrics}' class initialiser. */
  static void install(ScoringCounters counters) {
    Holder.install(counters);
  }

  /** The installed implementation. */
  static ScoringCounters get() {
    return Holder.counters;
  }

  /** The installed implementation's holder. */
  final class Holder {
    private static volatile ScoringCounters counters;

    private Holder() {}

    private static synchronized void install(ScoringCounters value) {
      if (counters != null) {
        throw new IllegalStateException("ScoringCounters is installed by ScoringMetrics only");
      }
      counters = value;
    }
  }
}
