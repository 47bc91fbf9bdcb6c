package ai.onnxspark.jobs;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxspark.convert.Float16Conversion;
import ai.onnxspark.convert.GraphOptimization;
import ai.onnxspark.convert.Int8Quantization;
import ai.onnxspark.internal.model.ModelBytes;
import ai.onnxspark.internal.session.SessionOptionsSpec;
import ai.onnxspark.model.ElementType;
import ai.onnxspark.model.ModelInfo;
import ai.onnxspark.model.TensorSpec;
import ai.onnxspark.onnx.OnnxProto.GraphProto;
import ai.onnxspark.onnx.OnnxProto.ModelProto;
import ai.onnxspark.onnx.OnnxProto.NodeProto;
import ai.onnxspark.onnx.OnnxProto.TensorProto;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Writes an int8-quantized (or float16) copy of a model, and with {@code --report} measures it
 * against the original in the same run: size, session creation time, ONNX Runtime throughput with
 * the same threads and batch, and accuracy on the same generated inputs (max absolute difference
 * and argmax agreement of the first output).
 */
public final class QuantizeJob {
  static final String USAGE =
      String.join(
          "\n",
          "Usage: onnx-quantize --model PATH --output PATH [flags]",
          "",
          "  --model PATH          the float32 ONNX model (local path or Hadoop URI)",
          "  --output PATH         where the converted model goes (a local path)",
          "  --to int8|fp16|optimized",
          "                        int8: dynamic quantization of MatMul/Gemm weights (default);",
          "                        fp16: float16 weights and compute, float32 inputs and outputs;",
          "                        optimized: ONNX Runtime's graph optimization, done once",
          "  --level LEVEL         optimized: basic (default, any device), extended or all",
          "  --per-tensor          int8: one scale per weight matrix (default: per output channel)",
          "  --asymmetric          int8: weights with zero points (default: symmetric)",
          "  --full-range          int8: 8-bit weights (default 7-bit), only for CPUs with VNNI",
          "                        or ARM: without VNNI (AVX2) full-range weights saturate",
          "  --min-weights N       int8: leave matrices under N weights in float (default 256)",
          "  --exclude NODES       int8: node names to leave in float, comma-separated",
          "  --ends-in-float       int8: leave the first and last MatMul/Gemm in float",
          "  --report              compare with the original on generated inputs",
          "  --rows N              report: rows scored per measurement (default 1024)",
          "  --batch-size N        report: rows per ONNX Runtime call (default 32)",
          "  --threads N           report: intra-op threads (default 2)",
          "  --seq N               report: length of variable dimensions, e.g. tokens (default 32)",
          "  --fill INPUT=V        report: fill an integer input with V (default: masks 1, ids",
          "                        random below the vocabulary size found in the model)");

  private QuantizeJob() {}

  public static void main(String[] argv) {
    if (List.of(argv).contains("--help")) {
      System.out.println(USAGE);
      return;
    }
    Jobs.run("onnx-quantize", () -> convert(argv));
  }

  /** Runs the job in this JVM and returns its exit code (0 done, 1 failed, 2 user error). */
  public static int run(String... argv) {
    return Jobs.outcome("onnx-quantize", () -> convert(argv));
  }

