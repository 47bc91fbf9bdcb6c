package ai.onnxspark.internal.model;

import ai.onnxspark.internal.OnnxErrors;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;

/**
 * The serialized bytes of an ONNX model, with their SHA-256 fingerprint, which identifies the model
 * in executor caches, and a description of where they came from.
 *
 * <p>Immutable: the array is never handed out for writing; {@link #bytes()} returns the internal
 * array for zero-copy session creation, and callers must not modify it. Serializable, but the
 * library ships it to executors through a broadcast, not in task closures.
 */
public final class ModelBytes implements ModelSource {
  private static final long serialVersionUID = 1L;
  private static final long MAX_SIZE = Integer.MAX_VALUE - 16L;

  private final byte[] bytes;
  private final String fingerprint;
  private final String source;
  private final String location;

  private ModelBytes(byte[] bytes, String source) {
    this(bytes, source, null);
  }

  private ModelBytes(byte[] bytes, String source, String location) {
    this.bytes = bytes;
    this.fingerprint = sha256(bytes);
    this.source = source;
    this.location = location;
  }

  /** Model bytes held in memory; the array is copied. */
  public static ModelBytes of(byte[] bytes, String source) {
    Objects.requireNonNull(bytes, "bytes");
    return new ModelBytes(bytes.clone(), source);
  }

  /**
   * Reads a model from a local path ({@code models/mlp.onnx}, {@code file:/...}) or any URI a
   * Hadoop FileSystem serves ({@code hdfs://}, {@code s3a://}, {@code abfss://}, {@code gs://},
   * {@code dbfs:/}), using {@code hadoopConf} for credentials and file system classes.
   *
   * @throws ai.onnxspark.OnnxException when the file is missing, unreadable or too large
   */
  public static ModelBytes read(String location, Configuration hadoopConf) {
    return read(location, hadoopConf, MAX_SIZE, null);
  }

  /**
   * As {@link #read(String, Configuration)}, refusing a file of more than {@code maxBytes} bytes
   * before reading it; {@code limitKey} names the setting of the limit in the message.
   *
   * @throws ai.onnxspark.OnnxException when the file is missing, unreadable or too large
   */
  public static ModelBytes read(
      String location, Configuration hadoopConf, long maxBytes, String limitKey) {
    Objects.requireNonNull(location, "location");
    long limit = Math.min(maxBytes, MAX_SIZE);
    Path local = localPath(location);
    if (local != null) {
      return readLocal(local, location, limit, limitKey);
    }
    org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(toUri(location));
    try {
      FileSystem fs = fileSystem(path, location, hadoopConf);
      if (!fs.exists(path)) {
        throw OnnxErrors.modelNotFound(location, null);
      }
      FileStatus status = fs.getFileStatus(path);
      if (status.isDirectory()) {
        throw OnnxErrors.modelIsDirectory(location);
      }
      long length = status.getLen();
      if (length < 0) {
        throw OnnxErrors.modelUnreadable(
            location, new IOException("the file system does not report the file's length"));
      }
      checkSize(location, length, limit, limitKey);
      byte[] data = new byte[(int) length];
      try (InputStream in = fs.open(path)) {
        int read = in.readNBytes(data, 0, data.length);
        if (read != data.length) {
          throw new IOException("read " + read + " of " + length + " bytes");
        }
      }
      return new ModelBytes(data, location, location);
    } catch (IOException e) {
      throw OnnxErrors.modelUnreadable(location, e);
    }
  }

  /**
   * The size and modification time of the model file at {@code location} (as {@link #read} finds
   * it), which tell whether it changed since it was read.
   *
   * @throws ai.onnxspark.OnnxException when the file is missing or cannot be looked at
   */
  public static FileState stat(String location, Configuration hadoopConf) {
    Objects.requireNonNull(location, "location");
    Path local = localPath(location);
    try {
      if (local != null) {
        if (Files.isDirectory(local)) {
          throw OnnxErrors.modelIsDirectory(location);
        }
        if (!Files.isRegularFile(local)) {
          throw OnnxErrors.modelNotFound(location, local.toAbsolutePath().toString());
        }
        return new FileState(
            Files.size(local), Files.getLastModifiedTime(local).to(TimeUnit.NANOSECONDS));
      }
      org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(toUri(location));
      FileSystem fs = fileSystem(path, location, hadoopConf);
      if (!fs.exists(path)) {
        throw OnnxErrors.modelNotFound(location, null);
      }
      FileStatus status = fs.getFileStatus(path);
      if (status.isDirectory()) {
        throw OnnxErrors.modelIsDirectory(location);
      }
      return new FileState(status.getLen(), status.getModificationTime());
    } catch (IOException e) {
      throw OnnxErrors.modelUnreadable(location, e);
    }
  }

