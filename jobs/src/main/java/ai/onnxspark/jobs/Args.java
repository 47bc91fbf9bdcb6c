package ai.onnxspark.jobs;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Command-line flags of the form {@code --name value} (repeatable) and {@code --switch}. Unknown
 * flags are refused with the list of known ones, so a typo never runs a job with defaults.
 */
final class Args {
  private final Map<String, List<String>> values = new LinkedHashMap<>();

  private Args() {}

  /**
   * Parses {@code argv}.
   *
   * @param withValue flags that take a value
   * @param switches flags that take none
   * @throws UsageException for unknown flags or a flag missing its value
   */
  static Args parse(String[] argv, List<String> withValue, List<String> switches) {
    Args args = new Args();
    for (int i = 0; i < argv.length; i++) {
      String flag = argv[i];
      String name = flag.startsWith("--") ? flag.substring(2) : null;
      if (name != null && switches.contains(name)) {
        args.values.computeIfAbsent(name, k -> new ArrayList<>()).add("true");
      } else if (name != null && withValue.contains(name)) {
        if (i + 1 >= argv.length) {
          throw new UsageException("Flag " + flag + " needs a value.");
        }
        args.values.computeIfAbsent(name, k -> new ArrayList<>()).add(argv[++i]);
      } else {
        List<String> known = new ArrayList<>();
        withValue.forEach(n -> known.add("--" + n));
        switches.forEach(n -> known.add("--" + n));
        throw new UsageException(
            "Unknown flag " + flag + "; known flags: " + String.join(" ", known) + ".");
      }
    }
    return args;
  }

  /**
   * Flags read from a properties file ({@code --config}): each key is a flag name without the
   * dashes ({@code model=models/mlp.onnx}, {@code feed=features=features}; a repeatable flag takes
   * several values separated by {@code ;}, a switch {@code true}). Flags given on the command line
   * come after the file's, so they win.
   */
  static String[] withConfigFile(String[] argv) {
    int at = java.util.Arrays.asList(argv).indexOf("--config");
    if (at < 0) {
      return argv;
    }
    if (at + 1 >= argv.length) {
      throw new UsageException("Flag --config needs a value.");
    }
    java.nio.file.Path file = java.nio.file.Paths.get(argv[at + 1]);
    java.util.Properties properties = new java.util.Properties();
    try (java.io.Reader in = java.nio.file.Files.newBufferedReader(file)) {
      properties.load(in);
    } catch (java.io.IOException e) {
      throw new UsageException("Cannot read --config " + file + ": " + e.getMessage());
    }
    List<String> merged = new ArrayList<>();
    for (String key : new java.util.TreeSet<>(properties.stringPropertyNames())) {
      String value = properties.getProperty(key).trim();
      if (value.equals("true")) {
        merged.add("--" + key);
        continue;
      }
      for (String part : value.split(";")) {
        merged.add("--" + key);
        merged.add(part.trim());
      }
    }
    for (int i = 0; i < argv.length; i++) {
      if (i == at) {
        i++;
        continue;
      }
      merged.add(argv[i]);
    }
    return merged.toArray(new String[0]);
  }

  boolean has(String name) {
    return values.containsKey(name);
  }

  String get(String name, String defaultValue) {
    List<String> v = values.get(name);
    return v == null ? defaultValue : v.get(v.size() - 1);
  }

  String required(String name) {
    String v = get(name, null);
    if (v == null) {
      throw new UsageException("Flag --" + name + " is required.");
    }
    return v;
  }

  List<String> all(String name) {
    return values.getOrDefault(name, List.of());
  }

  int getInt(String name, int defaultValue) {
    String v = get(name, null);
    if (v == null) {
      return defaultValue;
    }
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new UsageException("Flag --" + name + " takes a whole number, not '" + v + "'.");
    }
  }

  /** A mistake in the command line: the job prints the message and exits with code 2. */
  static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }
}