  private static void convert(String[] argv) {
    Args args =
        Args.parse(
            argv,
            List.of(
                "model",
                "output",
                "to",
                "level",
                "min-weights",
                "exclude",
                "rows",
                "batch-size",
                "threads",
                "seq",
                "fill"),
            List.of("per-tensor", "asymmetric", "full-range", "report", "ends-in-float"));
    String to = args.get("to", "int8");
    if (!List.of("int8", "fp16", "optimized").contains(to)) {
      throw new Args.UsageException("--to takes int8, fp16 or optimized, not '" + to + "'");
    }
    ModelBytes original =
        ModelBytes.read(args.required("model"), new org.apache.hadoop.conf.Configuration());
    Path output = Paths.get(args.required("output"));
    byte[] converted;
    String what;
    if (to.equals("int8")) {
      Int8Quantization q = Int8Quantization.defaults();
      if (args.has("per-tensor")) {
        q = q.withPerTensor();
      }
      if (args.has("asymmetric")) {
        q = q.withAsymmetric();
      }
      if (args.has("full-range")) {
        q = q.withFullRange();
      }
      q = q.withMinWeightElements(args.getInt("min-weights", 256));
      if (args.has("ends-in-float")) {
        q = q.withEndsInFloat();
      }
      if (args.has("exclude")) {
        q = q.withExcludedNodes(args.get("exclude", "").split(","));
      }
      Int8Quantization.Result result = q.apply(original.bytes(), original.source());
      converted = result.model();
      what = q.describe() + ": " + result.quantized().size() + " MatMul/Gemm nodes quantized";
      if (!result.skipped().isEmpty()) {
        what += ", left in float: " + result.skipped();
      }
    } else if (to.equals("optimized")) {
      SessionOptionsSpec.OptimizationLevel level =
          SessionOptionsSpec.OptimizationLevel.parse(args.get("level", "basic"));
      converted = GraphOptimization.apply(original.bytes(), level, original.source());
      what = "graph optimized at level " + level.name().toLowerCase(Locale.ROOT);
    } else {
      Float16Conversion.Result result =
          Float16Conversion.defaults().apply(original.bytes(), original.source());
      converted = result.model();
      what = "float16: " + result.converted() + " nodes";
      if (!result.keptInFloat32().isEmpty()) {
        what += ", kept in float32: " + result.keptInFloat32();
      }
    }
    try {
      if (output.getParent() != null) {
        Files.createDirectories(output.getParent());
      }
      Files.write(output, converted);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    System.out.println("Wrote " + output.toAbsolutePath() + " (" + what + ")");
    if (args.has("report")) {
      report(original, converted, to, args);
    }
  }

  private static void report(ModelBytes original, byte[] converted, String to, Args args) {
    int rows = args.getInt("rows", 1024);
    int batch = args.getInt("batch-size", 32);
    int threads = args.getInt("threads", 2);
    ModelInfo info = ModelInfo.parse(original.bytes(), original.source());
    Map<String, Object> inputs = inputs(original.bytes(), info, rows, args);
    String output = info.outputs().get(0).name();
    try {
      // An optimized graph is what executors load without optimizing again.
      Measure fp32 = measure(original.bytes(), inputs, output, rows, batch, threads, false);
      Measure other =
          measure(converted, inputs, output, rows, batch, threads, to.equals("optimized"));
      double maxAbs = 0;
      double maxRef = 0;
      int agree = 0;
      for (int r = 0; r < rows; r++) {
        float[] a = fp32.outputs[r];
        float[] b = other.outputs[r];
        int ia = 0;
        int ib = 0;
        for (int c = 0; c < a.length; c++) {
          maxAbs = Math.max(maxAbs, Math.abs(a[c] - b[c]));
          maxRef = Math.max(maxRef, Math.abs(a[c]));
          ia = a[c] > a[ia] ? c : ia;
          ib = b[c] > b[ib] ? c : ib;
        }
        agree += ia == ib ? 1 : 0;
      }
      System.out.printf(
          Locale.ROOT,
          "%n%s vs fp32: %d rows, batch %d, %d intra-op threads, output '%s'%n",
          to,
          rows,
          batch,
          threads,
          output);
      System.out.printf(Locale.ROOT, "  %-22s %14s %14s %10s%n", "", "fp32", to, "ratio");
      System.out.printf(
          Locale.ROOT,
          "  %-22s %14d %14d %10.2f%n",
          "size (bytes)",
          original.bytes().length,
          converted.length,
          (double) converted.length / original.bytes().length);
      System.out.printf(
          Locale.ROOT,
          "  %-22s %14.1f %14.1f %10.2f%n",
          "session creation (ms)",
          fp32.createMs,
          other.createMs,
          other.createMs / fp32.createMs);
      System.out.printf(
          Locale.ROOT,
          "  %-22s %14.0f %14.0f %10.2f%n",
          "throughput (rows/s)",
          fp32.rowsPerSecond,
          other.rowsPerSecond,
          other.rowsPerSecond / fp32.rowsPerSecond);
      System.out.printf(
          Locale.ROOT,
          "  max |%s - fp32| = %.5f (largest |fp32| output %.3f); argmax agreement %.2f%%%n",
          to,
          maxAbs,
          maxRef,
          100.0 * agree / rows);
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime failed while measuring: " + e.getMessage(), e);
    }
  }

  private record Measure(double createMs, double rowsPerSecond, float[][] outputs) {}

  /**
   * Best-of-three session creation, then a warm-up pass and the best of three timed passes over
   * {@code rows} rows in batches; returns the outputs of the last pass.
   */
  private static Measure measure(
      byte[] model,
      Map<String, Object> inputs,
      String output,
      int rows,
      int batch,
      int threads,
      boolean preOptimized)
      throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    double create = Double.MAX_VALUE;
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(threads);
      options.setInterOpNumThreads(1);
      if (preOptimized) {
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
      } else if (ModelInfo.parse(model, "model")
          .metadata()
          .containsKey(Float16Conversion.METADATA_KEY)) {
        // As the library does for float16 models: level 'all' can crash ONNX Runtime 1.28 on them.
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.EXTENDED_OPT);
      }
      for (int i = 0; i < 3; i++) {
        long start = System.nanoTime();
        try (OrtSession s = env.createSession(model, options)) {
          create = Math.min(create, (System.nanoTime() - start) / 1e6);
        }
      }
      try (OrtSession session = env.createSession(model, options)) {
        float[][] outputs = new float[rows][];
        double best = Double.MAX_VALUE;
        for (int pass = 0; pass < 4; pass++) {
          long start = System.nanoTime();
          for (int first = 0; first < rows; first += batch) {
            int n = Math.min(batch, rows - first);
            Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
            try {
              for (Map.Entry<String, Object> e : inputs.entrySet()) {
                feeds.put(e.getKey(), slice(env, e.getValue(), first, n));
              }
              try (OrtSession.Result result = session.run(feeds)) {
                OnnxTensor y = (OnnxTensor) result.get(output).orElseThrow();
                FloatBuffer values = y.getFloatBuffer();
                int per = values.remaining() / n;
                for (int r = 0; r < n; r++) {
                  float[] row = new float[per];
                  values.get(row);
                  outputs[first + r] = row;
                }
              }
            } finally {
              feeds.values().forEach(OnnxTensor::close);
            }
          }
          if (pass > 0) {
            best = Math.min(best, (System.nanoTime() - start) / 1e9);
          }
        }
        return new Measure(create, rows / best, outputs);
      }
    }
  }

  /** Generated inputs: one array per input, {@code rows} rows with the per-row shape resolved. */
  private static Map<String, Object> inputs(byte[] model, ModelInfo info, int rows, Args args) {
    Map<String, String> fill = new HashMap<>();
    for (String f : args.all("fill")) {
      int eq = f.indexOf('=');
      if (eq < 1) {
        throw new Args.UsageException("--fill takes INPUT=VALUE, not '" + f + "'");
      }
      fill.put(f.substring(0, eq), f.substring(eq + 1));
    }
    Map<String, Long> vocab = vocabularies(model);
    int seq = args.getInt("seq", 32);
    Random random = new Random(17);
    Map<String, Object> inputs = new LinkedHashMap<>();
    for (TensorSpec spec : info.inputs()) {
      long[] dims = spec.dims();
      List<Long> shape = new ArrayList<>();
      shape.add((long) rows);
      long perRow = 1;
      for (int i = 1; i < dims.length; i++) {
        long d = dims[i] > 0 ? dims[i] : seq;
        shape.add(d);
        perRow *= d;
      }
      long[] fullShape = shape.stream().mapToLong(Long::longValue).toArray();
      int count = (int) (rows * perRow);
      if (spec.elementType() == ElementType.FLOAT) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
          values[i] = (float) random.nextGaussian();
        }
        inputs.put(spec.name(), new Sample(fullShape, values, null));
      } else if (spec.elementType() == ElementType.INT64) {
        long[] values = new long[count];
        String fixed = fill.get(spec.name());
        long bound = vocab.getOrDefault(spec.name(), 2L);
        boolean mask = spec.name().toLowerCase(Locale.ROOT).contains("mask");
        for (int i = 0; i < count; i++) {
          values[i] =
              fixed != null ? Long.parseLong(fixed) : mask ? 1 : (long) random.nextInt((int) bound);
        }
        inputs.put(spec.name(), new Sample(fullShape, null, values));
      } else {
        throw new Args.UsageException(
            "the report generates float and int64 inputs; " + spec + " is neither");
      }
    }
    return inputs;
  }

  private record Sample(long[] shape, float[] floats, long[] longs) {}

  private static OnnxTensor slice(OrtEnvironment env, Object sample, int first, int n)
      throws OrtException {
    Sample s = (Sample) sample;
    long[] shape = s.shape().clone();
    int per = 1;
    for (int i = 1; i < shape.length; i++) {
      per *= (int) shape[i];
    }
    shape[0] = n;
    if (s.floats() != null) {
      return OnnxTensor.createTensor(
          env, FloatBuffer.wrap(s.floats(), first * per, n * per).slice(), shape);
    }
    return OnnxTensor.createTensor(
        env, LongBuffer.wrap(s.longs(), first * per, n * per).slice(), shape);
  }

  /** For int64 inputs that index an embedding table (Gather on a constant), the table's rows. */
  private static Map<String, Long> vocabularies(byte[] model) {
    Map<String, Long> sizes = new HashMap<>();
    try {
      GraphProto graph = ModelProto.parseFrom(model).getGraph();
      Map<String, TensorProto> initializers = new HashMap<>();
      graph.getInitializerList().forEach(t -> initializers.put(t.getName(), t));
      for (NodeProto node : graph.getNodeList()) {
        if (node.getOpType().equals("Gather") && node.getInputCount() == 2) {
          TensorProto table = initializers.get(node.getInput(0));
          if (table != null && table.getDimsCount() > 0) {
            sizes.merge(node.getInput(1), table.getDims(0), Math::min);
          }
        }
      }
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
    return sizes;
  }
}
