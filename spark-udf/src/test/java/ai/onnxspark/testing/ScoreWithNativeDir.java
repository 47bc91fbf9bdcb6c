package ai.onnxspark.testing;

import ai.onnxspark.internal.session.NativeLibraries;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Child-JVM program: points ONNX Runtime at a node-local native folder, says whether the natives
 * were there before, scores like {@link ScoreInChildJvm}, then exits normally or, with {@code
 * halt}, dies at once like a killed executor (no shutdown hooks, no delete-on-exit).
 *
 * <p>Arguments: model path, values per row, native folder, {@code exit} or {@code halt}.
 */
public final class ScoreWithNativeDir {
  private ScoreWithNativeDir() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[2]);
    boolean existed;
    try (var children =
        Files.exists(dir) ? Files.list(dir) : java.util.stream.Stream.<Path>empty()) {
      existed = children.anyMatch(p -> Files.exists(p.resolve(".complete")));
    }
    Path used = NativeLibraries.use(dir.toString());
    System.out.println("nativesExistedBefore=" + existed);
    System.out.println("nativePath=" + used);
    ScoreInChildJvm.main(new String[] {args[0], args[1]});
    if (args[3].equals("halt")) {
      Runtime.getRuntime().halt(0);
    }
  }
}
