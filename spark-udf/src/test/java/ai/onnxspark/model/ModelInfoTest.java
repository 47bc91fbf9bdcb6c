package ai.onnxspark.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxspark.OnnxException;
import ai.onnxspark.internal.model.ModelBytes;
import ai.onnxspark.testing.ModelBuilder;
import ai.onnxspark.testing.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelInfoTest {

  @Test
  void describesInputsOutputsOpsetProducerAndMetadata() {
    byte[] bytes =
        new ModelBuilder("scorer")
            .opset(15)
            .metadata("labels", "cat,dog")
            .input("ids", ElementType.INT64, "batch", "seq")
            .input("mask", ElementType.INT32, "batch", "seq")
            .initializer("w", new long[] {1}, 1f)
            .node("Cast", "ids", "idsf", ModelBuilder.intAttr("to", 1))
            .node("Mul", new String[] {"idsf", "w"}, new String[] {"y"})
            .output("y", ElementType.FLOAT, "batch", "seq")
            .build();

    ModelInfo info = ModelInfo.parse(bytes, "test");

    assertThat(info.inputNames()).containsExactly("ids", "mask");
    assertThat(info.outputNames()).containsExactly("y");
    TensorSpec ids = info.input("ids").orElseThrow();
    assertThat(ids.elementType()).isEqualTo(ElementType.INT64);
    assertThat(ids.dims()).containsExactly(-1, -1);
    assertThat(ids.dimNames()).containsExactly("batch", "seq");
    assertThat(ids.typeString()).isEqualTo("int64[batch,seq]");
    assertThat(info.opset()).isEqualTo(15);
    assertThat(info.opsets()).containsEntry("ai.onnx", 15L);
    assertThat(info.producerName()).isEqualTo("onnx-spark-tests");
    assertThat(info.metadata()).containsEntry("labels", "cat,dog");
    assertThat(info.graphName()).isEqualTo("scorer");
    assertThat(info.nodeCount()).isEqualTo(2);
    assertThat(info.describe())
        .contains("ids: int64[batch,seq]", "y: float[batch,seq]", "labels = cat,dog");
  }

  @Test
  void initializersListedAsInputsAreNotModelInputs() {
    byte[] bytes =
        new ModelBuilder("old_style")
            .input("x", ElementType.FLOAT, "batch", 2)
            .input("w", ElementType.FLOAT, 2, 2)
            .initializer("w", new long[] {2, 2}, 1f, 0f, 0f, 1f)
            .node("MatMul", new String[] {"x", "w"}, new String[] {"y"})
            .output("y", ElementType.FLOAT, "batch", 2)
            .build();
    assertThat(ModelInfo.parse(bytes, "test").inputNames()).containsExactly("x");
  }

  @Test
  void fixedAndUnnamedDims() {
    byte[] bytes =
        new ModelBuilder("fixed")
            .input("x", ElementType.DOUBLE, 1, 3, 224)
            .node("Identity", "x", "y")
            .output("y", ElementType.DOUBLE, 1, 3, 224)
            .build();
    TensorSpec x = ModelInfo.parse(bytes, "test").inputs().get(0);
    assertThat(x.dims()).containsExactly(1, 3, 224);
    assertThat(x.shapeString()).isEqualTo("[1,3,224]");
  }

  @Test
  void readsLocalPathsAndFileUris(@TempDir Path dir) throws Exception {
    TestModels.Affine affine = new TestModels.Affine(3, 2, 1);
    Path file = dir.resolve("affine.onnx");
    Files.write(file, affine.bytes);

    ModelBytes local = ModelBytes.read(file.toString(), null);
    ModelBytes uri = ModelBytes.read(file.toUri().toString(), new Configuration());
    ModelBytes viaHadoop = ModelBytes.read("file://" + file, new Configuration());

    assertThat(local.bytes()).isEqualTo(affine.bytes);
    assertThat(uri.fingerprint()).isEqualTo(local.fingerprint()).hasSize(64);
    assertThat(viaHadoop.size()).isEqualTo(affine.bytes.length);
  }

  @Test
  void readsThroughHadoopFileSystems(@TempDir Path dir) throws Exception {
    TestModels.Affine affine = new TestModels.Affine(3, 2, 1);
    Path file = dir.resolve("affine.onnx");
    Files.write(file, affine.bytes);
    // A file system registered under its own scheme, reached through Hadoop's FileSystem API the
    // way hdfs://, s3a:// or dbfs:/ are.
    Configuration conf = new Configuration();
    conf.set("fs.testfs.impl", SchemeFileSystem.class.getName());
    conf.set("fs.testfs.impl.disable.cache", "true");
    ModelBytes read = ModelBytes.read("testfs://" + file, conf);
    assertThat(read.bytes()).isEqualTo(affine.bytes);
    assertThatThrownBy(() -> ModelBytes.read("testfs://" + dir.resolve("missing.onnx"), conf))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("does not exist");
  }

  @Test
  void emptyOrForeignBytesAreNotModels() {
    assertThatThrownBy(() -> ModelInfo.parse(new byte[0], "empty.onnx"))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("Model 'empty.onnx' (0 bytes) is not a readable ONNX model");
    assertThatThrownBy(
            () ->
                ModelInfo.parse(
                    new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10}, "image.png"))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("is not a readable ONNX model");
  }

  /** The local file system under the scheme {@code testfs}. */
  public static class SchemeFileSystem extends org.apache.hadoop.fs.RawLocalFileSystem {
    @Override
    public java.net.URI getUri() {
      return java.net.URI.create("testfs:///");
    }

    @Override
    public String getScheme() {
      return "testfs";
    }
  }
}
