package ai.onnxspark.internal.session;

import ai.onnxruntime.OrtSession;

/**
 * A task's hold on a cached session. The session stays open until the lease is closed; close it
 * exactly once (a second close is ignored), on every path, typically from a task completion
 * listener. A lease belongs to one task; closing is safe from any thread.
 */
public final class SessionLease implements AutoCloseable {
  private final SessionCache cache;
  private final SessionCache.Entry entry;
  private final boolean created;
  private boolean closed;

  SessionLease(SessionCache cache, SessionCache.Entry entry, boolean created) {
    this.cache = cache;
    this.entry = entry;
    this.created = created;
  }

  /** Whether acquiring this lease created the session (rather than reusing a cached one). */
  public boolean created() {
    return created;
  }

  /** The session; valid until this lease is closed. */
  public OrtSession session() {
    if (closed) {
      throw new IllegalStateException("The session lease for " + entry.key + " is closed");
    }
    return entry.session();
  }

  /** The key the session is cached under. */
  public SessionKey key() {
    return entry.key;
  }

  /**
   * The execution provider the session runs on: {@code cpu}, {@code cuda:N}, {@code tensorrt:N}, or
   * {@code cpu (fallback from cuda:N)}.
   */
  public String provider() {
    return entry.provider();
  }

  /** How long ONNX Runtime took to create the session, in nanoseconds. */
  public long creationNanos() {
    return entry.creationNanos();
  }

  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      cache.release(entry);
    }
  }
}
