package ai.onnxspark.jobs;

import ai.onnxspark.OnnxOption;
import ai.onnxspark.OnnxOptions;
import ai.onnxspark.internal.plan.SparkConfs;
import ai.onnxspark.spark.OnnxModel;
import ai.onnxspark.spark.ScoringMetrics;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.streaming.DataStreamReader;
import org.apache.spark.sql.streaming.DataStreamWriter;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.sql.streaming.Trigger;

/**
 * Scores a table with an ONNX model and writes the scores: the spark-submit main class behind
 * {@code jobs/bin/onnx-score}. Flags are checked, the model read and the columns matched against
 * the table's schema before any Spark job starts.
 */
public final class ScoreJob {
  static final String USAGE =
      String.join(
          "\n",
          "Usage: onnx-score --model PATH --input PATH --output PATH [flags]",
          "       onnx-score --stream --checkpoint DIR --model PATH --input PATH --output PATH [flags]",
          "",
          "  --model PATH           ONNX model: local path or Hadoop URI (hdfs://, s3a://, dbfs:/, ...)",
          "  --input PATH|TABLE     table to score: a path, or a catalog table with --input-format table",
          "  --input-format FMT     parquet (default), delta or table",
          "  --version N            with a Delta input: read version N (time travel)",
          "  --timestamp TS         with a Delta input: read the version as of TS",
          "  --output PATH          where to write the scored table",
          "  --output-format FMT    parquet (default) or delta",
          "  --mode MODE            errorifexists (default), overwrite or append; a Parquet overwrite",
          "                         writes beside the output and replaces it only once complete",
          "  --run-id N             Delta output: this run's number; re-running a run that already",
          "                         committed writes nothing (exactly once, with --app-id)",
          "  --app-id NAME          Delta output: the job's name for --run-id (default onnx-score)",
          "  --feed INPUT=COL[,COL] model input <- column(s); repeatable (default: columns named like inputs)",
          "  --fetch COL=OUTPUT     new column <- model output; repeatable (default: every output)",
          "  --batch-size N         rows per ONNX Runtime call (default 1024)",
          "  --keep COL[,COL]       input columns to keep in the output (default: all); the first",
          "                         also names bad rows in errors",
          "  --partition-by COL[,COL] partition the output by these columns",
          "  --device DEV           cpu, cuda, tensorrt or auto (default auto: the task's GPU, else CPU)",
          "  --device-fallback F    none (default: an unusable GPU fails) or cpu",
          "  --permissive           bad rows get null scores and their error in column onnx_error",
          "  --option KEY=VALUE     any per-call option of the library; repeatable. Keys: "
              + String.join(", ", OnnxOptions.keysFor(OnnxOption.Api.JOB)),
          "  --quantize int8|fp16   score an int8-quantized (MatMul/Gemm weights) or float16 copy",
          "                         of the model, made on the driver; the model file is untouched",
          "  --optimize LEVEL       optimize the graph once on the driver (basic, extended, all),",
          "                         so executors' sessions skip it",
          "  --where SQL            score only rows matching this filter",
          "  --stream               score the input as a stream (Structured Streaming): a Delta table,",
          "                         a Parquet folder or a catalog table, appended to a Delta --output;",
          "                         each input row lands in the output exactly once, across restarts",
          "  --checkpoint DIR       with --stream (required): the query's checkpoint; restart with",
          "                         the same DIR to carry on where the query stopped or failed",
          "  --trigger WHEN         with --stream: available-now (default: score what is there, in",
          "                         micro-batches, then stop) or an interval such as '30 seconds'",
          "                         (run until stopped, a micro-batch per interval)",
          "  --max-files-per-trigger N  with --stream: at most N new input files per micro-batch",
          "  --show N               print the first N scored rows (default 5; 0 for none)",
          "  --master URL           Spark master (default: spark-submit's, else local[*])",
          "  --conf KEY=VALUE       Spark configuration; repeatable",
          "  --config FILE          flags from a properties file (conf/score.properties shows how);",
          "                         flags on the command line win",
          "  --verbose              print the stack trace of a failure, not just its line",
          "  --help                 this text",
          "",
          "Exit codes: 0 done, 1 failed while running, 2 bad flags, files or model/schema mismatch.");

  private ScoreJob() {}

  public static void main(String[] argv) {
    if (Arrays.asList(argv).contains("--help")) {
      System.out.println(USAGE);
      return;
    }
    System.exit(run(argv));
  }

