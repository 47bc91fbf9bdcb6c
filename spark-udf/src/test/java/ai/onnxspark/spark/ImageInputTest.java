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
