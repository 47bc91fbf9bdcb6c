package ai.onnxspark.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxspark.spark.OnnxModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What users install, in real {@code spark-submit} processes: Spark's {@code SparkSubmit} from a
 * Spark home holding Spark's jars only, running the scoring job with the runtime jar ({@code
 * --jars}) or with the line's library coordinate ({@code --packages}, resolved offline from a Maven
 * repository as {@code mvn install} writes it, with its dependencies from the local Maven
 * repository). Both must score the sample model as the library does in this JVM.
 */
class SparkSubmitIT {
  private static final Path SPARK_HOME = Paths.get(System.getProperty("onnxspark.spark.home"));
  private static final Path RUNTIME_JAR = Paths.get(System.getProperty("onnxspark.runtime.jar"));
  private static final Path JOBS_JAR = Paths.get(System.getProperty("onnxspark.jobs.jar"));
  private static final Path MODEL = Paths.get(System.getProperty("onnxspark.sample.model"));

  @TempDir static Path dir;
  private static SparkSession spark;
  private static String input;

  @BeforeAll
  static void writeInput() throws Exception {
    input = dir.resolve("features").toString();
    submit(
        dir.resolve("sample-data.log"),
        List.of("--jars", RUNTIME_JAR.toString()),
        "ai.onnxspark.jobs.SampleData",
        "--output",
        input,
        "--rows",
        "300",
        "--column",
        "features",
        "--values",
        "16");
    spark =
        SparkSession.builder()
            .master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .getOrCreate();
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  @Test
  void theRuntimeJarHoldsTheLibraryOnnxRuntimeAndRelocatedProtobufOnly() throws IOException {
    List<String> entries = new ArrayList<>();
    try (ZipFile jar = new ZipFile(RUNTIME_JAR.toFile())) {
      Enumeration<? extends ZipEntry> all = jar.entries();
      while (all.hasMoreElements()) {
        entries.add(all.nextElement().getName());
      }
    }
    assertThat(entries)
        .contains(
            "ai/onnxspark/spark/OnnxModel.class",
            "ai/onnxspark/sql/OnnxSparkExtensions.class",
            "ai/onnxruntime/OrtSession.class",
            "ai/onnxruntime/native/linux-x64/libonnxruntime.so")
        .anyMatch(e -> e.startsWith("ai/onnxspark/shaded/protobuf/"))
        .noneMatch(e -> e.startsWith("com/google/protobuf/"))
        .noneMatch(e -> e.startsWith("org/apache/spark/"))
        .noneMatch(e -> e.startsWith("scala/"))
        .noneMatch(e -> e.startsWith("io/delta/"));
  }

  @Test
  void theRuntimeJarScoresThroughSparkSubmit() throws Exception {
    String output = dir.resolve("scores-jars").toString();
    score(dir.resolve("jars.log"), List.of("--jars", RUNTIME_JAR.toString()), output);
    assertScoredLikeTheLibrary(output);
  }

  @Test
  void theLineCoordinateResolvesWithPackages() throws Exception {
    Path settings = dir.resolve("ivysettings.xml");
    Files.writeString(
        settings,
        String.join(
            "\n",
            "<ivysettings>",
            "  <settings defaultResolver=\"offline\"/>",
            "  <resolvers>",
            "    <chain name=\"offline\" returnFirst=\"true\">",
            "      <ibiblio name=\"installed\" m2compatible=\"true\" root=\""
                + Paths.get(System.getProperty("onnxspark.it.repository")).toUri()
                + "\"/>",
            "      <ibiblio name=\"local-maven\" m2compatible=\"true\" root=\""
                + Paths.get(System.getProperty("onnxspark.maven.repository")).toUri()
                + "\"/>",
            "    </chain>",
            "  </resolvers>",
            "</ivysettings>"),
        StandardCharsets.UTF_8);
    String output = dir.resolve("scores-packages").toString();
    Path log = dir.resolve("packages.log");
    score(
        log,
        List.of(
            "--packages",
            System.getProperty("onnxspark.library.coordinate"),
            "--conf",
            "spark.jars.ivySettings=" + settings,
            "--conf",
            "spark.jars.ivy=" + dir.resolve("ivy")),
        output);
    assertThat(Files.readString(log))
        .contains(System.getProperty("onnxspark.library.coordinate").split(":")[1])
        .contains("com.microsoft.onnxruntime#onnxruntime;1.28.0");
    assertScoredLikeTheLibrary(output);
  }

  private static void score(Path log, List<String> libraryArgs, String output) throws Exception {
    submit(
        log,
        libraryArgs,
        "ai.onnxspark.jobs.ScoreJob",
        "--model",
        MODEL.toString(),
        "--input",
        input,
        "--output",
        output,
        "--fetch",
        "scores=logits",
        "--keep",
        "id",
        "--show",
        "0");
  }

  /** The job's scores equal the library's in this JVM on the same rows. */
  private static void assertScoredLikeTheLibrary(String output) {
    Dataset<Row> expected =
        OnnxModel.fromPath(MODEL.toString())
            .withOutput("logits", "expected")
            .transform(spark.read().parquet(input))
            .select("id", "expected");
    List<Row> joined =
        spark.read().parquet(output).join(expected, "id").orderBy("id").collectAsList();
    assertThat(joined).hasSize(300);
    for (Row row : joined) {
      List<Float> got = row.getList(1);
      List<Float> want = row.getList(2);
      assertThat(got).hasSameSizeAs(want);
      for (int i = 0; i < got.size(); i++) {
        assertThat(got.get(i)).isCloseTo(want.get(i), org.assertj.core.data.Offset.offset(1e-5f));
      }
    }
  }

  /** Runs {@code SparkSubmit} in a child JVM with Spark's jars only, and asserts exit code 0. */
  private static void submit(Path log, List<String> libraryArgs, String mainClass, String... args)
      throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(Arrays.asList(System.getProperty("onnxspark.jvm.flags").split(" ")));
    command.add("-Xmx1g");
    command.add("-cp");
    command.add(SPARK_HOME.resolve("jars") + "/*");
    command.add("org.apache.spark.deploy.SparkSubmit");
    command.addAll(
        List.of(
            "--master",
            "local[2]",
            "--conf",
            "spark.ui.enabled=false",
            "--conf",
            "spark.driver.host=127.0.0.1"));
    command.addAll(libraryArgs);
    command.addAll(List.of("--class", mainClass, JOBS_JAR.toString()));
    command.addAll(Arrays.asList(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.redirectOutput(log.toFile());
    builder.environment().put("SPARK_HOME", SPARK_HOME.toString());
    builder
        .environment()
        .put("SPARK_SCALA_VERSION", System.getProperty("onnxspark.scala.binary.version"));
    Process process = builder.start();
    if (!process.waitFor(5, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new AssertionError("spark-submit did not finish in 5 minutes:\n" + tail(log));
    }
    assertThat(process.exitValue()).as("spark-submit exit code; its log:\n%s", tail(log)).isZero();
  }

  private static String tail(Path log) throws IOException {
    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
  }
}
