package ai.onnxspark.jobs;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxspark.internal.plan.OptionValues;
import ai.onnxspark.internal.session.SessionCache;
import ai.onnxspark.model.ElementType;
import ai.onnxspark.model.TensorSpec;
import ai.onnxspark.spark.LatencyHistogram;
import ai.onnxspark.spark.OnnxModel;
import ai.onnxspark.spark.ScoringMetrics;
import ai.onnxspark.sql.OnnxFunctions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;

/**
 * Measures scoring speed on the same machine, model and data, in one run.
 *
 * <p>The sweep: for each requested device and batch size, {@code OnnxModel.transform} of a Parquet
 * table to the {@code noop} sink, best of {@code --repeat} runs after a warm-up run that creates a
 * fresh session; it reports throughput, per-batch latency p50/p95/p99 (time in ONNX Runtime's run
 * per batch, from the library's latency histogram), session creation time, and the process's peak
 * resident memory and heap during the timed runs (in local mode the driver is the executor). A
 * device that cannot be used is reported as unavailable with the reason. Results go to the console
 * and to {@code bench.csv}, {@code bench.json} and {@code bench.html} (charts) under {@code
 * --report}.
 *
 * <p>The comparison ({@code --compare}, and whenever neither {@code --devices} nor {@code
 * --batch-sizes} is given), at the first batch size on the CPU: raw ONNX Runtime (one session, one
 * intra-op thread per Spark core, called from as many Java threads on batches already in native
 * buffers), the library's {@code transform} and {@code withColumn(onnxPredict)} to the {@code noop}
 * sink and into Parquet, a plain scan of the table, a plain Parquet copy of it, and a plain copy
 * that also writes columns of the scores' types and sizes, cut from the input. Library and plain
 * runs alternate. With {@code --text-model}, the text mode's comparison joins it; every ratio is
 * printed with its target and written to {@code compare.json}.
 *
 * <p>{@code --text} runs {@link TextBenchmark} and {@code --images} {@link ImageBenchmark} instead.
 */
public final class Benchmark {
  static final String USAGE =
      String.join(
          "\n",
          "Usage: onnx-bench --model PATH [flags]",
          "",
          "  --model PATH          ONNX model with one float input [batch, ...fixed dims]",
          "  --rows N              rows of generated data (default 100000)",
          "  --batch-sizes LIST    rows per ONNX Runtime call to measure, e.g. 1,8,32,256",
          "  --batch-size N        a single batch size (default 1024)",
          "  --devices LIST        devices to measure: cpu, cuda, tensorrt (default cpu)",
          "  --report DIR          where bench.csv, bench.json and bench.html go",
          "                        (default target/bench-report)",
          "  --compare             also compare with raw ONNX Runtime, withColumn, a plain scan",
          "                        (noop sink) and plain Parquet copies of the input's and the",
          "                        output's columns (Parquet out); prints",
          "                        every ratio with its target, compare.json under --report",
          "  --text-model PATH     with --compare: also the text mode on this model (batch 64,",
          "                        max-length 128), its ratios in the summary",
          "  --text-rows N         reviews for --text-model (default 20000)",
          "  --image-model PATH    with --compare: also the image mode on this model (batch 32),",
          "                        its ratios in the summary",
          "  --image-rows N        JPEGs for --image-model (default 256)",
          "  --data DIR            where the generated Parquet table goes (default target/bench-data)",
          "  --partitions N        partitions of the generated table (default 8)",
          "  --cores N             Spark cores, local[N], and raw ORT threads (default 2)",
          "  --repeat N            timed runs per measurement, best kept (default 3)",
          "",
          "Text mode: onnx-bench --model PATH --text [--rows N] [--max-length N] [--batch-size N]",
          "  --text                a text model (inputs input_ids, attention_mask): raw strings",
          "                        -> scores (generated WordPiece tokenizer.json) vs precomputed",
          "                        ids -> scores vs the tokenizer alone vs a plain scan, on",
          "                        generated reviews of 16-256 tokens; text-bench.json under",
          "                        --report (defaults: --rows 20000, --batch-size 64)",
          "  --max-length N        tokens kept per review in text mode (default 128)",
          "",
          "Image mode: onnx-bench --model PATH --images [--rows N] [--image-size WxH]",
          "  --images              an image model (one float input [batch, 3, H, W]): generated",
          "                        JPEGs read with binaryFile -> withImage -> scores vs a",
          "                        hand-written loop (Java threads, the library's decode and",
          "                        resize, ONNX Runtime directly) vs decode+resize alone vs a",
          "                        plain binaryFile scan; image-bench.json under --report",
          "                        (defaults: --rows 256, --batch-size 32)",
          "  --image-size WxH      generated JPEGs' size in image mode (default 500x375); they",
          "                        go to --data/images-<rows>-<WxH> and are reused");

