package ai.onnxspark.testing;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Map;

/**
 * Creates an ONNX Runtime session from the model file given as argument, scores one row of ones,
 * and prints the process's command-line length and the output, for tests that run it in a child
 * JVM.
 */
public final class ScoreInChildJvm {
  private ScoreInChildJvm() {}

  public static void main(String[] args) throws Exception {
    byte[] model = Files.readAllBytes(Paths.get(args[0]));
    int n = Integer.parseInt(args[1]);
    float[][] ones = new float[1][n];
    Arrays.fill(ones[0], 1f);
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        OrtSession session = env.createSession(model, options);
        OnnxTensor x = OnnxTensor.createTensor(env, ones);
        OrtSession.Result result = session.run(Map.of("x", x))) {
      float[][] y = (float[][]) result.get(0).getValue();
      // /proc/self/cmdline holds the whole command line; ProcessHandle's view stops at 4 KB.
      java.nio.file.Path proc = Paths.get("/proc/self/cmdline");
      long length =
          Files.isReadable(proc)
              ? Files.readAllBytes(proc).length
              : ProcessHandle.current().info().commandLine().orElse("").length();
      System.out.println("commandLineLength=" + length);
      System.out.println("output=" + Arrays.toString(y[0]));
    }
  }
}
