package ai.onnxspark.internal.text;

import ai.onnxspark.OnnxException;
import ai.onnxspark.internal.OnnxErrors;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkContext;
import org.apache.spark.broadcast.Broadcast;
import scala.reflect.ClassTag$;

/**
 * A Hugging Face tokenizer ({@code tokenizer.json}) as a scoring carries it: the file's text, read
 * once on the driver and broadcast ({@link #shippedIn}: each executor fetches it once, when it
 * creates its native tokenizer, however many tasks and queries use it), the SHA-256 of that text,
 * which keys the executors' native tokenizers ({@link Tokenizers}), the truncation length and the
 * ids that pad a batch's shorter rows.
 *
 * <p>Immutable and serializable. {@link #encode} runs on executors.
 */
public final class TextTokenizer implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The largest tokenizer file read, in bytes. */
  public static final long MAX_BYTES = 256L * 1024 * 1024;

  /** Per Spark context, the broadcast text of each tokenizer by SHA-256. */
  private static final Map<SparkContext, Map<String, Broadcast<String>>> BROADCASTS =
      new WeakHashMap<>();

  private final String location;

  /** The file's text, or null once {@link #shipped} carries it. */
  private final String json;

  private final Broadcast<String> shipped;
  private final String sha256;
  private final int maxLength;
  private final long padId;
  private final long padTypeId;
  private final String nativeDir;

  private TextTokenizer(
      String location,
      String json,
      Broadcast<String> shipped,
      String sha256,
      int maxLength,
      long padId,
      long padTypeId,
      String nativeDir) {
    this.location = location;
    this.json = json;
    this.shipped = shipped;
    this.sha256 = sha256;
    this.maxLength = maxLength;
    this.padId = padId;
    this.padTypeId = padTypeId;
    this.nativeDir = nativeDir;
  }

  /**
   * Reads {@code location} (a local path or a Hadoop file system URI) on the driver, checks that
   * the native tokenizer accepts it, and returns it.
   *
   * @param maxLength the most tokens a row keeps (longer texts are truncated), or 0 for no limit
   * @param nativeDir {@code spark.onnx.native.dir}, or null: where executors extract the native
   *     tokenizer library (see {@link Tokenizers})
   * @throws OnnxException when the file cannot be read or is not a tokenizer
   */
  public static TextTokenizer load(
      String location, int maxLength, Configuration hadoopConf, String nativeDir) {
    String json = read(location, hadoopConf);
    return of(location, json, maxLength, nativeDir);
  }

  /** The tokenizer of {@code json}, checked by the native tokenizer. */
  public static TextTokenizer of(String location, String json, int maxLength, String nativeDir) {
    String sha = sha256(json);
    TextTokenizer tokenizer;
    try {
      long[] pads = Tokenizers.padIds(json);
      tokenizer =
          new TextTokenizer(location, json, null, sha, maxLength, pads[0], pads[1], nativeDir);
      // Parses it now, on the driver: a bad file fails the call, not every task.
      Tokenizers.check(tokenizer, maxLength);
    } catch (OnnxException e) {
      throw e;
    } catch (RuntimeException e) {
      // The message names the problem, not the file's content (parsers quote values, and the
      // file may be any the driver can read); the driver's log has the parser's words.
      org.slf4j.LoggerFactory.getLogger(TextTokenizer.class)
          .warn("Tokenizer {} could not be read: {}", location, e.toString());
      String why =
          e.getMessage() != null && e.getMessage().startsWith("not ") ? e.getMessage() : "";
      throw OnnxErrors.badOption(
          "tokenizer",
          location,
          "a Hugging Face tokenizer.json the tokenizers library reads"
              + (why.isEmpty() ? " (see the driver's log)" : " (" + why + ")"));
    }
    return tokenizer;
  }

  private static String read(String location, Configuration hadoopConf) {
    if (location == null || location.isBlank()) {
      throw OnnxErrors.badOption("tokenizer", location, "the path of a tokenizer.json");
    }
    try {
      Path path = new Path(location);
      FileSystem fs = path.getFileSystem(hadoopConf == null ? new Configuration() : hadoopConf);
      long size = fs.getFileStatus(path).getLen();
      if (size > MAX_BYTES) {
        throw OnnxErrors.badOption(
            "tokenizer", location, "a tokenizer.json of at most " + MAX_BYTES + " bytes");
      }
      ByteArrayOutputStream bytes = new ByteArrayOutputStream((int) size);
      try (InputStream in = fs.open(path)) {
        in.transferTo(bytes);
      }
      return bytes.toString(StandardCharsets.UTF_8);
    } catch (java.io.FileNotFoundException e) {
      throw OnnxErrors.badOption("tokenizer", location, "an existing tokenizer.json file");
    } catch (IOException e) {
      throw OnnxErrors.badOption(
          "tokenizer", location, "a readable tokenizer.json file (" + e.getMessage() + ")");
    }
  }

  static String sha256(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Encodes {@code text} (and {@code pair}, or null) with special tokens, truncated to {@code
   * maxLength} tokens (0: this tokenizer's {@link #maxLength()}).
   *
   * @return the token ids, attention mask and token type ids, of equal lengths
   */
  public long[][] encode(String text, String pair, int maxLength) {
    return Tokenizers.encode(this, maxLength > 0 ? maxLength : this.maxLength, text, pair);
  }

  /**
   * As {@link #encode}, also giving each token's string, span in {@code text} and special-token
   * flag in {@code spans[0]} (a second copy out of the native encoding, so asked only when needed).
   */
  public long[][] encode(String text, String pair, int maxLength, TokenSpans[] spans) {
    return Tokenizers.encode(this, maxLength > 0 ? maxLength : this.maxLength, text, pair, spans);
  }

  /** Where the file was read from, for messages. */
  public String location() {
    return location;
  }

  /**
   * This tokenizer with its text broadcast in {@code sc} (once per context and text), so that a
   * plan carries the broadcast's handle rather than the text; call on the driver.
   */
  public TextTokenizer shippedIn(SparkContext sc) {
    if (shipped != null) {
      return this;
    }
    Map<String, Broadcast<String>> bySha;
    synchronized (BROADCASTS) {
      bySha = BROADCASTS.computeIfAbsent(sc, k -> new ConcurrentHashMap<>());
    }
    Broadcast<String> text =
        bySha.computeIfAbsent(
            sha256, k -> sc.broadcast(json, ClassTag$.MODULE$.apply(String.class)));
    return new TextTokenizer(location, null, text, sha256, maxLength, padId, padTypeId, nativeDir);
  }

  /** Whether the text travels as a broadcast ({@link #shippedIn}). */
  public boolean isShipped() {
    return shipped != null;
  }

  /** The file's text: on executors, the broadcast's value. */
  String json() {
    return json != null ? json : shipped.value();
  }

  /** The SHA-256 of the file's text, in hex. */
  public String sha256() {
    return sha256;
  }

  /** The most tokens a row keeps, or 0 for no limit. */
  public int maxLength() {
    return maxLength;
  }

  /** The id that pads {@code input_ids}: the tokenizer's padding id or pad token, else 0. */
  public long padId() {
    return padId;
  }

  /** The type id that pads {@code token_type_ids}: the tokenizer's, else 0. */
  public long padTypeId() {
    return padTypeId;
  }

  /** {@code spark.onnx.native.dir}, or null. */
  String nativeDir() {
    return nativeDir;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TextTokenizer t && sha256.equals(t.sha256) && maxLength == t.maxLength;
  }

  @Override
  public int hashCode() {
    return sha256.hashCode() * 31 + maxLength;
  }

  @Override
  public String toString() {
    return "tokenizer " + location + " (sha256 " + sha256.substring(0, 12) + ")";
  }
}
