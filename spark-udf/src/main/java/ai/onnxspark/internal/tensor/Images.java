package ai.onnxspark.internal.tensor;

import ai.onnxspark.internal.OnnxErrors;
import ai.onnxspark.model.TensorSpec;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
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

  /**
   * An image from Spark's image data source: {@code height} rows of {@code width} pixels, each
   * {@code channels} bytes in BGR(A) order, or one gray byte.
   */
  static BufferedImage fromPixels(
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
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int at = (y * width + x) * channels;
        int b = data[at] & 0xff;
        int g = channels == 1 ? b : data[at + 1] & 0xff;
        int r = channels == 1 ? b : data[at + 2] & 0xff;
        image.setRGB(x, y, (r << 16) | (g << 8) | b);
      }
    }
    return image;
  }

  /** The image as {@code width x height} RGB pixels ({@code 0xRRGGBB}), resized bilinearly. */
  static int[] resizedRgb(BufferedImage image, int width, int height) {
    BufferedImage target = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = target.createGraphics();
    try {
      g.setRenderingHint(
          RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
      g.drawImage(image, 0, 0, width, height, null);
    } finally {
      g.dispose();
    }
    return target.getRGB(0, 0, width, height, null, 0, width);
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
    int plane = planes(resizedRgb(image, width, height), mean, std, (i, v) -> out.put(base + i, v));
    out.position(base + 3 * plane);
  }

  /** Where {@link #planes} writes: value {@code v} at offset {@code i} of the image's planes. */
  interface PlaneWriter {
    void put(int i, float v);
  }

  /**
   * Packed RGB pixels as three planes (R, G, B; NCHW order) of values scaled to 0..1 and normalised
   * per channel, {@code (v - mean[c]) / std[c]}; returns the pixels per plane.
   */
  static int planes(int[] rgb, float[] mean, float[] std, PlaneWriter out) {
    int plane = rgb.length;
    for (int p = 0; p < plane; p++) {
      int pixel = rgb[p];
      float r = ((pixel >> 16) & 0xff) / 255f;
      float g = ((pixel >> 8) & 0xff) / 255f;
      float b = (pixel & 0xff) / 255f;
      out.put(p, (r - mean[0]) / std[0]);
      out.put(plane + p, (g - mean[1]) / std[1]);
      out.put(2 * plane + p, (b - mean[2]) / std[2]);
    }
    return plane;
  }
}
