package ai.onnxspark.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnxspark.internal.OnnxErrors;
import ai.onnxspark.testing.EveryLine;
import ai.onnxspark.testing.OrtReference;
import ai.onnxspark.testing.TestModels;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code onnx_predict} through Spark Connect: a Spark Connect server started with {@code
 * spark.sql.extensions=ai.onnxspark.sql.OnnxSparkExtensions} and a model named by {@code
 * spark.onnx.models.mlp.path}, and the Spark Connect JVM client scoring through {@code
 * spark.sql("SELECT onnx_predict(…)")}, {@code expr("onnx_predict(…)")} and {@code
 * call_function("onnx_predict", …)}, which must give ONNX Runtime's own numbers.
 *
 * <p><b>Two child JVMs, two class paths.</b> The client jar ({@code spark-connect-client-jvm})
 * cannot share a class path with classic Spark: it bundles every class of {@code spark-sql-api} and
 * its own copies of the Connect protos (built against a differently shaded protobuf than the
 * server's copies in {@code spark-connect}), and its dependency {@code spark-connect-shims} holds
 * stub {@code SparkContext}, {@code RDD} and {@code SparkSessionExtensions} classes. On one class
 * path, which copy wins depends on jar order. Spark 4's {@code spark.api.mode=connect} does not
 * help here: it starts a local Connect server inside a classic driver, which is not a client
 * talking to a separate server. So, robustly:
 *
 * <ul>
 *   <li>the build keeps the client and the shims off the class path of every test JVM (surefire's
 *       and failsafe's {@code classpathDependencyExcludes}) and off the local-cluster Spark home;
 *   <li>the server ({@link ConnectServerMain}, which runs Spark's {@code SparkConnectServer}) runs
 *       in a child JVM on this JVM's class path: classic Spark, {@code spark-connect}, Spark ML,
 *       the library and the test classes;
 *   <li>the client ({@link ConnectClientMain}) runs in a second child JVM on the class path that
 *       maven-dependency-plugin's {@code build-classpath} writes to {@code
 *       target/connect-client.classpath} (the test class path without classic Spark and the
 *       server), plus the test classes for the client's main class.
 * </ul>
 *
 * <p>The server listens on 127.0.0.1 on a free port, with {@code local[2]} and the UI off; this
 * class waits until the port accepts connections (or prints the server log) and stops the server
 * after the tests. The client runs once and prints its results, which the tests check.
 *
 * <p><b>Spark Connect ML.</b> The library lists {@code ai.onnxspark.ml.OnnxTransformer} in {@code
 * META-INF/services/org.apache.spark.ml.Transformer}, the {@code ServiceLoader} from which the
 * Connect server's ML support ({@code org.apache.spark.sql.connect.ml.MLUtils.loadOperators})
 * builds its registry of transformers that clients may create by class name. The Scala/Java Connect
 * client has no public API to run an ML stage on the server (Connect ML is driven from PySpark), so
 * this test checks the server side in the server JVM: the registry holds the stage, which can be
 * made both by the uid constructor Connect ML calls and by the no-argument constructor {@code
 * ServiceLoader} requires.
 */
@EveryLine
class SparkConnectIT {
  private static final int ROWS = 20;
  private static final int FEATURES = 8;
  private static final long STARTUP_SECONDS = 90;

  @TempDir static Path dir;

  private static byte[] model;
  private static float[][] features;
  private static Process server;
  private static Path serverLog;
  private static List<String> client;

  @BeforeAll
  static void startServerAndRunClient() throws Exception {
    model = TestModels.mlp(FEATURES, 16, 3, 5);
    Path modelFile = Files.write(dir.resolve("mlp.onnx"), model);
    Random random = new Random(11);
    features = new float[ROWS][];
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < ROWS; i++) {
      features[i] = TestModels.gaussian(random, FEATURES);
      text.append(i);
      for (float v : features[i]) {
        text.append(' ').append(v);
      }
      text.append('\n');
    }
    Path featuresFile = Files.writeString(dir.resolve("features.txt"), text);

    int port = freePort();
    List<String> command = java("-Xmx1g");
    command.add("-Dspark.master=local[2]");
    command.add("-Dspark.app.name=onnx-spark-connect-it");
    command.add("-Dspark.ui.enabled=false");
    command.add("-Dspark.driver.host=127.0.0.1");
    command.add("-Dspark.driver.bindAddress=127.0.0.1");
    command.add("-Dspark.sql.shuffle.partitions=2");
    command.add("-Dspark.sql.extensions=ai.onnxspark.sql.OnnxSparkExtensions");
    command.add("-Dspark.onnx.models.mlp.path=" + modelFile);
    command.add("-Dspark.connect.grpc.binding.address=127.0.0.1");
    command.add("-Dspark.connect.grpc.binding.port=" + port);
    command.add("-Dspark.connect.grpc.port.maxRetries=0");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(ConnectServerMain.class.getName());
    serverLog = dir.resolve("server.log");
    server =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(serverLog.toFile())
            .start();
    awaitPort(port);

    String clientClasspath =
        System.getProperty("onnxspark.test.classes")
            + ":"
            + Files.readString(Paths.get(System.getProperty("onnxspark.connect.client.classpath")))
                .trim();
    List<String> clientCommand = java("-Xmx512m");
    clientCommand.add("-cp");
    clientCommand.add(clientClasspath);
    clientCommand.add(ConnectClientMain.class.getName());
    clientCommand.add("sc://127.0.0.1:" + port);
    clientCommand.add(featuresFile.toString());
    Path clientOut = dir.resolve("client.out");
    Path clientErr = dir.resolve("client.err");
    Process process =
        new ProcessBuilder(clientCommand)
            .directory(dir.toFile())
            .redirectOutput(clientOut.toFile())
            .redirectError(clientErr.toFile())
            .start();
    boolean exited = process.waitFor(STARTUP_SECONDS, TimeUnit.SECONDS);
    if (!exited) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    client = Files.readAllLines(clientOut);
    if (!exited || process.exitValue() != 0 || !client.contains("DONE")) {
      throw new AssertionError(
          "The Spark Connect client "
              + (exited ? "exited with " + process.exitValue() : "did not finish")
              + "\n--- client stdout\n"
              + String.join("\n", client)
              + "\n--- client stderr\n"
              + Files.readString(clientErr)
              + "\n--- server log\n"
              + Files.readString(serverLog));
    }
  }

  @AfterAll
  static void stopServer() throws InterruptedException {
    if (server != null) {
      server.descendants().forEach(ProcessHandle::destroy);
      server.destroy();
      if (!server.waitFor(20, TimeUnit.SECONDS)) {
        server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      server = null;
    }
  }

  @Test
  void sqlExprAndCallFunctionGiveOnnxRuntimesNumbers() throws Exception {
    float[][] logits = (float[][]) OrtReference.run(model, Map.of("features", features), "logits");
    float[][] probabilities =
        (float[][]) OrtReference.run(model, Map.of("features", features), "probabilities");

    for (String style : List.of("sql", "expr", "call_function")) {
      List<String[]> results = new ArrayList<>();
      for (String line : client) {
        if (line.startsWith("RESULT " + style + " ")) {
          results.add(line.split(" "));
        }
      }
      assertThat(results).as(style).hasSize(2 * ROWS);
      for (String[] r : results) {
        int id = Integer.parseInt(r[2]);
        float[] expected =
            switch (r[3]) {
              case "logits" -> logits[id];
              case "probabilities" -> probabilities[id];
              default -> throw new AssertionError("unexpected output " + r[3]);
            };
        float[] actual = new float[r.length - 4];
        for (int i = 0; i < actual.length; i++) {
          actual[i] = Float.parseFloat(r[i + 4]);
        }
        assertThat(actual)
            .as("%s row %d %s", style, id, r[3])
            .containsExactly(expected, within(1e-5f));
      }
    }
  }

  @Test
  void theServerPlansBatchedScoring() {
    assertThat(client)
        .anySatisfy(line -> assertThat(line).startsWith("PLAN ").contains("OnnxPredictBatch"));
  }

  @Test
  void anUnknownModelNameGivesTheSameMessageAsLocally() {
    // The message scoring in a classic session gives (SqlFunctionTest), with the one known name.
    String local = OnnxErrors.unknownModelName("nope", List.of("mlp")).getMessage();
    String error = client.stream().filter(l -> l.startsWith("ERROR ")).findFirst().orElseThrow();
    assertThat(error)
        .contains(local)
        .contains("No ONNX model is registered under the name 'nope'; registered: [mlp]")
        .contains("SET spark.onnx.models.nope.path=");
  }

  @Test
  void connectMlRegistryOnTheServerHoldsTheStage() throws IOException {
    List<String> log = Files.readAllLines(serverLog);
    assertThat(log)
        .filteredOn(l -> l.startsWith(ConnectServerMain.REPORT))
        .singleElement()
        .asString()
        .startsWith(
            ConnectServerMain.REPORT
                + ConnectServerMain.STAGE
                + " uid=onnx_connect noArgUid=onnx_");
  }

  /** {@code java} with the Spark JVM flags this JVM runs with, and {@code heap}. */
  private static List<String> java(String heap) {
    List<String> command = new ArrayList<>();
    command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (arg.startsWith("--add-opens")
          || arg.startsWith("-XX:+IgnoreUnrecognizedVMOptions")
          || arg.startsWith("-Djdk.reflect.")
          || arg.startsWith("-Dio.netty.")) {
        command.add(arg);
      }
    }
    command.add(heap);
    return command;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /** Waits until the server accepts connections on {@code port}; else fails with its log. */
  private static void awaitPort(int port) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(STARTUP_SECONDS);
    while (System.nanoTime() < deadline) {
      if (!server.isAlive()) {
        throw new AssertionError(
            "The Spark Connect server exited with "
                + server.exitValue()
                + "\n--- server log\n"
                + Files.readString(serverLog, StandardCharsets.UTF_8));
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
        return;
      } catch (IOException notYet) {
        Thread.sleep(200);
      }
    }
    throw new AssertionError(
        "The Spark Connect server did not listen on 127.0.0.1:"
            + port
            + " within "
            + STARTUP_SECONDS
            + " s\n--- server log\n"
            + Files.readString(serverLog, StandardCharsets.UTF_8));
  }
}
