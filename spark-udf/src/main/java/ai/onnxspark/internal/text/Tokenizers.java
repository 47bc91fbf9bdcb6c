package ai.onnxspark.internal.text;

import static ai.djl.huggingface.tokenizers.jni.TokenizersLibrary.LIB;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxspark.OnnxException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One native tokenizer per JVM per tokenizer file and truncation length, keyed by the SHA-256 of
 * the file's text (as sessions are keyed by their model): at most {@value #MAX_TOKENIZERS}, the
 * least recently used closed beyond that (once no encoding runs on it), the rest when the JVM shuts
 * down.
 *
 * <p>DJL's {@code HuggingFaceTokenizer} wraps the Rust tokenizers library, whose native library DJL
 * copies out of its jar ({@code native/lib/<os>-<arch>/cpu/libtokenizers.so}) at first use into
 * {@code <ENGINE_CACHE_DIR>/tokenizers/<version>-cpu-<os>-<arch>/}; the cache folder defaults to
 * {@code ~/.djl.ai}, and DJL downloads a build when its jar has none for the platform (and, on a
 * machine with CUDA, a CUDA build). Before the first tokenizer, executors are therefore set up to
 * work offline: {@code RUST_FLAVOR=cpu} (so the jar's CPU build is used, never a CUDA download)
 * and, unless the environment sets {@code ENGINE_CACHE_DIR} or {@code DJL_CACHE_DIR}, {@code
 * ENGINE_CACHE_DIR} is a node-local folder: {@code <spark.onnx.native.dir>/djl} when set, else
 * {@code onnx-spark-djl-<user>} in {@code java.io.tmpdir}. A platform whose natives the jar lacks
 * fails with an error saying so (or set {@code RUST_LIBRARY_PATH} to a {@code libtokenizers})
 * rather than downloading.
 *
 * <p>Thread-safe.
 */
public final class Tokenizers {
  private static final Logger LOG = LoggerFactory.getLogger(Tokenizers.class);

  /** The most native tokenizers a JVM keeps; the least recently used beyond it is closed. */
  static final int MAX_TOKENIZERS = 16;

  /** By SHA-256 and truncation length, least recently used first; guarded by {@code CACHE}. */
  private static final LinkedHashMap<String, Entry> CACHE = new LinkedHashMap<>(16, 0.75f, true);

  private static boolean prepared;

  private static boolean hookAdded;

  private Tokenizers() {}

  /** Encodes {@code text} and {@code pair} (or null) with {@code tokenizer}: ids, mask, types. */
  static long[][] encode(TextTokenizer tokenizer, int maxLength, String text, String pair) {
    return encode(tokenizer, maxLength, text, pair, null);
  }

  /**
   * As {@link #encode(TextTokenizer, int, String, String)}; when {@code spans} is not null, also
   * each token's string, span in {@code text} and special-token flag, into {@code spans[0]}.
   */
  static long[][] encode(
      TextTokenizer tokenizer, int maxLength, String text, String pair, TokenSpans[] spans) {
    Entry entry = lease(tokenizer, maxLength);
    try {
      // The three arrays only, unless spans are asked: HuggingFaceTokenizer.encode also copies each
      // token's string, char span, word id and special-token flag out of the native encoding,
      // several times the cost.
      long handle = entry.tokenizer.getHandle();
      long encoding =
          pair == null ? LIB.encode(handle, text, true) : LIB.encodeDual(handle, text, pair, true);
      try {
        if (spans != null) {
          spans[0] =
              TokenSpans.of(
                  text,
                  LIB.getTokens(encoding),
                  LIB.getTokenCharSpans(encoding),
                  LIB.getSpecialTokenMask(encoding));
        }
        return new long[][] {
          LIB.getTokenIds(encoding), LIB.getAttentionMask(encoding), LIB.getTypeIds(encoding)
        };
      } finally {
        LIB.deleteEncoding(encoding);
      }
    } finally {
      release(entry);
    }
  }

  /** Creates (or finds) the JVM's native tokenizer for {@code tokenizer}, as a check. */
  static void check(TextTokenizer tokenizer, int maxLength) {
    release(lease(tokenizer, maxLength));
  }

  /**
   * The JVM's native tokenizer for {@code tokenizer} truncating at {@code maxLength} (0: none),
   * leased: it is not closed before {@link #release}, even when evicted meanwhile.
   */
  private static Entry lease(TextTokenizer tokenizer, int maxLength) {
    String key = tokenizer.sha256() + ":" + maxLength;
    synchronized (CACHE) {
      Entry entry = CACHE.get(key);
      if (entry == null) {
        prepareNatives(tokenizer.nativeDir());
        entry = new Entry(create(tokenizer.json(), maxLength));
        CACHE.put(key, entry);
        if (!hookAdded) {
          hookAdded = true;
          Runtime.getRuntime()
              .addShutdownHook(new Thread(Tokenizers::closeAll, "onnx-spark-tokenizers-close"));
        }
        evictBeyond(MAX_TOKENIZERS);
      }
      entry.users++;
      return entry;
    }
  }

  private static void release(Entry entry) {
    synchronized (CACHE) {
      entry.users--;
      if (entry.evicted && entry.users == 0) {
        entry.tokenizer.close();
      }
    }
  }

  /** Drops the least recently used tokenizers beyond {@code max}; guarded by {@code CACHE}. */
  private static void evictBeyond(int max) {
    Iterator<Entry> eldest = CACHE.values().iterator();
    while (CACHE.size() > max && eldest.hasNext()) {
      Entry entry = eldest.next();
      eldest.remove();
      entry.evicted = true;
      if (entry.users == 0) {
        entry.tokenizer.close();
      }
    }
  }

  /** How many native tokenizers this JVM holds, for tests. */
  public static int cached() {
    synchronized (CACHE) {
      return CACHE.size();
    }
  }

  /** One native tokenizer and the encodings running on it. */
  private static final class Entry {
    final HuggingFaceTokenizer tokenizer;
    int users;
    boolean evicted;

    Entry(HuggingFaceTokenizer tokenizer) {
      this.tokenizer = tokenizer;
    }
  }

  private static HuggingFaceTokenizer create(String json, int maxLength) {
    Map<String, String> options = new HashMap<>();
    options.put("addSpecialTokens", "true");
    options.put("padding", "false");
    if (maxLength > 0) {
      options.put("truncation", "true");
      options.put("maxLength", Integer.toString(maxLength));
    } else {
      options.put("truncation", "false");
    }
    try {
      return HuggingFaceTokenizer.newInstance(
          new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), options);
    } catch (IOException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  private static void closeAll() {
    synchronized (CACHE) {
      evictBeyond(0);
    }
  }

  /**
   * Sets up DJL, once per JVM and before its first tokenizer, to use the CPU build of the
   * tokenizers library from its jar, extracted to a node-local folder, and never to download one.
   *
   * @throws OnnxException when the jar has no native library for this platform
   */
  static void prepareNatives(String nativeDir) {
    if (prepared) {
      return;
    }
    if (unset("RUST_FLAVOR")) {
      System.setProperty("RUST_FLAVOR", "cpu");
    }
    if (unset("ENGINE_CACHE_DIR") && unset("DJL_CACHE_DIR")) {
      Path dir =
          nativeDir != null && !nativeDir.isBlank()
              ? Paths.get(nativeDir, "djl")
              : Paths.get(
                  System.getProperty("java.io.tmpdir"),
                  "onnx-spark-djl-" + System.getProperty("user.name", "user"));
      System.setProperty("ENGINE_CACHE_DIR", dir.toAbsolutePath().toString());
    }
    if (unset("RUST_LIBRARY_PATH")) {
      String classifier = ai.djl.util.Platform.detectPlatform("tokenizers").getClassifier();
      String resource = "native/lib/" + classifier + "/cpu/" + System.mapLibraryName("tokenizers");
      if (Tokenizers.class.getClassLoader().getResource(resource) == null) {
        throw new OnnxException(
            OnnxException.ErrorClass.CONFIGURATION,
            "The tokenizers jar (ai.djl.huggingface:tokenizers) has no native library for "
                + classifier
                + " ("
                + resource
                + "), and the library does not download one. Set RUST_LIBRARY_PATH (environment"
                + " or system property) on the executors to a libtokenizers built for them.");
      }
    }
    LOG.info(
        "Hugging Face tokenizers: native library from the jar, extracted under {}",
        System.getProperty("ENGINE_CACHE_DIR", System.getenv("ENGINE_CACHE_DIR")));
    prepared = true;
  }

  private static boolean unset(String name) {
    String env = System.getenv(name);
    String prop = System.getProperty(name);
    return (env == null || env.isEmpty()) && (prop == null || prop.isEmpty());
  }

  /**
   * The ids that pad {@code input_ids} and {@code token_type_ids} in a tokenizer.json: its padding
   * section's, else the id of a pad token ({@code [PAD]}, {@code <pad>}) in its added tokens or
   * vocabulary, else 0.
   */
  static long[] padIds(String json) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(json);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      // Where, not what: the parser's message quotes the file, which may be any file the driver
      // can read.
      com.fasterxml.jackson.core.JsonLocation at = e.getLocation();
      throw new IllegalArgumentException(
          "not JSON"
              + (at == null
                  ? ""
                  : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"));
    } catch (IOException e) {
      throw new IllegalArgumentException("not readable as JSON");
    }
    JsonNode padding = root == null ? null : root.get("padding");
    if (padding != null && padding.isObject()) {
      return new long[] {padding.path("pad_id").asLong(0), padding.path("pad_type_id").asLong(0)};
    }
    if (root == null) {
      return new long[] {0, 0};
    }
    for (String token : List.of("[PAD]", "<pad>", "<PAD>")) {
      for (JsonNode added : root.path("added_tokens")) {
        if (token.equals(added.path("content").asText())) {
          return new long[] {added.path("id").asLong(0), 0};
        }
      }
      JsonNode vocab = root.path("model").path("vocab");
      if (vocab.isObject() && vocab.has(token)) {
        return new long[] {vocab.get(token).asLong(0), 0};
      }
    }
    return new long[] {0, 0};
  }
}
