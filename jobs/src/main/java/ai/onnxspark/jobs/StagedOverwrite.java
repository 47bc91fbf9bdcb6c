package ai.onnxspark.jobs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Overwrites a file-based table (Parquet) without destroying the old one before the new one is
 * complete: the new table is written to a sibling staging folder, then swapped in with renames of
 * the Hadoop FileSystem (old aside, new in, old deleted). A write that fails leaves the old table
 * as it was and removes the staging folder.
 *
 * <p>Between the two renames a reader may briefly find no table; it never finds a partial one. On
 * object stores without atomic renames (S3) the swap copies, but the old table is still only
 * deleted after the new one is in place.
 */
final class StagedOverwrite {
  private final FileSystem fs;
  private final Path target;
  private final Path staging;

  private StagedOverwrite(FileSystem fs, Path target) {
    this.fs = fs;
    this.target = target;
    this.staging = sibling(target, "staging");
  }

  /** A staged overwrite of {@code output}, on the file system {@code hadoopConf} gives for it. */
  static StagedOverwrite of(String output, Configuration hadoopConf) {
    Path path = new Path(output);
    try {
      FileSystem fs = path.getFileSystem(hadoopConf);
      return new StagedOverwrite(fs, fs.makeQualified(path));
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot reach the file system of --output " + output, e);
    }
  }

  /** Whether {@code a} and {@code b} name the same folder once qualified (scheme, authority). */
  static boolean samePath(String a, String b, Configuration hadoopConf) {
    try {
      Path pa = new Path(a);
      Path pb = new Path(b);
      return pa.getFileSystem(hadoopConf)
          .makeQualified(pa)
          .equals(pb.getFileSystem(hadoopConf).makeQualified(pb));
    } catch (IOException | IllegalArgumentException e) {
      return false;
    }
  }

  /** The folder the new table is written to, beside the target; it does not exist yet. */
  String stagingPath() {
    return staging.toString();
  }

  /**
   * Writes with {@code write} (which must write the complete table to {@link #stagingPath()}), then
   * swaps the staged table in for the target. When {@code write} fails the target is untouched and
   * the staging folder removed.
   */
  void run(Runnable write) {
    try {
      write.run();
    } catch (RuntimeException | Error e) {
      deleteQuietly(staging);
      throw e;
    }
    swap();
  }

  private void swap() {
    Path old = sibling(target, "old");
    try {
      boolean hadOld = fs.exists(target);
      if (hadOld && !fs.rename(target, old)) {
        throw new IOException("could not move " + target + " aside to " + old);
      }
      if (!fs.rename(staging, target)) {
        if (hadOld && !fs.exists(target)) {
          fs.rename(old, target);
        }
        throw new IOException("could not move the new table " + staging + " to " + target);
      }
      if (hadOld) {
        fs.delete(old, true);
      }
    } catch (IOException e) {
      deleteQuietly(staging);
      throw new UncheckedIOException(
          "The new table was written but could not replace "
              + target
              + "; the previous table is unchanged: "
              + e.getMessage(),
          e);
    }
  }

  private void deleteQuietly(Path path) {
    try {
      fs.delete(path, true);
    } catch (IOException ignored) {
      // Best effort: a leftover hidden folder is harmless to readers of the target.
    }
  }

  /** A hidden sibling of {@code target}, which readers of the parent's tables skip. */
  private static Path sibling(Path target, String what) {
    return new Path(
        target.getParent(),
        "."
            + target.getName()
            + ".onnx-"
            + what
            + "-"
            + UUID.randomUUID().toString().substring(0, 8));
  }
}
