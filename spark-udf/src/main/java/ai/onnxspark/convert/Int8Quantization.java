package ai.onnxspark.convert;

import ai.onnxspark.internal.OnnxErrors;
import ai.onnxspark.onnx.OnnxProto.GraphProto;
import ai.onnxspark.onnx.OnnxProto.ModelProto;
import ai.onnxspark.onnx.OnnxProto.NodeProto;
import ai.onnxspark.onnx.OnnxProto.OperatorSetIdProto;
import ai.onnxspark.onnx.OnnxProto.StringStringEntryProto;
import ai.onnxspark.onnx.OnnxProto.TensorProto;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Dynamic int8 quantization of a model's MatMul and Gemm weights, written as standard ONNX ops that
 * ONNX Runtime's CPU provider runs with integer kernels (and fuses further).
 *
 * <p>For each MatMul (or Gemm with {@code transA=0}, {@code alpha=1}) whose second input is a
 * constant float matrix {@code W[K,N]}, the weights are stored as int8 with a float scale (and zero
 * point) per output column ({@linkplain #withPerTensor per tensor} on request), and the node
 * becomes:
 *
 * <pre>
 * DynamicQuantizeLinear(X) -> Xq (uint8), Xs, Xzp       (once per distinct X)
 * MatMulInteger(Xq, Wq, Xzp, Wzp) -> int32
 * Cast(to float) * (Xs * Ws) [+ Gemm's bias]  -> the node's original output
 * </pre>
 *
 * Activations are quantized per batch at run time, so no calibration data is needed. Everything
 * else (attention's activation-by-activation MatMuls, convolutions, small matrices) stays float.
 * Names of inputs and outputs, and their types, do not change. Needs opset 11 or later.
 *
 * <p>Weights use a reduced 7-bit range by default ({@code [-63, 63]} symmetric, {@code [-64, 63]}
 * asymmetric), so that the model is accurate on every x86 CPU: see {@link #withFullRange}.
 *
 * <p>Immutable: {@code withX} returns a changed copy. Thread-safe.
 */
public final class Int8Quantization {
  /** The metadata key recording how a model was quantized. */
  public static final String METADATA_KEY = "onnxspark.quantization";

  private final boolean perChannel;
  private final boolean symmetric;
  private final boolean fullRange;
  private final long minWeightElements;
  private final Set<String> excludedNodes;
  private boolean endsInFloat;

  private Int8Quantization(
      boolean perChannel,
      boolean symmetric,
      boolean fullRange,
      long minWeightElements,
      Set<String> excludedNodes) {
    this.perChannel = perChannel;
    this.symmetric = symmetric;
    this.fullRange = fullRange;
    this.minWeightElements = minWeightElements;
    this.excludedNodes = Set.copyOf(excludedNodes);
  }

  /**
   * Leaves the first and the last quantizable MatMul/Gemm in float (when there are three or more):
   * the layers that read the raw inputs and write the scores lose the most accuracy to int8, and
   * cost little.
   */
  public Int8Quantization withEndsInFloat() {
    Int8Quantization copy =
        new Int8Quantization(perChannel, symmetric, fullRange, minWeightElements, excludedNodes);
    copy.endsInFloat = true;
    return copy;
  }

  /**
   * Per output channel, symmetric 7-bit weights (reduced range, see {@link #withFullRange}),
   * matrices of 256 or more weights.
   */
  public static Int8Quantization defaults() {
    return new Int8Quantization(true, true, false, 256, Set.of());
  }

  /** One scale for a whole weight matrix instead of one per output column. */
  public Int8Quantization withPerTensor() {
    return carry(
        new Int8Quantization(false, symmetric, fullRange, minWeightElements, excludedNodes));
  }

  /**
   * Asymmetric weights: a zero point per scale, using all the levels of the weight range (128 by
   * default, all 256 with {@link #withFullRange}) for weights not centred on zero.
   */
  public Int8Quantization withAsymmetric() {
    return carry(
        new Int8Quantization(perChannel, false, fullRange, minWeightElements, excludedNodes));
  }

  /**
   * Weights use the full int8 range ({@code [-127, 127]} symmetric, {@code [-128, 127]} asymmetric)
   * instead of the default 7 bits ({@code [-63, 63]}, {@code [-64, 63]}).
   *
   * <p>Only for models scored on CPUs whose int8 kernels do not saturate: x86 with VNNI
   * (AVX512-VNNI or AVX-VNNI) and ARM. x86 CPUs without VNNI (AVX2 only, or AVX-512 without VNNI:
   * many cloud CPUs) multiply the uint8 activations by the int8 weights with {@code vpmaddubsw},
   * which adds pairs of products in int16 with saturation: {@code 2 × 255 × 127} overflows it, and
   * full-range weights give large errors there (several times the tolerated difference in {@code
   * Int8QuantizationTest}), while 7-bit weights cannot overflow. ONNX Runtime's own quantizer calls
   * the default {@code reduce_range}. The trade-off: full range halves the weights' rounding error
   * (twice the levels), which shows on deep stacks of quantized layers, at the same size and speed;
   * but the same model scored on a CPU without VNNI (an executor of another instance type) loses
   * that accuracy and more.
   */
  public Int8Quantization withFullRange() {
    return carry(
        new Int8Quantization(perChannel, symmetric, true, minWeightElements, excludedNodes));
  }

  /** Leaves weight matrices with fewer than {@code n} elements in float. */
  public Int8Quantization withMinWeightElements(long n) {
    return carry(new Int8Quantization(perChannel, symmetric, fullRange, n, excludedNodes));
  }

  /** Leaves the nodes named {@code names} in float (for layers that lose too much accuracy). */
  public Int8Quantization withExcludedNodes(String... names) {
    Set<String> excluded = new HashSet<>(excludedNodes);
    excluded.addAll(List.of(names));
    return carry(
        new Int8Quantization(perChannel, symmetric, fullRange, minWeightElements, excluded));
  }

  private Int8Quantization carry(Int8Quantization copy) {
    copy.endsInFloat = endsInFloat;
    return copy;
  }

  /** What a quantization did: the new model and which nodes it changed or left, and why. */
  public record Result(byte[] model, List<String> quantized, Map<String, String> skipped) {}

  /** How this quantization describes itself in the model's metadata. */
  public String describe() {
    return "int8 dynamic, "
        + (perChannel ? "per-channel" : "per-tensor")
        + ", "
        + (symmetric ? "symmetric" : "asymmetric")
        + (fullRange ? ", full-range 8-bit" : ", reduced-range 7-bit")
        + " weights"
        + (endsInFloat ? ", first and last layers in float" : "");
  }

  /**
   * Quantizes {@code modelBytes}, leaving them untouched.
   *
   * @throws ai.onnxspark.OnnxException when the bytes are not a model, the opset is older than 11,
   *     or there is no MatMul/Gemm weight to quantize
   */
  public Result apply(byte[] modelBytes, String source) {
    ModelProto model;
    try {
      model = ModelProto.parseFrom(modelBytes);
    } catch (InvalidProtocolBufferException e) {
      throw OnnxErrors.cannotConvert("Cannot quantize " + source + ": not an ONNX model", e);
    }
    long opset = 0;
    for (OperatorSetIdProto o : model.getOpsetImportList()) {
      if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) {
        opset = o.getVersion();
      }
    }
    if (opset < 11) {
      throw OnnxErrors.cannotConvert(
          "Cannot quantize "
              + source
              + " to int8: it uses opset "
              + opset
              + ", and DynamicQuantizeLinear needs opset 11 or later. Re-export the model with"
              + " opset 13 or later (torch.onnx.export(..., opset_version=17)).");
    }
    GraphProto graph = model.getGraph();
    Map<String, TensorProto> initializers = new HashMap<>();
    for (TensorProto t : graph.getInitializerList()) {
      initializers.put(t.getName(), t);
    }
    Set<String> graphInputs = new HashSet<>();
    graph.getInputList().forEach(i -> graphInputs.add(i.getName()));
    // Exporters share equal weights through Identity nodes: those outputs are the same constants.
    for (NodeProto node : graph.getNodeList()) {
      if (node.getOpType().equals("Identity")
          && node.getDomain().isEmpty()
          && initializers.containsKey(node.getInput(0))
          && !graphInputs.contains(node.getInput(0))) {
        initializers.putIfAbsent(node.getOutput(0), initializers.get(node.getInput(0)));
      }
    }

    List<NodeProto> nodes = new ArrayList<>();
    List<TensorProto> added = new ArrayList<>();
    Map<String, String[]> quantizedInputs = new HashMap<>();
    Map<String, String> weightUse = new HashMap<>();
    List<String> quantized = new ArrayList<>();
    Map<String, String> skipped = new java.util.LinkedHashMap<>();
    Set<String> names = new HashSet<>();
    graph.getNodeList().forEach(n -> names.addAll(n.getOutputList()));
    names.addAll(initializers.keySet());
    names.addAll(graphInputs);
    Set<String> ends = new HashSet<>();
    if (endsInFloat) {
      List<String> candidates = new ArrayList<>();
      int position = 0;
      for (NodeProto node : graph.getNodeList()) {
        position++;
        String label =
            node.getName().isEmpty() ? node.getOpType() + "#" + position : node.getName();
        if (reasonToSkip(node, label, initializers, graphInputs, Set.of()) == null) {
          candidates.add(label);
        }
      }
      if (candidates.size() >= 3) {
        ends.add(candidates.get(0));
        ends.add(candidates.get(candidates.size() - 1));
      }
    }
    int index = 0;
    for (NodeProto node : graph.getNodeList()) {
      index++;
      String label = node.getName().isEmpty() ? node.getOpType() + "#" + index : node.getName();
      String why = reasonToSkip(node, label, initializers, graphInputs, ends);
      if (why != null) {
        if (node.getOpType().equals("MatMul") || node.getOpType().equals("Gemm")) {
          skipped.put(label, why);
        }
        nodes.add(node);
        continue;
      }
      boolean gemm = node.getOpType().equals("Gemm");
      boolean transB = gemm && GraphEdits.intAttr(node, "transB", 0) == 1;
      TensorProto weight = initializers.get(node.getInput(1));
      String prefix = GraphEdits.unique(names, sanitize(label) + "_int8");
      String x = node.getInput(0);
      String[] xq = quantizedInputs.get(x);
      if (xq == null) {
        xq = new String[] {x + "_quantized", x + "_scale", x + "_zero_point"};
        for (int i = 0; i < 3; i++) {
          xq[i] = GraphEdits.unique(names, xq[i]);
        }
        nodes.add(
            NodeProto.newBuilder()
                .setName(GraphEdits.unique(names, sanitize(x) + "_DynamicQuantizeLinear"))
                .setOpType("DynamicQuantizeLinear")
                .addInput(x)
                .addOutput(xq[0])
                .addOutput(xq[1])
                .addOutput(xq[2])
                .build());
        quantizedInputs.put(x, xq);
      }
      String weightKey = weight.getName() + (transB ? "^T" : "");
      String wq = weightUse.get(weightKey);
      if (wq == null) {
        wq = GraphEdits.unique(names, sanitize(weight.getName()) + (transB ? "_T" : "") + "_int8");
        names.add(wq + "_scale");
        names.add(wq + "_zero_point");
        added.addAll(quantizeWeight(weight, transB, wq));
        weightUse.put(weightKey, wq);
      }
      String product = GraphEdits.unique(names, prefix + "_int32");
      String asFloat = GraphEdits.unique(names, prefix + "_float");
      String scale = GraphEdits.unique(names, prefix + "_scale");
      String output = node.getOutput(0);
      boolean bias = gemm && node.getInputCount() > 2 && !node.getInput(2).isEmpty();
      String scaled = bias ? GraphEdits.unique(names, prefix + "_scaled") : output;
      nodes.add(
          NodeProto.newBuilder()
              .setName(prefix + "_MatMulInteger")
              .setOpType("MatMulInteger")
              .addInput(xq[0])
              .addInput(wq)
              .addInput(xq[2])
              .addInput(wq + "_zero_point")
              .addOutput(product)
              .build());
      nodes.add(
          GraphEdits.cast(prefix + "_Cast", product, asFloat, TensorProto.DataType.FLOAT_VALUE));
      nodes.add(
          NodeProto.newBuilder()
              .setName(prefix + "_Scale")
              .setOpType("Mul")
              .addInput(xq[1])
              .addInput(wq + "_scale")
              .addOutput(scale)
              .build());
      nodes.add(
          NodeProto.newBuilder()
              .setName(prefix + "_Mul")
              .setOpType("Mul")
              .addInput(asFloat)
              .addInput(scale)
              .addOutput(scaled)
              .build());
      if (bias) {
        nodes.add(
            NodeProto.newBuilder()
                .setName(prefix + "_Bias")
                .setOpType("Add")
                .addInput(scaled)
                .addInput(node.getInput(2))
                .addOutput(output)
                .build());
      }
      quantized.add(label);
    }
    if (quantized.isEmpty()) {
      throw OnnxErrors.cannotConvert(
          "Nothing to quantize in "
              + source
              + ": int8 dynamic quantization rewrites MatMul and Gemm nodes with constant float"
              + " weights of at least "
              + minWeightElements
              + " elements, and "
              + (skipped.isEmpty() ? "the model has none" : "none qualified: " + skipped)
              + ".");
    }

    // Nodes whose outputs nothing reads any more (Identity copies of float weights) and float
    // weights that no node reads are dropped.
    Set<String> read = new HashSet<>();
    boolean removed = true;
    while (removed) {
      read.clear();
      nodes.forEach(n -> read.addAll(n.getInputList()));
      graph.getOutputList().forEach(o -> read.add(o.getName()));
      removed = nodes.removeIf(n -> n.getOutputList().stream().noneMatch(read::contains));
    }
    GraphProto.Builder newGraph = graph.toBuilder().clearNode().addAllNode(nodes);
    newGraph.clearInitializer();
    for (TensorProto t : graph.getInitializerList()) {
      if (read.contains(t.getName())) {
        newGraph.addInitializer(t);
      }
    }
    Set<String> kept = new HashSet<>(read);
    newGraph.addAllInitializer(added);
    newGraph.clearInput();
    graph.getInputList().stream()
        .filter(i -> !initializers.containsKey(i.getName()) || kept.contains(i.getName()))
        .forEach(newGraph::addInput);
    ModelProto.Builder out = model.toBuilder().setGraph(newGraph);
    out.addMetadataProps(
        StringStringEntryProto.newBuilder()
            .setKey(METADATA_KEY)
            .setValue(describe() + ", " + quantized.size() + " MatMul/Gemm nodes"));
    return new Result(out.build().toByteArray(), List.copyOf(quantized), Map.copyOf(skipped));
  }

  private String reasonToSkip(
      NodeProto node,
      String label,
      Map<String, TensorProto> initializers,
      Set<String> graphInputs,
      Set<String> ends) {
    String op = node.getOpType();
    if (!node.getDomain().isEmpty() && !node.getDomain().equals("ai.onnx")) {
      return "not a default-domain op";
    }
    if (!op.equals("MatMul") && !op.equals("Gemm")) {
      return "not MatMul or Gemm";
    }
    if (excludedNodes.contains(label) || excludedNodes.contains(node.getName())) {
      return "excluded";
    }
    if (ends.contains(label)) {
      return "first or last layer, kept in float";
    }
    TensorProto weight = node.getInputCount() > 1 ? initializers.get(node.getInput(1)) : null;
    if (weight == null || graphInputs.contains(node.getInput(1))) {
      return "second input is not a constant weight";
    }
    if (weight.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
      return "weight is not float";
    }
    if (weight.getDimsCount() != 2) {
      return "weight is not a matrix";
    }
    if (Initializers.isExternal(weight)) {
      return "weight is stored as external data";
    }
    if (Initializers.elements(weight) < minWeightElements) {
      return "weight has fewer than " + minWeightElements + " elements";
    }
    if (op.equals("Gemm")) {
      if (GraphEdits.intAttr(node, "transA", 0) != 0) {
        return "Gemm with transA";
      }
      if (GraphEdits.floatAttr(node, "alpha", 1f) != 1f) {
        return "Gemm with alpha != 1";
      }
      if (node.getInputCount() > 2
          && !node.getInput(2).isEmpty()
          && GraphEdits.floatAttr(node, "beta", 1f) != 1f) {
        return "Gemm with beta != 1";
      }
    }
    return null;
  }

  /** The int8 weights, their scales and zero points, named {@code name}, {@code name_scale}, … */
  private List<TensorProto> quantizeWeight(TensorProto weight, boolean transpose, String name) {
    float[] w = Initializers.floats(weight);
    int rows = (int) weight.getDims(0);
    int cols = (int) weight.getDims(1);
    int k = transpose ? cols : rows;
    int n = transpose ? rows : cols;
    // value(r, c) of the [K, N] matrix the MatMul uses
    float[] kn = new float[k * n];
    for (int r = 0; r < k; r++) {
      for (int c = 0; c < n; c++) {
        kn[r * n + c] = transpose ? w[c * cols + r] : w[r * cols + c];
      }
    }
    // 7 bits unless full range: without VNNI, x86 kernels add pairs of uint8 x int8 products in
    // int16 with saturation, which 2 x 255 x 64 = 32640 stays within and 2 x 255 x 127 does not.
    int qmax = fullRange ? 127 : 63;
    int qmin = symmetric ? -qmax : -qmax - 1;
    int groups = perChannel ? n : 1;
    float[] scales = new float[groups];
    byte[] zeroPoints = new byte[groups];
    for (int g = 0; g < groups; g++) {
      float min = 0;
      float max = 0;
      for (int r = 0; r < k; r++) {
        for (int c = perChannel ? g : 0; c < (perChannel ? g + 1 : n); c++) {
          float v = kn[r * n + c];
          if (Float.isFinite(v)) {
            min = Math.min(min, v);
            max = Math.max(max, v);
          }
        }
      }
      if (symmetric) {
        float range = Math.max(Math.abs(min), Math.abs(max));
        scales[g] = range == 0 ? 1f : range / qmax;
        zeroPoints[g] = 0;
      } else {
        float span = max - min;
        scales[g] = span == 0 ? 1f : span / (qmax - qmin);
        zeroPoints[g] = (byte) clamp(Math.round(qmin - min / scales[g]), qmin, qmax);
      }
    }
    byte[] q = new byte[k * n];
    for (int r = 0; r < k; r++) {
      for (int c = 0; c < n; c++) {
        int g = perChannel ? c : 0;
        q[r * n + c] =
            (byte) clamp(Math.round(kn[r * n + c] / scales[g]) + zeroPoints[g], qmin, qmax);
      }
    }
    long[] groupDims = perChannel ? new long[] {n} : new long[] {};
    return List.of(
        Initializers.int8(name, new long[] {k, n}, q),
        Initializers.float32(name + "_scale", groupDims, scales),
        Initializers.int8(name + "_zero_point", groupDims, zeroPoints));
  }

  private static int clamp(long v, int lo, int hi) {
    return (int) Math.max(lo, Math.min(hi, v));
  }

  private static String sanitize(String name) {
    return name.replaceAll("[^A-Za-z0-9_./:-]", "_");
  }
}
