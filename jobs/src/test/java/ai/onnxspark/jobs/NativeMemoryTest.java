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
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * No native leak: the scoring job over 1,000,000 rows, run five times in one JVM (about 20,000 ONNX
 * Runtime calls of 256 rows), keeps the process's resident memory flat.
 *
 * <p>How it measures: a child JVM with a fixed, pre-touched heap ({@code -Xms} = {@code -Xmx},
 * {@code -XX:+AlwaysPreTouch}), so that the heap is resident from the start and any growth of the
 * resident set ({@code VmRSS} in {@code /proc/self/status}) is native memory: ONNX Runtime's
 * tensors and buffers, direct buffers, threads. RSS is read after each run; runs 1 and 2 warm up
 * (JIT code, Parquet and Spark caches), and from run 2 to run 5, about 12,000 batches later, it may
 * not grow by more than 48 MB. A tensor leaked per batch (16 KB of input alone) would add about 190
 * MB.
 *
 * <p>Full suite only: the memory it watches is ONNX Runtime's and the library's own, the same on
 * every Spark line.
 */
@EnabledOnOs(OS.LINUX)
@FullSuiteOnly
class NativeMemoryTest {

  @Test
  void residentMemoryStaysFlatOverRepeatedMillionRowJobs(@TempDir Path dir) throws Exception {
    Path model = Files.write(dir.resolve("mlp.onnx"), TestModels.mlp(16, 64, 3, 1));
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
            "5",
            "256"));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(10, TimeUnit.MINUTES)).isTrue();
    assertThat(process.exitValue()).as("child output:%n%s", output).isZero();

    double[] rss =
        output
            .lines()
            .filter(l -> l.startsWith("rss_mb="))
            .mapToDouble(l -> Double.parseDouble(l.substring(l.indexOf(',') + 1)))
            .toArray();
    System.out.println("RSS after each run (MB): " + java.util.Arrays.toString(rss));
    assertThat(rss).hasSize(5);
    assertThat(rss[4] - rss[1]).as("RSS growth from run 2 to run 5, MB").isLessThan(24);
    assertThat(output).contains("Scored 1000000 rows");
  }
}
