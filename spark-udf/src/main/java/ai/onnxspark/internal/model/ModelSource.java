package ai.onnxspark.internal.model;

import java.io.Serializable;

/**
 * A model as the driver knows it before scoring: either its bytes in memory ({@link ModelBytes},
 * broadcast to executors) or its files on a file system every executor can read ({@link
 * ModelFiles}, copied once per node into a local cache). Both carry a fingerprint of the content,
 * which keys executors' sessions, so a changed model never meets a stale session.
 *
 * <p>These two are the only implementations. The interface is not declared {@code sealed}, so that
 * the oldest Scala compiler of the supported lines (2.13.8, which reads these Java sources) needs
 * no newer Java syntax than it already meets here.
 */
public interface ModelSource extends Serializable {

  /** Hex SHA-256 identifying the content: the model's identity in caches and logs. */
  String fingerprint();

  /** A short form of the fingerprint for log lines. */
  default String shortFingerprint() {
    return fingerprint().substring(0, 12);
  }

  /** Where the model came from (a path, a URI, or a caller's description). */
  String source();

  /** Bytes executors receive or copy: the model file, plus its external data files. */
  long size();
}