  /**
   * What tells one version of a model file from another: its size and modification time (0 when the
   * file system keeps none, when only the bytes' fingerprint can tell).
   *
   * @param size the file's length in bytes
   * @param modificationTime when it was last written, in the file system's unit; 0 for unknown
   */
  public record FileState(long size, long modificationTime) implements Serializable {
    /** Whether the file system keeps modification times for the file. */
    public boolean hasModificationTime() {
      return modificationTime > 0;
    }
  }

  /**
   * The Hadoop FileSystem serving {@code path}. Web URLs are refused, and a scheme no FileSystem on
   * the classpath serves (its class missing, such as S3A without hadoop-aws, or none configured)
   * fails naming the package to add.
   */
  static FileSystem fileSystem(
      org.apache.hadoop.fs.Path path, String location, Configuration hadoopConf)
      throws IOException {
    String scheme = path.toUri().getScheme();
    if (scheme != null && (scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))) {
      throw OnnxErrors.modelOverHttp(location);
    }
    try {
      return path.getFileSystem(hadoopConf == null ? new Configuration() : hadoopConf);
    } catch (org.apache.hadoop.fs.UnsupportedFileSystemException e) {
      throw OnnxErrors.fileSystemMissing(
          location, scheme, org.apache.hadoop.util.VersionInfo.getVersion(), e);
    } catch (RuntimeException | LinkageError e) {
      if (missingClass(e)) {
        throw OnnxErrors.fileSystemMissing(
            location, scheme, org.apache.hadoop.util.VersionInfo.getVersion(), e);
      }
      throw e;
    }
  }

  /** Whether {@code e} comes from a class that is not on the classpath. */
  private static boolean missingClass(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ClassNotFoundException
          || t instanceof NoClassDefFoundError
          || String.valueOf(t.getMessage()).matches("(?s).*Class \\S+ not found.*")) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  /** The local file {@code location} names (no scheme, or {@code file:}), or null for a URI. */
  static Path localPath(String location) {
    URI uri = toUri(location);
    if (uri == null || uri.getScheme() == null || "file".equals(uri.getScheme())) {
      return uri != null && uri.getScheme() != null ? Paths.get(uri) : Paths.get(location);
    }
    return null;
  }

  private static ModelBytes readLocal(Path path, String location, long limit, String limitKey) {
    if (Files.isDirectory(path)) {
      throw OnnxErrors.modelIsDirectory(location);
    }
    if (!Files.isRegularFile(path)) {
      throw OnnxErrors.modelNotFound(location, path.toAbsolutePath().toString());
    }
    try {
      checkSize(location, Files.size(path), limit, limitKey);
      return new ModelBytes(Files.readAllBytes(path), location, location);
    } catch (IOException e) {
      throw OnnxErrors.modelUnreadable(location, e);
    }
  }

  static URI toUri(String location) {
    try {
      URI uri = new URI(location);
      // A Windows drive letter or a bare relative path is not a scheme.
      return uri.getScheme() != null && uri.getScheme().length() == 1 ? null : uri;
    } catch (java.net.URISyntaxException e) {
      return null;
    }
  }

  private static void checkSize(String location, long length, long limit, String limitKey) {
    if (length > limit) {
      throw limitKey == null || limit >= MAX_SIZE
          ? OnnxErrors.modelTooLarge(location, length)
          : OnnxErrors.modelOverLimit(location, length, limit, limitKey);
    }
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }

  /** The model bytes; the internal array, which callers must not modify. */
  public byte[] bytes() {
    return bytes;
  }

  /** Size of the model in bytes. */
  @Override
  public long size() {
    return bytes.length;
  }

  /** Hex SHA-256 of the bytes: the model's identity in caches and logs. */
  @Override
  public String fingerprint() {
    return fingerprint;
  }

  /**
   * The path or URI the bytes were read from, where their files can be read again (to ship them by
   * path); null for bytes given in memory or made by a conversion.
   */
  public String location() {
    return location;
  }

  /** Where the bytes came from (a path, a URI, or a caller's description). */
  @Override
  public String source() {
    return source;
  }

  @Override
  public String toString() {
    return "ModelBytes{"
        + source
        + ", "
        + bytes.length
        + " bytes, sha256="
        + shortFingerprint()
        + "}";
  }
}
