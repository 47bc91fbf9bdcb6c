package ai.onnxspark.jobs;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxspark.internal.text.TextTokenizer;
import ai.onnxspark.model.TensorSpec;
import ai.onnxspark.spark.OnnxModel;
import ai.onnxspark.spark.ScoringMetrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The text mode of the benchmark ({@code onnx-bench --text}): a text model with inputs {@code
 * input_ids} and {@code attention_mask} scored from raw strings (the library's tokenizer) and from
 * token ids computed beforehand, on the same generated reviews, to measure what tokenizing costs.
 *
 * <p>It writes a generated BERT-style WordPiece {@code tokenizer.json} (30,522 entries: [PAD]=0,
 * [UNK], [CLS], [SEP], [MASK], punctuation, {@code ##} pieces, then generated words) and a Parquet
 * table of seeded English-like reviews whose token counts spread over 16–256, with the ids and
 * masks DJL's {@code HuggingFaceTokenizer} gives them (truncated at {@code --max-length}, not
 * padded). Then, alternating, best of {@code --repeat} after a warm-up: (a) raw strings → scores,
 * (b) precomputed ids → scores ({@code pad.input_ids=0}, {@code pad.attention_mask=0}), (c) the
 * tokenizer alone (the library's native tokenizer encoding every review from as many threads as
 * Spark cores, reviews already on the driver), (d) plain scans of the review column and of the id
 * columns, (e) raw ONNX Runtime on the precomputed ids, batched as the library batches them (see
 * {@link RawText}); with bucketing off and on ({@code bucket-batches}). Results go to the console
 * and to {@code text-bench.json} under {@code --report}.
 */
final class TextBenchmark {
  static final int VOCAB = 30522;
  static final int BUCKET = 10;
  private static final int CHECK_ROWS = 16;

  private TextBenchmark() {}

  static Report bench(SparkSession spark, Args args, int cores, int repeat) {
    return bench(
        spark,
        args.required("model"),
        args.getInt("rows", 20_000),
        args.getInt("batch-size", 64),
        args.getInt("max-length", 128),
        args.getInt("partitions", 8),
        args.get("data", "target/bench-data"),
        args.get("report", "target/bench-report"),
        cores,
        repeat);
  }

  static Report bench(
      SparkSession spark,
      String modelPath,
      int rows,
      int batch,
      int maxLength,
      int partitions,
      String dataRoot,
      String reportDir,
      int cores,
      int repeat) {
    if (maxLength < 3) {
      throw new Args.UsageException("--max-length takes 3 or more tokens");
    }
    OnnxModel model = OnnxModel.fromPath(modelPath).withBatchSize(batch);
    List<String> inputs = new ArrayList<>();
    for (TensorSpec t : model.info().inputs()) {
      inputs.add(t.name());
    }
    if (!inputs.equals(List.of("input_ids", "attention_mask"))) {
      throw new Args.UsageException(
          "--text takes models with inputs input_ids and attention_mask; this one has " + inputs);
    }
    Path data = Paths.get(dataRoot, "text-" + rows + "-len" + maxLength).toAbsolutePath();
    Path tokenizerFile = data.resolve("tokenizer.json");
    Path table = data.resolve("reviews.parquet");
    String json = wordPieceJson(vocabulary(VOCAB, 7));
    TokenStats stats;
    try {
      Files.createDirectories(data);
      Files.writeString(tokenizerFile, json, StandardCharsets.UTF_8);
      // The library's tokenizer first, so that DJL's native library is extracted where the
      // library points it; the tokenizers below share it.
      TextTokenizer.of(tokenizerFile.toString(), json, maxLength, null);
      stats = writeTable(spark, tokenizerFile, table, rows, maxLength, partitions, 11);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String path = table.toString();
    OnnxModel fromText = model.withTokenizer("review", tokenizerFile.toString());
    fromText = fromText.withMaxLength(maxLength);
    OnnxModel fromIds =
        model.withOption("pad.input_ids", "0").withOption("pad.attention_mask", "0");

    double maxDiff = checkSameLogits(spark, fromText, fromIds, path);

    List<String> reviews =
        spark
            .read()
            .parquet(path)
            .select("review")
            .as(org.apache.spark.sql.Encoders.STRING())
            .collectAsList();
    TextTokenizer library = TextTokenizer.of(tokenizerFile.toString(), json, maxLength, null);
    List<long[][]> tokenized = new ArrayList<>();
    for (Row row :
        spark.read().parquet(path).select("input_ids", "attention_mask").collectAsList()) {
      tokenized.add(new long[][] {unboxed(row.getList(0)), unboxed(row.getList(1))});
    }

    List<Result> results = new ArrayList<>();
    for (int bucketing : List.of(0, BUCKET)) {
      OnnxModel a = bucketing > 0 ? fromText.withBucketing(bucketing) : fromText;
      OnnxModel b = bucketing > 0 ? fromIds.withBucketing(bucketing) : fromIds;
      // Each one's time inside ONNX Runtime's run: what tells the model's share of (a) - (b) from
      // the tokenizer's.
      ScoringMetrics textMetrics = ScoringMetrics.register(spark.sparkContext());
      ScoringMetrics idsMetrics = ScoringMetrics.register(spark.sparkContext());
      Runnable textRun =
          () -> noop(a.transform(spark.read().parquet(path).select("review"), textMetrics));
      Runnable idsRun =
          () ->
              noop(
                  b.transform(
                      spark.read().parquet(path).select("input_ids", "attention_mask"),
                      idsMetrics));
      Runnable tokenizeRun = () -> tokenizeAll(library, reviews, maxLength, cores);
      Runnable scanTextRun = () -> noop(spark.read().parquet(path).select("review"));
      Runnable scanIdsRun =
          () -> noop(spark.read().parquet(path).select("input_ids", "attention_mask"));
      double[] best = new double[6];
      Arrays.fill(best, Double.MAX_VALUE);
      RawText raw = RawText.of(model, tokenized, batch, bucketing);
      try (raw) {
        Runnable rawRun = () -> raw.score(cores);
        List<Runnable> runs =
            List.of(textRun, idsRun, tokenizeRun, scanTextRun, scanIdsRun, rawRun);
        runs.forEach(Runnable::run);
        for (int i = 0; i < repeat; i++) {
          for (int r = 0; r < runs.size(); r++) {
            best[r] = Math.min(best[r], Benchmark.time(runs.get(r)));
          }
        }
      }
      results.add(
          new Result(
              bucketing,
              best[0],
              best[1],
              best[2],
              best[3],
              best[4],
              best[5],
              raw.paddedTokens(),
              textMetrics.runNanos() / 1e9 / (repeat + 1),
              idsMetrics.runNanos() / 1e9 / (repeat + 1)));
    }

    Report report =
        new Report(
            String.format(
                Locale.ROOT,
                "%s (%d bytes), %d reviews, max-length %d, batch %d, %s, best of %d runs",
                Paths.get(model.source()).getFileName(),
                model.size(),
                rows,
                maxLength,
                batch,
                spark.sparkContext().master(),
                repeat),
            rows,
            maxLength,
            batch,
            cores,
            stats,
            maxDiff,
            results);
    System.out.println();
    System.out.print(report.table());
    Path dir = Paths.get(reportDir);
    try {
      Files.createDirectories(dir);
      Path file = Files.writeString(dir.resolve("text-bench.json"), report.json());
      System.out.println("Wrote " + file.toAbsolutePath());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return report;
  }

  private static long[] unboxed(List<Long> values) {
    long[] out = new long[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }

  /**
   * Raw ONNX Runtime on the same rows: precomputed ids in table order, cut into windows of {@code
   * bucketBatches} batches, each window sorted by length (as the library's bucketing does; no
   * sorting when off), padded per batch to its longest row and written into native buffers before
   * timing. One session (one intra-op thread), called from as many Java threads as Spark cores.
   */
  static final class RawText implements AutoCloseable {
    private final OnnxModel model;
    private final List<LongBuffer[]> buffers;
    private final List<long[]> shapes;
    private final long paddedTokens;
    private OrtSession session;

    private RawText(OnnxModel model, List<LongBuffer[]> buffers, List<long[]> shapes, long padded) {
      this.model = model;
      this.buffers = buffers;
      this.shapes = shapes;
      this.paddedTokens = padded;
    }

    static RawText of(OnnxModel model, List<long[][]> rows, int batch, int bucketBatches) {
      int window = Math.max(1, bucketBatches) * batch;
      List<LongBuffer[]> buffers = new ArrayList<>();
      List<long[]> shapes = new ArrayList<>();
      long padded = 0;
      for (int from = 0; from < rows.size(); from += window) {
        List<long[][]> part =
            new ArrayList<>(rows.subList(from, Math.min(rows.size(), from + window)));
        if (bucketBatches > 0) {
          part.sort(java.util.Comparator.comparingInt(r -> r[0].length));
        }
        for (int b = 0; b < part.size(); b += batch) {
          List<long[][]> rowsOfBatch = part.subList(b, Math.min(part.size(), b + batch));
          int length = 0;
          for (long[][] r : rowsOfBatch) {
            length = Math.max(length, r[0].length);
          }
          LongBuffer ids = direct(rowsOfBatch.size() * length);
          LongBuffer mask = direct(rowsOfBatch.size() * length);
          for (long[][] r : rowsOfBatch) {
            ids.put(r[0]).position(ids.position() + length - r[0].length);
            mask.put(r[1]).position(mask.position() + length - r[1].length);
          }
          buffers.add(new LongBuffer[] {ids.flip(), mask.flip()});
          shapes.add(new long[] {rowsOfBatch.size(), length});
          padded += (long) rowsOfBatch.size() * length;
        }
      }
      return new RawText(model, buffers, shapes, padded);
    }

    private static LongBuffer direct(int values) {
      return ByteBuffer.allocateDirect(values * 8).order(ByteOrder.nativeOrder()).asLongBuffer();
    }

    /** Token positions the model ran over, padding included. */
    long paddedTokens() {
      return paddedTokens;
    }

    /**
     * Scores every batch from {@code threads} threads. The session is made on the first call (the
     * benchmark's untimed warm-up) and kept until {@link #close}, as the library keeps its own.
     */
    void score(int threads) {
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        OrtSession session = session(env);
        AtomicInteger next = new AtomicInteger();
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          futures.add(pool.submit(() -> runBatches(env, session, next)));
        }
        for (Future<?> f : futures) {
          f.get();
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      } finally {
        pool.shutdownNow();
      }
    }

    private OrtSession session(OrtEnvironment env) throws IOException, OrtException {
      if (session == null) {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
          options.setIntraOpNumThreads(1);
          options.setInterOpNumThreads(1);
          session = env.createSession(Files.readAllBytes(Path.of(model.source())), options);
        }
      }
      return session;
    }

    @Override
    public void close() {
      if (session != null) {
        try {
          session.close();
        } catch (OrtException e) {
          throw new IllegalStateException(e);
        }
        session = null;
      }
    }

    private Void runBatches(OrtEnvironment env, OrtSession session, AtomicInteger next)
        throws OrtException {
      for (int i = next.getAndIncrement(); i < buffers.size(); i = next.getAndIncrement()) {
        LongBuffer[] b = buffers.get(i);
        try (OnnxTensor ids = OnnxTensor.createTensor(env, b[0].duplicate(), shapes.get(i));
            OnnxTensor mask = OnnxTensor.createTensor(env, b[1].duplicate(), shapes.get(i));
            OrtSession.Result result =
                session.run(Map.of("input_ids", ids, "attention_mask", mask))) {
          ((OnnxTensor) result.get(0)).getFloatBuffer();
        }
      }
      return null;
    }
  }

  private static void noop(Dataset<Row> df) {
    df.write().format("noop").mode("overwrite").save();
  }

  /** Encodes every review with {@code threads} threads, each its share. */
  static void tokenizeAll(
      TextTokenizer tokenizer, List<String> reviews, int maxLength, int threads) {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Long>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int from = (int) ((long) reviews.size() * t / threads);
        int to = (int) ((long) reviews.size() * (t + 1) / threads);
        futures.add(
            pool.submit(
                () -> {
                  long tokens = 0;
                  for (int i = from; i < to; i++) {
                    tokens += tokenizer.encode(reviews.get(i), null, maxLength)[0].length;
                  }
                  return tokens;
                }));
      }
      for (Future<Long> f : futures) {
        f.get();
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * The largest difference between the logits of the first rows scored from their text and from
   * their precomputed ids (batches of 4, so rows are padded).
   */
  static double checkSameLogits(
      SparkSession spark, OnnxModel fromText, OnnxModel fromIds, String path) {
    Dataset<Row> first = spark.read().parquet(path).orderBy("id").limit(CHECK_ROWS).cache();
    try {
      Map<Long, List<Float>> a =
          logits(fromText.withBatchSize(4).transform(first.select("id", "review")));
      Map<Long, List<Float>> b =
          logits(
              fromIds
                  .withBatchSize(4)
                  .transform(first.select("id", "input_ids", "attention_mask")));
      if (a.size() != b.size() || a.isEmpty()) {
        throw new IllegalStateException("scored " + a.size() + " and " + b.size() + " rows");
      }
      double max = 0;
      for (Map.Entry<Long, List<Float>> e : a.entrySet()) {
        List<Float> other = b.get(e.getKey());
        for (int i = 0; i < e.getValue().size(); i++) {
          max = Math.max(max, Math.abs(e.getValue().get(i) - other.get(i)));
        }
      }
      return max;
    } finally {
      first.unpersist();
    }
  }

  private static Map<Long, List<Float>> logits(Dataset<Row> scored) {
    String output = scored.columns()[scored.columns().length - 1];
    Map<Long, List<Float>> out = new HashMap<>();
    for (Row row : scored.select("id", output).collectAsList()) {
      out.put(row.getLong(0), row.getList(1));
    }
    return out;
  }

  // ---- generated data -------------------------------------------------------------------------

  private static final String[] ONSETS = {
    "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "y", "z",
    "br", "ch", "cl", "cr", "dr", "fl", "fr", "gl", "gr", "pl", "pr", "sc", "sh", "sl", "sm", "sn",
    "sp", "st", "str", "sw", "th", "tr", "wh", ""
  };
  private static final String[] VOWELS = {
    "a", "e", "i", "o", "u", "a", "e", "i", "o", "ai", "ea", "ee", "ie", "oo", "ou", "y"
  };
  private static final String[] CODAS = {
    "", "", "", "n", "r", "s", "t", "l", "m", "nd", "ng", "st", "ck", "rt", "nt", "ll"
  };
  private static final List<String> PUNCTUATION =
      List.of(".", ",", "!", "?", "'", "-", "(", ")", ":", ";", "\"");
  private static final List<String> SUFFIXES =
      List.of("##s", "##ed", "##ing", "##ly", "##er", "##est", "##ness", "##ful", "##able");

  /**
   * A WordPiece vocabulary of {@code size} entries in id order: [PAD]=0, [UNK]=1, [CLS]=2, [SEP]=3,
   * [MASK]=4, punctuation, about 4,000 {@code ##} pieces, then generated words.
   */
  static List<String> vocabulary(int size, long seed) {
    Random random = new Random(seed);
    Set<String> vocab = new LinkedHashSet<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));
    vocab.addAll(PUNCTUATION);
    vocab.addAll(SUFFIXES);
    for (char c = 'a'; c <= 'z'; c++) {
      vocab.add(String.valueOf(c));
      vocab.add("##" + c);
    }
    int pieces = vocab.size() + 4000;
    while (vocab.size() < pieces) {
      vocab.add("##" + syllable(random, random.nextInt(3) == 0));
    }
    while (vocab.size() < size) {
      int syllables = 1 + Math.min(random.nextInt(4), random.nextInt(4));
      StringBuilder word = new StringBuilder();
      for (int s = 0; s < syllables; s++) {
        word.append(syllable(random, true));
      }
      vocab.add(word.toString());
    }
    return List.copyOf(vocab);
  }

  private static String syllable(Random random, boolean onset) {
    return (onset ? ONSETS[random.nextInt(ONSETS.length)] : "")
        + VOWELS[random.nextInt(VOWELS.length)]
        + CODAS[random.nextInt(CODAS.length)];
  }

  /**
   * Seeded English-like reviews (sentences of 4–18 words, commas, end marks, capitals, some words
   * with suffixes that split into two tokens), each aiming at a token count drawn from 16–256.
   */
  static List<String> reviews(List<String> vocab, int n, long seed) {
    Random random = new Random(seed);
    List<String> words = new ArrayList<>();
    List<String> suffixes = new ArrayList<>();
    for (String v : vocab) {
      if (v.startsWith("##")) {
        suffixes.add(v.substring(2));
      } else if (!v.startsWith("[") && Character.isLetter(v.charAt(0)) && v.length() > 1) {
        words.add(v);
      }
    }
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int target = 16 + random.nextInt(256 - 16 + 1);
      // [CLS] and [SEP] are two of the tokens.
      int tokens = 2;
      StringBuilder review = new StringBuilder();
      while (tokens < target) {
        int length = 4 + random.nextInt(15);
        for (int w = 0; w < length && tokens < target - 1; w++) {
          // Zipf-like: a few words are frequent, most are rare.
          String word = words.get((int) (words.size() * Math.pow(random.nextDouble(), 3)));
          tokens++;
          if (random.nextInt(5) == 0) {
            String suffix =
                random.nextBoolean()
                    ? SUFFIXES.get(random.nextInt(SUFFIXES.size())).substring(2)
                    : suffixes.get(random.nextInt(suffixes.size()));
            word += suffix;
            tokens++;
          }
          if (w == 0) {
            word = Character.toUpperCase(word.charAt(0)) + word.substring(1);
          }
          review.append(review.length() == 0 ? "" : " ").append(word);
          if (w + 1 < length && random.nextInt(10) == 0) {
            review.append(',');
            tokens++;
          }
        }
        int mark = random.nextInt(10);
        review.append(mark < 7 ? "." : mark < 9 ? "!" : "?");
        tokens++;
      }
      out.add(review.toString());
    }
    return out;
  }

  /** Token counts of the generated reviews before truncation, and how many were truncated. */
  record TokenStats(int min, int median, int max, double meanKept, int truncated) {}

  private static TokenStats writeTable(
      SparkSession spark,
      Path tokenizerFile,
      Path table,
      int n,
      int maxLength,
      int partitions,
      long seed)
      throws IOException {
    List<String> texts = reviews(vocabulary(VOCAB, 7), n, seed);
    List<Row> rows = new ArrayList<>(n);
    int[] counts = new int[n];
    long kept = 0;
    int truncated = 0;
    try (HuggingFaceTokenizer truncating = djl(tokenizerFile, maxLength);
        HuggingFaceTokenizer full = djl(tokenizerFile, 0)) {
      for (int i = 0; i < n; i++) {
        String text = texts.get(i);
        Encoding e = truncating.encode(text);
        counts[i] = full.encode(text).getIds().length;
        kept += e.getIds().length;
        truncated += counts[i] > maxLength ? 1 : 0;
        rows.add(RowFactory.create((long) i, text, boxed(e.getIds()), boxed(e.getAttentionMask())));
      }
    }
    if (!Files.isDirectory(table)) {
      StructType schema =
          new StructType()
              .add("id", DataTypes.LongType, false)
              .add("review", DataTypes.StringType, false)
              .add("input_ids", DataTypes.createArrayType(DataTypes.LongType, false), false)
              .add("attention_mask", DataTypes.createArrayType(DataTypes.LongType, false), false);
      spark.createDataFrame(rows, schema).repartition(partitions).write().parquet(table.toString());
    }
    int[] sorted = counts.clone();
    Arrays.sort(sorted);
    return new TokenStats(sorted[0], sorted[n / 2], sorted[n - 1], (double) kept / n, truncated);
  }

  /** DJL's tokenizer of the file: special tokens, no padding, truncated at maxLength (0: not). */
  static HuggingFaceTokenizer djl(Path file, int maxLength) throws IOException {
    Map<String, String> options = new HashMap<>();
    options.put("addSpecialTokens", "true");
    options.put("padding", "false");
    options.put("truncation", maxLength > 0 ? "true" : "false");
    if (maxLength > 0) {
      options.put("maxLength", Integer.toString(maxLength));
    }
    return HuggingFaceTokenizer.newInstance(file, options);
  }

  private static List<Long> boxed(long[] values) {
    return Arrays.stream(values).boxed().toList();
  }

  /** A BERT-style WordPiece tokenizer.json (Hugging Face format) of {@code vocab}, in id order. */
  static String wordPieceJson(List<String> vocab) {
    StringBuilder v = new StringBuilder();
    for (int i = 0; i < vocab.size(); i++) {
      v.append(i == 0 ? "" : ",").append(quote(vocab.get(i))).append(':').append(i);
    }
    StringBuilder added = new StringBuilder();
    for (int i = 0; i < 5; i++) {
      added
          .append(i == 0 ? "" : ",")
          .append("{\"id\":")
          .append(i)
          .append(",\"content\":")
          .append(quote(vocab.get(i)))
          .append(
              ",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,"
                  + "\"special\":true}");
    }
    String cls = "{\"SpecialToken\":{\"id\":\"[CLS]\",\"type_id\":0}}";
    String sep0 = "{\"SpecialToken\":{\"id\":\"[SEP]\",\"type_id\":0}}";
    String sep1 = "{\"SpecialToken\":{\"id\":\"[SEP]\",\"type_id\":1}}";
    return "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,"
        + "\"added_tokens\":["
        + added
        + "],"
        + "\"normalizer\":{\"type\":\"BertNormalizer\",\"clean_text\":true,"
        + "\"handle_chinese_chars\":true,\"strip_accents\":null,\"lowercase\":true},"
        + "\"pre_tokenizer\":{\"type\":\"BertPreTokenizer\"},"
        + "\"post_processor\":{\"type\":\"TemplateProcessing\","
        + "\"single\":["
        + cls
        + ",{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},"
        + sep0
        + "],"
        + "\"pair\":["
        + cls
        + ",{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},"
        + sep0
        + ",{\"Sequence\":{\"id\":\"B\",\"type_id\":1}},"
        + sep1
        + "],"
        + "\"special_tokens\":{"
        + "\"[CLS]\":{\"id\":\"[CLS]\",\"ids\":[2],\"tokens\":[\"[CLS]\"]},"
        + "\"[SEP]\":{\"id\":\"[SEP]\",\"ids\":[3],\"tokens\":[\"[SEP]\"]}}},"
        + "\"decoder\":{\"type\":\"WordPiece\",\"prefix\":\"##\",\"cleanup\":true},"
        + "\"model\":{\"type\":\"WordPiece\",\"unk_token\":\"[UNK]\","
        + "\"continuing_subword_prefix\":\"##\",\"max_input_chars_per_word\":100,"
        + "\"vocab\":{"
        + v
        + "}}}";
  }

  private static String quote(String s) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20 || c > 0x7e) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.append('"').toString();
  }

  // ---- report ---------------------------------------------------------------------------------

  /** One bucketing setting's best times in seconds. */
  record Result(
      int bucketBatches,
      double text,
      double ids,
      double tokenize,
      double scanText,
      double scanIds,
      double raw,
      long rawPaddedTokens,
      double textRunSeconds,
      double idsRunSeconds) {
    double ratio() {
      return text / ids;
    }

    double tokenizerShare() {
      return (text - ids) / text;
    }

    /** Precomputed ids through the library against raw ONNX Runtime, throughput. */
    double idsOverRaw() {
      return raw / ids;
    }

    /** Raw strings through the library against raw ONNX Runtime on precomputed ids, throughput. */
    double textOverRaw() {
      return raw / text;
    }
  }

  record Report(
      String title,
      int rows,
      int maxLength,
      int batch,
      int threads,
      TokenStats stats,
      double maxLogitDiff,
      List<Result> results) {

    /** The ratios of the bucketed run, with their targets. */
    List<Benchmark.Ratio> ratios(String model) {
      Result r = results.get(results.size() - 1);
      String bucketed = " (bucket-batches " + r.bucketBatches() + ")";
      return List.of(
          new Benchmark.Ratio(
              model, "ids -> scores / raw ONNX Runtime" + bucketed, r.idsOverRaw(), 0.9, false),
          new Benchmark.Ratio(
              model, "text -> scores / raw ONNX Runtime" + bucketed, r.textOverRaw(), 0, false),
          new Benchmark.Ratio(
              model,
              "tokenizer share of text -> scores" + bucketed,
              r.tokenizerShare(),
              0.15,
              true));
    }

    String table() {
      StringBuilder out = new StringBuilder(title).append('\n');
      out.append(
          String.format(
              Locale.ROOT,
              "  tokens per review before truncation: min %d, median %d, max %d; %d of %d"
                  + " truncated at %d; %.1f tokens kept on average%n",
              stats.min(),
              stats.median(),
              stats.max(),
              stats.truncated(),
              rows,
              maxLength,
              stats.meanKept()));
      out.append(
          String.format(
              Locale.ROOT,
              "  logits from text vs from ids, first %d rows: max abs difference %.3g%n",
              CHECK_ROWS,
              maxLogitDiff));
      for (Result r : results) {
        out.append(
            String.format(
                Locale.ROOT,
                "  bucket-batches %s%n",
                r.bucketBatches() == 0 ? "off" : String.valueOf(r.bucketBatches())));
        line(out, "(a) raw strings -> scores (tokenizer + model)", r.text());
        line(out, "(b) precomputed ids -> scores (pad.*)", r.ids());
        line(out, "(c) tokenizer alone, " + threads + " threads, no Spark", r.tokenize());
        line(out, "(d) plain scan of review -> noop", r.scanText());
        line(out, "(d) plain scan of input_ids, attention_mask", r.scanIds());
        line(out, "(e) raw ONNX Runtime, " + threads + " threads, ids in native buffers", r.raw());
        out.append(
            String.format(
                Locale.ROOT,
                "    (a)/(b) time: %.2f; tokenizer share ((a)-(b))/(a): %.1f%%;"
                    + " (c)/(a) time: %.1f%%%n",
                r.ratio(),
                100 * r.tokenizerShare(),
                100 * r.tokenize() / r.text()));
        out.append(
            String.format(
                Locale.ROOT,
                "    against raw ONNX Runtime (throughput): (b)/(e) %.2f, (a)/(e) %.2f;"
                    + " (e) ran over %d token positions, padding included%n",
                r.idsOverRaw(),
                r.textOverRaw(),
                r.rawPaddedTokens()));
        out.append(
            String.format(
                Locale.ROOT,
                "    time inside ONNX Runtime's run per pass, summed over threads: (a) %.2f s,"
                    + " (b) %.2f s%n",
                r.textRunSeconds(),
                r.idsRunSeconds()));
      }
      return out.toString();
    }

    private void line(StringBuilder out, String name, double seconds) {
      out.append(
          String.format(
              Locale.ROOT, "    %-48s %10.0f rows/s %8.2f s%n", name, rows / seconds, seconds));
    }

    String json() {
      StringBuilder out = new StringBuilder("{\n");
      out.append("  \"title\": ").append(quote(title)).append(",\n");
      out.append(
          String.format(
              Locale.ROOT,
              "  \"rows\": %d,\n  \"max_length\": %d,\n  \"batch_size\": %d,\n  \"threads\": %d,\n"
                  + "  \"tokens\": {\"min\": %d, \"median\": %d, \"max\": %d, \"truncated\": %d,"
                  + " \"mean_kept\": %.2f},\n"
                  + "  \"max_logit_diff\": %.6g,\n  \"results\": [\n",
              rows,
              maxLength,
              batch,
              threads,
              stats.min(),
              stats.median(),
              stats.max(),
              stats.truncated(),
              stats.meanKept(),
              maxLogitDiff));
      for (int i = 0; i < results.size(); i++) {
        Result r = results.get(i);
        out.append(
            String.format(
                Locale.ROOT,
                "    {\"bucket_batches\": %d, \"text_s\": %.6f, \"ids_s\": %.6f,"
                    + " \"tokenize_s\": %.6f, \"scan_text_s\": %.6f, \"scan_ids_s\": %.6f,"
                    + " \"text_rows_per_s\": %.1f, \"ids_rows_per_s\": %.1f,"
                    + " \"text_over_ids\": %.6f, \"tokenizer_share\": %.6f, \"raw_s\": %.6f,"
                    + " \"ids_over_raw\": %.6f, \"text_over_raw\": %.6f,"
                    + " \"raw_padded_tokens\": %d, \"text_run_s\": %.6f,"
                    + " \"ids_run_s\": %.6f}%s\n",
                r.bucketBatches(),
                r.text(),
                r.ids(),
                r.tokenize(),
                r.scanText(),
                r.scanIds(),
                rows / r.text(),
                rows / r.ids(),
                r.ratio(),
                r.tokenizerShare(),
                r.raw(),
                r.idsOverRaw(),
                r.textOverRaw(),
                r.rawPaddedTokens(),
                r.textRunSeconds(),
                r.idsRunSeconds(),
                i + 1 < results.size() ? "," : ""));
      }
      return out.append("  ]\n}\n").toString();
    }
  }
}
