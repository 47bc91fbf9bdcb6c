package ai.onnxspark.internal.session;

import ai.onnxruntime.OrtEnvironment;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where ONNX Runtime loads its native libraries from in this JVM.
 *
 * <p>By default ONNX Runtime extracts them from its jar into a new {@code onnxruntime-java*} folder
 * under {@code java.io.tmpdir} in every JVM (about 25 MB for the CPU build, over 600 MB for the GPU
 * build), and an executor that is killed leaves its folder behind. With a node-local folder set
 * ({@code spark.onnx.native.dir}), the first executor on a node extracts them once into {@code
 * <dir>/<build>-<version>-<platform>/}, written under a temporary name and renamed when complete,
 * and every later executor on that node loads them from there: nothing is extracted per executor
 * and nothing is left behind by one. Natives installed beforehand ({@code
 * -Donnxruntime.native.path=...}) always win.
 *
 * <p>Must run before ONNX Runtime is first used in the JVM; later calls only log that the libraries
 * are already loaded. Thread-safe.
 */
public final class NativeLibraries {
  private static final Logger LOG = LoggerFactory.getLogger(NativeLibraries.class);

  /** The system property ONNX Runtime reads its native folder from. */
  public static final String NATIVE_PATH_PROPERTY = "onnxruntime.native.path";

  private static final String COMPLETE = ".complete";
  private static final String[] LIBRARIES = {
    "onnxruntime",
    "onnxruntime4j_jni",
    "onnxruntime_providers_shared",
    "onnxruntime_providers_cuda",
    "onnxruntime_providers_tensorrt",
    "onnxruntime_providers_dnnl",
    "onnxruntime_providers_openvino",
    "onnxruntime_providers_rocm"
  };

  private static boolean ortLoaded;

  private NativeLibraries() {}

  /** Records that ONNX Runtime's libraries are loaded in this JVM (by its first use). */
  static synchronized void markLoaded() {
    ortLoaded = true;
  }

  /**
   * Points ONNX Runtime at the natives under {@code dir}, extracting them there first if no other
   * JVM on this machine has. Does nothing when {@code dir} is null or empty, or when natives were
   * installed beforehand.
   *
   * @return the folder ONNX Runtime loads from, or null when it extracts as it does by default
   */
  public static synchronized Path use(String dir) {
    String preset = System.getProperty(NATIVE_PATH_PROPERTY);
    if (preset != null) {
      return Paths.get(preset);
    }
    if (dir == null || dir.isBlank()) {
      return null;
    }
    if (ortLoaded) {
      LOG.info(
          "ONNX Runtime is already loaded in this JVM; spark.onnx.native.dir applies to new JVMs");
      return null;
    }
    Path target = Paths.get(dir).resolve(folderName());
    try {
      if (!Files.exists(target.resolve(COMPLETE))) {
        extract(target);
      } else {
        LOG.info("Loading ONNX Runtime's native libraries from {} (extracted before)", target);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot extract ONNX Runtime's native libraries into "
              + target
              + " (spark.onnx.native.dir): "
              + e.getMessage()
              + ". Choose a writable node-local folder, or unset it to extract per JVM.",
          e);
    }
    System.setProperty(NATIVE_PATH_PROPERTY, target.toString());
    return target;
  }

  /**
   * The folder under {@code spark.onnx.native.dir} for this JVM's ONNX Runtime build: {@code
   * <build>-<version>-<platform>}, e.g. {@code onnxruntime-1.28.0-linux-x64}.
   */
  public static String folderName() {
    Package ort = OrtEnvironment.class.getPackage();
    String title = ort == null ? null : ort.getImplementationTitle();
    String version = ort == null ? null : ort.getImplementationVersion();
    return (title == null ? "onnxruntime" : title)
        + "-"
        + (version == null ? "unknown" : version)
        + "-"
        + platform();
  }

  /** ONNX Runtime's name for this platform: {@code linux-x64}, {@code osx-aarch64}, … */
  static String platform() {
    String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
    String osName =
        os.contains("mac") || os.contains("darwin") ? "osx" : os.contains("win") ? "win" : "linux";
    String archName =
        arch.equals("amd64") || arch.equals("x86_64")
            ? "x64"
            : arch.equals("aarch64") || arch.equals("arm64") ? "aarch64" : arch;
    return osName + "-" + archName;
  }

  private static void extract(Path target) throws IOException {
    Path parent = target.getParent();
    Files.createDirectories(parent);
    removeStalePartials(parent, target.getFileName().toString());
    Path partial = Files.createTempDirectory(parent, target.getFileName() + ".partial-");
    try {
      List<String> written = new ArrayList<>();
      ClassLoader loader = NativeLibraries.class.getClassLoader();
      for (String library : LIBRARIES) {
        String file = System.mapLibraryName(library);
        String resource = "ai/onnxruntime/native/" + platform() + "/" + file;
        try (InputStream in = loader.getResourceAsStream(resource)) {
          if (in != null) {
            Files.copy(in, partial.resolve(file));
            written.add(file);
          }
        }
      }
      if (written.isEmpty()) {
        throw new IOException(
            "the ONNX Runtime jar on the class path has no native libraries for " + platform());
      }
      Files.writeString(partial.resolve(COMPLETE), String.join("\n", written) + "\n");
      try {
        Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
        LOG.info("Extracted ONNX Runtime's native libraries {} into {}", written, target);
      } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
        // Another JVM on this machine finished first; use its copy.
        LOG.info(
            "Loading ONNX Runtime's native libraries from {} (extracted by another JVM)", target);
      } catch (IOException e) {
        if (!Files.exists(target.resolve(COMPLETE))) {
          throw e;
        }
      }
    } finally {
      deleteTree(partial);
    }
  }

  /** Partial extractions of JVMs that died while extracting, over an hour old. */
  private static void removeStalePartials(Path parent, String name) {
    long hourAgo = System.currentTimeMillis() - 3_600_000L;
    try (DirectoryStream<Path> partials = Files.newDirectoryStream(parent, name + ".partial-*")) {
      for (Path p : partials) {
        if (Files.getLastModifiedTime(p).toMillis() < hourAgo) {
          deleteTree(p);
        }
      }
    } catch (IOException e) {
      LOG.debug("Could not list {} for stale partial extractions", parent, e);
    }
  }

  private static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      LOG.debug("Could not delete {}", root, e);
    }
  }
}
