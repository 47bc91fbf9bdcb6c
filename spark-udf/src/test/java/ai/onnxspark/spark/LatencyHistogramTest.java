package ai.onnxspark.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Percentiles of the per-batch latency accumulator against exact ones. */
class LatencyHistogramTest {

  @Test
  void percentilesAreWithinOneBucketOfTheExactValues() {
    Random random = new Random(3);
    long[] values = new long[10_000];
    LatencyHistogram a = new LatencyHistogram();
    LatencyHistogram b = new LatencyHistogram();
    for (int i = 0; i < values.length; i++) {
      // Log-normal around 2 ms, as batch latencies are.
      values[i] = (long) (2e6 * Math.exp(random.nextGaussian()));
      (i % 2 == 0 ? a : b).add(values[i]);
    }
    LatencyHistogram merged = a.copy();
    merged.merge(b);
    Arrays.sort(values);

    assertThat(merged.count()).isEqualTo(values.length);
    assertThat(merged.maxNanos()).isEqualTo(values[values.length - 1]);
    for (double p : new double[] {0.5, 0.95, 0.99}) {
      long exact = values[(int) Math.ceil(p * values.length) - 1];
      assertThat((double) merged.percentileNanos(p))
          .as("p%s", p)
          .isGreaterThanOrEqualTo(exact)
          .isCloseTo(exact, within(exact * 0.095));
    }
    assertThat(merged.toString()).startsWith("n=10000 p50=");
  }

  @Test
  void emptyAndTinyDurations() {
    LatencyHistogram h = new LatencyHistogram();
    assertThat(h.isZero()).isTrue();
    assertThat(h.percentileNanos(0.5)).isZero();
    h.add(10L);
    assertThat(h.percentileNanos(0.99)).isEqualTo(10);
    h.reset();
    assertThat(h.count()).isZero();
  }
}
