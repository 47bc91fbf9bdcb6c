package ai.onnxspark.jobs;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxspark.model.ElementType;
import ai.onnxspark.model.TensorSpec;
import ai.onnxspark.spark.OnnxFunctions;
import ai.onnxspark.spark.OnnxModel;
import ai.onnxspark.spark.ScoringMetrics;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
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
 * Measures, in one run and on the same machine, model, threads and batch size:
 *
 * <ol>
 *   <li>raw ONNX Runtime: one session with one intra-op thread per Spark core, called from as many
 *       Java threads as Spark has cores, on batches already in native buffers (the ceiling);
 *   <li>this library: {@code OnnxModel.transform} of a Parquet table, written to the {@code noop}
 *       sink;
 *   <li>a plain scan of the same table to the {@code noop} sink;
 * </ol>
 *
 * and prints each throughput and their ratios. Each measurement is the best of {@code --repeat}
 * runs after one warm-up run; library and scan runs alternate.
 */
public final class Benchmark {
  static final String USAGE =
      String.join(
          "\n",
          "Usage: onnx-bench --model PATH [flags]",
          "",
          "  --model PATH        ONNX model with one float input [batch, ...fixed dims]",
          "  --rows N            rows of generated data (default 100000)",
          "  --batch-size N      rows per ONNX Runtime call (default 1024)",
          "  --data DIR          where the generated Parquet table goes (default target/bench-data)",
          "  --partitions N      partitions of the generated table (default 8)",
          "  --cores N           Spark cores, local[N], and raw ORT threads (default 2)",
          "  --repeat N          timed runs per measurement, best kept (default 3)");

  private Benchmark() {}

  public static void main(String[] argv) {
    if (List.of(argv).contains("--help")) {
      System.out.println(USAGE);
      return;
    }
    Jobs.run("onnx-bench", () -> run(argv));
  }

  private static void run(String[] argv) {
    Args args =
        Args.parse(
            argv,
            List.of("model", "rows", "batch-size", "data", "partitions", "cores", "repeat"),
            List.of());
    int rows = args.getInt("rows", 100_000);
    int batch = args.getInt("batch-size", 1024);
    int cores = args.getInt("cores", 2);
    int repeat = args.getInt("repeat", 3);
    final OnnxModel model = OnnxModel.fromPath(args.required("model")).withBatchSize(batch);
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

    SparkSession spark =
        SparkSession.builder()
            .master("local[" + cores + "]")
            .appName("onnx-bench")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.sql.adaptive.enabled", "false")
            .getOrCreate();
    try {
      spark.sparkContext().setLogLevel("WARN");
      if (!Files.isDirectory(Paths.get(data))) {
        SampleData.write(spark, data, rows, input.name(), perRow, args.getInt("partitions", 8), 7);
      }
      double raw = best(repeat, () -> rawOrt(model, perRow, rows, batch, cores));
      // Library and scan runs alternate, so that a slower or faster phase of a shared machine
      // weighs on both alike.
      ScoringMetrics metrics = ScoringMetrics.register(spark.sparkContext());
      Runnable libraryRun =
          () ->
              model
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
                      "prediction", OnnxFunctions.onnxPredict(model, functions.col(input.name())))
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
      System.out.println();
      System.out.printf(
          "model %s (%s, %d bytes), %d rows of %d floats, batch %d, local[%d], intra-op threads 1 per task%n",
          model.source(), input.typeString(), model.size(), count, perRow, batch, cores);
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
    } finally {
      spark.stop();
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

  private static double time(Runnable r) {
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
