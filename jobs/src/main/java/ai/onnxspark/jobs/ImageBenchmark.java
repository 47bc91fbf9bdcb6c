package ai.onnxspark.jobs;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxspark.OnnxOptions;
import ai.onnxspark.internal.tensor.Images;
import ai.onnxspark.model.ElementType;
import ai.onnxspark.model.TensorSpec;
import ai.onnxspark.spark.OnnxModel;
import ai.onnxspark.spark.ScoringMetrics;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The image mode of the benchmark ({@code onnx-bench --images}): an image model {@code float[batch,
 * 3, H, W]} scored from JPEG files the way users run it, against a hand-written loop doing the same
 * work without Spark.
 *
 * <p>It writes {@code --rows} generated JPEGs (seeded gradients, shapes and noise, {@code
 * --image-size}, default 500x375, quality 0.9; reused when present), then, alternating, best of
 * {@code --repeat} after a warm-up: (a) the library, {@code binaryFile} → {@code withImage(input,
 * "content")} → {@code noop}; (b) a hand-written loop, as many Java threads as Spark cores, each
 * reading its share of the files, preparing each image with the library's own decode, resize and
 * normalisation ({@link Images#toPlanes}) into a direct buffer of a batch and calling ONNX Runtime
 * directly (one shared session, one intra-op thread); (c) the same loop without ONNX Runtime
 * (decode, resize, normalise alone); (d) a plain {@code binaryFile} scan to {@code noop}. Before
 * timing it checks that the library's outputs for the first images equal the loop's. Results go to
 * the console and to {@code image-bench.json} under {@code --report}.
 */
final class ImageBenchmark {
  static final int CHECK_IMAGES = 4;
  static final float QUALITY = 0.9f;

  private ImageBenchmark() {}

  static Report bench(SparkSession spark, Args args, int cores, int repeat) {
    return bench(
        spark,
        args.required("model"),
        args.getInt("rows", 256),
        args.getInt("batch-size", 32),
        imageSize(args.get("image-size", "500x375")),
        args.get("data", "target/bench-data"),
        args.get("report", "target/bench-report"),
        cores,
        repeat);
  }

  static Report bench(
      SparkSession spark,
      String modelPath,
      int rows,
      int batch,
      int[] size,
      String dataRoot,
      String reportDir,
      int cores,
      int repeat) {
    OnnxModel model = OnnxModel.fromPath(modelPath);
    TensorSpec input = model.info().inputs().get(0);
    long[] dims = input.dims();
    if (model.info().inputs().size() != 1
        || input.elementType() != ElementType.FLOAT
        || dims.length != 4
        || dims[1] != 3
        || dims[2] <= 0
        || dims[3] <= 0) {
      throw new Args.UsageException(
          "--images takes models with one float input [batch, 3, height, width]; "
              + model.info().inputs()
              + " is not");
    }
    if (rows < 1 || batch < 1) {
      throw new Args.UsageException("--rows and --batch-size take 1 or more");
    }
    int height = (int) dims[2];
    int width = (int) dims[3];
    String inputName = input.name();
    String outputName = model.info().outputs().get(0).name();
    float[] mean = floats(OnnxOptions.IMAGE_MEAN_DEFAULT);
    float[] std = floats(OnnxOptions.IMAGE_STD_DEFAULT);
    Path dir =
        Paths.get(dataRoot, "images-" + rows + "-" + size[0] + "x" + size[1]).toAbsolutePath();
    List<Path> files;
    try {
      files = writeImages(dir, rows, size[0], size[1], 17);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    long[] jpegBytes = files.stream().mapToLong(ImageBenchmark::sizeOf).sorted().toArray();
    String path = dir.toString();
    OnnxModel library = model.withImage(inputName, "content").withBatchSize(batch);

    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(1);
      options.setInterOpNumThreads(1);
      try (OrtSession session =
          env.createSession(Files.readAllBytes(Path.of(model.source())), options)) {
        Loop loop =
            new Loop(env, session, inputName, outputName, width, height, mean, std, batch, cores);
        double maxDiff = checkSameOutputs(spark, library, outputName, loop, files);
        int partitions = spark.read().format("binaryFile").load(path).rdd().getNumPartitions();

        ScoringMetrics metrics = ScoringMetrics.register(spark.sparkContext());
        Runnable libraryRun =
            () -> noop(library.transform(spark.read().format("binaryFile").load(path), metrics));
        Runnable loopRun = () -> loop.run(files, true);
        Runnable decodeRun = () -> loop.run(files, false);
        Runnable scanRun = () -> noop(spark.read().format("binaryFile").load(path));
        List<Runnable> runs = List.of(libraryRun, loopRun, decodeRun, scanRun);
        double[] best = new double[runs.size()];
        Arrays.fill(best, Double.MAX_VALUE);
        runs.forEach(Runnable::run);
        for (int i = 0; i < repeat; i++) {
          for (int r = 0; r < runs.size(); r++) {
            best[r] = Math.min(best[r], Benchmark.time(runs.get(r)));
          }
        }
        int passes = repeat + 1;
        Report report =
            new Report(
                String.format(
                    Locale.ROOT,
                    "%s (%s, %d bytes), %d JPEGs of %dx%d, batch %d, %s, best of %d runs",
                    Paths.get(model.source()).getFileName(),
                    input.typeString(),
                    model.size(),
                    rows,
                    size[0],
                    size[1],
                    batch,
                    spark.sparkContext().master(),
                    repeat),
                rows,
                size[0],
                size[1],
                width,
                height,
                batch,
                cores,
                partitions,
                jpegBytes[0],
                Arrays.stream(jpegBytes).sum() / jpegBytes.length,
                jpegBytes[jpegBytes.length - 1],
                Math.min(CHECK_IMAGES, rows),
                maxDiff,
                best[0],
                best[1],
                best[2],
                best[3],
                metrics.runNanos() / 1e9 / passes,
                loop.runNanos.get() / 1e9 / passes);
        System.out.println();
        System.out.print(report.table());
        Path file =
            Files.writeString(
                Files.createDirectories(Paths.get(reportDir)).resolve("image-bench.json"),
                report.json());
        System.out.println("Wrote " + file.toAbsolutePath());
        return report;
      }
    } catch (OrtException e) {
      throw new IllegalStateException(e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void noop(Dataset<Row> df) {
    df.write().format("noop").mode("overwrite").save();
  }

  static int[] imageSize(String value) {
    String[] parts = value.toLowerCase(Locale.ROOT).split("x");
    try {
      if (parts.length == 2) {
        int w = Integer.parseInt(parts[0].trim());
        int h = Integer.parseInt(parts[1].trim());
        if (w > 0 && h > 0) {
          return new int[] {w, h};
        }
      }
    } catch (NumberFormatException e) {
      // falls through to the usage error
    }
    throw new Args.UsageException("--image-size takes WIDTHxHEIGHT, e.g. 500x375, not " + value);
  }

  private static float[] floats(String csv) {
    String[] parts = csv.split(",");
    float[] out = new float[parts.length];
    for (int i = 0; i < parts.length; i++) {
      out[i] = Float.parseFloat(parts[i].trim());
    }
    return out;
  }

  private static long sizeOf(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---- the hand-written loop ------------------------------------------------------------------

  /** Threads each reading, preparing and (optionally) scoring their share of the files. */
  static final class Loop {
    private final OrtEnvironment env;
    private final OrtSession session;
    private final String inputName;
    private final String outputName;
    private final int width;
    private final int height;
    private final float[] mean;
    private final float[] std;
    private final int batch;
    private final int threads;

    /** Nanoseconds inside ONNX Runtime's run, summed over threads and passes. */
    final AtomicLong runNanos = new AtomicLong();

    Loop(
        OrtEnvironment env,
        OrtSession session,
        String inputName,
        String outputName,
        int width,
        int height,
        float[] mean,
        float[] std,
        int batch,
        int threads) {
      this.env = env;
      this.session = session;
      this.inputName = inputName;
      this.outputName = outputName;
      this.width = width;
      this.height = height;
      this.mean = mean;
      this.std = std;
      this.batch = batch;
      this.threads = threads;
    }

    /** All files, each thread its contiguous share; with {@code score}, through the model. */
    void run(List<Path> files, boolean score) {
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          List<Path> share =
              files.subList(
                  (int) ((long) files.size() * t / threads),
                  (int) ((long) files.size() * (t + 1) / threads));
          futures.add(pool.submit(() -> share(share, score, null)));
        }
        for (Future<?> f : futures) {
          f.get();
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      } finally {
        pool.shutdownNow();
      }
    }

    /** The model's first output per file (flattened), on this thread. */
    List<float[]> outputs(List<Path> files) throws IOException, OrtException {
      List<float[]> out = new ArrayList<>();
      share(files, true, out);
      return out;
    }

    private Void share(List<Path> files, boolean score, List<float[]> outputs)
        throws IOException, OrtException {
      int perRow = 3 * width * height;
      FloatBuffer buffer =
          ByteBuffer.allocateDirect(batch * perRow * 4)
              .order(ByteOrder.nativeOrder())
              .asFloatBuffer();
      for (int done = 0; done < files.size(); done += batch) {
        int n = Math.min(batch, files.size() - done);
        buffer.clear();
        for (int i = 0; i < n; i++) {
          byte[] bytes = Files.readAllBytes(files.get(done + i));
          Images.toPlanes(bytes, width, height, mean, std, buffer);
        }
        if (score) {
          buffer.flip();
          long start = System.nanoTime();
          try (OnnxTensor tensor =
                  OnnxTensor.createTensor(env, buffer, new long[] {n, 3, height, width});
              OrtSession.Result result = session.run(Map.of(inputName, tensor))) {
            OnnxValue value = result.get(outputName).orElseThrow();
            FloatBuffer scores = ((OnnxTensor) value).getFloatBuffer();
            runNanos.addAndGet(System.nanoTime() - start);
            if (outputs != null) {
              int each = scores.remaining() / n;
              for (int i = 0; i < n; i++) {
                float[] row = new float[each];
                scores.get(row);
                outputs.add(row);
              }
            }
          }
        }
      }
      return null;
    }
  }

  /**
   * The largest absolute difference between the library's outputs and the loop's for the first
   * files (in batches of the first files alone, both ways).
   */
  static double checkSameOutputs(
      SparkSession spark, OnnxModel library, String outputName, Loop loop, List<Path> files) {
    List<Path> first = files.subList(0, Math.min(CHECK_IMAGES, files.size()));
    List<float[]> expected;
    try {
      expected = loop.outputs(first);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (OrtException e) {
      throw new IllegalStateException(e);
    }
    String[] paths = first.stream().map(Path::toString).toArray(String[]::new);
    Map<String, float[]> actual = new HashMap<>();
    for (Row row :
        library
            .transform(spark.read().format("binaryFile").load(paths))
            .select("path", outputName)
            .collectAsList()) {
      List<Float> values = new ArrayList<>();
      flatten(row.get(1), values);
      float[] out = new float[values.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = values.get(i);
      }
      String file = row.getString(0);
      actual.put(file.substring(file.lastIndexOf('/') + 1), out);
    }
    double max = 0;
    for (int i = 0; i < first.size(); i++) {
      float[] a = actual.get(first.get(i).getFileName().toString());
      float[] b = expected.get(i);
      if (a == null || a.length != b.length) {
        throw new IllegalStateException(
            "the library scored "
                + (a == null ? "nothing" : a.length + " values")
                + " for "
                + first.get(i)
                + ", the loop "
                + b.length
                + " values");
      }
      for (int j = 0; j < a.length; j++) {
        max = Math.max(max, Math.abs(a[j] - b[j]));
      }
    }
    return max;
  }

  private static void flatten(Object value, List<Float> out) {
    if (value instanceof scala.collection.Seq<?> seq) {
      scala.collection.Iterator<?> it = seq.iterator();
      while (it.hasNext()) {
        flatten(it.next(), out);
      }
    } else if (value instanceof List<?> list) {
      for (Object v : list) {
        flatten(v, out);
      }
    } else {
      out.add(((Number) value).floatValue());
    }
  }

  // ---- generated images -----------------------------------------------------------------------

  /**
   * {@code n} JPEGs {@code image-00000.jpg}... in {@code dir}, written unless all are there: seeded
   * photo-like content, so that they compress like photos.
   */
  static List<Path> writeImages(Path dir, int n, int width, int height, long seed)
      throws IOException {
    List<Path> files = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      files.add(dir.resolve(String.format(Locale.ROOT, "image-%05d.jpg", i)));
    }
    if (Files.isDirectory(dir) && files.stream().allMatch(Files::isRegularFile)) {
      try (Stream<Path> all = Files.list(dir)) {
        if (all.count() == n) {
          return files;
        }
      }
    }
    Path partial = dir.resolveSibling(dir.getFileName() + ".partial");
    if (Files.isDirectory(partial)) {
      try (Stream<Path> old = Files.list(partial)) {
        for (Path p : (Iterable<Path>) old::iterator) {
          Files.delete(p);
        }
      }
    }
    Files.createDirectories(partial);
    IntStream.range(0, n)
        .parallel()
        .forEach(
            i -> {
              try {
                Files.write(
                    partial.resolve(files.get(i).getFileName()),
                    jpeg(image(width, height, seed * 1_000_003L + i), QUALITY));
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });
    if (Files.isDirectory(dir)) {
      try (Stream<Path> old = Files.list(dir)) {
        for (Path p : (Iterable<Path>) old::iterator) {
          Files.delete(p);
        }
      }
      Files.delete(dir);
    }
    Files.move(partial, dir);
    return files;
  }

  /** A photo-like picture: a smooth background gradient, soft shapes, and sensor-like noise. */
  static BufferedImage image(int width, int height, long seed) {
    Random random = new Random(seed);
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setPaint(
          new GradientPaint(
              0, 0, color(random), width, height * random.nextFloat(), color(random)));
      g.fill(new Rectangle2D.Float(0, 0, width, height));
      int shapes = 6 + random.nextInt(10);
      for (int s = 0; s < shapes; s++) {
        float x = random.nextFloat() * width;
        float y = random.nextFloat() * height;
        float w = (0.05f + random.nextFloat() * 0.4f) * width;
        float h = (0.05f + random.nextFloat() * 0.4f) * height;
        g.setPaint(new GradientPaint(x, y, color(random), x + w, y + h, color(random)));
        if (random.nextBoolean()) {
          g.fill(new Ellipse2D.Float(x - w / 2, y - h / 2, w, h));
        } else {
          java.awt.geom.AffineTransform saved = g.getTransform();
          g.rotate(random.nextDouble() - 0.5, x, y);
          g.fill(new Rectangle2D.Float(x - w / 2, y - h / 2, w, h));
          g.setTransform(saved);
        }
        if (random.nextInt(3) == 0) {
          g.setStroke(new BasicStroke(1 + random.nextInt(4)));
          g.setPaint(color(random));
          g.drawLine(
              random.nextInt(width),
              random.nextInt(height),
              random.nextInt(width),
              random.nextInt(height));
        }
      }
    } finally {
      g.dispose();
    }
    // Noise, and a fine texture that varies over the picture, as in photos.
    int[] rgb = image.getRGB(0, 0, width, height, null, 0, width);
    double fx = 0.05 + random.nextDouble() * 0.3;
    double fy = 0.05 + random.nextDouble() * 0.3;
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int p = rgb[y * width + x];
        double texture = 6 * Math.sin(x * fx + 3 * Math.sin(y * fy)) * Math.cos(y * fy * 0.7);
        int r = clamp(((p >> 16) & 0xff) + texture + random.nextGaussian() * 10);
        int gr = clamp(((p >> 8) & 0xff) + texture + random.nextGaussian() * 10);
        int b = clamp((p & 0xff) + texture + random.nextGaussian() * 10);
        rgb[y * width + x] = (r << 16) | (gr << 8) | b;
      }
    }
    image.setRGB(0, 0, width, height, rgb, 0, width);
    return image;
  }

  private static Color color(Random random) {
    return new Color(random.nextInt(256), random.nextInt(256), random.nextInt(256));
  }

  private static int clamp(double v) {
    return (int) Math.max(0, Math.min(255, Math.round(v)));
  }

  static byte[] jpeg(BufferedImage image, float quality) throws IOException {
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
      writer.setOutput(out);
      ImageWriteParam param = writer.getDefaultWriteParam();
      param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      param.setCompressionQuality(quality);
      writer.write(null, new IIOImage(image, null, null), param);
    } finally {
      writer.dispose();
    }
    return bytes.toByteArray();
  }

  // ---- report ---------------------------------------------------------------------------------

  /** The best times in seconds of (a) library, (b) loop, (c) decode alone, (d) scan. */
  record Report(
      String title,
      int rows,
      int imageWidth,
      int imageHeight,
      int inputWidth,
      int inputHeight,
      int batch,
      int threads,
      int partitions,
      long jpegMin,
      long jpegMean,
      long jpegMax,
      int checked,
      double maxAbsDiff,
      double library,
      double loop,
      double decode,
      double scan,
      double libraryOrtSeconds,
      double loopOrtSeconds) {

    /** Library throughput over the loop's. */
    double libraryOverLoop() {
      return loop / library;
    }

    /** The decode/resize/normalise part of the loop's time. */
    double decodeShare() {
      return decode / loop;
    }

    double libraryOverScan() {
      return library / scan;
    }

    /** The ratios, with their targets. */
    List<Benchmark.Ratio> ratios(String model) {
      return List.of(
          new Benchmark.Ratio(
              model,
              "JPEG -> withImage / hand-written loop, throughput",
              libraryOverLoop(),
              0.9,
              false),
          new Benchmark.Ratio(
              model, "decode + resize share of the hand-written loop", decodeShare(), 0, false));
    }

    String table() {
      StringBuilder out = new StringBuilder(title).append('\n');
      out.append(
          String.format(
              Locale.ROOT,
              "  JPEG sizes: min %.1f KB, mean %.1f KB, max %.1f KB; input %dx%d;"
                  + " binaryFile partitions %d%n",
              jpegMin / 1024.0,
              jpegMean / 1024.0,
              jpegMax / 1024.0,
              inputWidth,
              inputHeight,
              partitions));
      out.append(
          String.format(
              Locale.ROOT,
              "  library outputs vs hand-written loop, first %d images: max abs difference %.3g%n",
              checked,
              maxAbsDiff));
      line(out, "(a) library: binaryFile -> withImage -> noop", library);
      line(out, "(b) hand-written loop, " + threads + " threads, ONNX Runtime", loop);
      line(out, "(c) decode+resize+normalise alone, " + threads + " threads", decode);
      line(out, "(d) plain binaryFile scan -> noop", scan);
      out.append(
          String.format(
              Locale.ROOT,
              "  time inside ONNX Runtime's run per pass, summed over threads:"
                  + " library %.2f s, loop %.2f s%n",
              libraryOrtSeconds,
              loopOrtSeconds));
      out.append(
          String.format(
              Locale.ROOT,
              "  library / hand-written loop throughput: %.2f%n"
                  + "  decode share of the loop, (c)/(b): %.1f%%%n"
                  + "  library time / plain scan time: %.2f%n",
              libraryOverLoop(),
              100 * decodeShare(),
              libraryOverScan()));
      return out.toString();
    }

    private void line(StringBuilder out, String name, double seconds) {
      out.append(
          String.format(
              Locale.ROOT, "  %-50s %10.1f rows/s %8.2f s%n", name, rows / seconds, seconds));
    }

    String json() {
      return String.format(
          Locale.ROOT,
          "{\n"
              + "  \"title\": \"%s\",\n"
              + "  \"rows\": %d,\n"
              + "  \"image_width\": %d,\n  \"image_height\": %d,\n"
              + "  \"input_width\": %d,\n  \"input_height\": %d,\n"
              + "  \"batch_size\": %d,\n  \"threads\": %d,\n  \"partitions\": %d,\n"
              + "  \"jpeg_bytes\": {\"min\": %d, \"mean\": %d, \"max\": %d},\n"
              + "  \"checked_images\": %d,\n  \"max_abs_diff\": %.6g,\n"
              + "  \"library_s\": %.6f,\n  \"loop_s\": %.6f,\n  \"decode_s\": %.6f,\n"
              + "  \"scan_s\": %.6f,\n"
              + "  \"library_rows_per_s\": %.2f,\n  \"loop_rows_per_s\": %.2f,\n"
              + "  \"decode_rows_per_s\": %.2f,\n  \"scan_rows_per_s\": %.2f,\n"
              + "  \"library_ort_s\": %.4f,\n  \"loop_ort_s\": %.4f,\n"
              + "  \"library_over_loop\": %.6f,\n  \"decode_share\": %.6f,\n"
              + "  \"library_over_scan\": %.4f\n"
              + "}\n",
          title.replace("\\", "\\\\").replace("\"", "\\\""),
          rows,
          imageWidth,
          imageHeight,
          inputWidth,
          inputHeight,
          batch,
          threads,
          partitions,
          jpegMin,
          jpegMean,
          jpegMax,
          checked,
          maxAbsDiff,
          library,
          loop,
          decode,
          scan,
          rows / library,
          rows / loop,
          rows / decode,
          rows / scan,
          libraryOrtSeconds,
          loopOrtSeconds,
          libraryOverLoop(),
          decodeShare(),
          libraryOverScan());
    }
  }
}
