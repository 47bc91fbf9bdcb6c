package ai.onnxspark.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layers point down only: the core (model, options, conversions, tensors, sessions, the scoring
 * plan and {@code OnnxModel}) never refers to the layer on top of it, the Catalyst functions
 * ({@code ai.onnxspark.sql}) and the ML stage ({@code ai.onnxspark.ml}).
 */
class LayersTest {
  private static final Path MAIN = Paths.get("src/main/java/ai/onnxspark");
  private static final Pattern UPPER_LAYER = Pattern.compile("ai\\.onnxspark\\.(sql|ml)\\.");

  @Test
  void noCoreFileRefersToTheCatalystLayerOrTheMlStage() throws IOException {
    List<String> offending = new ArrayList<>();
    List<Path> core;
    try (Stream<Path> files = Files.walk(MAIN)) {
      core =
          files
              .filter(p -> p.toString().endsWith(".java"))
              .filter(p -> !p.startsWith(MAIN.resolve("sql")) && !p.startsWith(MAIN.resolve("ml")))
              .toList();
    }
    assertThat(core).hasSizeGreaterThan(30);
    for (Path file : core) {
      int line = 0;
      for (String text : Files.readAllLines(file)) {
        line++;
        String code = text.replaceAll("//.*", "");
        Matcher m = UPPER_LAYER.matcher(code);
        if (m.find() && !code.trim().startsWith("*")) {
          offending.add(file + ":" + line + ": " + text.trim());
        }
      }
    }
    assertThat(offending).as("core files referring to ai.onnxspark.sql or .ml").isEmpty();
  }

  @Test
  void everyPackageSaysWhatLivesThere() throws IOException {
    List<Path> missing = new ArrayList<>();
    try (Stream<Path> dirs = Files.walk(MAIN)) {
      for (Path dir : dirs.filter(Files::isDirectory).toList()) {
        boolean hasSources;
        try (Stream<Path> files = Files.list(dir)) {
          hasSources = files.anyMatch(p -> p.toString().endsWith(".java"));
        }
        if (hasSources && !Files.exists(dir.resolve("package-info.java"))) {
          missing.add(dir);
        }
      }
    }
    assertThat(missing).as("packages without package-info.java").isEmpty();
  }
}
