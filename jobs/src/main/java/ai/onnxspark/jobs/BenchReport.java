package ai.onnxspark.jobs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The results of a benchmark sweep, one {@link Result} per device and batch size, printed as a
 * console table and written as CSV, JSON and a self-contained HTML page with charts.
 */
final class BenchReport {
  /**
   * One measurement: {@code error} is null when it ran; otherwise why the device could not be used,
   * and the figures are 0.
   */
  record Result(
      String device,
      int batchSize,
      String provider,
      long rows,
      double seconds,
      double rowsPerSecond,
      double p50Ms,
      double p95Ms,
      double p99Ms,
      double sessionCreateMs,
      double peakRssMb,
      double peakHeapMb,
      String error) {

    boolean ran() {
      return error == null;
    }
  }

  static final List<String> COLUMNS =
      List.of(
          "device",
          "batch_size",
          "provider",
          "rows",
          "seconds",
          "rows_per_s",
          "batch_p50_ms",
          "batch_p95_ms",
          "batch_p99_ms",
          "session_create_ms",
          "peak_rss_mb",
          "peak_heap_mb",
          "error");

  private final String title;
  private final List<Result> results;

  BenchReport(String title, List<Result> results) {
    this.title = title;
    this.results = List.copyOf(results);
  }

  List<Result> results() {
    return results;
  }

  /** The console table. */
  String table() {
    StringBuilder out = new StringBuilder(title).append('\n');
    out.append(
        String.format(
            Locale.ROOT,
            "%-8s %6s %-28s %12s %10s %10s %10s %12s %10s %10s%n",
            "device",
            "batch",
            "provider",
            "rows/s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "session ms",
            "RSS MB",
            "heap MB"));
    for (Result r : results) {
      if (!r.ran()) {
        out.append(
            String.format(
                Locale.ROOT,
                "%-8s %6d unavailable: %s%n",
                r.device(),
                r.batchSize(),
                firstLine(r.error())));
        continue;
      }
      out.append(
          String.format(
              Locale.ROOT,
              "%-8s %6d %-28s %12.0f %10.3f %10.3f %10.3f %12.1f %10.0f %10.0f%n",
              r.device(),
              r.batchSize(),
              r.provider(),
              r.rowsPerSecond(),
              r.p50Ms(),
              r.p95Ms(),
              r.p99Ms(),
              r.sessionCreateMs(),
              r.peakRssMb(),
              r.peakHeapMb()));
    }
    return out.toString();
  }

  String csv() {
    StringBuilder out = new StringBuilder(String.join(",", COLUMNS)).append('\n');
    for (Result r : results) {
      List<String> cells = new ArrayList<>();
      for (Object v : values(r)) {
        cells.add(csvCell(v));
      }
      out.append(String.join(",", cells)).append('\n');
    }
    return out.toString();
  }

  String json() {
    StringBuilder out = new StringBuilder("{\n  \"title\": ").append(jsonValue(title));
    out.append(",\n  \"results\": [");
    for (int i = 0; i < results.size(); i++) {
      List<Object> values = values(results.get(i));
      out.append(i == 0 ? "\n    {" : ",\n    {");
      for (int c = 0; c < COLUMNS.size(); c++) {
        out.append(c == 0 ? "" : ", ")
            .append(jsonValue(COLUMNS.get(c)))
            .append(": ")
            .append(jsonValue(values.get(c)));
      }
      out.append('}');
    }
    return out.append("\n  ]\n}\n").toString();
  }

  /** A page with the table and two bar charts (throughput, per-batch latency), no scripts. */
  String html() {
    StringBuilder out = new StringBuilder();
    out.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>")
        .append(escape(title))
        .append("</title>\n<style>body{font-family:sans-serif;margin:2em}")
        .append("table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;")
        .append("text-align:right}</style></head><body>\n<h1>")
        .append(escape(title))
        .append("</h1>\n<h2>Throughput (rows/s) by batch size</h2>\n")
        .append(chart(Result::rowsPerSecond, "rows/s"))
        .append("<h2>Per-batch latency p99 (ms) by batch size</h2>\n")
        .append(chart(Result::p99Ms, "ms"))
        .append("<h2>Measurements</h2>\n<table><tr>");
    COLUMNS.forEach(c -> out.append("<th>").append(c).append("</th>"));
    out.append("</tr>\n");
    for (Result r : results) {
      out.append("<tr>");
      values(r).forEach(v -> out.append("<td>").append(escape(format(v))).append("</td>"));
      out.append("</tr>\n");
    }
    return out.append("</table>\n</body></html>\n").toString();
  }

