package ai.onnxspark.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every notebook under {@code notebooks/} on a local Spark session (Delta and {@code
 * onnx_predict} installed), cell by cell, in order, and fails on the first cell that fails.
 *
 * <ul>
 *   <li>Scala notebooks: each code cell in the interpreter of the build's Scala version, with
 *       {@code spark} bound as on Databricks and EMR;
 *   <li>SQL notebooks: each statement of each code cell through {@code spark.sql};
 *   <li>Python notebooks: each code cell compiled with {@code python3 -m py_compile}, and every
 *       string literal passed to {@code spark.sql(...)} executed, and every one passed to {@code
 *       F.expr(...)} selected from the notebook's {@code events} view.
 * </ul>
 *
 * <p>After the cell tagged {@code parameters} the test sets its own values (papermill's
 * convention): the repository's sample model and a temporary folder. Cells tagged {@code gpu},
 * {@code cloud} or {@code databricks} need what CI has not (a GPU, cloud credentials, Databricks'
 * {@code displayHTML}) and are skipped, each with its reason printed.
 *
 * <p>Tagged {@code notebooks}: the compatibility suite runs it on the Spark 3.5 line with Scala
 * 2.12 (Databricks 14.3 to 16.4 LTS, EMR 7), where notebook cells compile with another Scala,
 * besides the default line's full suite.
 */
@Tag("notebooks")
class NotebooksTest {
  private static final Map<String, String> SKIPPED_TAGS =
      Map.of(
          "gpu", "needs a GPU",
          "cloud", "needs a cloud path and credentials",
          "databricks", "needs Databricks (displayHTML)");

  /** {@code SET <key> = models/<file>}: a setting naming a file of the repository. */
  private static final java.util.regex.Pattern REPOSITORY_PATH =
      java.util.regex.Pattern.compile("SET\\s+(\\S+)\\s*=\\s*(models/\\S+)");

  private static SparkSession spark;
  private static Path project;

  @TempDir static Path work;

  @BeforeAll
  static void start() {
    project =
        Paths.get(System.getProperty("onnxspark.project.dir", "..")).toAbsolutePath().normalize();
    spark =
        SparkSession.builder()
            .master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.databricks.delta.snapshotPartitions", "2")
            .config("spark.sql.warehouse.dir", work.resolve("warehouse").toString())
            .config(
                "spark.sql.extensions",
                "io.delta.sql.DeltaSparkSessionExtension,ai.onnxspark.sql.OnnxSparkExtensions")
            .config(
                "spark.sql.catalog.spark_catalog",
                "org.apache.spark.sql.delta.catalog.DeltaCatalog")
            // The administrator's allowlist for models that notebooks name with SET.
            .config("spark.onnx.models.allowedRoots", project.resolve("models").toString())
            .getOrCreate();
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @TestFactory
  Stream<DynamicTest> everyNotebookRuns() throws IOException {
    List<Path> notebooks;
    try (Stream<Path> files = Files.list(project.resolve("notebooks"))) {
      notebooks = files.filter(p -> p.toString().endsWith(".ipynb")).sorted().toList();
    }
    assertThat(notebooks).hasSizeGreaterThanOrEqualTo(5);
    return notebooks.stream()
        .map(nb -> DynamicTest.dynamicTest(nb.getFileName().toString(), () -> run(nb)));
  }

  private void run(Path notebook) throws Exception {
    JsonNode root = new ObjectMapper().readTree(notebook.toFile());
    String language =
        root.path("metadata")
            .path("application/vnd.databricks.v1+notebook")
            .path("language")
            .asText(root.path("metadata").path("language_info").path("name").asText());
    String name = notebook.getFileName().toString();
    Path dir = Files.createDirectories(work.resolve(name.replace(".ipynb", "")));
    String model = project.resolve("models/mlp.onnx").toString();
    List<Cell> cells = new ArrayList<>();
    for (JsonNode cell : root.path("cells")) {
      assertThat(cell.path("outputs").size())
          .as("%s: committed outputs are cleared", name)
          .isZero();
      if (!cell.path("cell_type").asText().equals("code")) {
        continue;
      }
      List<String> tags = new ArrayList<>();
      cell.path("metadata").path("tags").forEach(t -> tags.add(t.asText()));
      StringBuilder source = new StringBuilder();
      cell.path("source").forEach(line -> source.append(line.asText()));
      cells.add(new Cell(cells.size() + 1, source.toString(), tags));
    }
    switch (language) {
      case "scala" -> runScala(name, cells, model, dir);
      case "sql" -> runSql(name, cells);
      case "python" -> runPython(name, cells, model, dir);
      default -> fail("%s: unknown notebook language '%s'", name, language);
    }
  }

  private record Cell(int number, String source, List<String> tags) {
    String skipReason() {
      for (String tag : tags) {
        if (SKIPPED_TAGS.containsKey(tag)) {
          return SKIPPED_TAGS.get(tag);
        }
      }
      return null;
    }

    boolean parameters() {
      return tags.contains("parameters");
    }
  }

  private static boolean skip(String notebook, Cell cell) {
    String reason = cell.skipReason();
    if (reason != null) {
      System.out.printf("%s: cell %d skipped: %s%n", notebook, cell.number(), reason);
    }
    return reason != null;
  }

  private void runScala(String name, List<Cell> cells, String model, Path dir) {
    StringWriter log = new StringWriter();
    try (ScalaInterpreter repl = new ScalaInterpreter(quoted(classpath()), log)) {
      boolean bound = repl.bind("spark", "org.apache.spark.sql.SparkSession", spark);
      assertThat(bound).as("binding spark: %s", log).isTrue();
      for (Cell cell : cells) {
        if (skip(name, cell)) {
          continue;
        }
        interpret(repl, log, name, cell.number(), cell.source());
        if (cell.parameters()) {
          interpret(
              repl,
              log,
              name,
              cell.number(),
              "val modelPath = \""
                  + model
                  + "\"\nval workDir = \""
                  + dir
                  + "\"\nval reportDir = \""
                  + dir.resolve("bench")
                  + "\"");
        }
      }
    }
  }

  private static void interpret(
      ScalaInterpreter repl, StringWriter log, String name, int number, String source) {
    log.getBuffer().setLength(0);
    String result = repl.interpret(source);
    if (result != null) {
      fail(
          "%s: cell %d failed (%s):%n%s%n--- interpreter output ---%n%s",
          name, number, result, source, log);
    }
  }

  private void runSql(String name, List<Cell> cells) {
    for (Cell cell : cells) {
      if (skip(name, cell)) {
        continue;
      }
      for (String statement : statements(cell.source())) {
        executeSql(name, cell.number(), statement);
      }
      if (cell.parameters()) {
        // The notebook's paths are relative to the repository: set them from it, as a user
        // would set theirs.
        for (String statement : statements(cell.source())) {
          java.util.regex.Matcher set = REPOSITORY_PATH.matcher(statement.strip());
          if (set.matches()) {
            executeSql(
                name,
                cell.number(),
                "SET " + set.group(1) + " = " + project.resolve(set.group(2)).toAbsolutePath());
          }
        }
      }
    }
  }

  private static void executeSql(String name, int number, String statement) {
    try {
      spark.sql(statement).collectAsList();
    } catch (Exception e) {
      throw new AssertionError(name + ": cell " + number + " failed:\n" + statement, e);
    }
  }

  /** The statements of a SQL cell: split at semicolons that end a line, comments dropped. */
  static List<String> statements(String source) {
    List<String> statements = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : source.split("\n")) {
      String trimmed = line.strip();
      if (trimmed.startsWith("--") || trimmed.startsWith("%sql") || trimmed.startsWith("%%sql")) {
        continue;
      }
      current.append(line).append('\n');
      if (trimmed.endsWith(";")) {
        statements.add(current.toString().strip().replaceAll(";$", ""));
        current.setLength(0);
      }
    }
    if (!current.toString().isBlank()) {
      statements.add(current.toString().strip());
    }
    return statements;
  }

