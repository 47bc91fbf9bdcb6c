package ai.onnxspark.jobs;

import ai.onnxspark.OnnxException;
import org.apache.spark.sql.SparkSession;

/** What the jobs share: the Spark session they build and how they end (exit codes). */
final class Jobs {
  /** The job did its work. */
  static final int OK = 0;

  /** The job failed while running (Spark, I/O, ONNX Runtime). */
  static final int FAILED = 1;

  /** The user asked for something that cannot work: bad flags, missing files, schema mismatch. */
  static final int USER_ERROR = 2;

  private Jobs() {}

  /**
   * A failure while running that the job can name and explain in one line (exit code 1), such as an
   * output that could not be swapped in.
   */
  static final class Failure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Failure(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * A session for a job: the given master, or {@code local[*]} when the job was not started by
   * spark-submit (which sets {@code spark.master}).
   */
  static SparkSession session(String appName, String master) {
    return session(appName, master, false);
  }

  /**
   * As {@link #session(String, String)}; with {@code delta}, a new session also gets Delta Lake's
   * SQL extension and catalog (an existing session is taken as it is).
   */
  static SparkSession session(String appName, String master, boolean delta) {
    return session(appName, master, delta, java.util.Map.of());
  }

  /**
   * As {@link #session(String, String, boolean)}, with {@code conf} given to a new session's
   * builder, so that {@code spark.hadoop.*} entries reach its Hadoop configuration (and with it the
   * file system the model is read from).
   */
  static SparkSession session(
      String appName, String master, boolean delta, java.util.Map<String, String> conf) {
    SparkSession.Builder builder = SparkSession.builder().appName(appName);
    conf.forEach(builder::config);
    if (delta) {
      builder
          .config(
              "spark.sql.extensions",
              "io.delta.sql.DeltaSparkSessionExtension,ai.onnxspark.sql.OnnxSparkExtensions")
          .config(
              "spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog");
    }
    if (master != null) {
      builder.master(master);
    } else if (System.getProperty("spark.master") == null) {
      builder
          .master("local[*]")
          .config("spark.ui.enabled", "false")
          .config("spark.driver.host", "127.0.0.1");
    }
    return builder.getOrCreate();
  }

  /**
   * Runs a job body and exits with the code its outcome deserves, printing one clear line on error.
   */
  static void run(String name, Runnable body) {
    System.exit(outcome(name, body));
  }

  /** Runs a job body and returns its exit code, printing one clear line on error. */
  static int outcome(String name, Runnable body) {
    return outcome(name, false, body);
  }

  /**
   * Runs a job body and returns its exit code. A failure the job can name (a bad flag, a missing
   * input or an existing output, a model or schema mismatch, a row that cannot be scored) prints
   * one line saying what and the fix; its stack trace only with {@code verbose}. Other failures
   * print their root cause and stack trace.
   */
  static int outcome(String name, boolean verbose, Runnable body) {
    int code;
    try {
      body.run();
      code = OK;
    } catch (Args.UsageException e) {
      System.err.println(name + ": " + e.getMessage() + " (--help lists the flags)");
      code = USER_ERROR;
      trace(e, verbose);
    } catch (OnnxException e) {
      System.err.println(name + ": " + e.getMessage().replace('\n', ' '));
      code = USER_ERROR;
      trace(e, verbose);
    } catch (Failure e) {
      System.err.println(name + ": failed: " + e.getMessage());
      code = FAILED;
      trace(e, verbose);
    } catch (Exception e) {
      // Spark's own exceptions are checked in Java but thrown from Scala without declaration.
      Throwable root = e;
      while (root.getCause() != null && !(root instanceof OnnxException)) {
        root = root.getCause();
      }
      if (e instanceof org.apache.spark.sql.AnalysisException analysis) {
        // Raised while the query is planned, before any data is read or written: a path, table
        // or column that does not fit.
        System.err.println(name + ": " + oneLine(analysis.getMessage()));
        code = USER_ERROR;
        trace(e, verbose);
      } else if (root instanceof OnnxException) {
        // A row or batch that cannot be scored, reported from an executor.
        System.err.println(name + ": failed: " + oneLine(root.getMessage()));
        code = FAILED;
        trace(e, verbose);
      } else {
        System.err.println(name + ": failed: " + root);
        e.printStackTrace();
        code = FAILED;
      }
    }
    return code;
  }

  private static void trace(Throwable e, boolean verbose) {
    if (verbose) {
      e.printStackTrace();
    }
  }

  /** {@code message} on one line: Spark's query context and SQLSTATE lines dropped. */
  static String oneLine(String message) {
    if (message == null) {
      return "";
    }
    String line = message.strip();
    int newline = line.indexOf('\n');
    if (newline >= 0) {
      line = line.substring(0, newline).strip();
    }
    return line.replaceAll("\\s*SQLSTATE: \\w+\\s*$", "");
  }
}
