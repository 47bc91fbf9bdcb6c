package ai.onnxspark.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxspark.OnnxException;
import ai.onnxspark.internal.model.NodeCache;
import ai.onnxspark.model.ElementType;
import ai.onnxspark.sql.OnnxFunctions;
import ai.onnxspark.sql.OnnxModels;
import ai.onnxspark.testing.ModelBuilder;
import ai.onnxspark.testing.SparkTestBase;
import ai.onnxspark.testing.TestModels;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shipping models by path ({@code withShipping("path")}, {@code shipping} per call, automatic for
 * external data and large files): scores equal broadcast's through transform, the column function
 * and SQL; every form the model cannot take, and every bad external-data file, is refused with the
 * file, the tensor and the fix.
 */
class ModelShippingTest extends SparkTestBase {
  private static final float[] WEIGHTS = {0.5f, -1f, 2f, 10f};

  @Test
  void pathShippingScoresLikeBroadcastThroughEveryApi(@TempDir Path dir) throws Exception {
    TestModels.Affine affine = new TestModels.Affine(8, 3, unseen());
    Path file = Files.write(dir.resolve("affine.onnx"), affine.bytes);
    Dataset<Row> df = frame(8, 40);
    OnnxModel broadcast = OnnxModel.fromPath(file.toString()).withInput("x", "x");
    OnnxModel byPath = broadcast.withShipping("path");

    long copies = NodeCache.copies();
    List<Row> expected = broadcast.transform(df).orderBy("id").collectAsList();
    assertThat(NodeCache.copies()).as("broadcast copies nothing").isEqualTo(copies);
    List<Row> viaTransform = byPath.transform(df).orderBy("id").collectAsList();
    List<Row> viaColumn =
        df.withColumn("y", OnnxFunctions.onnxPredict(byPath, functions.col("x")))
            .orderBy("id")
            .collectAsList();
    OnnxModels.register(spark, "shipped", OnnxModel.fromPath(file.toString()));
    df.createOrReplaceTempView("shipping_rows");
    List<Row> viaSql =
        spark
            .sql(
                "SELECT id, x, onnx_predict('shipped', map('shipping', 'path'), x) AS y"
                    + " FROM shipping_rows ORDER BY id")
            .collectAsList();

    assertThat(NodeCache.copies()).as("one copy for every API").isEqualTo(copies + 1);
    for (List<Row> scored : List.of(viaTransform, viaColumn, viaSql)) {
      assertThat(scored).hasSize(40);
      for (int i = 0; i < 40; i++) {
        assertThat(TransformTest.floats(scored.get(i).getList(2)))
            .containsExactly(TransformTest.floats(expected.get(i).getList(2)));
      }
    }
  }

  @Test
  void autoShipsByPathAboveTheSizeThreshold(@TempDir Path dir) throws Exception {
    TestModels.Affine affine = new TestModels.Affine(8, 3, unseen());
    Path file = Files.write(dir.resolve("affine.onnx"), affine.bytes);
    long copies = NodeCache.copies();
    spark.conf().set("spark.onnx.shipping.pathAboveBytes", "100");
    try {
      List<Row> rows =
          OnnxModel.fromPath(file.toString())
              .withInput("x", "x")
              .transform(frame(8, 5))
              .collectAsList();
      assertThat(rows).hasSize(5);
    } finally {
      spark.conf().unset("spark.onnx.shipping.pathAboveBytes");
    }
    assertThat(NodeCache.copies()).isEqualTo(copies + 1);
  }

  @Test
  void aFolderHoldingOneModelIsTheModel(@TempDir Path dir) throws Exception {
    Path folder = Files.createDirectories(dir.resolve("model"));
    writeExternalModel(folder);
    OnnxModel model = OnnxModel.fromPath(folder.toString());
    assertThat(model.size()).isEqualTo(Files.size(folder.resolve("model.onnx")) + 24);
    List<Row> rows = model.transform(frame(4, 3)).orderBy("id").collectAsList();
    for (Row row : rows) {
      List<Float> x = row.getList(1);
      List<Float> y = row.getList(2);
      for (int i = 0; i < WEIGHTS.length; i++) {
        assertThat(y.get(i)).isEqualTo(x.get(i) + WEIGHTS[i]);
      }
    }
    Files.write(folder.resolve("other.onnx"), new TestModels.Affine(2, 2, 1).bytes);
    assertThatThrownBy(() -> OnnxModel.fromPath(folder.toString()))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("holds several .onnx files [model.onnx, other.onnx]");
  }

  @Test
  void formsAModelCannotTakeAreRefusedWithTheFix(@TempDir Path dir) throws Exception {
    TestModels.Affine affine = new TestModels.Affine(8, 3, 7);
    OnnxModel inMemory = OnnxModel.fromBytes(affine.bytes).withShipping("path");
    assertThatThrownBy(() -> inMemory.transform(frame(8, 2)))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("cannot be shipped by path")
        .hasMessageContaining("OnnxModel.writeTo");

    Path folder = Files.createDirectories(dir.resolve("model"));
    writeExternalModel(folder);
    OnnxModel external = OnnxModel.fromPath(folder.resolve("model.onnx").toString());
    assertThatThrownBy(() -> external.withShipping("broadcast").transform(frame(4, 2)))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("cannot be shipped by broadcast")
        .hasMessageContaining("external data in 1 file(s)");
    assertThatThrownBy(external::quantizeInt8)
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("external data (1 file(s)), which int8 quantization does not read");
    assertThatThrownBy(() -> external.withShipping("ftp"))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("auto, broadcast or path");
  }

