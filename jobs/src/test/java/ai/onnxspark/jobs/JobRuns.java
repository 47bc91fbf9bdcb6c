package ai.onnxspark.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Running the scoring job in tests: its refusals, and flags built from a common part. */
final class JobRuns {
  private JobRuns() {}

  /** What the job printed on stderr for {@code argv}, checking it exited with code 2. */
  static String errorOf(String... argv) {
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    int code;
    try {
      code = ScoreJob.run(argv);
    } finally {
      System.setErr(original);
    }
    assertThat(code).isEqualTo(2);
    return captured.toString(StandardCharsets.UTF_8).trim();
  }

  /** {@code first} followed by {@code more}. */
  static String[] concat(String[] first, String... more) {
    String[] all = Arrays.copyOf(first, first.length + more.length);
    System.arraycopy(more, 0, all, first.length, more.length);
    return all;
  }
}