  private Benchmark() {}

  public static void main(String[] argv) {
    if (List.of(argv).contains("--help")) {
      System.out.println(USAGE);
      return;
    }
    Jobs.run("onnx-bench", () -> bench(null, argv));
  }

  /**
   * Runs the benchmark in {@code spark} (for notebooks) and returns its exit code (0 done, 1
   * failed, 2 user error).
   */
  public static int run(SparkSession spark, String... argv) {
    return Jobs.outcome("onnx-bench", () -> bench(spark, argv));
  }

  private static void bench(SparkSession given, String[] argv) {
    Args args =
        Args.parse(
            argv,
            List.of(
                "model",
                "rows",
                "batch-size",
                "batch-sizes",
                "devices",
                "report",
                "data",
                "partitions",
                "cores",
                "repeat",
                "max-length",
                "image-size",
                "text-model",
                "text-rows",
                "image-model",
                "image-rows"),
            List.of("compare", "text", "images"));
    if (args.has("text") && args.has("images")) {
      throw new Args.UsageException("--text and --images are separate modes; pass one");
    }
    if (args.has("text") || args.has("images")) {
      int cores = args.getInt("cores", 2);
      SparkSession spark = given != null ? given : session(cores);
      try {
        if (given == null) {
          spark.sparkContext().setLogLevel("WARN");
        }
        if (args.has("images")) {
          ImageBenchmark.bench(spark, args, cores, args.getInt("repeat", 3));
        } else {
          TextBenchmark.bench(spark, args, cores, args.getInt("repeat", 3));
        }
      } finally {
        if (given == null) {
          spark.stop();
        }
      }
      return;
    }
    int rows = args.getInt("rows", 100_000);
    List<Integer> batchSizes = new ArrayList<>();
    for (String b :
        args.get("batch-sizes", String.valueOf(args.getInt("batch-size", 1024))).split(",")) {
      try {
        batchSizes.add(Integer.parseInt(b.trim()));
      } catch (NumberFormatException e) {
        throw new Args.UsageException("--batch-sizes takes whole numbers, not '" + b + "'");
      }
    }
    List<String> devices = new ArrayList<>();
    for (String d : args.get("devices", "cpu").split(",")) {
      if (!List.of("cpu", "cuda", "tensorrt").contains(d.trim())) {
        throw new Args.UsageException("--devices takes cpu, cuda or tensorrt, not '" + d + "'");
      }
      devices.add(d.trim());
    }
    boolean compare = args.has("compare") || !(args.has("devices") || args.has("batch-sizes"));
    int cores = args.getInt("cores", 2);
    int repeat = args.getInt("repeat", 3);
    final OnnxModel model = OnnxModel.fromPath(args.required("model"));
    TensorSpec input = model.info().inputs().get(0);
    if (input.elementType() != ElementType.FLOAT || model.info().inputs().size() != 1) {
      throw new Args.UsageException(
          "the benchmark takes models with one float input; " + input + " is not");
    }
    final int perRow = perRowValues(input);
    String data =
        args.get("data", "target/bench-data")
            + "/"
            + Paths.get(model.source()).getFileName()
            + "-"
            + rows;

    SparkSession spark = given != null ? given : session(cores);
    try {
      if (given == null) {
        spark.sparkContext().setLogLevel("WARN");
      }
      if (!Files.isDirectory(Paths.get(data))) {
        SampleData.write(spark, data, rows, input.name(), perRow, args.getInt("partitions", 8), 7);
      }
      List<BenchReport.Result> results = new ArrayList<>();
      for (String device : devices) {
        for (int batch : batchSizes) {
          results.add(measure(spark, model, data, device, batch, repeat));
        }
      }
      BenchReport report =
          new BenchReport(
              String.format(
                  Locale.ROOT,
                  "%s (%s, %d bytes), %d rows, %s, best of %d runs",
                  Paths.get(model.source()).getFileName(),
                  input.typeString(),
                  model.size(),
                  rows,
                  spark.sparkContext().master(),
                  repeat),
              results);
      System.out.println();
      System.out.print(report.table());
      try {
        for (Path file : report.write(Paths.get(args.get("report", "target/bench-report")))) {
          System.out.println("Wrote " + file.toAbsolutePath());
        }
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      if (compare) {
        int batch = batchSizes.get(0);
        List<Ratio> ratios =
            new ArrayList<>(
                compare(
                    spark, model.withBatchSize(batch), input, data, rows, batch, cores, repeat));
        String dataRoot = args.get("data", "target/bench-data");
        String reportDir = args.get("report", "target/bench-report");
        if (args.has("text-model")) {
          ratios.addAll(
              TextBenchmark.bench(
                      spark,
                      args.get("text-model", null),
                      args.getInt("text-rows", 20_000),
                      64,
                      128,
                      8,
                      dataRoot,
                      reportDir,
                      cores,
                      repeat)
                  .ratios(Paths.get(args.get("text-model", null)).getFileName().toString()));
        }
        if (args.has("image-model")) {
          ratios.addAll(
              ImageBenchmark.bench(
                      spark,
                      args.get("image-model", null),
                      args.getInt("image-rows", 256),
                      32,
                      ImageBenchmark.imageSize(args.get("image-size", "500x375")),
                      dataRoot,
                      reportDir,
                      cores,
                      repeat)
                  .ratios(Paths.get(args.get("image-model", null)).getFileName().toString()));
        }
        System.out.println();
        System.out.println("Ratios measured in this run (best of " + repeat + "):");
        System.out.print(Ratio.table(ratios));
        try {
          Path file =
              Files.writeString(
                  Files.createDirectories(Paths.get(reportDir)).resolve("compare.json"),
                  Ratio.json(ratios));
          System.out.println("Wrote " + file.toAbsolutePath());
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
    } finally {
      if (given == null) {
        spark.stop();
      }
    }
  }

  private static SparkSession session(int cores) {
    return SparkSession.builder()
        .master("local[" + cores + "]")
        .appName("onnx-bench")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.adaptive.enabled", "false")
        .getOrCreate();
  }

  /** One device and batch size: warm-up with a fresh session, then the best of the timed runs. */
  private static BenchReport.Result measure(
      SparkSession spark, OnnxModel base, String data, String device, int batch, int repeat) {
    OnnxModel model = base.withDevice(device).withBatchSize(batch);
    SessionCache.get().closeIdle();
    ScoringMetrics warm = ScoringMetrics.register(spark.sparkContext());
    try {
      model
          .transform(spark.read().parquet(data), warm)
          .write()
          .format("noop")
          .mode("overwrite")
          .save();
    } catch (Exception e) {
      return new BenchReport.Result(device, batch, "", 0, 0, 0, 0, 0, 0, 0, 0, 0, rootMessage(e));
    }
    Memory.resetPeaks();
    ScoringMetrics timed = ScoringMetrics.register(spark.sparkContext());
    double best = Double.MAX_VALUE;
    for (int i = 0; i < repeat; i++) {
      long start = System.nanoTime();
      model
          .transform(spark.read().parquet(data), timed)
          .write()
          .format("noop")
          .mode("overwrite")
          .save();
      best = Math.min(best, (System.nanoTime() - start) / 1e9);
    }
    LatencyHistogram latency = timed.batchLatency();
    long rowsPerRun = timed.rows() / Math.max(repeat, 1);
    return new BenchReport.Result(
        device,
        batch,
        String.join("; ", warm.providers()).replace("driver: ", ""),
        rowsPerRun,
        best,
        rowsPerRun / best,
        latency.percentileNanos(0.50) / 1e6,
        latency.percentileNanos(0.95) / 1e6,
        latency.percentileNanos(0.99) / 1e6,
        warm.sessionsCreated() == 0 ? 0 : warm.sessionCreateNanos() / 1e6 / warm.sessionsCreated(),
        Memory.peakRssMb(),
        Memory.peakHeapMb(),
        null);
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && !(root instanceof ai.onnxspark.OnnxException)) {
      root = root.getCause();
    }
    return String.valueOf(root.getMessage());
  }

  /**
   * The comparison at one batch size: raw ONNX Runtime, then alternating runs of the library's
   * {@code transform} and {@code withColumn}, each to the {@code noop} sink and end to end into
   * Parquet, a plain scan to {@code noop}, and plain Parquet copies of the input's columns and of
   * the output's columns (the scores' columns cut from the input).
   */
  private static List<Ratio> compare(
      SparkSession spark,
      OnnxModel model,
      TensorSpec input,
      String data,
      int rows,
      int batch,
      int cores,
      int repeat) {
    double raw = best(repeat, () -> rawOrt(model, perRowValues(input), rows, batch, cores));
    OnnxModel cpu = model.withDevice("cpu");
    ScoringMetrics metrics = ScoringMetrics.register(spark.sparkContext());
    java.util.function.Supplier<Dataset<Row>> transformed =
        () -> cpu.transform(spark.read().parquet(data), metrics);
    java.util.function.Supplier<Dataset<Row>> withColumn =
        () ->
            spark
                .read()
                .parquet(data)
                .withColumn(
                    "prediction", OnnxFunctions.onnxPredict(cpu, functions.col(input.name())));
    String out = data + "-out";
    // Library and plain runs alternate, so that a slower or faster phase of a shared machine
    // weighs on all alike.
    Map<String, Runnable> runs = new java.util.LinkedHashMap<>();
    runs.put("library transform -> noop", () -> noop(transformed.get()));
    runs.put("library withColumn(onnxPredict) -> noop", () -> noop(withColumn.get()));
    runs.put("plain Parquet scan -> noop", () -> noop(spark.read().parquet(data)));
    runs.put("library transform -> Parquet", () -> parquet(transformed.get(), out + "/transform"));
    runs.put(
        "library withColumn(onnxPredict) -> Parquet",
        () -> parquet(withColumn.get(), out + "/withColumn"));
    runs.put(
        "plain Parquet copy -> Parquet", () -> parquet(spark.read().parquet(data), out + "/copy"));
    Dataset<Row> sameColumns = sameColumns(spark.read().parquet(data), transformed.get(), input);
    runs.put(
        "plain Parquet copy, output's columns -> Parquet",
        () -> parquet(sameColumns, out + "/copy-same"));
    Map<String, Double> best = new java.util.LinkedHashMap<>();
    runs.forEach((name, run) -> run.run());
    for (int i = 0; i < repeat; i++) {
      runs.forEach((name, run) -> best.merge(name, time(run), Math::min));
    }
    long count = spark.read().parquet(data).count();
    System.out.println();
    System.out.printf(
        "model %s (%s, %d bytes), %d rows of %d floats, batch %d, %s, intra-op threads 1 per task,"
            + " best of %d%n",
        model.source(),
        input.typeString(),
        model.size(),
        count,
        perRowValues(input),
        batch,
        spark.sparkContext().master(),
        repeat);
    System.out.printf(
        "  %-44s %10.0f rows/s  %8.2f s%n",
        "raw ONNX Runtime (" + cores + " threads, one session)", rows / raw, raw);
    best.forEach(
        (name, seconds) ->
            System.out.printf("  %-44s %10.0f rows/s  %8.2f s%n", name, count / seconds, seconds));
    System.out.printf(
        "  time inside ONNX Runtime's run per pass, summed over threads: library %.2f s, raw %.2f s%n",
        metrics.runNanos() / 1e9 / (2 * (repeat + 1)), raw * cores);
    double transformNoop = best.get("library transform -> noop");
    double columnNoop = best.get("library withColumn(onnxPredict) -> noop");
    double scan = best.get("plain Parquet scan -> noop");
    double transformParquet = best.get("library transform -> Parquet");
    double columnParquet = best.get("library withColumn(onnxPredict) -> Parquet");
    double copy = best.get("plain Parquet copy -> Parquet");
    double copySame = best.get("plain Parquet copy, output's columns -> Parquet");
    String name = Paths.get(model.source()).getFileName().toString();
    List<Ratio> ratios =
        List.of(
            new Ratio(
                name,
                "transform / raw ONNX Runtime, throughput",
                (count / transformNoop) / (rows / raw),
                0,
                false),
            new Ratio(name, "transform time / scan time (noop)", transformNoop / scan, 1.2, true),
            // With no spare core, scoring cannot hide behind reading: the scan plus raw ONNX
            // Runtime's time on the same cores is the least the library can take.
            new Ratio(
                name,
                "(scan + raw ONNX Runtime) time / scan time: floor",
                (scan + raw) / scan,
                0,
                false),
            new Ratio(
                name,
                "transform time / (scan + raw ONNX Runtime) time",
                transformNoop / (scan + raw),
                0,
                false),
            new Ratio(name, "withColumn time / scan time (noop)", columnNoop / scan, 1.2, true),
            // The copy writes the columns the scored output has: what Parquet takes to write the
            // scores is not the library's.
            new Ratio(
                name,
                "transform time / copy time (Parquet out, output's columns)",
                transformParquet / copySame,
                1.2,
                true),
            new Ratio(
                name,
                "withColumn time / copy time (Parquet out, output's columns)",
                columnParquet / copySame,
                1.2,
                true),
            new Ratio(
                name,
                "transform time / copy time (Parquet out, input's columns)",
                transformParquet / copy,
                0,
                false),
            new Ratio(
                name,
                "(copy of output's columns) time / (copy of input's columns) time",
                copySame / copy,
                0,
                false),
            new Ratio(
                name,
                "withColumn / transform throughput (noop)",
                transformNoop / columnNoop,
                0.95,
                false));
    return ratios;
  }

  /**
   * The input table with, for each column {@code scored} adds, a column of the same type and size
   * cut from the input's values: a plain job that writes the columns the scored output has. A flat
   * numeric array of {@code n} values a row is the input's first {@code n} values (repeated when
   * the input has fewer; its elements may be null, as the input's); a number, the input's first
   * value. Other outputs are refused.
   */
  static Dataset<Row> sameColumns(Dataset<Row> in, Dataset<Row> scored, TensorSpec input) {
    List<String> inputColumns = List.of(in.columns());
    List<String> added = new ArrayList<>();
    for (String column : scored.columns()) {
      if (!inputColumns.contains(column)) {
        added.add(column);
      }
    }
    Row first = scored.select(added.stream().map(functions::col).toArray(Column[]::new)).first();
    Column values = functions.col(input.name());
    int perRow = perRowValues(input);
    Dataset<Row> out = in;
    for (int i = 0; i < added.size(); i++) {
      DataType type = scored.schema().apply(added.get(i)).dataType();
      Column value;
      if (type instanceof ArrayType array && array.elementType() instanceof NumericType) {
        int n = first.isNullAt(i) ? 0 : first.getList(i).size();
        int copies = Math.max(1, (n + perRow - 1) / perRow);
        Column repeated =
            copies == 1 ? values : functions.flatten(functions.array_repeat(values, copies));
        value = functions.slice(repeated, 1, n).cast(new ArrayType(array.elementType(), true));
      } else if (type instanceof NumericType) {
        value = functions.element_at(values, 1).cast(type);
      } else {
        throw new Args.UsageException(
            "the comparison writes outputs of numbers or flat arrays of numbers; "
                + added.get(i)
                + " is "
                + type.simpleString());
      }
      out = out.withColumn(added.get(i), value);
    }
    return out;
  }

  private static void noop(Dataset<Row> df) {
    df.write().format("noop").mode("overwrite").save();
  }

  private static void parquet(Dataset<Row> df, String path) {
    df.write().mode("overwrite").parquet(path);
  }

  /**
   * A ratio the benchmark measured in one run and, when it has one, its target: at most {@code
   * target} when {@code atMost}, else at least; a target of 0 means none.
   */
  record Ratio(String model, String name, double value, double target, boolean atMost) {
    boolean met() {
      return target == 0 || (atMost ? value <= target : value >= target);
    }

    String targetText() {
      return target == 0 ? "" : String.format(Locale.ROOT, "%s %.2f", atMost ? "<=" : ">=", target);
    }

    static String table(List<Ratio> ratios) {
      StringBuilder out = new StringBuilder();
      for (Ratio r : ratios) {
        out.append(
            String.format(
                Locale.ROOT,
                "  %-14s %-66s %6.2f  %-8s %s%n",
                r.model(),
                r.name(),
                r.value(),
                r.targetText(),
                r.target() == 0 ? "" : r.met() ? "met" : "NOT met"));
      }
      return out.toString();
    }

    static String json(List<Ratio> ratios) {
      StringBuilder out = new StringBuilder("{\n  \"ratios\": [\n");
      for (int i = 0; i < ratios.size(); i++) {
        Ratio r = ratios.get(i);
        out.append(
            String.format(
                Locale.ROOT,
                "    {\"model\": %s, \"name\": %s, \"value\": %.6f, \"target\": %s,"
                    + " \"at_most\": %b, \"met\": %b}%s%n",
                OptionValues.jsonString(r.model()),
                OptionValues.jsonString(r.name()),
                r.value(),
                r.target() == 0 ? "null" : String.format(Locale.ROOT, "%.4f", r.target()),
                r.atMost(),
                r.met(),
                i + 1 < ratios.size() ? "," : ""));
      }
      return out.append("  ]\n}\n").toString();
    }
  }

  private static int perRowValues(TensorSpec input) {
    long[] dims = input.dims();
    int perRow = 1;
    for (int i = 1; i < dims.length; i++) {
      if (dims[i] < 0) {
        throw new Args.UsageException("input " + input + " has a variable per-row dimension");
      }
      perRow *= (int) dims[i];
    }
    return perRow;
  }

  private static double best(int repeat, Callable<Double> measurement) {
    try {
      measurement.call();
      double best = Double.MAX_VALUE;
      for (int i = 0; i < repeat; i++) {
        best = Math.min(best, measurement.call());
      }
      return best;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static double time(Runnable r) {
    long start = System.nanoTime();
    r.run();
    return (System.nanoTime() - start) / 1e9;
  }

  /** Seconds for {@code threads} threads to score {@code rows} rows in batches on one session. */
  private static double rawOrt(OnnxModel model, int perRow, int rows, int batch, int threads)
      throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    byte[] bytes = Files.readAllBytes(Path.of(model.source()));
    String inputName = model.info().inputs().get(0).name();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(1);
      options.setInterOpNumThreads(1);
      try (OrtSession session = env.createSession(bytes, options)) {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
          List<Future<?>> futures = new ArrayList<>();
          long start = System.nanoTime();
          for (int t = 0; t < threads; t++) {
            int share = rows / threads + (t < rows % threads ? 1 : 0);
            futures.add(
                pool.submit(() -> scoreShare(env, session, inputName, perRow, share, batch)));
          }
          for (Future<?> f : futures) {
            f.get();
          }
          return (System.nanoTime() - start) / 1e9;
        } finally {
          pool.shutdownNow();
        }
      }
    }
  }

  private static Void scoreShare(
      OrtEnvironment env, OrtSession session, String inputName, int perRow, int rows, int batch)
      throws OrtException {
    ByteBuffer buffer =
        ByteBuffer.allocateDirect(batch * perRow * 4).order(ByteOrder.nativeOrder());
    Random random = new Random(1);
    while (buffer.hasRemaining()) {
      buffer.putFloat((float) random.nextGaussian());
    }
    // The input's shape is read once (each getInputInfo call crosses into native code and builds
    // the model's input descriptions anew): only the last, short batch needs another.
    long[] full = shape(batch, session, inputName);
    for (int done = 0; done < rows; done += batch) {
      int n = Math.min(batch, rows - done);
      long[] shape = full;
      if (n != batch) {
        shape = full.clone();
        shape[0] = n;
      }
      ByteBuffer view = buffer.duplicate().order(ByteOrder.nativeOrder());
      view.position(0).limit(n * perRow * 4);
      try (OnnxTensor tensor =
              OnnxTensor.createTensor(
                  env, view.slice().order(ByteOrder.nativeOrder()), shape, OnnxJavaType.FLOAT);
          OrtSession.Result result = session.run(Map.of(inputName, tensor))) {
        ((OnnxTensor) result.get(0)).getFloatBuffer();
      }
    }
    return null;
  }

  private static long[] shape(int n, OrtSession session, String inputName) throws OrtException {
    long[] shape =
        ((ai.onnxruntime.TensorInfo) session.getInputInfo().get(inputName).getInfo())
            .getShape()
            .clone();
    shape[0] = n;
    return shape;
  }
}
