package ai.onnxspark.internal.text;

import ai.djl.huggingface.tokenizers.Encoding;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One native tokenizer per JVM per tokenizer file and truncation length, keyed by the SHA-256 of
 * the file's text (as sessions are keyed by their model), closed when the JVM shuts down.
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

  private static final Map<String, HuggingFaceTokenizer> CACHE = new ConcurrentHashMap<>();

  private static boolean prepared;

  private static boolean hookAdded;

  private Tokenizers() {}

  /** Encodes {@code text} and {@code pair} (or null) with {@code tokenizer}: ids, mask, types. */
  static long[][] encode(TextTokenizer tokenizer, int maxLength, String text, String pair) {
    HuggingFaceTokenizer native_ = get(tokenizer, maxLength);
    Encoding encoding =
        pair == null ? native_.encode(text, true, false) : native_.encode(text, pair, true, false);
    return new long[][] {encoding.getIds(), encoding.getAttentionMask(), encoding.getTypeIds()};
  }

  /** The JVM's native tokenizer for {@code tokenizer} truncating at {@code maxLength} (0: none). */
  static HuggingFaceTokenizer get(TextTokenizer tokenizer, int maxLength) {
    String key = tokenizer.sha256() + ":" + maxLength;
    HuggingFaceTokenizer found = CACHE.get(key);
    if (found != null) {
      return found;
    }
    synchronized (Tokenizers.class) {
      found = CACHE.get(key);
      if (found == null) {
        prepareNatives(tokenizer.nativeDir());
        found = create(tokenizer.json(), maxLength);
        CACHE.put(key, found);
        if (!hookAdded) {
          hookAdded = true;
          Runtime.getRuntime()
              .addShutdownHook(new Thread(Tokenizers::closeAll, "onnx-spark-tokenizers-close"));
        }
      }
      return found;
    }
  }

  /** How many native tokenizers this JVM holds, for tests. */
  public static int cached() {
    return CACHE.size();
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
    for (HuggingFaceTokenizer t : List.copyOf(CACHE.values())) {
      try {
        t.close();
      } catch (RuntimeException e) {
        // Shutting down: nothing more to do.
      }
    }
    CACHE.clear();
  }

  /**
   * Sets up DJL, once per JVM and before its first tokenizer, to use the CPU build of the
   * tokenizers library from its jar, extracted to a node-local folder, and never to download one.
   *
   * @throws OnnxException when the jar has no native library for this platform
   */
  static synchronized void prepareNatives(String nativeDir) {
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