  /** Runs the job in this JVM and returns its exit code (0 done, 1 failed, 2 user error). */
  public static int run(String... argv) {
    return Jobs.outcome("onnx-score", Arrays.asList(argv).contains("--verbose"), () -> score(argv));
  }

  private static void score(String[] commandLine) {
    String[] argv = Args.withConfigFile(commandLine);
    Args args =
        Args.parse(
            argv,
            List.of(
                "model",
                "input",
                "input-format",
                "output",
                "output-format",
                "mode",
                "feed",
                "fetch",
                "batch-size",
                "keep",
                "where",
                "show",
                "master",
                "conf",
                "device",
                "device-fallback",
                "version",
                "timestamp",
                "run-id",
                "app-id",
                "partition-by",
                "quantize",
                "optimize",
                "option",
                "checkpoint",
                "trigger",
                "max-files-per-trigger"),
            List.of("permissive", "stream", "verbose"));
    boolean stream = args.has("stream");
    for (String flag : List.of("checkpoint", "trigger", "max-files-per-trigger")) {
      if (!stream && args.has(flag)) {
        throw new Args.UsageException("--" + flag + " is for streams; add --stream.");
      }
    }
    String inputFormat =
        oneOf(args, "input-format", "parquet", List.of("parquet", "delta", "table"));
    String outputFormat =
        stream
            ? oneOf(args, "output-format", "delta", List.of("delta"))
            : oneOf(args, "output-format", "parquet", List.of("parquet", "delta"));
    if (stream) {
      checkStreamFlags(args);
    }
    if ((args.has("version") || args.has("timestamp")) && !inputFormat.equals("delta")) {
      throw new Args.UsageException(
          "--version and --timestamp read Delta inputs; add --input-format delta.");
    }
    if (args.has("run-id") && !outputFormat.equals("delta")) {
      throw new Args.UsageException(
          "--run-id makes Delta writes exactly once; add --output-format delta.");
    }
    if (args.has("run-id")) {
      args.getInt("run-id", 0);
    }
    String mode =
        stream
            ? oneOf(args, "mode", "append", List.of("append"))
            : oneOf(args, "mode", "errorifexists", List.of("errorifexists", "overwrite", "append"));
    String output = args.required("output");

    // A session the job did not start (a test's, a notebook's) is left running.
    boolean ownSession = SparkSession.getDefaultSession().isEmpty();
    boolean delta = inputFormat.equals("delta") || outputFormat.equals("delta");
    java.util.Map<String, String> confs = new java.util.LinkedHashMap<>();
    for (String conf : args.all("conf")) {
      String[] kv = pair(conf, "--conf", "KEY=VALUE");
      confs.put(kv[0], kv[1]);
    }
    SparkSession spark = Jobs.session("onnx-score", args.get("master", null), delta, confs);
    try {
      if (mode.equals("overwrite")
          && outputFormat.equals("parquet")
          && !inputFormat.equals("table")
          && StagedOverwrite.overlap(
              args.required("input"), output, SparkConfs.hadoopConf(spark))) {
        throw new Args.UsageException(
            "--output "
                + output
                + " is (or holds, or lies inside) --input "
                + args.required("input")
                + "; overwriting it would destroy the rows being scored. Write to another"
                + " --output, then replace the input with it.");
      }
      for (String conf : args.all("conf")) {
        String[] kv = pair(conf, "--conf", "KEY=VALUE");
        spark.conf().set(kv[0], kv[1]);
      }
      // Read once the session exists, so that --conf spark.hadoop.* reaches the model's file
      // system.
      OnnxModel model = OnnxModel.fromPath(args.required("model"));
      if (args.has("quantize")) {
        String to = oneOf(args, "quantize", "int8", List.of("int8", "fp16"));
        model = to.equals("int8") ? model.quantizeInt8() : model.toFloat16();
      }
      if (args.has("optimize")) {
        model = model.optimized(args.get("optimize", "basic"));
      }
      for (String feed : args.all("feed")) {
        String[] kv = pair(feed, "--feed", "INPUT=COL[,COL]");
        model = model.withInput(kv[0], kv[1].split(","));
      }
      for (String fetch : args.all("fetch")) {
        String[] kv = pair(fetch, "--fetch", "COL=OUTPUT");
        model = model.withOutput(kv[1], kv[0]);
      }
      if (args.has("batch-size")) {
        model = model.withBatchSize(args.getInt("batch-size", 0));
      }
      if (args.has("device")) {
        model = model.withDevice(args.get("device", null));
      }
      if (args.has("device-fallback")) {
        model = model.withDeviceFallback(args.get("device-fallback", null));
      }
      if (args.has("permissive")) {
        model = model.withPermissive();
      }
      for (String option : args.all("option")) {
        String[] kv = pair(option, "--option", "KEY=VALUE");
        model = model.withOption(kv[0], kv[1]);
      }
      Dataset<Row> input;
      if (stream) {
        input = readStream(spark, args, inputFormat);
      } else if (inputFormat.equals("table")) {
        input = spark.table(args.required("input"));
      } else {
        DataFrameReader reader = spark.read().format(inputFormat);
        if (args.has("version")) {
          reader = reader.option("versionAsOf", args.get("version", null));
        }
        if (args.has("timestamp")) {
          reader = reader.option("timestampAsOf", args.get("timestamp", null));
        }
        try {
          input = reader.load(args.required("input"));
        } catch (Exception e) {
          // Spark's AnalysisException is checked, but thrown from Scala without declaration.
          throw inputNotFound(e, args.required("input"), inputFormat);
        }
      }
      if (args.has("where")) {
        input = input.where(args.get("where", null));
      }
      if (args.has("keep") && !model.options().containsKey(OnnxOptions.KEY_COLUMN)) {
        // The first column kept beside the outputs names bad rows in errors.
        String first = args.get("keep", "").split(",")[0].trim();
        if (Arrays.asList(input.columns()).contains(first)) {
          model = model.withKeyColumn(first);
        }
      }
      ScoringMetrics metrics = ScoringMetrics.register(spark.sparkContext());
      Dataset<Row> scored = model.transform(input, metrics);
      if (args.has("keep")) {
        List<Column> columns = new ArrayList<>();
        for (String keep : args.get("keep", "").split(",")) {
          columns.add(functions.col(keep.trim()));
        }
        for (String name : scored.columns()) {
          if (!Arrays.asList(input.columns()).contains(name)) {
            columns.add(functions.col(name));
          }
        }
        scored = scored.select(columns.toArray(new Column[0]));
      }
      System.out.println(
          "Scoring "
              + args.required("input")
              + " with "
              + model.source()
              + " (sha256 "
              + model.fingerprint().substring(0, 12)
              + ")");
      long start = System.nanoTime();
      if (stream) {
        writeStream(spark, args, scored, metrics, start, output);
        return;
      }
      DataFrameWriter<Row> writer = scored.write().format(outputFormat).mode(mode);
      if (args.has("partition-by")) {
        writer = writer.partitionBy(args.get("partition-by", "").split(","));
      }
      if (args.has("run-id")) {
        // Delta records (app id, run) in the commit; a later write with a run it has seen is
        // skipped.
        writer =
            writer
                .option("txnAppId", args.get("app-id", "onnx-score"))
                .option("txnVersion", args.get("run-id", null));
      }
      try (Progress progress = new Progress(metrics, start)) {
        if (stagedOverwrite(outputFormat, mode, spark)) {
          // The previous output stays whole until the new one is complete.
          StagedOverwrite staged = StagedOverwrite.of(output, SparkConfs.hadoopConf(spark));
          DataFrameWriter<Row> staging = writer.mode("errorifexists");
          staged.run(() -> staging.save(staged.stagingPath()));
          // Spark did not write the output's path itself: drop what it may hold of the old one.
          spark.catalog().refreshByPath(output);
        } else {
          writer.save(output);
        }
      } catch (Exception e) {
        throw outputExists(e, output);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.printf(
          "Scored %s%s, %.1f s in ONNX Runtime. Output: %s%n",
          counts(metrics, seconds),
          metrics.providers().isEmpty()
              ? " (sessions of earlier jobs reused)"
              : " on " + metrics.providers(),
          metrics.runNanos() / 1e9,
          output);
      int show = args.getInt("show", 5);
      if (show > 0) {
        spark.read().format(outputFormat).load(output).show(show, 100);
      }
    } finally {
      if (ownSession) {
        spark.stop();
      }
    }
  }

  /** Refuses the flags a stream cannot honour, and a bad --trigger, before Spark starts. */
  private static void checkStreamFlags(Args args) {
    if (args.has("version") || args.has("timestamp")) {
      throw new Args.UsageException(
          "--version and --timestamp read one version of a Delta table; a --stream reads every"
              + " new version. Drop them, or score the version without --stream.");
    }
    if (args.has("run-id") || args.has("app-id")) {
      throw new Args.UsageException(
          "--run-id and --app-id make batch runs exactly once; a --stream is exactly once through"
              + " its --checkpoint. Drop them.");
    }
    args.required("checkpoint");
    trigger(args);
    if (args.has("max-files-per-trigger") && args.getInt("max-files-per-trigger", 0) < 1) {
      throw new Args.UsageException(
          "--max-files-per-trigger is '"
              + args.get("max-files-per-trigger", null)
              + "'; expected a whole number of files, 1 or more.");
    }
  }

  /** The --trigger of a stream: available-now (default) or a processing-time interval. */
  private static Trigger trigger(Args args) {
    String when = args.get("trigger", "available-now").trim();
    if (when.equals("available-now")) {
      return Trigger.AvailableNow();
    }
    try {
      return Trigger.ProcessingTime(when);
    } catch (RuntimeException e) {
      // IllegalArgumentException, or Spark's error for an interval it cannot parse.
      throw new Args.UsageException(
          "--trigger is '"
              + when
              + "'; expected available-now or an interval such as '30 seconds' or '5 minutes'.");
    }
  }

  /** The input as a stream: a Delta table, a Parquet folder (its current schema) or a table. */
  private static Dataset<Row> readStream(SparkSession spark, Args args, String format) {
    String input = args.required("input");
    DataStreamReader reader = spark.readStream();
    if (args.has("max-files-per-trigger")) {
      reader = reader.option("maxFilesPerTrigger", args.get("max-files-per-trigger", null));
    }
    if (format.equals("table")) {
      return reader.table(input);
    }
    if (format.equals("parquet")) {
      // File streams need their schema up front: the folder's, as a batch read sees it.
      return reader.schema(spark.read().parquet(input).schema()).parquet(input);
    }
    return reader.format(format).load(input);
  }

  /**
   * Appends the scored stream to the Delta table {@code output}, one micro-batch at a time: the
   * checkpoint records what each batch read and Delta's sink commits each batch once (a batch run
   * again after a restart is skipped if it was committed), so every input row lands exactly once.
   * Returns when an available-now query has read everything; an interval trigger runs until the job
   * is stopped.
   */
  private static void writeStream(
      SparkSession spark,
      Args args,
      Dataset<Row> scored,
      ScoringMetrics metrics,
      long start,
      String output) {
    DataStreamWriter<Row> writer =
        scored
            .writeStream()
            .format("delta")
            .outputMode("append")
            .option("checkpointLocation", args.required("checkpoint"))
            .trigger(trigger(args));
    if (args.has("partition-by")) {
      writer = writer.partitionBy(args.get("partition-by", "").split(","));
    }
    BatchProgress progress = new BatchProgress(metrics, start);
    spark.streams().addListener(progress);
    try {
      StreamingQuery query = writer.start(output);
      System.out.println(
          "Streaming into "
              + output
              + " (checkpoint "
              + args.required("checkpoint")
              + ", query "
              + query.id()
              + ")");
      query.awaitTermination();
    } catch (Exception e) {
      // StreamingQueryException and TimeoutException are checked in Java.
      throw e instanceof RuntimeException r ? r : new IllegalStateException(e.getMessage(), e);
    } finally {
      spark.streams().removeListener(progress);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf(
        "Scored %s in %d micro-batch(es) with rows. Output: %s%n",
        counts(metrics, seconds), progress.batches.get(), output);
    int show = args.getInt("show", 5);
    if (show > 0) {
      spark.read().format("delta").load(output).show(show, 100);
    }
  }

  /** Prints one line per micro-batch that read rows. */
  private static final class BatchProgress extends StreamingQueryListener {
    private final ScoringMetrics metrics;
    private final long start;
    final java.util.concurrent.atomic.AtomicLong batches =
        new java.util.concurrent.atomic.AtomicLong();

    BatchProgress(ScoringMetrics metrics, long start) {
      this.metrics = metrics;
      this.start = start;
    }

    @Override
    public void onQueryStarted(QueryStartedEvent event) {}

    @Override
    public void onQueryProgress(QueryProgressEvent event) {
      long rows = event.progress().numInputRows();
      if (rows > 0) {
        batches.incrementAndGet();
        System.out.println(
            "... micro-batch "
                + event.progress().batchId()
                + ": "
                + rows
                + " rows; so far "
                + counts(metrics, (System.nanoTime() - start) / 1e9));
      }
    }

    @Override
    public void onQueryTerminated(QueryTerminatedEvent event) {}
  }

  /**
   * Whether an overwrite is written beside the output and swapped in when complete: Parquet (Delta
   * replaces a table atomically by itself), unless the session overwrites partitions dynamically
   * ({@code spark.sql.sources.partitionOverwriteMode=dynamic}: only the partitions written are
   * replaced, which Spark's commit does for each partition).
   */
  private static boolean stagedOverwrite(String format, String mode, SparkSession spark) {
    return format.equals("parquet")
        && mode.equals("overwrite")
        && !"dynamic"
            .equalsIgnoreCase(
                spark.conf().get("spark.sql.sources.partitionOverwriteMode", "static").trim());
  }

  /**
   * Spark's {@code [PATH_NOT_FOUND]} for {@code --input} as one line naming the path and the fix;
   * other analysis errors as they are.
   */
  private static RuntimeException inputNotFound(Exception e, String input, String format) {
    if (e instanceof org.apache.spark.sql.AnalysisException
        && String.valueOf(e.getMessage()).startsWith("[PATH_NOT_FOUND]")) {
      return new Args.UsageException(
          "--input "
              + input
              + " does not exist (read as "
              + format
              + "). Give the path of an existing "
              + format
              + " table, or the name of a catalog table with --input-format table.");
    }
    return rethrow(e);
  }

  /**
   * Spark's {@code [PATH_ALREADY_EXISTS]} (Delta's {@code [DELTA_PATH_EXISTS]}) for {@code
   * --output} as one line naming the path and the fix; other analysis errors as they are.
   */
  private static RuntimeException outputExists(Exception e, String output) {
    String message = String.valueOf(e.getMessage());
    if (e instanceof org.apache.spark.sql.AnalysisException
        && (message.startsWith("[PATH_ALREADY_EXISTS]")
            || message.startsWith("[DELTA_PATH_EXISTS]"))) {
      return new Args.UsageException(
          "--output "
              + output
              + " already exists. Choose another --output, or add --mode overwrite to replace it"
              + " or --mode append to add to it.");
    }
    return rethrow(e);
  }

  /** Throws {@code e} as it is, checked or not (Spark's Scala code throws checked exceptions). */
  private static RuntimeException rethrow(Exception e) {
    if (e instanceof RuntimeException runtime) {
      return runtime;
    }
    throw ScoreJob.<RuntimeException>sneaky(e);
  }

  @SuppressWarnings("unchecked")
  private static <T extends Exception> T sneaky(Exception e) throws T {
    throw (T) e;
  }

  private static String oneOf(Args args, String flag, String defaultValue, List<String> allowed) {
    String value = args.get(flag, defaultValue);
    if (!allowed.contains(value)) {
      throw new Args.UsageException(
          "--" + flag + " is '" + value + "'; expected one of " + allowed + ".");
    }
    return value;
  }

  private static String[] pair(String value, String flag, String form) {
    int eq = value.indexOf('=');
    if (eq <= 0 || eq == value.length() - 1) {
      throw new Args.UsageException(flag + " '" + value + "' is not of the form " + form + ".");
    }
    return new String[] {value.substring(0, eq), value.substring(eq + 1)};
  }

  /** Rows, time, rate, batches and sessions so far, as the progress and summary lines say them. */
  private static String counts(ScoringMetrics metrics, double seconds) {
    return String.format(
        "%d rows in %.1f s (%.0f rows/s): %d batches, %d session(s) created",
        metrics.rows(),
        seconds,
        metrics.rows() / Math.max(seconds, 1e-9),
        metrics.batches(),
        metrics.sessionsCreated());
  }

  /**
   * Prints rows scored so far every 10 seconds while the job runs (accumulators reach the driver as
   * tasks finish), so a person can follow a long job.
   */
  private static final class Progress implements AutoCloseable {
    private final java.util.concurrent.ScheduledExecutorService timer =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "onnx-score-progress");
              t.setDaemon(true);
              return t;
            });

    Progress(ScoringMetrics metrics, long start) {
      timer.scheduleAtFixedRate(
          () -> {
            System.out.println("... " + counts(metrics, (System.nanoTime() - start) / 1e9));
          },
          10,
          10,
          java.util.concurrent.TimeUnit.SECONDS);
    }

    @Override
    public void close() {
      timer.shutdownNow();
    }
  }
}
