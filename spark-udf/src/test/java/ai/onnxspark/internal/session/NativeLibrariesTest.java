package ai.onnxspark.internal.session;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxspark.testing.FullSuiteOnly;
import ai.onnxspark.testing.ScoreWithNativeDir;
import ai.onnxspark.testing.TestModels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node-local native folder ({@code spark.onnx.native.dir}): two JVMs on one machine, like two
 * executors, share one extraction, and neither leaves natives in its temp folder, even one that
 * dies without running its shutdown hooks.
 *
 * <p>Full suite only: it loads ONNX Runtime's natives, the same on every Spark line.
 */
@FullSuiteOnly
@EnabledOnOs(OS.LINUX)
class NativeLibrariesTest {

  @Test
  void folderIsNamedForTheBuildVersionAndPlatform() {
    assertThat(NativeLibraries.folderName()).isEqualTo("onnxruntime-1.28.0-linux-x64");
  }

  @Test
  void executorsOnOneNodeShareOneExtractionAndLeaveNothingBehind(@TempDir Path dir)
      throws Exception {
    TestModels.Affine affine = new TestModels.Affine(4, 2, 3);
    Path model = Files.write(dir.resolve("affine.onnx"), affine.bytes);
    Path natives = dir.resolve("natives");
    Path tmp1 = Files.createDirectories(dir.resolve("tmp1"));
    Path tmp2 = Files.createDirectories(dir.resolve("tmp2"));
    Path defaultTmp = Files.createDirectories(dir.resolve("tmp-default"));

    String first = child(model, natives, tmp1, "exit");
    String second = child(model, natives, tmp2, "halt");

    Path folder = natives.resolve(NativeLibraries.folderName());
    assertThat(first).contains("nativesExistedBefore=false", "nativePath=" + folder, "output=[");
    assertThat(second).contains("nativesExistedBefore=true", "nativePath=" + folder, "output=[");
    assertThat(folder.resolve("libonnxruntime.so")).isRegularFile();
    assertThat(folder.resolve("libonnxruntime4j_jni.so")).isRegularFile();
    try (Stream<Path> entries = Files.list(natives)) {
      assertThat(entries).containsExactly(folder);
    }
    assertThat(libraries(tmp1)).isEmpty();
    assertThat(libraries(tmp2)).isEmpty();

    // Without the folder, a JVM that dies leaves its extraction behind: what the option avoids.
    String alone = child(model, null, defaultTmp, "halt");
    assertThat(alone).contains("nativePath=null", "output=[");
    assertThat(libraries(defaultTmp)).contains("libonnxruntime.so");
  }

  private static List<String> libraries(Path tmp) throws Exception {
    try (Stream<Path> files = Files.walk(tmp)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".so")).toList();
    }
  }

  private static String child(Path model, Path natives, Path tmp, String end) throws Exception {
    Process process =
        new ProcessBuilder(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.io.tmpdir=" + tmp,
                "-cp",
                System.getProperty("java.class.path"),
                ScoreWithNativeDir.class.getName(),
                model.toString(),
                "4",
                natives == null ? "" : natives.toString(),
                end)
            .redirectErrorStream(true)
            .start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as("child output:%n%s", output).isZero();
    return output;
  }
}
