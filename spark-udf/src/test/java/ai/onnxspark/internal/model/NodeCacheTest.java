package ai.onnxspark.internal.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxspark.model.ElementType;
import ai.onnxspark.testing.ModelBuilder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node-local model cache: one copy however many ask, repaired when damaged, kept bounded. */
class NodeCacheTest {
  private static final Configuration CONF = new Configuration();

  @Test
  void manyTasksAskingAtOnceMakeOneCopyHoldingEveryFile(@TempDir Path dir) throws Exception {
    ModelFiles model = ModelFiles.scan(writeModel(dir.resolve("m"), 1f).toString(), CONF);
    NodeCache cache = new NodeCache(dir.resolve("cache"), Long.MAX_VALUE, Duration.ofDays(1));
    long before = NodeCache.copies();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<Path>> paths = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      Callable<Path> ask = () -> cache.localModel(model, CONF);
      paths.add(pool.submit(ask));
    }
    Path first = paths.get(0).get();
    for (Future<Path> p : paths) {
      assertThat(p.get()).isEqualTo(first);
    }
    pool.shutdown();
    assertThat(NodeCache.copies() - before).isEqualTo(1);
    assertThat(first.getFileName().toString()).isEqualTo("model.onnx");
    assertThat(Files.readAllBytes(first.resolveSibling("data/weights.bin")))
        .isEqualTo(Files.readAllBytes(dir.resolve("m/data/weights.bin")));
    assertThat(Files.readAllLines(dir.resolve("cache/fills.log"))).hasSize(1);
    try (var children = Files.list(dir.resolve("cache"))) {
      assertThat(children.map(p -> p.getFileName().toString()))
          .noneMatch(n -> n.contains(".partial-"));
    }
  }

  @Test
  void aDamagedCopyIsMadeAgain(@TempDir Path dir) throws Exception {
    ModelFiles model = ModelFiles.scan(writeModel(dir.resolve("m"), 2f).toString(), CONF);
    NodeCache cache = new NodeCache(dir.resolve("cache"), Long.MAX_VALUE, Duration.ofDays(1));
    Path local = cache.localModel(model, CONF);
    Files.write(local.resolveSibling("data/weights.bin"), new byte[3]);
    long before = NodeCache.copies();
    Path again = cache.localModel(model, CONF);
    assertThat(NodeCache.copies() - before).isEqualTo(1);
    assertThat(Files.size(again.resolveSibling("data/weights.bin"))).isEqualTo(24);
  }

  @Test
  void oldAndOverLimitModelsAndDeadCopiesAreDeleted(@TempDir Path dir) throws Exception {
    Path root = dir.resolve("cache");
    NodeCache big = new NodeCache(root, Long.MAX_VALUE, Duration.ofDays(1));
    Path stale = big.localModel(scan(dir, "a", 3f), CONF).getParent();
    Path old = big.localModel(scan(dir, "b", 4f), CONF).getParent();
    Path recent = big.localModel(scan(dir, "c", 5f), CONF).getParent();
    Path dead = Files.createDirectories(root.resolve("x.partial-123"));
    age(stale, Duration.ofDays(2));
    age(old, Duration.ofHours(5));
    Files.setLastModifiedTime(dead, FileTime.from(Instant.now().minus(Duration.ofHours(2))));

    // Room for about two models: the one used 5 hours ago goes, the one used just now stays.
    long oneModel = Files.size(recent.resolve("model.onnx")) + 24;
    NodeCache small = new NodeCache(root, 2 * oneModel + 10, Duration.ofDays(1));
    Path fresh = small.localModel(scan(dir, "d", 6f), CONF).getParent();

    assertThat(stale).doesNotExist();
    assertThat(dead).doesNotExist();
    assertThat(old).doesNotExist();
    assertThat(recent).exists();
    assertThat(fresh).exists();
  }

  @Test
  void aRelativeFolderIsRefusedAsExecutorsWouldNotShareIt() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> new NodeCache(Path.of("target", "cache"), 1, Duration.ofDays(1)))
        .isInstanceOf(ai.onnxspark.OnnxException.class)
        .hasMessageContaining("spark.onnx.modelCache.dir")
        .hasMessageContaining("an absolute node-local folder");
  }

  private static ModelFiles scan(Path dir, String name, float weight) throws Exception {
    return ModelFiles.scan(writeModel(dir.resolve(name), weight).toString(), CONF);
  }

  private static void age(Path entry, Duration by) throws Exception {
    Files.setLastModifiedTime(entry.resolve(".complete"), FileTime.from(Instant.now().minus(by)));
  }

  /** {@code y = x + W} with W's four floats in {@code data/weights.bin}, after 8 other bytes. */
  private static Path writeModel(Path folder, float weight) throws Exception {
    Files.createDirectories(folder.resolve("data"));
    ByteBuffer weights = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putLong(0L);
    for (int i = 0; i < 4; i++) {
      weights.putFloat(weight + i);
    }
    Files.write(folder.resolve("data/weights.bin"), weights.array());
    byte[] bytes =
        new ModelBuilder("external")
            .input("x", ElementType.FLOAT, "batch", 4)
            .externalInitializer("W", new long[] {4}, "./data//weights.bin", 8, 16)
            .node("Add", new String[] {"x", "W"}, new String[] {"y"})
            .output("y", ElementType.FLOAT, "batch", 4)
            .build();
    return Files.write(folder.resolve("model.onnx"), bytes);
  }
}
