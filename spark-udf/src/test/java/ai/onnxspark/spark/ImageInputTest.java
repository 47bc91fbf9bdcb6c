package ai.onnxspark.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnxspark.model.ElementType;
import ai.onnxspark.testing.ModelBuilder;
import ai.onnxspark.testing.SparkTestBase;
import ai.onnxspark.testing.TestModels;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** Images (Spark's image struct or encoded bytes) and raw tensor bytes as model inputs. */
class ImageInputTest extends SparkTestBase {
  private static final float[] ZERO = {0, 0, 0};
  private static final float[] ONE = {1, 1, 1};

  private static byte[] png(int size, int r, int g, int b) throws Exception {
    BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < size; y++) {
      for (int x = 0; x < size; x++) {
        image.setRGB(x, y, (r << 16) | (g << 8) | b);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return out.toByteArray();
  }

  @Test
  void imageStructsAndEncodedImagesAreResizedAndNormalisedIntoNchw() throws Exception {
    // Spark's image schema: BGR bytes, row-major.
    StructType imageSchema =
        new StructType()
            .add("origin", DataTypes.StringType)
            .add("height", DataTypes.IntegerType)
            .add("width", DataTypes.IntegerType)
            .add("nChannels", DataTypes.IntegerType)
            .add("mode", DataTypes.IntegerType)
            .add("data", DataTypes.BinaryType);
    byte[] bgr = new byte[6 * 6 * 3];
    for (int p = 0; p < 36; p++) {
      bgr[3 * p] = 10;
      bgr[3 * p + 1] = 20;
      bgr[3 * p + 2] = 30;
    }
    Dataset<Row> structs =
        spark.createDataFrame(
            List.of(RowFactory.create(RowFactory.create("mem://a", 6, 6, 3, 16, bgr))),
            new StructType().add("image", imageSchema));
    Dataset<Row> encoded =
        spark.createDataFrame(
            List.of(RowFactory.create((Object) png(8, 30, 20, 10))),
            new StructType().add("content", DataTypes.BinaryType));

    OnnxModel model = OnnxModel.fromBytes(TestModels.channelMeans());
    Row fromStruct = model.withImage("image", "image", ZERO, ONE).transform(structs).first();
    Row fromPng = model.withImage("image", "content", ZERO, ONE).transform(encoded).first();
    for (Row row : List.of(fromStruct, fromPng)) {
      float[] means = TransformTest.floats(row.getList(1));
      assertThat(means[0]).isCloseTo(30 / 255f, within(1e-6f));
      assertThat(means[1]).isCloseTo(20 / 255f, within(1e-6f));
      assertThat(means[2]).isCloseTo(10 / 255f, within(1e-6f));
    }
    // ImageNet normalisation by default: (v - mean) / std per channel.
    float[] normalised =
        TransformTest.floats(
            model.withImage("image", "content").transform(encoded).first().getList(1));
    assertThat(normalised[0]).isCloseTo((30 / 255f - 0.485f) / 0.229f, within(1e-5f));

    Dataset<Row> junk =
        spark.createDataFrame(
            List.of(RowFactory.create((Object) new byte[] {1, 2, 3})),
            new StructType().add("content", DataTypes.BinaryType));
    assertThatThrownBy(() -> model.withImage("image", "content").transform(junk).collect())
        .hasStackTraceContaining("not an image Java can decode");
  }

  /** A 1x1 PNG whose header declares {@code width x height}: a few bytes, a huge raster. */
  private static byte[] pngDeclaring(int width, int height) throws Exception {
    byte[] png = png(1, 1, 2, 3);
    // The IHDR chunk follows the 8-byte signature: length, "IHDR", width, height, ..., CRC.
    ByteBuffer header = ByteBuffer.wrap(png);
    header.putInt(16, width).putInt(20, height);
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(png, 12, 17);
    header.putInt(29, (int) crc.getValue());
    return png;
  }

  @Test
  void imagesDeclaringMorePixelsThanAllowedAreRefusedBeforeDecoding() throws Exception {
    byte[] bomb = pngDeclaring(20_000, 20_000);
    assertThat(bomb.length).isLessThan(100);
    Dataset<Row> rows =
        spark.createDataFrame(
            List.of(
                RowFactory.create(1L, (Object) png(8, 30, 20, 10)),
                RowFactory.create(2L, (Object) bomb)),
            new StructType().add("id", DataTypes.LongType).add("content", DataTypes.BinaryType));
    OnnxModel model =
        OnnxModel.fromBytes(TestModels.channelMeans()).withImage("image", "content", ZERO, ONE);

    assertThatThrownBy(() -> model.transform(rows).collect())
        .hasStackTraceContaining("declaring 20000x20000 pixels")
        .hasStackTraceContaining("100 megapixels")
        .hasStackTraceContaining("id=2");

    List<Row> scored = model.withPermissive().transform(rows).orderBy("id").collectAsList();
    assertThat(scored).hasSize(2);
    assertThat(scored.get(0).isNullAt(2)).isFalse();
    assertThat(scored.get(0).isNullAt(3)).isTrue();
    assertThat(scored.get(1).isNullAt(2)).isTrue();
    assertThat(scored.get(1).getString(3)).contains("declaring 20000x20000 pixels", "resize");
    // Just within the limit, the header alone is no reason to refuse: a damaged body is.
    Dataset<Row> damaged =
        spark.createDataFrame(
            List.of(RowFactory.create(3L, (Object) pngDeclaring(10_000, 10_000))),
            new StructType().add("id", DataTypes.LongType).add("content", DataTypes.BinaryType));
    assertThat(model.withPermissive().transform(damaged).first().getString(3))
        .contains("not an image Java can decode")
        .doesNotContain("megapixels");
  }

  @Test
  void binaryColumnsHoldRawLittleEndianTensors() {
    byte[] identity =
        new ModelBuilder("id")
            .input("x", ElementType.FLOAT, "batch", 3)
            .node("Identity", "x", "y")
            .output("y", ElementType.FLOAT, "batch", 3)
            .build();
    ByteBuffer raw = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
    raw.putFloat(1.5f).putFloat(-2f).putFloat(3.25f);
    Dataset<Row> df =
        spark.createDataFrame(
            List.of(
                RowFactory.create((Object) raw.array()), RowFactory.create((Object) new byte[8])),
            new StructType().add("x", DataTypes.BinaryType));

    List<Row> rows = OnnxModel.fromBytes(identity).withPermissive().transform(df).collectAsList();

    assertThat(TransformTest.floats(rows.get(0).getList(1))).containsExactly(1.5f, -2f, 3.25f);
    assertThat(rows.get(1).getString(2)).contains("has 2 values");
  }
}
