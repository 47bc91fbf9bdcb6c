package ai.onnxspark.internal.session;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxspark.OnnxOptions;
import ai.onnxspark.internal.OnnxErrors;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The executor JVM's ONNX Runtime sessions: one per {@link SessionKey}, created lazily by the first
 * task that needs it and shared by every task of the JVM (ORT sessions are safe for concurrent
 * {@code run} calls).
 *
 * <p>Tasks hold a session through a {@link SessionLease}. The cache is bounded: when it holds more
 * than its limit, the least recently used sessions that no task holds are closed. A session that is
 * evicted while leased is closed when its last lease is released, never under a running task. Idle
 * sessions are closed at JVM shutdown.
 *
 * <p>Thread-safe. Creation of one key's session happens once even when many tasks ask at the same
 * time; creations of different keys do not wait for each other.
 */
public final class SessionCache {
  private static final Logger LOG = LoggerFactory.getLogger(SessionCache.class);
  private static final SessionCache INSTANCE =
      new SessionCache(
          Integer.getInteger(
              OnnxOptions.SESSION_CACHE_SIZE_CONF, OnnxOptions.SESSION_CACHE_SIZE_DEFAULT));

  static {
    Runtime.getRuntime()
        .addShutdownHook(new Thread(INSTANCE::closeIdle, "onnx-session-cache-close"));
  }

  private final LinkedHashMap<SessionKey, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
  private final AtomicLong creations = new AtomicLong();
  private final AtomicLong evictions = new AtomicLong();
  private final AtomicLong closes = new AtomicLong();
  private volatile int maxSessions;

  SessionCache(int maxSessions) {
    this.maxSessions = Math.max(1, maxSessions);
  }

  /** The cache of this JVM. */
  public static SessionCache get() {
    return INSTANCE;
  }

  /** Sets how many sessions the cache keeps (at least 1); applies at the next acquisition. */
  public void setMaxSessions(int max) {
    this.maxSessions = Math.max(1, max);
  }

  /**
   * How a session is made from a model: from its bytes, or from its local file (where ONNX Runtime
   * finds external data beside it). Called only when the cache has no session for the key, so a
   * broadcast or a copy behind it is fetched once per JVM.
   */
  @FunctionalInterface
  public interface ModelLoader {
    /** A new session of the model with {@code options}, which the caller closes. */
    OrtSession open(OrtEnvironment env, OrtSession.SessionOptions options) throws OrtException;

    /** A loader of a model held in memory. */
    static ModelLoader ofBytes(Supplier<byte[]> bytes) {
      return (env, options) -> env.createSession(bytes.get(), options);
    }
  }

  /**
   * Leases the session for {@code key}, creating it from {@code modelBytes} if this JVM has none.
   *
   * @param description how to name the model in errors and logs
   * @throws ai.onnxspark.OnnxException if ONNX Runtime cannot create the session
   */
  public SessionLease acquire(SessionKey key, Supplier<byte[]> modelBytes, String description) {
    return acquire(key, ModelLoader.ofBytes(modelBytes), description);
  }

  /**
   * Leases the session for {@code key}, creating it with {@code model} if this JVM has none.
   *
   * @param description how to name the model in errors and logs
   * @throws ai.onnxspark.OnnxException if ONNX Runtime cannot create the session
   */
  public SessionLease acquire(SessionKey key, ModelLoader model, String description) {
    Entry entry;
    synchronized (this) {
      entry = entries.get(key);
      if (entry == null) {
        entry = new Entry(key);
        entries.put(key, entry);
      }
      entry.leases++;
    }
    boolean created;
    try {
      created = entry.ensureSession(model, description);
    } catch (RuntimeException | Error e) {
      release(entry);
      synchronized (this) {
        if (entry.leases == 0 && entry.session == null && entries.get(key) == entry) {
          entries.remove(key);
        }
      }
      throw e;
    }
    evictIdleOverLimit();
    return new SessionLease(this, entry, created);
  }

  void release(Entry entry) {
    boolean close;
    synchronized (this) {
      entry.leases--;
      close = entry.leases == 0 && entry.evicted;
    }
    if (close) {
      entry.close();
    }
  }

  private void evictIdleOverLimit() {
    List<Entry> toClose = new ArrayList<>();
    synchronized (this) {
      Iterator<Map.Entry<SessionKey, Entry>> it = entries.entrySet().iterator();
      while (entries.size() > maxSessions && it.hasNext()) {
        Entry candidate = it.next().getValue();
        if (candidate.leases == 0) {
          it.remove();
          candidate.evicted = true;
          evictions.incrementAndGet();
          toClose.add(candidate);
        }
      }
      if (entries.size() > maxSessions) {
        LOG.warn(
            "{} ONNX sessions are in use at once, more than {} = {}; none can be closed until"
                + " their tasks finish.",
            entries.size(),
            OnnxOptions.SESSION_CACHE_SIZE_CONF,
            maxSessions);
      }
    }
    toClose.forEach(Entry::close);
  }