  @Test
  void missingTruncatedAndEscapingDataFilesAreRefusedOnTheDriver(@TempDir Path dir)
      throws Exception {
    Path folder = Files.createDirectories(dir.resolve("model"));
    Path model = writeExternalModel(folder);
    Path weights = folder.resolve("weights.bin");

    try (RandomAccessFile file = new RandomAccessFile(weights.toFile(), "rw")) {
      file.setLength(20);
    }
    assertThatThrownBy(() -> OnnxModel.fromPath(model.toString()))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining(
            "tensor 'W' needs bytes up to 24 of 'weights.bin', which has 20 bytes");

    Files.delete(weights);
    assertThatThrownBy(() -> OnnxModel.fromPath(model.toString()))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining(
            "keeps its data in 'weights.bin', which is not in the model's folder");

    Path secret = Files.write(dir.resolve("secret.bin"), new byte[24]);
    Files.createSymbolicLink(weights, secret);
    assertThatThrownBy(() -> OnnxModel.fromPath(model.toString()))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("'weights.bin', outside the model's folder");
  }

  @Test
  void dataChangedAfterLoadingFailsTheCopyInsteadOfScoringAnotherModel(@TempDir Path dir)
      throws Exception {
    Path folder = Files.createDirectories(dir.resolve("model"));
    // Weights of this run only, so that no node cache holds the model yet.
    float w = 1 + new Random().nextInt(1 << 20);
    Path model = writeExternalModel(folder, new float[] {w, w, w, w});
    OnnxModel loaded = OnnxModel.fromPath(model.toString());
    // Same size, other weights: only the checksum tells.
    ByteBuffer other = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
    other.putLong(0L).putFloat(9f).putFloat(9f).putFloat(9f).putFloat(9f);
    Files.write(folder.resolve("weights.bin"), other.array());

    assertThatThrownBy(() -> loaded.transform(frame(4, 2)).collectAsList())
        .satisfies(
            e ->
                assertThat(rootOnnx(e))
                    .hasMessageContaining(
                        "file 'weights.bin' is not what the query was planned with")
                    .hasMessageContaining("crc32c")
                    .hasMessageContaining("Load the model again"));
    List<Row> reloaded =
        OnnxModel.fromPath(model.toString()).transform(frame(4, 1)).collectAsList();
    List<Float> x = reloaded.get(0).getList(1);
    assertThat((float) reloaded.get(0).getList(2).get(0)).isEqualTo(x.get(0) + 9f);
  }

  /**
   * A seed of this run only: models made from it are in no node cache yet (the tests' cache, in
   * {@code target/}, outlives a run), so a copy is counted.
   */
  private static long unseen() {
    return new Random().nextLong();
  }

  private static OnnxException rootOnnx(Throwable e) {
    OnnxException found = null;
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof OnnxException o) {
        found = o;
      }
    }
    assertThat(found).as("an OnnxException in %s", e).isNotNull();
    return found;
  }

  /** {@code y = x + W}, W float[4] at offset 8 of {@code weights.bin} beside the model. */
  static Path writeExternalModel(Path folder) throws Exception {
    return writeExternalModel(folder, WEIGHTS);
  }

  /** {@code y = x + W} with these four weights. */
  static Path writeExternalModel(Path folder, float[] values) throws Exception {
    ByteBuffer weights = ByteBuffer.allocate(8 + 4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    weights.putLong(0L);
    for (float w : values) {
      weights.putFloat(w);
    }
    Files.write(folder.resolve("weights.bin"), weights.array());
    byte[] bytes =
        new ModelBuilder("external")
            .input("x", ElementType.FLOAT, "batch", WEIGHTS.length)
            .externalInitializer(
                "W", new long[] {WEIGHTS.length}, "weights.bin", 8, 4L * WEIGHTS.length)
            .node("Add", new String[] {"x", "W"}, new String[] {"y"})
            .output("y", ElementType.FLOAT, "batch", WEIGHTS.length)
            .build();
    return Files.write(folder.resolve("model.onnx"), bytes);
  }

  private static Dataset<Row> frame(int width, int rows) {
    Random random = new Random(width * 31L + rows);
    List<Row> data = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      float[] x = new float[width];
      for (int j = 0; j < width; j++) {
        x[j] = random.nextFloat() * 2 - 1;
      }
      data.add(RowFactory.create((long) i, x));
    }
    return spark
        .createDataFrame(
            data,
            new StructType()
                .add("id", DataTypes.LongType)
                .add("x", DataTypes.createArrayType(DataTypes.FloatType)))
        .repartition(2);
  }
}
