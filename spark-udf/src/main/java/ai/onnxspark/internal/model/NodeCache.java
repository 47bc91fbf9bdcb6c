package ai.onnxspark.internal.model;

import ai.onnxspark.internal.OnnxErrors;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node-local folder of models shipped by path ({@link ModelFiles}): the first executor of a node
 * that needs a model copies its files here once, and every executor of the node creates its
 * sessions from the copy, where ONNX Runtime finds the external data beside the model file.
 *
 * <p>Each model gets a folder named by its fingerprint. A copy is made in a temporary folder,
 * checked against the driver's sizes and checksums, and renamed into place, so a folder that exists
 * is complete; a lock file serializes copies of one model between the executor JVMs of the node
 * (and a lock object between the tasks of one JVM). Every use touches the folder's {@code
 * .complete} marker; after each copy, folders unused for longer than the age limit, then the least
 * recently used beyond the size limit (never one used in the last ten minutes), are deleted, as are
 * temporary folders of copies that died. Each finished copy appends a line to {@code fills.log}.
 *
 * <p>Thread-safe, and safe between processes sharing the folder.
 */
public final class NodeCache {
  private static final Logger LOG = LoggerFactory.getLogger(NodeCache.class);
  private static final String COMPLETE = ".complete";
  private static final String PARTIAL = ".partial-";
  private static final String LOCK = ".lock";
  private static final Duration RECENT = Duration.ofMinutes(10);
  private static final Duration STALE_PARTIAL = Duration.ofHours(1);
  private static final Map<String, Object> JVM_LOCKS = new ConcurrentHashMap<>();
  private static final AtomicLong COPIES = new AtomicLong();

  private final Path root;
  private final long maxBytes;
  private final Duration maxAge;

  /**
   * A cache in {@code root}.
   *
   * @param maxBytes how many bytes of models the folder may keep before the least recently used are
   *     deleted
   * @param maxAge how long an unused model stays
   */
  public NodeCache(Path root, long maxBytes, Duration maxAge) {
    this.root = checkedRoot(root.toString()).normalize();
    this.maxBytes = maxBytes;
    this.maxAge = maxAge;
  }

  /**
   * {@code folder} as the node cache's root: an absolute path. A relative one would be resolved in
   * each executor's own working directory, so the executors of a node would not share copies.
   *
   * @throws ai.onnxspark.OnnxException for a relative path
   */
  public static Path checkedRoot(String folder) {
    Path root = Path.of(folder);
    if (!root.isAbsolute()) {
      throw OnnxErrors.badOption(
          ai.onnxspark.OnnxOptions.MODEL_CACHE_DIR_CONF,
          folder,
          "an absolute node-local folder (a relative one is resolved in each executor's working"
              + " directory, so the executors of a node would not share one copy)");
    }
    return root;
  }

  /** How many models this JVM has copied into a node cache. */
  public static long copies() {
    return COPIES.get();
  }

