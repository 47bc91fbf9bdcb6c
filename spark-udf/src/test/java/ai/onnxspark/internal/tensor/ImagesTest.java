package ai.onnxspark.internal.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.FloatBuffer;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** How images become planes: the pixels read from each raster layout, and the bilinear resize. */
class ImagesTest {
  private static final float[] ZERO = {0, 0, 0};
  private static final float[] ONE = {1, 1, 1};

  /** One channel's plane of {@code source} resized to {@code width x height}, in 0..255. */
  private static float[] red(Images.Pixels source, int width, int height) {
    float[] out = new float[3 * width * height];
    Images.planes(source, width, height, ZERO, ONE, (i, v) -> out[i] = v * 255);
    float[] red = new float[width * height];
    System.arraycopy(out, 0, red, 0, red.length);
    return red;
  }

  private static Images.Pixels redRow(int... values) {
    int[] rgb = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      rgb[i] = values[i] << 16;
    }
    return new Images.Pixels(values.length, 1, rgb);
  }

  @Test
  void resizeSamplesAtPixelCentresLikeTorchInterpolateWithoutAlignCorners() {
    // torch.nn.functional.interpolate(torch.tensor([[[[0., 255.]]]]), size=(1, 4),
    //     mode="bilinear", align_corners=False) -> [0, 63.75, 191.25, 255]
    assertThat(red(redRow(0, 255), 4, 1))
        .containsExactly(new float[] {0f, 63.75f, 191.25f, 255f}, within(1e-4f));
    // Shrinking [0, 100, 200, 255] to 2 samples at source positions 0.5 and 2.5.
    assertThat(red(redRow(0, 100, 200, 255), 2, 1))
        .containsExactly(new float[] {50f, 227.5f}, within(1e-4f));
    // The same size: the pixels themselves.
    assertThat(red(redRow(7, 8, 9), 3, 1)).containsExactly(new float[] {7f, 8f, 9f}, within(1e-4f));
  }

  @Test
  void resizeEqualsTheFormulaOnRandomImagesBothWays() {
    Random random = new Random(3);
    for (int[] sizes : new int[][] {{37, 23, 11, 9}, {5, 7, 16, 13}, {1, 1, 4, 3}, {9, 2, 9, 5}}) {
      int sw = sizes[0];
      int sh = sizes[1];
      int w = sizes[2];
      int h = sizes[3];
      int[] rgb = new int[sw * sh];
      for (int i = 0; i < rgb.length; i++) {
        rgb[i] = random.nextInt(1 << 24);
      }
      float[] mean = {0.485f, 0.456f, 0.406f};
      float[] std = {0.229f, 0.224f, 0.225f};
      float[] out = new float[3 * w * h];
      Images.planes(new Images.Pixels(sw, sh, rgb), w, h, mean, std, (i, v) -> out[i] = v);
      for (int c = 0; c < 3; c++) {
        int shift = 16 - 8 * c;
        for (int y = 0; y < h; y++) {
          double sy = Math.min(Math.max((y + 0.5) * sh / h - 0.5, 0), sh - 1);
          int y0 = (int) Math.floor(sy);
          int y1 = Math.min(y0 + 1, sh - 1);
          for (int x = 0; x < w; x++) {
            double sx = Math.min(Math.max((x + 0.5) * sw / w - 0.5, 0), sw - 1);
            int x0 = (int) Math.floor(sx);
            int x1 = Math.min(x0 + 1, sw - 1);
            double v =
                (1 - (sy - y0))
                        * ((1 - (sx - x0)) * at(rgb, sw, x0, y0, shift)
                            + (sx - x0) * at(rgb, sw, x1, y0, shift))
                    + (sy - y0)
                        * ((1 - (sx - x0)) * at(rgb, sw, x0, y1, shift)
                            + (sx - x0) * at(rgb, sw, x1, y1, shift));
            double expected = (v / 255 - mean[c]) / std[c];
            assertThat(out[c * w * h + y * w + x])
                .as("channel %d at (%d, %d) of %dx%d from %dx%d", c, x, y, w, h, sw, sh)
                .isCloseTo((float) expected, within(1e-4f));
          }
        }
      }
    }
  }

  private static int at(int[] rgb, int width, int x, int y, int shift) {
    return (rgb[y * width + x] >> shift) & 0xff;
  }

  @Test
  void pixelsAreReadAlikeFromEveryRasterLayout() {
    Random random = new Random(5);
    int width = 7;
    int height = 5;
    int[] colours = new int[width * height];
    for (int i = 0; i < colours.length; i++) {
      colours[i] = random.nextInt(1 << 24);
    }
    for (int type :
        new int[] {
          BufferedImage.TYPE_3BYTE_BGR,
          BufferedImage.TYPE_INT_RGB,
          BufferedImage.TYPE_INT_ARGB,
          BufferedImage.TYPE_INT_BGR,
          BufferedImage.TYPE_4BYTE_ABGR
        }) {
      BufferedImage image = new BufferedImage(width, height, type);
      for (int p = 0; p < colours.length; p++) {
        image.setRGB(p % width, p / width, 0x80000000 | colours[p]);
      }
      Images.Pixels pixels = Images.pixels(image);
      assertThat(pixels.width()).isEqualTo(width);
      assertThat(pixels.height()).isEqualTo(height);
      // Alpha is dropped, not blended: the colour channels as stored.
      assertThat(pixels.rgb()).as("type %d", type).containsExactly(colours);
    }
    // A sub-image shares its parent's raster at an offset.
    BufferedImage parent = new BufferedImage(width + 3, height + 2, BufferedImage.TYPE_3BYTE_BGR);
    for (int p = 0; p < colours.length; p++) {
      parent.setRGB(2 + p % width, 1 + p / width, colours[p]);
    }
    assertThat(Images.pixels(parent.getSubimage(2, 1, width, height)).rgb())
        .containsExactly(colours);
  }

  @Test
  void grayImagesKeepTheirByteInEveryChannel() throws Exception {
    BufferedImage gray = new BufferedImage(3, 1, BufferedImage.TYPE_BYTE_GRAY);
    gray.getRaster().setSamples(0, 0, 3, 1, 0, new int[] {0, 100, 255});
    assertThat(Images.pixels(gray).rgb()).containsExactly(0x000000, 0x646464, 0xffffff);
    // Through PNG bytes too (ImageIO gives a gray image back).
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    ImageIO.write(gray, "png", png);
    FloatBuffer planes = FloatBuffer.allocate(9);
    Images.toPlanes(png.toByteArray(), 3, 1, ZERO, ONE, planes);
    assertThat(planes.position()).isEqualTo(9);
    assertThat(planes.array())
        .containsExactly(
            new float[] {0f, 100 / 255f, 1f, 0f, 100 / 255f, 1f, 0f, 100 / 255f, 1f},
            within(1e-6f));
  }

  @Test
  void deepGrayAndGrayWithAlphaKeepTheirLevelInEveryChannel() throws Exception {
    // 16-bit gray: the high byte of each level, with no colour conversion.
    BufferedImage deep = new BufferedImage(4, 1, BufferedImage.TYPE_USHORT_GRAY);
    deep.getRaster().setSamples(0, 0, 4, 1, 0, new int[] {0, 100 * 257, 0xffff, 0x80ff});
    assertThat(Images.pixels(deep).rgb()).containsExactly(0x000000, 0x646464, 0xffffff, 0x808080);
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    ImageIO.write(deep, "png", png);
    assertThat(ImageIO.read(new ByteArrayInputStream(png.toByteArray())).getType())
        .as("a 16-bit gray PNG reads back as 16-bit gray")
        .isEqualTo(BufferedImage.TYPE_USHORT_GRAY);
    FloatBuffer planes = FloatBuffer.allocate(12);
    Images.toPlanes(png.toByteArray(), 4, 1, ZERO, ONE, planes);
    float[] levels = {0f, 100 / 255f, 1f, 128 / 255f};
    for (int c = 0; c < 3; c++) {
      for (int x = 0; x < 4; x++) {
        assertThat(planes.get(4 * c + x))
            .as("channel %d, pixel %d", c, x)
            .isCloseTo(levels[x], within(1e-6f));
      }
    }

    // Gray with alpha: the level as stored, the alpha dropped.
    ComponentColorModel model =
        new ComponentColorModel(
            ColorSpace.getInstance(ColorSpace.CS_GRAY),
            true,
            false,
            Transparency.TRANSLUCENT,
            DataBuffer.TYPE_BYTE);
    WritableRaster raster = model.createCompatibleWritableRaster(3, 1);
    raster.setPixels(0, 0, 3, 1, new int[] {0, 255, 100, 128, 255, 0});
    BufferedImage withAlpha = new BufferedImage(model, raster, false, null);
    assertThat(Images.pixels(withAlpha).rgb()).containsExactly(0x000000, 0x646464, 0xffffff);
    png.reset();
    assertThat(ImageIO.write(withAlpha, "png", png)).isTrue();
    planes = FloatBuffer.allocate(9);
    Images.toPlanes(png.toByteArray(), 3, 1, ZERO, ONE, planes);
    assertThat(planes.array())
        .containsExactly(
            new float[] {0f, 100 / 255f, 1f, 0f, 100 / 255f, 1f, 0f, 100 / 255f, 1f},
            within(1e-6f));
  }

  @Test
  void palettePngsAreReadThroughTheirColours() throws Exception {
    byte[] r = {(byte) 255, 0};
    byte[] g = {0, (byte) 128};
    byte[] b = {0, (byte) 255};
    BufferedImage indexed =
        new BufferedImage(
            2, 1, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(1, 2, r, g, b));
    indexed.getRaster().setSamples(0, 0, 2, 1, 0, new int[] {1, 0});
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    ImageIO.write(indexed, "png", png);
    FloatBuffer planes = FloatBuffer.allocate(6);
    Images.toPlanes(png.toByteArray(), 2, 1, ZERO, ONE, planes);
    assertThat(planes.array())
        .containsExactly(new float[] {0f, 1f, 128 / 255f, 0f, 1f, 0f}, within(1e-6f));
  }
}
