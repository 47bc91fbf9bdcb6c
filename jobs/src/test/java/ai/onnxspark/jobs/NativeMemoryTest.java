package ai.onnxspark.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxspark.testing.FullSuiteOnly;
import ai.onnxspark.testing.TestModels;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * No native leak: the scoring job over 1,000,000 rows, run seven times in one JVM (about 27,000
 * ONNX Runtime calls of 256 rows), keeps the process's resident memory flat.
 *
 * <p>How it measures: a child JVM with a fixed, pre-touched heap ({@code -Xms} = {@code -Xmx},
 * {@code -XX:+AlwaysPreTouch}), so that the heap is resident from the start and any growth of the
 * resident set ({@code VmRSS} in {@code /proc/self/status}) is native memory: ONNX Runtime's
 * tensors and buffers, direct buffers, threads. RSS is read after each run; runs 1 and 2 warm up
 * (JIT code, Parquet and Spark caches). The model's two outputs are 8 floats a row, so a batch's
 * result left unclosed (16 KB, 3,907 batches a run) adds about 64 MB every run (measured: 65 to 95
 * MB a run when the scorer was made to leak one). The typical growth of a run after the warm-up
 * (the median of runs 3 to 7) must stay under 16 MB, and the whole growth from run 2 to run 7 under
 * 96 MB. The median, not the sum, carries the verdict: the allocator and the JIT now and then take
 * a few more megabytes in one run (up to 28 MB over three runs seen on a CI machine), a leak takes
 * them in every run. The child runs with {@code MALLOC_ARENA_MAX=2} so that glibc does not spread
 * that noise over one arena per thread.
 *
 * <p>Full suite only: the memory it watches is ONNX Runtime's and the library's own, the same on
 * every Spark line.
 */
@EnabledOnOs(OS.LINUX)
@FullSuiteOnly
class NativeMemoryTest {

  private static final int RUNS = 7;

  @Test
  void residentMemoryStaysFlatOverRepeatedMillionRowJobs(@TempDir Path dir) throws Exception {
    Path model = Files.write(dir.resolve("mlp.onnx"), TestModels.mlp(16, 32, 8, 1));
    List<String> command = new ArrayList<>();
    command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (arg.startsWith("--add-opens") || arg.startsWith("-XX:+IgnoreUnrecognized")) {
        command.add(arg);
      }
    }
    command.addAll(
        List.of(
            "-Xms768m",
            "-Xmx768m",
            "-XX:+AlwaysPreTouch",
            "-cp",
            System.getProperty("java.class.path"),
            ScoreRepeatedly.class.getName(),
            model.toString(),
            dir.toString(),
            "1000000",
            String.valueOf(RUNS),
            "256"));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("MALLOC_ARENA_MAX", "2");
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(10, TimeUnit.MINUTES)).isTrue();
    assertThat(process.exitValue()).as("child output:%n%s", output).isZero();

    double[] rss =
        output
            .lines()
            .filter(l -> l.startsWith("rss_mb="))
            .mapToDouble(l -> Double.parseDouble(l.substring(l.indexOf(',') + 1)))
            .toArray();
    System.out.println("RSS after each run (MB): " + Arrays.toString(rss));
    assertThat(rss).hasSize(RUNS);
    double[] growth = new double[RUNS - 2];
    for (int run = 2; run < RUNS; run++) {
      growth[run - 2] = rss[run] - rss[run - 1];
    }
    Arrays.sort(growth);
    assertThat(growth[growth.length / 2])
        .as("median RSS growth of runs 3 to %d, MB (sorted: %s)", RUNS, Arrays.toString(growth))
        .isLessThan(16);
    assertThat(rss[RUNS - 1] - rss[1])
        .as("RSS growth from run 2 to run %d, MB", RUNS)
        .isLessThan(96);
    assertThat(output).contains("Scored 1000000 rows");
  }
}
