package ai.onnxspark.internal.session;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxspark.testing.EveryLine;
import ai.onnxspark.testing.ScoreInChildJvm;
import ai.onnxspark.testing.TestModels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Guards the ONNX Runtime pin: 1.29.0's Java natives crash the JVM (SIGSEGV, no hs_err file) when
 * the process command line is longer than about 4 KB, as every Spark executor's is. A child JVM
 * with a 9 KB command line must create a session and score.
 */
@EveryLine
class LongCommandLineSessionTest {

  @Test
  void sessionWorksInAJvmWithACommandLineOverFourKilobytes(@TempDir Path dir) throws Exception {
    TestModels.Affine affine = new TestModels.Affine(4, 2, 3);
    Path model = Files.write(dir.resolve("affine.onnx"), affine.bytes);
    String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>();
    command.add(java);
    command.add("-Dpadding=" + "x".repeat(9000));
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(ScoreInChildJvm.class.getName());
    command.add(model.toString());
    command.add("4");
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    boolean exited = process.waitFor(120, TimeUnit.SECONDS);
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!exited) {
      process.destroyForcibly();
    }

    assertThat(exited).as("child JVM finished").isTrue();
    assertThat(process.exitValue()).as("child JVM exit code; output:%n%s", output).isZero();
    String lengthLine =
        output.lines().filter(l -> l.startsWith("commandLineLength=")).findFirst().orElseThrow();
    assertThat(Integer.parseInt(lengthLine.substring("commandLineLength=".length())))
        .isGreaterThan(4096);
    double[] expected = affine.apply(new float[] {1, 1, 1, 1});
    String outputLine =
        output.lines().filter(l -> l.startsWith("output=")).findFirst().orElseThrow();
    String[] values =
        outputLine.substring("output=[".length(), outputLine.length() - 1).split(", ");
    assertThat(Arrays.stream(values).mapToDouble(Double::parseDouble).toArray())
        .containsExactly(expected, org.assertj.core.data.Offset.offset(1e-4));
  }
}