  /**
   * The local path of {@code model}'s file, copied here first unless this node has it.
   *
   * @throws ai.onnxspark.OnnxException when the files cannot be read or differ from what the driver
   *     saw
   */
  public Path localModel(ModelFiles model, Configuration hadoopConf) {
    Path entry = root.resolve(model.fingerprint());
    Object jvmLock = JVM_LOCKS.computeIfAbsent(model.fingerprint(), k -> new Object());
    synchronized (jvmLock) {
      try {
        if (complete(entry, model)) {
          touch(entry);
          return entry.resolve(model.modelFile());
        }
        Files.createDirectories(root);
        try (FileChannel channel =
                FileChannel.open(
                    root.resolve(model.fingerprint() + LOCK),
                    StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
            FileLock ignored = channel.lock()) {
          if (!complete(entry, model)) {
            fill(entry, model, hadoopConf);
          }
          touch(entry);
        }
        clean(entry);
        return entry.resolve(model.modelFile());
      } catch (IOException e) {
        throw OnnxErrors.modelUnreadable(model.source(), e);
      }
    }
  }

  /** Whether {@code entry} holds {@code model}'s files at their sizes. */
  private static boolean complete(Path entry, ModelFiles model) throws IOException {
    if (!Files.exists(entry.resolve(COMPLETE))) {
      return false;
    }
    boolean sizes = size(entry.resolve(model.modelFile())) == model.modelSize();
    for (ModelFiles.DataFile f : model.dataFiles()) {
      sizes &= size(entry.resolve(f.name())) == f.size();
    }
    if (!sizes) {
      LOG.warn("Model cache folder {} lost or changed files; copying the model again", entry);
      deleteTree(entry);
    }
    return sizes;
  }

  private static long size(Path file) throws IOException {
    return Files.isRegularFile(file) ? Files.size(file) : -1;
  }

  private void fill(Path entry, ModelFiles model, Configuration hadoopConf) throws IOException {
    long start = System.nanoTime();
    Path partial = root.resolve(model.fingerprint() + PARTIAL + UUID.randomUUID());
    Files.createDirectories(partial);
    try {
      org.apache.hadoop.fs.Path folder = new org.apache.hadoop.fs.Path(model.folder());
      FileSystem fs = ModelBytes.fileSystem(folder, model.source(), hadoopConf);
      MessageDigest sha = sha256();
      try (InputStream in =
          new DigestInputStream(
              fs.open(new org.apache.hadoop.fs.Path(folder, model.modelFile())), sha)) {
        long copied = copy(in, partial.resolve(model.modelFile()));
        String actual = HexFormat.of().formatHex(sha.digest());
        if (copied != model.modelSize() || !actual.equals(model.modelSha256())) {
          throw OnnxErrors.modelFilesChanged(
              model.source(),
              model.modelFile(),
              model.modelSize() + " bytes, sha256 " + model.modelSha256(),
              copied + " bytes, sha256 " + actual);
        }
      }
      for (ModelFiles.DataFile f : model.dataFiles()) {
        CRC32C crc = new CRC32C();
        try (InputStream in =
            new CheckedInputStream(fs.open(new org.apache.hadoop.fs.Path(folder, f.name())), crc)) {
          Path target = partial.resolve(f.name()).normalize();
          if (!target.startsWith(partial)) {
            throw OnnxErrors.externalDataOutsideFolder(model.source(), "(any)", f.name());
          }
          Files.createDirectories(target.getParent());
          long copied = copy(in, target);
          if (copied != f.size() || crc.getValue() != f.crc32c()) {
            throw OnnxErrors.modelFilesChanged(
                model.source(),
                f.name(),
                f.size() + " bytes, crc32c " + Long.toHexString(f.crc32c()),
                copied + " bytes, crc32c " + Long.toHexString(crc.getValue()));
          }
        }
      }
      Files.writeString(partial.resolve(COMPLETE), model.source() + "\n");
      try {
        Files.move(partial, entry, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException e) {
        deleteTree(entry);
        Files.move(partial, entry, StandardCopyOption.ATOMIC_MOVE);
      }
    } catch (IOException | RuntimeException e) {
      deleteTree(partial);
      throw e;
    }
    COPIES.incrementAndGet();
    long ms = (System.nanoTime() - start) / 1_000_000;
    Files.writeString(
        root.resolve("fills.log"),
        Instant.now()
            + "\t"
            + model.fingerprint()
            + "\t"
            + model.size()
            + "\t"
            + ms
            + "ms\t"
            + ProcessHandle.current().pid()
            + "\t"
            + model.source()
            + "\n",
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    LOG.info(
        "Copied model {} ({} bytes in {} files) into the node's model cache {} in {} ms",
        model.source(),
        model.size(),
        1 + model.dataFiles().size(),
        entry,
        ms);
  }

  private static long copy(InputStream in, Path target) throws IOException {
    try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW)) {
      return in.transferTo(out);
    }
  }

  private static void touch(Path entry) throws IOException {
    Files.setLastModifiedTime(entry.resolve(COMPLETE), FileTime.from(Instant.now()));
  }

  /** Deletes dead copies, models unused past the age limit, then the oldest past the size limit. */
  private void clean(Path current) {
    Instant now = Instant.now();
    List<Path> kept = new ArrayList<>();
    try (DirectoryStream<Path> children = Files.newDirectoryStream(root)) {
      for (Path child : children) {
        if (!Files.isDirectory(child) || child.equals(current)) {
          continue;
        }
        Instant used =
            Files.getLastModifiedTime(
                    Files.exists(child.resolve(COMPLETE)) ? child.resolve(COMPLETE) : child)
                .toInstant();
        boolean partial = child.getFileName().toString().contains(PARTIAL);
        if (partial ? used.isBefore(now.minus(STALE_PARTIAL)) : used.isBefore(now.minus(maxAge))) {
          LOG.info("Deleting {} from the node's model cache (unused since {})", child, used);
          deleteTree(child);
        } else if (!partial) {
          kept.add(child);
        }
      }
      long total = treeSize(current);
      for (Path p : kept) {
        total += treeSize(p);
      }
      kept.sort(Comparator.comparing(NodeCache::lastUse));
      for (Path p : kept) {
        if (total <= maxBytes || lastUse(p).isAfter(now.minus(RECENT))) {
          break;
        }
        long size = treeSize(p);
        LOG.info(
            "Deleting {} from the node's model cache ({} bytes over its limit)",
            p,
            total - maxBytes);
        deleteTree(p);
        total -= size;
      }
    } catch (IOException | UncheckedIOException e) {
      LOG.warn("Cleaning the model cache {} failed; it is left as it is", root, e);
    }
  }

  private static Instant lastUse(Path entry) {
    try {
      return Files.getLastModifiedTime(entry.resolve(COMPLETE)).toInstant();
    } catch (IOException e) {
      return Instant.EPOCH;
    }
  }

  private static long treeSize(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}