  private void runPython(String name, List<Cell> cells, String model, Path dir) throws Exception {
    Path sources = Files.createDirectories(dir.resolve("cells"));
    List<String> files = new ArrayList<>();
    for (Cell cell : cells) {
      Path file = sources.resolve("cell_" + cell.number() + ".py");
      Files.writeString(file, cell.source(), StandardCharsets.UTF_8);
      String compiled = python(List.of("-m", "py_compile", file.toString()));
      assertThat(compiled).as("%s: cell %d does not compile", name, cell.number()).isEmpty();
      if (cell.skipReason() == null) {
        files.add(file.toString());
      } else {
        skip(name, cell);
      }
    }
    // The parameters cell's model, as the notebook sets it with spark.conf.set.
    spark.conf().set("spark.onnx.models.mlp.path", model);
    List<String> command = new ArrayList<>(List.of("-c", SQL_STRINGS));
    command.addAll(files);
    JsonNode calls = new ObjectMapper().readTree(python(command));
    assertThat(calls.size()).as("%s: SQL strings found", name).isPositive();
    Set<String> kinds = new java.util.HashSet<>();
    for (JsonNode call : calls) {
      String text = call.path("text").asText();
      String kind = call.path("kind").asText();
      kinds.add(kind);
      executeSql(
          name,
          call.path("cell").asInt(),
          kind.equals("sql") ? text : "SELECT " + text + " FROM events");
    }
    assertThat(kinds).as("%s: spark.sql and F.expr strings", name).contains("sql", "expr");
  }

  /**
   * Prints, as JSON, the string literals passed to {@code spark.sql(...)} and {@code F.expr(...)}
   * in the given Python files, in order.
   */
  private static final String SQL_STRINGS =
      String.join(
          "\n",
          "import ast, json, re, sys",
          "calls = []",
          "for path in sys.argv[1:]:",
          "    cell = int(re.search(r'cell_(\\d+)\\.py$', path).group(1))",
          "    tree = ast.parse(open(path).read())",
          "    for node in ast.walk(tree):",
          "        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \\",
          "                and node.func.attr in ('sql', 'expr') and node.args \\",
          "                and isinstance(node.args[0], ast.Constant) \\",
          "                and isinstance(node.args[0].value, str):",
          "            calls.append({'cell': cell, 'line': node.lineno,",
          "                          'kind': node.func.attr, 'text': node.args[0].value})",
          "calls.sort(key=lambda c: (c['cell'], c['line']))",
          "print(json.dumps(calls))");

  private static String python(List<String> args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add("python3");
    command.addAll(args);
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as("python3 %s:%n%s", args, output).isZero();
    return output.strip();
  }

  /** This JVM's class path, with a launcher jar's manifest Class-Path expanded. */
  private static String classpath() {
    List<String> entries = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      entries.add(entry);
      if (entry.endsWith(".jar")) {
        try (JarFile jar = new JarFile(entry)) {
          Manifest manifest = jar.getManifest();
          String more =
              manifest == null ? null : manifest.getMainAttributes().getValue("Class-Path");
          if (more != null) {
            for (String url : more.trim().split("\\s+")) {
              entries.add(Paths.get(java.net.URI.create(url)).toString());
            }
          }
        } catch (IOException | IllegalArgumentException e) {
          // Not a readable jar or not a file URL: keep the entry as it is.
        }
      }
    }
    return String.join(File.pathSeparator, entries);
  }

  private static String quoted(String s) {
    return "\"" + s + "\"";
  }
}
