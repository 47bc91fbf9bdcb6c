package ai.onnxspark.internal.plan;

import ai.onnxspark.internal.OnnxErrors;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Parses and writes option values, naming the key and the expected values when one is wrong. Lists
 * (columns, labels) are written comma-separated, or as a JSON list of strings when an element holds
 * a comma or a quote; both forms are read.
 */
public final class OptionValues {
  private OptionValues() {}

  static int parseInt(String key, String value, String expected) {
    long v = parseLong(key, value, expected);
    if (v != (int) v) {
      throw OnnxErrors.badOption(key, value, expected);
    }
    return (int) v;
  }

  /**
   * {@code value} as a long.
   *
   * @throws ai.onnxspark.OnnxException naming {@code key} and {@code expected} when it is none
   */
  public static long parseLong(String key, String value, String expected) {
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException | NullPointerException e) {
      throw OnnxErrors.badOption(key, value, expected);
    }
  }

  static double parseDouble(String key, String value, String expected) {
    try {
      return Double.parseDouble(value.trim());
    } catch (NumberFormatException | NullPointerException e) {
      throw OnnxErrors.badOption(key, value, expected);
    }
  }

  static boolean parseBoolean(String key, String value) {
    String v = value == null ? "" : value.trim();
    if (!v.equalsIgnoreCase("true") && !v.equalsIgnoreCase("false")) {
      throw OnnxErrors.badOption(key, value, "true or false");
    }
    return Boolean.parseBoolean(v);
  }

  static float[] parseFloats(String key, String value, int count) {
    List<String> parts = parseList(key, value);
    if (parts.size() != count) {
      throw OnnxErrors.badOption(key, value, count + " numbers, comma-separated");
    }
    float[] floats = new float[count];
    for (int i = 0; i < count; i++) {
      floats[i] = (float) parseDouble(key, parts.get(i), count + " numbers, comma-separated");
    }
    return floats;
  }

  /** Floats as {@link #parseFloats} reads them back. */
  public static String floats(float[] values) {
    List<String> parts = new ArrayList<>();
    for (float v : values) {
      parts.add(Float.toString(v));
    }
    return String.join(",", parts);
  }

  /** A list written comma-separated, or as a JSON list of strings. */
  static List<String> parseList(String key, String value) {
    String v = value.trim();
    if (v.startsWith("[")) {
      return parseJsonStrings(key, v);
    }
    List<String> items = new ArrayList<>();
    for (String part : v.split(",", -1)) {
      String item = part.trim();
      if (item.length() >= 2
          && (item.startsWith("\"") && item.endsWith("\"")
              || item.startsWith("'") && item.endsWith("'"))) {
        item = item.substring(1, item.length() - 1);
      }
      items.add(item);
    }
    return items;
  }

  /** {@code items} as {@link #parseList} reads them back. */
  public static String list(List<String> items) {
    boolean plain =
        items.stream()
            .allMatch(
                s ->
                    !s.isEmpty()
                        && s.equals(s.trim())
                        && s.indexOf(',') < 0
                        && s.indexOf('"') < 0
                        && s.indexOf('\'') < 0
                        && !s.startsWith("["));
    if (plain) {
      return String.join(",", items);
    }
    StringBuilder json = new StringBuilder("[");
    for (int i = 0; i < items.size(); i++) {
      json.append(i == 0 ? "" : ",").append(jsonString(items.get(i)));
    }
    return json.append(']').toString();
  }

  /** A map of strings as a JSON object, in its order. */
  public static String jsonObject(Map<String, String> map) {
    StringBuilder json = new StringBuilder("{");
    boolean first = true;
    for (Map.Entry<String, String> e : map.entrySet()) {
      json.append(first ? "" : ",")
          .append(jsonString(e.getKey()))
          .append(':')
          .append(jsonString(e.getValue()));
      first = false;
    }
    return json.append('}').toString();
  }

  /** Reads what {@link #jsonObject} wrote (a flat JSON object of strings), keeping its order. */
  public static Map<String, String> parseJsonObject(String what, String json) {
    Map<String, String> map = new java.util.LinkedHashMap<>();
    JsonReader in = new JsonReader(what, json.trim());
    in.expect('{');
    if (!in.tryConsume('}')) {
      do {
        String key = in.string();
        in.expect(':');
        map.put(key, in.string());
      } while (in.tryConsume(','));
      in.expect('}');
    }
    in.end();
    return map;
  }

  private static List<String> parseJsonStrings(String key, String json) {
    List<String> items = new ArrayList<>();
    JsonReader in = new JsonReader(key, json);
    in.expect('[');
    if (!in.tryConsume(']')) {
      do {
        items.add(in.string());
      } while (in.tryConsume(','));
      in.expect(']');
    }
    in.end();
    return items;
  }

  /** {@code s} as a JSON string literal, quotes and control characters escaped. */
  public static String jsonString(String s) {
    StringBuilder out = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) {
            out.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }

  /** Just enough JSON for strings in lists and flat objects. */
  private static final class JsonReader {
    private final String what;
    private final String text;
    private int at;

    JsonReader(String what, String text) {
      this.what = what;
      this.text = text;
    }

    private void skipSpace() {
      while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
        at++;
      }
    }

    void expect(char c) {
      if (!tryConsume(c)) {
        throw bad();
      }
    }

    boolean tryConsume(char c) {
      skipSpace();
      if (at < text.length() && text.charAt(at) == c) {
        at++;
        return true;
      }
      return false;
    }

    void end() {
      skipSpace();
      if (at != text.length()) {
        throw bad();
      }
    }

    String string() {
      expect('"');
      StringBuilder s = new StringBuilder();
      while (at < text.length()) {
        char c = text.charAt(at++);
        if (c == '"') {
          return s.toString();
        }
        if (c == '\\' && at < text.length()) {
          char e = text.charAt(at++);
          switch (e) {
            case 'n' -> s.append('\n');
            case 'r' -> s.append('\r');
            case 't' -> s.append('\t');
            case 'b' -> s.append('\b');
            case 'f' -> s.append('\f');
            case 'u' -> {
              if (at + 4 > text.length()) {
                throw bad();
              }
              s.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
              at += 4;
            }
            default -> s.append(e);
          }
        } else {
          s.append(c);
        }
      }
      throw bad();
    }

    private RuntimeException bad() {
      return OnnxErrors.badOption(what, text, "a JSON list or object of strings");
    }
  }
}
