package ai.onnxspark.spark;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxspark.model.ElementType;
import ai.onnxspark.testing.FullSuiteOnly;
import ai.onnxspark.testing.LargeModelDriver;
import ai.onnxspark.testing.ModelBuilder;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A model past protobuf's and Java's 2 GB limits: {@code y = Gather(W, idx)} with {@code W} a 2.3
 * GB float initializer kept as external data. On {@code local-cluster} with two executors, a driver
 * JVM of 512 MB heap scores it by path through {@code transform} and SQL; the node cache is filled
 * once for both executors; values read past the 2 GiB offset are right.
 *
 * <p>The data file is sparse (a few values written, the rest holes), so making it costs nothing;
 * the node cache's copy writes all 2.3 GB.
 */
@FullSuiteOnly
class LargeModelIT {
  private static final long N = 575_000_000L; // 2.3 GB of floats
  private static final long[] PLACES = {0, 1, 536_870_911L, 536_870_912L, 575_000_000L - 1};

  @Test
  void aModelOf2Point3GigabytesScoresByPathWithASmallDriverHeapAndOneCopyPerNode()
      throws Exception {
    // In the build's folder, not /tmp, which may be a small memory-backed file system; the node
    // cache's copy writes 2.3 GB. Deleted afterwards.
    Path dir =
        Files.createTempDirectory(
            Files.createDirectories(Path.of("target").toAbsolutePath()), "large-model");
    try {
      scoreFrom(dir);
    } finally {
      try (var files = Files.walk(dir)) {
        for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  private static void scoreFrom(Path dir) throws Exception {
    Path folder = Files.createDirectories(dir.resolve("big"));
    Path model = writeModel(folder);
    Path cache = dir.resolve("cache");
    List<String> idx = new ArrayList<>();
    Map<Long, Float> expected = new HashMap<>();
    for (long p : PLACES) {
      idx.add(Long.toString(p));
      expected.put(p, value(p));
    }
    for (long p : new long[] {2, 123_456_789L, 574_999_000L}) { // holes read as 0
      idx.add(Long.toString(p));
      expected.put(p, 0f);
    }

    List<String> command = new ArrayList<>();
    command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx512m");
    command.add("-Donnxspark.test.classpath=" + System.getProperty("onnxspark.test.classpath"));
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(LargeModelDriver.class.getName());
    command.add(model.toString());
    command.add(cache.toString());
    command.add(String.join(",", idx));
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("driver.log").toFile())
            .start();
    boolean exited = process.waitFor(10, TimeUnit.MINUTES);
    if (!exited) {
      process.destroyForcibly();
    }
    String output = Files.readString(dir.resolve("driver.log"), StandardCharsets.UTF_8);
    String tail = output.length() > 6000 ? output.substring(output.length() - 6000) : output;
    assertThat(exited).as("driver finished; output:%n%s", tail).isTrue();
    assertThat(process.exitValue()).as("driver exit code; output:%n%s", tail).isZero();

    for (String api : List.of("transform", "sql")) {
      Map<Long, Float> scored = new HashMap<>();
      output
          .lines()
          .filter(l -> l.startsWith(api + " "))
          .forEach(
              l -> {
                String[] parts = l.split(" ");
                scored.put(Long.parseLong(parts[1]), Float.parseFloat(parts[2]));
              });
      assertThat(scored).as(api).isEqualTo(expected);
    }
    List<String> executors = output.lines().filter(l -> l.startsWith("executor ")).toList();
    assertThat(executors).as("executors").hasSize(2);
    long copies =
        executors.stream()
            .mapToLong(l -> Long.parseLong(l.substring(l.indexOf("copies=") + 7).trim()))
            .sum();
    assertThat(copies).as("copies into the node cache, over both executors").isEqualTo(1);
    assertThat(executors).allMatch(l -> l.contains("sessions=1 "), "one session per executor");
    assertThat(Files.readAllLines(cache.resolve("fills.log"))).hasSize(1);
    long peak = number(output, "driverPeakHeap=");
    assertThat(number(output, "driverMaxHeap=")).isLessThanOrEqualTo(512L << 20);
    assertThat(peak).as("driver heap peak").isLessThan(512L << 20);
    System.out.println("LargeModelIT: driver heap peak " + (peak >> 20) + " MB");
    output
        .lines()
        .filter(l -> l.startsWith("memory "))
        .forEach(l -> System.out.println("LargeModelIT: " + l));
  }

  private static long number(String output, String prefix) {
    return Long.parseLong(
        output
            .lines()
            .filter(l -> l.startsWith(prefix))
            .findFirst()
            .orElseThrow()
            .substring(prefix.length())
            .trim());
  }

  private static float value(long place) {
    return (place % 1000) + 0.5f;
  }

  /** {@code model.onnx} and a sparse {@code weights.bin} of {@link #N} floats. */
  private static Path writeModel(Path folder) throws Exception {
    try (RandomAccessFile data =
        new RandomAccessFile(folder.resolve("weights.bin").toFile(), "rw")) {
      data.setLength(4 * N);
      for (long p : PLACES) {
        data.seek(4 * p);
        data.write(
            ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(value(p)).array());
      }
    }
    byte[] bytes =
        new ModelBuilder("large")
            .input("idx", ElementType.INT64, "batch")
            .externalInitializer("W", new long[] {N}, "weights.bin", 0, 4 * N)
            .node("Gather", new String[] {"W", "idx"}, new String[] {"y"})
            .output("y", ElementType.FLOAT, "batch")
            .build();
    return Files.write(folder.resolve("model.onnx"), bytes);
  }
}
