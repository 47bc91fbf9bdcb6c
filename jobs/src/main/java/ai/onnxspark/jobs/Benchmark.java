package ai.onnxspark.jobs;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
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
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

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
 * buffers), the library's {@code transform} and {@code withColumn(onnxPredict)}, and a plain scan
 * of the table, with their ratios. Library and scan runs alternate.
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
          "  --compare             also compare with raw ONNX Runtime, withColumn and a plain scan",
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
                "image-size"),
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
        compare(spark, model.withBatchSize(batch), input, data, rows, batch, cores, repeat);
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

  private static void compare(
      SparkSession spark,
      OnnxModel model,
      TensorSpec input,
      String data,
      int rows,
      int batch,
      int cores,
      int repeat) {
    double raw = best(repeat, () -> rawOrt(model, perRowValues(input), rows, batch, cores));
    // Library and scan runs alternate, so that a slower or faster phase of a shared machine
    // weighs on both alike.
    ScoringMetrics metrics = ScoringMetrics.register(spark.sparkContext());
    Runnable libraryRun =
        () ->
            model
                .withDevice("cpu")
                .transform(spark.read().parquet(data), metrics)
                .write()
                .format("noop")
                .mode("overwrite")
                .save();
    Runnable columnRun =
        () ->
            spark
                .read()
                .parquet(data)
                .withColumn(
                    "prediction",
                    OnnxFunctions.onnxPredict(model.withDevice("cpu"), functions.col(input.name())))
                .write()
                .format("noop")
                .mode("overwrite")
                .save();
    Runnable scanRun =
        () -> spark.read().parquet(data).write().format("noop").mode("overwrite").save();
    libraryRun.run();
    columnRun.run();
    scanRun.run();
    double library = Double.MAX_VALUE;
    double column = Double.MAX_VALUE;
    double scan = Double.MAX_VALUE;
    for (int i = 0; i < repeat; i++) {
      library = Math.min(library, time(libraryRun));
      column = Math.min(column, time(columnRun));
      scan = Math.min(scan, time(scanRun));
    }
    Dataset<Row> table = spark.read().parquet(data);
    long count = table.count();
    int perRow = perRowValues(input);
    System.out.println();
    System.out.printf(
        "model %s (%s, %d bytes), %d rows of %d floats, batch %d, %s, intra-op threads 1 per task%n",
        model.source(),
        input.typeString(),
        model.size(),
        count,
        perRow,
        batch,
        spark.sparkContext().master());
    System.out.printf(
        "  raw ONNX Runtime (%d threads, one session)  %10.0f rows/s  %8.2f s%n",
        cores, rows / raw, raw);
    System.out.printf(
        "  library transform -> noop                   %10.0f rows/s  %8.2f s%n",
        count / library, library);
    System.out.printf(
        "  library withColumn(onnxPredict) -> noop     %10.0f rows/s  %8.2f s%n",
        count / column, column);
    System.out.printf(
        "  plain Parquet scan -> noop                  %10.0f rows/s  %8.2f s%n",
        count / scan, scan);
    System.out.printf(
        "  time inside ONNX Runtime's run per pass, summed over threads: library %.2f s, raw %.2f s%n",
        metrics.runNanos() / 1e9 / (repeat + 1), raw * cores);
    System.out.printf("  library / raw ORT throughput: %.2f%n", (count / library) / (rows / raw));
    System.out.printf("  library time / plain scan time: %.2f%n", library / scan);
    System.out.printf("  withColumn / transform throughput: %.2f%n", library / column);
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
    for (int done = 0; done < rows; done += batch) {
      int n = Math.min(batch, rows - done);
      ByteBuffer view = buffer.duplicate().order(ByteOrder.nativeOrder());
      view.position(0).limit(n * perRow * 4);
      try (OnnxTensor tensor =
              OnnxTensor.createTensor(
                  env,
                  view.slice().order(ByteOrder.nativeOrder()),
                  shape(n, session, inputName),
                  OnnxJavaType.FLOAT);
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
