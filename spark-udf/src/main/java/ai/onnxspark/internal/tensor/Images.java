package ai.onnxspark.internal.tensor;

import ai.onnxspark.internal.OnnxErrors;
import ai.onnxspark.model.TensorSpec;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.awt.image.IndexColorModel;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.Raster;
import java.awt.image.SinglePixelPackedSampleModel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decoding and resizing the images that feed image models. Public only for {@link #toPlanes}, which
 * tools outside this package (the benchmark's hand-written loop) use to prepare images exactly as
 * the library does; internal, not API.
 */
public final class Images {
  static {
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  private Images() {}

  /**
   * The most pixels an encoded image may declare: 100 megapixels, 400 MB decoded. A few bytes can
   * declare any size (a decompression bomb), and decoding allocates the whole raster first.
   */
  static final long MAX_PIXELS = 100_000_000L;

  /** An encoded image (JPEG, PNG, BMP, GIF: what ImageIO reads). */
  static BufferedImage decode(byte[] bytes, TensorSpec spec, String column, String where) {
    return decode(
        bytes,
        (actual, why, fix) ->
            OnnxErrors.columnType(
                spec.name(), spec.typeString(), column, actual, "at " + where + ", " + why, fix));
  }

  /** How {@link #decode(byte[], Refusal)} words its refusals. */
  interface Refusal {
    RuntimeException of(String actual, String why, String fix);
  }

  /**
   * Decodes {@code bytes} in memory (no cache file), refusing an image that declares more than
   * {@link #MAX_PIXELS} pixels before its raster is allocated.
   */
  static BufferedImage decode(byte[] bytes, Refusal refuse) {
    int size = bytes == null ? 0 : bytes.length;
    long width = 0;
    long height = 0;
    BufferedImage image = null;
    String failure = "";
    if (bytes != null) {
      try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        if (readers.hasNext()) {
          ImageReader reader = readers.next();
          try {
            reader.setInput(in, true, true);
            width = reader.getWidth(0);
            height = reader.getHeight(0);
            if (width * height <= MAX_PIXELS) {
              image = reader.read(0);
            }
          } finally {
            reader.dispose();
          }
        }
      } catch (IOException | RuntimeException e) {
        // A damaged image: decoders throw I/O and runtime exceptions alike.
        failure = ": " + e.getMessage();
      }
    }
    if (width * height > MAX_PIXELS) {
      throw refuse.of(
          size + " bytes declaring " + width + "x" + height + " pixels",
          "more than the " + MAX_PIXELS / 1_000_000 + " megapixels an image may have",
          "resize such images before scoring, or filter them out by size");
    }
    if (image == null) {
      throw refuse.of(
          size + " bytes",
          "not an image Java can decode (JPEG, PNG, BMP, GIF)" + failure,
          "filter out unreadable files, or decode them into Spark's image format first");
    }
    return image;
  }

  /** An image's pixels: {@code width x height} packed {@code 0xRRGGBB} values, row after row. */
  record Pixels(int width, int height, int[] rgb) {}

  /**
   * An image from Spark's image data source: {@code height} rows of {@code width} pixels, each
   * {@code channels} bytes in BGR(A) order, or one gray byte.
   */
  static Pixels fromPixels(
      int height,
      int width,
      int channels,
      byte[] data,
      TensorSpec spec,
      String column,
      String where) {
    if (height <= 0
        || width <= 0
        || (channels != 1 && channels != 3 && channels != 4)
        || data == null
        || data.length < (long) height * width * channels) {
      throw OnnxErrors.columnType(
          spec.name(),
          spec.typeString(),
          column,
          "an image of " + height + "x" + width + "x" + channels,
          "at " + where + ", with " + (data == null ? 0 : data.length) + " data bytes",
          "read images with spark.read().format(\"image\"), which stores 1, 3 or 4 channels");
    }
    int[] rgb = new int[height * width];
    for (int p = 0, at = 0; p < rgb.length; p++, at += channels) {
      int b = data[at] & 0xff;
      int g = channels == 1 ? b : data[at + 1] & 0xff;
      int r = channels == 1 ? b : data[at + 2] & 0xff;
      rgb[p] = (r << 16) | (g << 8) | b;
    }
    return new Pixels(width, height, rgb);
  }

  /**
   * A decoded image's pixels as 8-bit R, G, B. The layouts decoders give most (ImageIO's JPEG
   * decoder gives 3-byte BGR; PNGs give these or packed ints) are read straight from the raster;
   * gray images keep their byte as R = G = B (as {@code convert("RGB")} does in PIL, where Java's
   * {@code getRGB} would change it by a colour conversion), and gray of other depths or with alpha
   * its level brought to 8 bits (the high byte of a 16-bit level, as libpng strips it); any other
   * layout goes through {@code getRGB}. Alpha is dropped, not blended.
   */
  static Pixels pixels(BufferedImage image) {
    int width = image.getWidth();
    int height = image.getHeight();
    int[] rgb = new int[width * height];
    Raster raster = image.getRaster();
    if (image.getType() == BufferedImage.TYPE_3BYTE_BGR
        || image.getType() == BufferedImage.TYPE_BYTE_GRAY) {
      PixelInterleavedSampleModel model = (PixelInterleavedSampleModel) raster.getSampleModel();
      byte[] data = ((DataBufferByte) raster.getDataBuffer()).getData();
      int stride = model.getScanlineStride();
      int step = model.getPixelStride();
      int[] offsets = model.getBandOffsets();
      int origin =
          raster.getDataBuffer().getOffset()
              - raster.getSampleModelTranslateY() * stride
              - raster.getSampleModelTranslateX() * step;
      boolean gray = offsets.length == 1;
      for (int y = 0, p = 0; y < height; y++) {
        for (int x = 0, at = origin + y * stride; x < width; x++, p++, at += step) {
          int r = data[at + offsets[0]] & 0xff;
          int g = gray ? r : data[at + offsets[1]] & 0xff;
          int b = gray ? r : data[at + offsets[2]] & 0xff;
          rgb[p] = (r << 16) | (g << 8) | b;
        }
      }
    } else if ((image.getType() == BufferedImage.TYPE_INT_RGB
            || image.getType() == BufferedImage.TYPE_INT_ARGB)
        && raster.getSampleModel() instanceof SinglePixelPackedSampleModel model) {
      int[] data = ((DataBufferInt) raster.getDataBuffer()).getData();
      int stride = model.getScanlineStride();
      int origin =
          raster.getDataBuffer().getOffset()
              - raster.getSampleModelTranslateY() * stride
              - raster.getSampleModelTranslateX();
      for (int y = 0, p = 0; y < height; y++) {
        for (int x = 0, at = origin + y * stride; x < width; x++, p++, at++) {
          rgb[p] = data[at] & 0xffffff;
        }
      }
    } else if (isGrayLevels(image)) {
      // Gray of another depth, or with alpha (16-bit and gray-and-alpha PNGs): band 0 is the gray
      // level, brought to 8 bits: its high 8 bits when deeper (as libpng strips 16-bit samples to
      // 8), scaled to 0..255 when shallower. getRGB would take the level for linear light and
      // convert it to sRGB, brightening every mid-tone.
      int bits = image.getColorModel().getComponentSize(0);
      int max = (1 << bits) - 1;
      int[] row = new int[width];
      for (int y = 0, p = 0; y < height; y++) {
        raster.getSamples(0, y, width, 1, 0, row);
        for (int x = 0; x < width; x++, p++) {
          int v = bits >= 8 ? row[x] >>> (bits - 8) : (row[x] * 255 + max / 2) / max;
          rgb[p] = (v << 16) | (v << 8) | v;
        }
      }
    } else {
      image.getRGB(0, 0, width, height, rgb, 0, width);
      for (int p = 0; p < rgb.length; p++) {
        rgb[p] &= 0xffffff;
      }
    }
    return new Pixels(width, height, rgb);
  }

  /** Whether band 0 of the image holds integer gray levels (not palette indices, not floats). */
  private static boolean isGrayLevels(BufferedImage image) {
    ColorModel colours = image.getColorModel();
    int transfer = image.getRaster().getTransferType();
    return colours.getColorSpace().getType() == ColorSpace.TYPE_GRAY
        && !(colours instanceof IndexColorModel)
        && (transfer == DataBuffer.TYPE_BYTE
            || transfer == DataBuffer.TYPE_USHORT
            || transfer == DataBuffer.TYPE_INT)
        && colours.getComponentSize(0) >= 1
        && colours.getComponentSize(0) <= 16;
  }

  /**
   * One encoded image (JPEG, PNG, ...) as {@link ImageFeeder} prepares it from encoded bytes:
   * decoded, resized bilinearly to {@code width x height}, scaled to 0..1 and normalised per RGB
   * channel, {@code (v - mean[c]) / std[c]}, written as three planes (R, G, B; NCHW order) at
   * {@code out}'s position, which it advances by {@code 3 * width * height}.
   *
   * @throws IllegalArgumentException when the bytes are not an image Java can decode
   */
  public static void toPlanes(
      byte[] bytes, int width, int height, float[] mean, float[] std, FloatBuffer out) {
    BufferedImage image =
        decode(bytes, (actual, why, fix) -> new IllegalArgumentException(actual + ": " + why));
    int base = out.position();
    int plane = planes(pixels(image), width, height, mean, std, (i, v) -> out.put(base + i, v));
    out.position(base + 3 * plane);
  }

  /** Where {@link #planes} writes: value {@code v} at offset {@code i} of the image's planes. */
  interface PlaneWriter {
    void put(int i, float v);
  }

  /**
   * The image resized bilinearly to {@code width x height} as three planes (R, G, B; NCHW order) of
   * values scaled to 0..1 and normalised per channel, {@code (v - mean[c]) / std[c]}, in one pass;
   * returns the pixels per plane.
   *
   * <p>The resize samples the source at the centres of the target's pixels ({@code (x + 0.5) *
   * sourceWidth / width - 0.5}, clamped to the edges) and blends the four nearest pixels, in
   * floating point with no rounding to 8 bits: {@code torch.nn.functional.interpolate(...,
   * mode="bilinear", align_corners=False)} and OpenCV's {@code INTER_LINEAR} resize the same way.
   * Like them, it does not smooth before shrinking by more than two.
   */
  static int planes(
      Pixels source, int width, int height, float[] mean, float[] std, PlaneWriter out) {
    int[] rgb = source.rgb();
    int sourceWidth = source.width();
    int[] x0 = new int[width];
    int[] x1 = new int[width];
    float[] wx = new float[width];
    taps(sourceWidth, width, x0, x1, wx);
    int[] y0 = new int[height];
    int[] y1 = new int[height];
    float[] wy = new float[height];
    taps(source.height(), height, y0, y1, wy);
    int plane = width * height;
    float[] scale = new float[3];
    float[] shift = new float[3];
    for (int c = 0; c < 3; c++) {
      scale[c] = 1f / (255f * std[c]);
      shift[c] = mean[c] / std[c];
    }
    for (int y = 0, p = 0; y < height; y++) {
      int top = y0[y] * sourceWidth;
      int bottom = y1[y] * sourceWidth;
      float fy = wy[y];
      for (int x = 0; x < width; x++, p++) {
        int a = rgb[top + x0[x]];
        int b = rgb[top + x1[x]];
        int c = rgb[bottom + x0[x]];
        int d = rgb[bottom + x1[x]];
        float fx = wx[x];
        for (int ch = 0, bits = 16; ch < 3; ch++, bits -= 8) {
          float upper = lerp((a >> bits) & 0xff, (b >> bits) & 0xff, fx);
          float lower = lerp((c >> bits) & 0xff, (d >> bits) & 0xff, fx);
          out.put(ch * plane + p, lerp(upper, lower, fy) * scale[ch] - shift[ch]);
        }
      }
    }
    return plane;
  }

  private static float lerp(float from, float to, float weight) {
    return from + (to - from) * weight;
  }

  /**
   * For each of {@code target} positions, the two source positions it blends and the weight of the
   * second ({@link #planes}' sampling rule).
   */
  private static void taps(int source, int target, int[] first, int[] second, float[] weight) {
    double ratio = (double) source / target;
    for (int i = 0; i < target; i++) {
      double at = Math.min(Math.max((i + 0.5) * ratio - 0.5, 0), source - 1);
      int low = (int) at;
      first[i] = low;
      second[i] = Math.min(low + 1, source - 1);
      weight[i] = (float) (at - low);
    }
  }
}