  /** Writes {@code bench.csv}, {@code bench.json} and {@code bench.html} into {@code dir}. */
  List<Path> write(Path dir) throws IOException {
    Files.createDirectories(dir);
    List<Path> files = new ArrayList<>();
    files.add(Files.writeString(dir.resolve("bench.csv"), csv(), StandardCharsets.UTF_8));
    files.add(Files.writeString(dir.resolve("bench.json"), json(), StandardCharsets.UTF_8));
    files.add(Files.writeString(dir.resolve("bench.html"), html(), StandardCharsets.UTF_8));
    return files;
  }

  private String chart(java.util.function.ToDoubleFunction<Result> metric, String unit) {
    Set<String> devices = new LinkedHashSet<>();
    Set<Integer> batches = new LinkedHashSet<>();
    double max = 0;
    for (Result r : results) {
      devices.add(r.device());
      batches.add(r.batchSize());
      if (r.ran()) {
        max = Math.max(max, metric.applyAsDouble(r));
      }
    }
    String[] colors = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759"};
    int barWidth = 28;
    int groupWidth = barWidth * devices.size() + 24;
    int height = 220;
    int width = 60 + groupWidth * batches.size() + 140;
    StringBuilder svg =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\">%n",
                width,
                height + 50));
    int g = 0;
    for (int batch : batches) {
      int x0 = 60 + g * groupWidth;
      int d = 0;
      for (String device : devices) {
        for (Result r : results) {
          if (r.device().equals(device) && r.batchSize() == batch) {
            double value = r.ran() ? metric.applyAsDouble(r) : 0;
            int h = max > 0 ? (int) Math.round(height * value / max) : 0;
            int x = x0 + d * barWidth;
            svg.append(
                String.format(
                    Locale.ROOT,
                    "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"><title>%s"
                        + " batch %d: %s</title></rect>%n",
                    x,
                    10 + height - h,
                    barWidth - 4,
                    h,
                    colors[d % colors.length],
                    escape(device),
                    batch,
                    r.ran() ? String.format(Locale.ROOT, "%.3f %s", value, unit) : "unavailable"));
          }
        }
        d++;
      }
      svg.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%d\" y=\"%d\" font-size=\"12\">%d</text>%n",
              x0,
              height + 28,
              batch));
      g++;
    }
    svg.append(
        String.format(
            Locale.ROOT,
            "<text x=\"0\" y=\"18\" font-size=\"12\">%s</text>%n"
                + "<line x1=\"55\" y1=\"10\" x2=\"55\" y2=\"%d\" stroke=\"#333\"/>%n",
            escape(String.format(Locale.ROOT, "%.4g %s", max, unit)),
            height + 10));
    int d = 0;
    for (String device : devices) {
      int x = 60 + groupWidth * batches.size() + 10;
      svg.append(
          String.format(
              Locale.ROOT,
              "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                  + "<text x=\"%d\" y=\"%d\" font-size=\"12\">%s</text>%n",
              x,
              14 + d * 18,
              colors[d % colors.length],
              x + 16,
              24 + d * 18,
              escape(device)));
      d++;
    }
    return svg.append("</svg>\n").toString();
  }

  private static List<Object> values(Result r) {
    List<Object> values = new ArrayList<>();
    values.add(r.device());
    values.add(r.batchSize());
    values.add(r.provider());
    values.add(r.rows());
    values.add(r.seconds());
    values.add(r.rowsPerSecond());
    values.add(r.p50Ms());
    values.add(r.p95Ms());
    values.add(r.p99Ms());
    values.add(r.sessionCreateMs());
    values.add(r.peakRssMb());
    values.add(r.peakHeapMb());
    values.add(r.error());
    return values;
  }

  private static String format(Object v) {
    if (v == null) {
      return "";
    }
    if (v instanceof Double d) {
      return String.format(Locale.ROOT, "%.4f", d);
    }
    return v.toString();
  }

  private static String csvCell(Object v) {
    String s = format(v);
    if (s.contains(",") || s.contains("\"") || s.contains("\n")) {
      return "\"" + s.replace("\"", "\"\"") + "\"";
    }
    return s;
  }

  private static String jsonValue(Object v) {
    if (v == null) {
      return "null";
    }
    if (v instanceof Number) {
      return format(v);
    }
    return ai.onnxspark.internal.plan.OptionValues.jsonString(v.toString());
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }

  private static String firstLine(String s) {
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
