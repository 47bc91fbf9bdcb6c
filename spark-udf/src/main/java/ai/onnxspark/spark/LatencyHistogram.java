package ai.onnxspark.spark;

import java.util.Arrays;
import org.apache.spark.util.AccumulatorV2;

/**
 * A Spark accumulator of durations (nanoseconds) in logarithmic buckets, eight per doubling from 1
 * µs, so that percentiles of per-batch latency can be read on the driver after tasks on many
 * executors added to it. A percentile is reported as the upper bound of its bucket: at most 9%
 * above the true value.
 *
 * <p>Not thread-safe, like every accumulator: each task adds to its own copy, which Spark merges.
 */
public final class LatencyHistogram extends AccumulatorV2<Long, LatencyHistogram> {
  private static final long serialVersionUID = 1L;
  private static final int PER_DOUBLING = 8;
  private static final long FIRST_NANOS = 1_000;
  private static final int BUCKETS = PER_DOUBLING * 40;

  private long[] counts = new long[BUCKETS];
  private long total;
  private long maxNanos;

  /** An empty histogram, to be registered with {@code SparkContext.register}. */
  public LatencyHistogram() {}

  static int bucket(long nanos) {
    if (nanos <= FIRST_NANOS) {
      return 0;
    }
    int b = (int) Math.ceil(PER_DOUBLING * (Math.log((double) nanos / FIRST_NANOS) / Math.log(2)));
    return Math.min(b, BUCKETS - 1);
  }

  static long upperBound(int bucket) {
    return (long) Math.ceil(FIRST_NANOS * Math.pow(2, (double) bucket / PER_DOUBLING));
  }

  /** How many durations were added. */
  public long count() {
    return total;
  }

  /** The longest duration added, in nanoseconds. */
  public long maxNanos() {
    return maxNanos;
  }

  /**
   * The duration below which {@code fraction} (0.5 for the median) of the durations fall, in
   * nanoseconds; 0 when empty.
   */
  public long percentileNanos(double fraction) {
    if (total == 0) {
      return 0;
    }
    long rank = (long) Math.ceil(fraction * total);
    long seen = 0;
    for (int b = 0; b < BUCKETS; b++) {
      seen += counts[b];
      if (seen >= Math.max(rank, 1)) {
        return Math.min(upperBound(b), maxNanos);
      }
    }
    return maxNanos;
  }

  @Override
  public boolean isZero() {
    return total == 0;
  }

  @Override
  public LatencyHistogram copy() {
    LatencyHistogram copy = new LatencyHistogram();
    copy.counts = counts.clone();
    copy.total = total;
    copy.maxNanos = maxNanos;
    return copy;
  }

  @Override
  public void reset() {
    Arrays.fill(counts, 0);
    total = 0;
    maxNanos = 0;
  }

  @Override
  public void add(Long nanos) {
    add(nanos.longValue());
  }

  /** Adds one duration, in nanoseconds. */
  public void add(long nanos) {
    counts[bucket(nanos)]++;
    total++;
    maxNanos = Math.max(maxNanos, nanos);
  }

  @Override
  public void merge(AccumulatorV2<Long, LatencyHistogram> other) {
    LatencyHistogram o = (LatencyHistogram) other;
    for (int b = 0; b < BUCKETS; b++) {
      counts[b] += o.counts[b];
    }
    total += o.total;
    maxNanos = Math.max(maxNanos, o.maxNanos);
  }

  @Override
  public LatencyHistogram value() {
    return this;
  }

  /** As the Spark UI shows it: count and p50/p95/p99 in milliseconds. */
  @Override
  public String toString() {
    return String.format(
        "n=%d p50=%.2fms p95=%.2fms p99=%.2fms max=%.2fms",
        total,
        percentileNanos(0.50) / 1e6,
        percentileNanos(0.95) / 1e6,
        percentileNanos(0.99) / 1e6,
        maxNanos / 1e6);
  }
}
