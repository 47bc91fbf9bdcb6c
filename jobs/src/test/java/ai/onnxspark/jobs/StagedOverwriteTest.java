package ai.onnxspark.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiPredicate;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.LocalFileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The swap of a staged overwrite, on the local file system with renames that can be made to fail:
 * the previous table survives every failure, and no hidden folder is left behind unless both tables
 * would otherwise be lost.
 */
class StagedOverwriteTest {
  /** A local file system whose renames fail where {@code fails} says (by source and target). */
  private static LocalFileSystem fs(BiPredicate<String, String> fails) throws IOException {
    LocalFileSystem fs =
        new LocalFileSystem() {
          @Override
          public boolean rename(org.apache.hadoop.fs.Path src, org.apache.hadoop.fs.Path dst)
              throws IOException {
            if (fails.test(src.getName(), dst.getName())) {
              return false;
            }
            return super.rename(src, dst);
          }
        };
    fs.initialize(URI.create("file:///"), new Configuration());
    return fs;
  }

  private static StagedOverwrite overwrite(LocalFileSystem fs, Path out) {
    return new StagedOverwrite(fs, fs.makeQualified(new org.apache.hadoop.fs.Path(out.toUri())));
  }

  /** Writes a one-file "table" holding {@code text} at the staging folder. */
  private static Runnable writes(StagedOverwrite staged, String text) {
    return () -> {
      try {
        Path folder = Path.of(URI.create(staged.stagingPath()));
        Files.createDirectories(folder);
        Files.writeString(folder.resolve("part-0"), text);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    };
  }

  private static Path oldTable(Path dir) throws IOException {
    Path out = dir.resolve("out");
    Files.createDirectories(out);
    Files.writeString(out.resolve("part-0"), "old");
    return out;
  }

  private static List<String> hidden(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      List<String> names = new ArrayList<>();
      files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).forEach(names::add);
      return names;
    }
  }

  @Test
  void aCompleteWriteReplacesTheTableAndLeavesNothingBeside(@TempDir Path dir) throws Exception {
    Path out = oldTable(dir);
    StagedOverwrite staged = overwrite(fs((s, d) -> false), out);
    staged.run(writes(staged, "new"));
    assertThat(Files.readString(out.resolve("part-0"))).isEqualTo("new");
    assertThat(hidden(dir)).isEmpty();
  }

  @Test
  void aFirstWriteNeedsNoPreviousTable(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("out");
    StagedOverwrite staged = overwrite(fs((s, d) -> false), out);
    staged.run(writes(staged, "new"));
    assertThat(Files.readString(out.resolve("part-0"))).isEqualTo("new");
    assertThat(hidden(dir)).isEmpty();
  }

  @Test
  void aWriteThatFailsWithACheckedExceptionLeavesTheTableAndNoStaging(@TempDir Path dir)
      throws Exception {
    Path out = oldTable(dir);
    StagedOverwrite staged = overwrite(fs((s, d) -> false), out);
    Runnable half = writes(staged, "half");
    // Spark's writers throw SparkException (checked) without declaring it.
    assertThatThrownBy(
            () ->
                staged.run(
                    () -> {
                      half.run();
                      StagedOverwriteTest.<RuntimeException>sneaky(
                          new Exception("job aborted half-way"));
                    }))
        .hasMessage("job aborted half-way");
    assertThat(Files.readString(out.resolve("part-0"))).isEqualTo("old");
    assertThat(hidden(dir)).isEmpty();
  }

  @Test
  void whenTheNewTableCannotBeMovedInTheOldOneIsPutBack(@TempDir Path dir) throws Exception {
    Path out = oldTable(dir);
    StagedOverwrite staged = overwrite(fs((s, d) -> s.contains(".onnx-staging-")), out);
    assertThatThrownBy(() -> staged.run(writes(staged, "new")))
        .isInstanceOf(Jobs.Failure.class)
        .hasMessageContaining("could not be moved to")
        .hasMessageContaining("the previous table is back in place, unchanged");
    assertThat(Files.readString(out.resolve("part-0"))).isEqualTo("old");
    assertThat(hidden(dir)).isEmpty();
  }

  @Test
  void whenTheOldTableCannotBeMovedAsideNothingChanges(@TempDir Path dir) throws Exception {
    Path out = oldTable(dir);
    StagedOverwrite staged = overwrite(fs((s, d) -> d.contains(".onnx-old-")), out);
    assertThatThrownBy(() -> staged.run(writes(staged, "new")))
        .hasMessageContaining("the previous table is unchanged");
    assertThat(Files.readString(out.resolve("part-0"))).isEqualTo("old");
    assertThat(hidden(dir)).isEmpty();
  }

  @Test
  void whenNeitherTableCanBeMovedInBothAreKeptAndNamed(@TempDir Path dir) throws Exception {
    Path out = oldTable(dir);
    StagedOverwrite staged = overwrite(fs((s, d) -> d.equals("out") && !s.equals("out")), out);
    assertThatThrownBy(() -> staged.run(writes(staged, "new")))
        .hasMessageContaining("Nothing was deleted: the previous table is at")
        .hasMessageContaining(".onnx-old-")
        .hasMessageContaining("and the new one at " + staged.stagingPath());
    List<String> kept = hidden(dir);
    assertThat(kept).hasSize(2);
    for (String name : kept) {
      String text = Files.readString(dir.resolve(name).resolve("part-0"));
      assertThat(text).isEqualTo(name.contains(".onnx-old-") ? "old" : "new");
    }
  }

  @Test
  void inputAndOutputOverlapWhenEqualOrNested(@TempDir Path dir) {
    Configuration conf = new Configuration();
    String in = dir.resolve("in").toString();
    assertThat(StagedOverwrite.overlap(in, dir.resolve("in").toUri().toString(), conf)).isTrue();
    assertThat(StagedOverwrite.overlap(in, in + "/", conf)).isTrue();
    assertThat(StagedOverwrite.overlap(in, dir.toString(), conf)).isTrue();
    assertThat(StagedOverwrite.overlap(in, in + "/scored", conf)).isTrue();
    assertThat(StagedOverwrite.overlap(in, dir.resolve("in2").toString(), conf)).isFalse();
    assertThat(StagedOverwrite.overlap(in, dir.resolve("out").toString(), conf)).isFalse();
  }

  @SuppressWarnings("unchecked")
  private static <T extends Exception> void sneaky(Exception e) throws T {
    throw (T) e;
  }
}
