package ai.onnxspark.internal.session;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxspark.OnnxOptions;
import ai.onnxspark.internal.OnnxErrors;
import java.io.Serializable;
import java.util.Locale;
import java.util.Objects;

/**
 * The settings an ONNX Runtime session is built with, as a small immutable value that travels to
 * executors and serves as part of the session cache key. {@link #toOrt()} is the one place where
 * these settings become ORT {@code SessionOptions}.
 *
 * <p>{@code intraOpThreads == 0} means "the task's CPU share"; executors replace it with the
 * concrete number through {@link #withTaskCpus(int)} before a session is looked up, so the cache
 * key always names the real thread count.
 */
public final class SessionOptionsSpec implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Graph optimization levels, as ONNX Runtime names them. */
  public enum OptimizationLevel {
    NONE(OrtSession.SessionOptions.OptLevel.NO_OPT),
    BASIC(OrtSession.SessionOptions.OptLevel.BASIC_OPT),
    EXTENDED(OrtSession.SessionOptions.OptLevel.EXTENDED_OPT),
    ALL(OrtSession.SessionOptions.OptLevel.ALL_OPT);

    private final OrtSession.SessionOptions.OptLevel ort;

    OptimizationLevel(OrtSession.SessionOptions.OptLevel ort) {
      this.ort = ort;
    }

    /** ONNX Runtime's name for the level. */
    public OrtSession.SessionOptions.OptLevel ort() {
      return ort;
    }

    /** Parses {@code none|basic|extended|all}, case-insensitively. */
    public static OptimizationLevel parse(String value) {
      try {
        return valueOf(value.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw OnnxErrors.badOption(
            OnnxOptions.OPTIMIZATION_LEVEL, value, "none, basic, extended or all");
      }
    }
  }

  private static final SessionOptionsSpec DEFAULTS =
      new SessionOptionsSpec(
          OnnxOptions.INTRA_OP_THREADS_DEFAULT,
          OnnxOptions.INTER_OP_THREADS_DEFAULT,
          OptimizationLevel.parse(OnnxOptions.OPTIMIZATION_LEVEL_DEFAULT));

  private final int intraOpThreads;
  private final int interOpThreads;
  private final OptimizationLevel optimizationLevel;

  /** Whether sessions register ONNX Runtime Extensions' custom operators. */
  private final boolean extensions;

  private SessionOptionsSpec(
      int intraOpThreads, int interOpThreads, OptimizationLevel optimizationLevel) {
    this(intraOpThreads, interOpThreads, optimizationLevel, false);
  }

  private SessionOptionsSpec(
      int intraOpThreads,
      int interOpThreads,
      OptimizationLevel optimizationLevel,
      boolean extensions) {
    if (intraOpThreads < 0) {
      throw OnnxErrors.badOption(OnnxOptions.INTRA_OP_THREADS, intraOpThreads, "0 (auto) or more");
    }
    if (interOpThreads < 1) {
      throw OnnxErrors.badOption(OnnxOptions.INTER_OP_THREADS, interOpThreads, "1 or more");
    }
    this.intraOpThreads = intraOpThreads;
    this.interOpThreads = interOpThreads;
    this.optimizationLevel = Objects.requireNonNull(optimizationLevel, "optimizationLevel");
    this.extensions = extensions;
  }

  /** The defaults of {@link OnnxOptions}. */
  public static SessionOptionsSpec defaults() {
    return DEFAULTS;
  }

  /** A copy with this many intra-op threads; 0 means the task's CPU share. */
  public SessionOptionsSpec withIntraOpThreads(int threads) {
    return new SessionOptionsSpec(threads, interOpThreads, optimizationLevel, extensions);
  }

  /** A copy with this many inter-op threads. */
  public SessionOptionsSpec withInterOpThreads(int threads) {
    return new SessionOptionsSpec(intraOpThreads, threads, optimizationLevel, extensions);
  }

  /** A copy with this graph optimization level. */
  public SessionOptionsSpec withOptimizationLevel(OptimizationLevel level) {
    return new SessionOptionsSpec(intraOpThreads, interOpThreads, level, extensions);
  }

  /** A copy that registers ONNX Runtime Extensions' custom operators, or not. */
  public SessionOptionsSpec withExtensions(boolean enabled) {
    return new SessionOptionsSpec(intraOpThreads, interOpThreads, optimizationLevel, enabled);
  }

  /** Whether sessions register ONNX Runtime Extensions' custom operators. */
  public boolean extensions() {
    return extensions;
  }

  /**
   * A copy where "auto" intra-op threads become {@code taskCpus}; unchanged when set explicitly.
   */
  public SessionOptionsSpec withTaskCpus(int taskCpus) {
    return intraOpThreads > 0 ? this : withIntraOpThreads(Math.max(1, taskCpus));
  }

  public int intraOpThreads() {
    return intraOpThreads;
  }

  public int interOpThreads() {
    return interOpThreads;
  }

  public OptimizationLevel optimizationLevel() {
    return optimizationLevel;
  }

  /**
   * New ORT session options for these settings. The caller owns and closes them (they may be closed
   * as soon as the session is created).
   */
  public OrtSession.SessionOptions toOrt() throws OrtException {
    OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    try {
      options.setIntraOpNumThreads(intraOpThreads);
      options.setInterOpNumThreads(interOpThreads);
      options.setOptimizationLevel(optimizationLevel.ort);
      options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      if (extensions) {
        // The library ships in ONNX Runtime Extensions' jar, which extracts it once per JVM.
        options.registerCustomOpLibrary(ai.onnxruntime.extensions.OrtxPackage.getLibraryPath());
      }
      return options;
    } catch (OrtException | RuntimeException e) {
      options.close();
      throw e;
    }
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof SessionOptionsSpec)) {
      return false;
    }
    SessionOptionsSpec that = (SessionOptionsSpec) o;
    return intraOpThreads == that.intraOpThreads
        && interOpThreads == that.interOpThreads
        && optimizationLevel == that.optimizationLevel
        && extensions == that.extensions;
  }

  @Override
  public int hashCode() {
    return Objects.hash(intraOpThreads, interOpThreads, optimizationLevel, extensions);
  }

  @Override
  public String toString() {
    return "intraOpThreads="
        + (intraOpThreads == 0 ? "auto" : intraOpThreads)
        + ", interOpThreads="
        + interOpThreads
        + ", optimization="
        + optimizationLevel.name().toLowerCase(Locale.ROOT)
        + (extensions ? ", extensions" : "");
  }
}
