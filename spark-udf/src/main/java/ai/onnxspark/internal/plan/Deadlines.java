package ai.onnxspark.internal.plan;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * ONNX Runtime calls with a time limit: a timer of the JVM sets the call's terminate flag when the
 * limit passes, and ONNX Runtime stops at its next check (between nodes of the graph).
 */
final class Deadlines {
  private static final ScheduledExecutorService TIMER =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "onnx-batch-deadlines");
            t.setDaemon(true);
            return t;
          });

  private Deadlines() {}

  /** A call stopped at its deadline; the cause is ONNX Runtime's error. */
  static final class TimedOut extends Exception {
    private static final long serialVersionUID = 1L;

    TimedOut(OrtException cause) {
      super(cause);
    }
  }

  /**
   * Runs the session, stopping it after {@code timeoutMs} milliseconds (0: no limit).
   *
   * @throws TimedOut when the call was stopped at its deadline
   */
  static OrtSession.Result run(
      OrtSession session, Map<String, OnnxTensor> feeds, Set<String> outputs, long timeoutMs)
      throws OrtException, TimedOut {
    if (timeoutMs <= 0) {
      return session.run(feeds, outputs);
    }
    try (OrtSession.RunOptions options = new OrtSession.RunOptions()) {
      // The timer touches the options only while the call runs: never after they are closed.
      Object lock = new Object();
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicBoolean fired = new AtomicBoolean();
      ScheduledFuture<?> deadline =
          TIMER.schedule(
              () -> {
                synchronized (lock) {
                  if (running.get()) {
                    try {
                      options.setTerminate(true);
                      fired.set(true);
                    } catch (OrtException | RuntimeException e) {
                      // Nothing to stop.
                    }
                  }
                }
              },
              timeoutMs,
              TimeUnit.MILLISECONDS);
      try {
        return session.run(feeds, outputs, options);
      } catch (OrtException e) {
        if (fired.get()) {
          throw new TimedOut(e);
        }
        throw e;
      } finally {
        synchronized (lock) {
          running.set(false);
        }
        deadline.cancel(false);
      }
    }
  }
}
