package ai.onnxspark.jobs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Overwrites a file-based table (Parquet) without destroying the old one before the new one is
 * complete: the new table is written to a hidden sibling staging folder, then swapped in with
 * renames of the Hadoop FileSystem (old aside, new in, old deleted). A write that fails leaves the
 * old table as it was and removes the staging folder; a swap that fails puts the old table back
 * (or, when even that fails, says where both tables are).
 *
 * <p>Between the two renames a reader may briefly find no table; it never finds a partial one. On
 * object stores without atomic renames (S3) the swap copies, but the old table is still only
 * deleted after the new one is in place.
 */
final class StagedOverwrite {
  private final FileSystem fs;
  private final Path target;
  private final Path staging;

  StagedOverwrite(FileSystem fs, Path target) {
    this.fs = fs;
    // Through a string, which drops a trailing slash (a Path made from a URI keeps it).
    this.target = new Path(target.toString());
    this.staging = sibling(this.target, "staging");
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

  /**
   * Whether {@code a} and {@code b}, once qualified (scheme, authority), are the same folder or one
   * holds the other: overwriting either would delete the other's files.
   */
  static boolean overlap(String a, String b, Configuration hadoopConf) {
    try {
      String pa = qualified(a, hadoopConf);
      String pb = qualified(b, hadoopConf);
      return pa.equals(pb) || pa.startsWith(pb + "/") || pb.startsWith(pa + "/");
    } catch (IOException | IllegalArgumentException e) {
      return false;
    }
  }

  private static String qualified(String path, Configuration hadoopConf) throws IOException {
    Path p = new Path(path);
    String text = p.getFileSystem(hadoopConf).makeQualified(p).toString();
    return text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
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
    } catch (Throwable e) {
      // Spark's writers throw checked exceptions (SparkException) undeclared: catch them all.
      deleteQuietly(staging);
      throw e;
    }
    swap();
  }

  private void swap() {
    Path old = sibling(target, "old");
    boolean hadOld;
    try {
      hadOld = fs.exists(target);
      if (hadOld && !fs.rename(target, old)) {
        throw new IOException("could not move it aside to " + old);
      }
    } catch (IOException e) {
      deleteQuietly(staging);
      throw new Jobs.Failure(
          "The new table was written but could not replace "
              + target
              + " ("
              + e.getMessage()
              + "); the previous table is unchanged. Check the permissions of its folder and run"
              + " again.",
          e);
    }
    IOException failed;
    try {
      if (fs.rename(staging, target)) {
        if (hadOld) {
          deleteQuietly(old);
        }
        return;
      }
      failed = new IOException("the rename of " + staging + " to " + target + " returned false");
    } catch (IOException e) {
      failed = e;
    }
    // The new table could not be moved in: put the old one back. A rename that copies (object
    // stores) may have left part of the new table at the target; it goes first.
    if (!hadOld) {
      deleteQuietly(target);
      deleteQuietly(staging);
      throw new Jobs.Failure(
          "The new table was written but could not be moved to "
              + target
              + " ("
              + failed.getMessage()
              + "); there was no previous table there, and nothing was left. Check the"
              + " permissions of its folder and run again.",
          failed);
    }
    try {
      if (fs.exists(target)) {
        fs.delete(target, true);
      }
      if (!fs.rename(old, target)) {
        throw new IOException("the rename of " + old + " back to " + target + " returned false");
      }
    } catch (IOException restore) {
      // Both tables are whole: say where they are rather than delete either.
      failed.addSuppressed(restore);
      throw new Jobs.Failure(
          "The new table could not be moved to "
              + target
              + " and the previous table could not be moved back there ("
              + restore.getMessage()
              + "). Nothing was deleted: the previous table is at "
              + old
              + " and the new one at "
              + staging
              + "; rename either to "
              + target
              + ".",
          failed);
    }
    deleteQuietly(staging);
    throw new Jobs.Failure(
        "The new table was written but could not be moved to "
            + target
            + " ("
            + failed.getMessage()
            + "); the previous table is back in place, unchanged.",
        failed);
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