  /** Closes every session no task holds and forgets it; leased ones are closed on release. */
  public void closeIdle() {
    List<Entry> toClose = new ArrayList<>();
    synchronized (this) {
      Iterator<Map.Entry<SessionKey, Entry>> it = entries.entrySet().iterator();
      while (it.hasNext()) {
        Entry entry = it.next().getValue();
        it.remove();
        entry.evicted = true;
        if (entry.leases == 0) {
          toClose.add(entry);
        }
      }
    }
    toClose.forEach(Entry::close);
  }

  /**
   * Closes and forgets every session of the model with {@code fingerprint} that no task holds, as
   * when the model was replaced; leased ones stay until evicted.
   *
   * @return how many sessions were closed
   */
  public int closeIdle(String fingerprint) {
    List<Entry> toClose = new ArrayList<>();
    synchronized (this) {
      Iterator<Map.Entry<SessionKey, Entry>> it = entries.entrySet().iterator();
      while (it.hasNext()) {
        Entry entry = it.next().getValue();
        if (entry.key.fingerprint().equals(fingerprint) && entry.leases == 0) {
          it.remove();
          entry.evicted = true;
          toClose.add(entry);
        }
      }
    }
    toClose.forEach(Entry::close);
    return toClose.size();
  }

  /** The devices of the sessions cached now ({@code cpu}, {@code cuda:0}, …), one per session. */
  public List<String> devices() {
    synchronized (this) {
      List<String> devices = new ArrayList<>();
      entries.keySet().forEach(k -> devices.add(k.device()));
      devices.sort(null);
      return devices;
    }
  }

  /** Counters of this JVM's cache since it started. */
  public Stats stats() {
    synchronized (this) {
      return new Stats(creations.get(), evictions.get(), closes.get(), entries.size());
    }
  }

  /** A snapshot of the cache's counters. */
  public record Stats(long creations, long evictions, long closes, int live) {}

  /** One key's session and its leases. Guarded by the cache's lock, except creation. */
  final class Entry {
    final SessionKey key;
    int leases;
    boolean evicted;
    private volatile OrtSession session;
    private volatile long creationNanos;
    private volatile String provider;

    Entry(SessionKey key) {
      this.key = key;
    }

    /** Creates the session unless it exists; true when this call created it. */
    synchronized boolean ensureSession(ModelLoader model, String description) {
      if (session != null) {
        return false;
      }
      long start = System.nanoTime();
      NativeLibraries.markLoaded();
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      String device = key.device();
      if (device.equals("cpu")) {
        session = createOnCpu(env, model, description);
        provider = "cpu";
      } else {
        try {
          session = createOnGpu(env, model, device);
          provider = device;
        } catch (OrtException | RuntimeException e) {
          if (!key.fallbackToCpu()) {
            throw OnnxErrors.deviceUnavailable(description, device, e);
          }
          LOG.warn(
              "SCORING ON CPU, NOT {}: model {} cannot run on {} ({}); {} falls back to the CPU.",
              device,
              description,
              device,
              e.getMessage(),
              OnnxOptions.DEVICE_FALLBACK_CONF);
          session = createOnCpu(env, model, description);
          provider = "cpu (fallback from " + device + ")";
        }
      }
      creationNanos = System.nanoTime() - start;
      creations.incrementAndGet();
      LOG.info(
          "Created ONNX Runtime session for model {} on {} ({}) in {} ms",
          description,
          provider,
          key.options(),
          creationNanos / 1_000_000);
      return true;
    }

    private OrtSession createOnCpu(OrtEnvironment env, ModelLoader model, String description) {
      try (OrtSession.SessionOptions options = key.options().toOrt()) {
        return model.open(env, options);
      } catch (OrtException e) {
        throw OnnxErrors.sessionCreation(description, "cpu", e);
      }
    }

    /** A session whose GPU provider must load; the failure is left to the caller to judge. */
    private OrtSession createOnGpu(OrtEnvironment env, ModelLoader model, String device)
        throws OrtException {
      try (OrtSession.SessionOptions options = key.options().toOrt()) {
        Providers.add(options, device, key.providerOptions());
        return model.open(env, options);
      }
    }

    /** The execution provider the session runs on, with a note when it fell back to the CPU. */
    String provider() {
      return provider;
    }

    OrtSession session() {
      return session;
    }

    long creationNanos() {
      return creationNanos;
    }

    synchronized void close() {
      if (session != null) {
        try {
          session.close();
        } catch (OrtException e) {
          LOG.warn("Closing the ONNX Runtime session for {} failed", key, e);
        }
        session = null;
        closes.incrementAndGet();
      }
    }
  }
}
