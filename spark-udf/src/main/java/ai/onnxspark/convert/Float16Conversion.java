package ai.onnxspark.convert;

import ai.onnxspark.internal.OnnxErrors;
import ai.onnxspark.onnx.OnnxProto.AttributeProto;
import ai.onnxspark.onnx.OnnxProto.GraphProto;
import ai.onnxspark.onnx.OnnxProto.ModelProto;
import ai.onnxspark.onnx.OnnxProto.NodeProto;
import ai.onnxspark.onnx.OnnxProto.StringStringEntryProto;
import ai.onnxspark.onnx.OnnxProto.TensorProto;
import ai.onnxspark.onnx.OnnxProto.TypeProto;
import ai.onnxspark.onnx.OnnxProto.ValueInfoProto;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Converts a model's float weights and computation to float16, for GPU scoring, keeping its inputs
 * and outputs in their original types.
 *
 * <p>Float initializers and constants become float16 (values beyond ±65504 are clamped to it);
 * every node that computes on floats then runs in float16, with casts added at the graph's float
 * inputs and outputs. Nodes that must stay float32 keep it, with casts around them: ops of other
 * domains (ONNX-ML, custom), ops whose output types cannot be derived from their inputs here, and
 * ops whose float16 results are unreliable or unsupported: {@value #DEFAULT_KEPT_OPS}, and any
 * added with {@link #withKeptOps}.
 *
 * <p>Immutable; thread-safe.
 */
public final class Float16Conversion {
  /** Ops kept in float32 by default. */
  public static final String DEFAULT_KEPT_OPS =
      "NonMaxSuppression, TopK, RoiAlign, Resize, Upsample, Range, CumSum, RandomNormal,"
          + " RandomNormalLike, RandomUniform, RandomUniformLike, Multinomial, EyeLike";

  /** The metadata key recording the conversion. */
  public static final String METADATA_KEY = "onnxspark.float16";

  private static final int FLOAT = TensorProto.DataType.FLOAT_VALUE;
  private static final int FLOAT16 = TensorProto.DataType.FLOAT16_VALUE;
  private static final int INT64 = TensorProto.DataType.INT64_VALUE;
  private static final int BOOL = TensorProto.DataType.BOOL_VALUE;
  private static final int UINT8 = TensorProto.DataType.UINT8_VALUE;

  /** Ops whose every output has the type of their first input. */
  private static final Set<String> SAME_AS_FIRST =
      Set.of(
          "Abs",
          "Acos",
          "Acosh",
          "Add",
          "Asin",
          "Asinh",
          "Atan",
          "Atanh",
          "AveragePool",
          "BatchNormalization",
          "Ceil",
          "Celu",
          "Clip",
          "Concat",
          "Conv",
          "ConvTranspose",
          "Cos",
          "Cosh",
          "DepthToSpace",
          "Div",
          "Dropout",
          "Einsum",
          "Elu",
          "Erf",
          "Exp",
          "Expand",
          "Flatten",
          "Floor",
          "Gather",
          "GatherElements",
          "GatherND",
          "Gelu",
          "Gemm",
          "GlobalAveragePool",
          "GlobalMaxPool",
          "HardSigmoid",
          "HardSwish",
          "Hardmax",
          "Identity",
          "InstanceNormalization",
          "LRN",
          "LayerNormalization",
          "LeakyRelu",
          "Log",
          "LogSoftmax",
          "MatMul",
          "Max",
          "MaxPool",
          "Mean",
          "Min",
          "Mish",
          "Mod",
          "Mul",
          "Neg",
          "Pad",
          "Pow",
          "PRelu",
          "Reciprocal",
          "ReduceL1",
          "ReduceL2",
          "ReduceLogSum",
          "ReduceLogSumExp",
          "ReduceMax",
          "ReduceMean",
          "ReduceMin",
          "ReduceProd",
          "ReduceSum",
          "ReduceSumSquare",
          "Relu",
          "Reshape",
          "Round",
          "ScatterElements",
          "ScatterND",
          "Selu",
          "Shrink",
          "Sigmoid",
          "Sign",
          "Sin",
          "Sinh",
          "Slice",
          "Softmax",
          "Softplus",
          "Softsign",
          "SpaceToDepth",
          "Split",
          "Sqrt",
          "Squeeze",
          "Sub",
          "Sum",
          "Tan",
          "Tanh",
          "ThresholdedRelu",
          "Tile",
          "Transpose",
          "Unsqueeze",
          "GroupNormalization");

  private static final Set<String> TO_BOOL =
      Set.of(
          "Equal",
          "Greater",
          "GreaterOrEqual",
          "Less",
          "LessOrEqual",
          "Not",
          "And",
          "Or",
          "Xor",
          "IsNaN",
          "IsInf");

  private static final Set<String> TO_INT64 =
      Set.of("Shape", "Size", "ArgMax", "ArgMin", "NonZero");

  private final Set<String> keptOps;

  private Float16Conversion(Set<String> keptOps) {
    this.keptOps = Set.copyOf(keptOps);
  }

  /** Keeps {@link #DEFAULT_KEPT_OPS} in float32. */
  public static Float16Conversion defaults() {
    Set<String> kept = new HashSet<>();
    for (String op : DEFAULT_KEPT_OPS.split(",")) {
      kept.add(op.trim());
    }
    return new Float16Conversion(kept);
  }

  /** Also keeps {@code ops} in float32. */
  public Float16Conversion withKeptOps(String... ops) {
    Set<String> kept = new HashSet<>(keptOps);
    kept.addAll(List.of(ops));
    return new Float16Conversion(kept);
  }

  /** The converted model and the nodes left in float32, with why. */
  public record Result(byte[] model, int converted, Map<String, String> keptInFloat32) {}

  /**
   * Converts {@code modelBytes}, leaving them untouched.
   *
   * @throws ai.onnxspark.OnnxException when the bytes are not a model or it has no float
   *     computation
   */
  public Result apply(byte[] modelBytes, String source) {
    ModelProto model;
    try {
      model = ModelProto.parseFrom(modelBytes);
    } catch (InvalidProtocolBufferException e) {
      throw OnnxErrors.cannotConvert(
          "Cannot convert " + source + " to float16: not an ONNX model", e);
    }
    GraphProto graph = model.getGraph();
    for (NodeProto node : graph.getNodeList()) {
      if (node.getAttributeList().stream().anyMatch(a -> a.hasG() || a.getGraphsCount() > 0)) {
        throw OnnxErrors.cannotConvert(
            "Cannot convert "
                + source
                + " to float16: node "
                + node.getOpType()
                + " '"
                + node.getName()
                + "' has a subgraph (If, Loop, Scan), which this conversion does not handle.");
      }
    }
    Map<String, Integer> types = new HashMap<>();
    Set<String> initializerNames = new HashSet<>();
    for (TensorProto t : graph.getInitializerList()) {
      types.put(t.getName(), t.getDataType());
      initializerNames.add(t.getName());
    }
    for (ValueInfoProto v : graph.getInputList()) {
      types.putIfAbsent(v.getName(), elemType(v));
    }
    for (ValueInfoProto v : graph.getValueInfoList()) {
      types.putIfAbsent(v.getName(), elemType(v));
    }
    Set<String> names = new HashSet<>(types.keySet());
    graph.getNodeList().forEach(n -> names.addAll(n.getOutputList()));

    // Per value: its float16 name (when it has a float16 version) and its float32 name.
    Map<String, String> half = new HashMap<>();
    Map<String, String> single = new HashMap<>();
    List<NodeProto> nodes = new ArrayList<>();
    List<TensorProto> initializers = new ArrayList<>();
    for (TensorProto t : graph.getInitializerList()) {
      if (t.getDataType() == FLOAT && !Initializers.isExternal(t)) {
        initializers.add(toHalf(t, t.getName()));
        half.put(t.getName(), t.getName());
      } else {
        initializers.add(t);
        if (t.getDataType() == FLOAT) {
          single.put(t.getName(), t.getName());
        }
      }
    }
    Set<String> graphInputs = new HashSet<>();
    for (ValueInfoProto v : graph.getInputList()) {
      graphInputs.add(v.getName());
      if (elemType(v) == FLOAT && !initializerNames.contains(v.getName())) {
        single.put(v.getName(), v.getName());
      }
    }

    Set<String> graphOutputs = new HashSet<>();
    graph.getOutputList().forEach(o -> graphOutputs.add(o.getName()));
    Map<String, String> kept = new java.util.LinkedHashMap<>();
    int converted = 0;
    int index = 0;
    for (NodeProto node : graph.getNodeList()) {
      index++;
      String label = node.getName().isEmpty() ? node.getOpType() + "#" + index : node.getName();
      List<Integer> outTypes = outputTypes(node, types);
      boolean floatIn = node.getInputList().stream().anyMatch(i -> isFloat(types.get(i)));
      boolean floatOut =
          outTypes != null && outTypes.stream().anyMatch(t -> t != null && t == FLOAT);
      String keep = null;
      if (!node.getDomain().isEmpty() && !node.getDomain().equals("ai.onnx")) {
        keep = "op of domain " + node.getDomain();
      } else if (keptOps.contains(node.getOpType())) {
        keep = "kept in float32";
      } else if (outTypes == null) {
        keep = "output types not derived";
      }
      if (outTypes != null) {
        for (int i = 0; i < node.getOutputCount(); i++) {
          types.put(node.getOutput(i), outTypes.get(i));
        }
      }
      if (keep == null && !floatIn && !floatOut && !node.getOpType().equals("Constant")) {
        nodes.add(node);
        continue;
      }
      if (keep != null) {
        if (floatIn || floatOut) {
          kept.put(label, keep);
        }
        NodeProto.Builder b = node.toBuilder().clearInput();
        for (String input : node.getInputList()) {
          b.addInput(
              isFloat(types.get(input)) ? singleVersion(input, half, single, names, nodes) : input);
        }
        nodes.add(b.build());
        for (String output : node.getOutputList()) {
          if (isFloat(types.get(output))) {
            single.put(output, output);
          }
        }
        continue;
      }
      converted++;
      NodeProto.Builder b = node.toBuilder().clearInput();
      for (String input : node.getInputList()) {
        b.addInput(
            isFloat(types.get(input)) ? halfVersion(input, half, single, names, nodes) : input);
      }
      b.clearOutput();
      for (String output : node.getOutputList()) {
        if (isFloat(types.get(output)) && graphOutputs.contains(output)) {
          String inside = GraphEdits.unique(names, output + "_fp16");
          b.addOutput(inside);
          half.put(output, inside);
        } else {
          b.addOutput(output);
          if (isFloat(types.get(output))) {
            half.put(output, output);
          }
        }
      }
      retypeAttributes(b);
      nodes.add(b.build());
    }
    if (converted == 0) {
      throw OnnxErrors.cannotConvert(
          "Nothing to convert to float16 in " + source + ": it has no float computation.");
    }
    // Graph outputs that are float come back to float32.
    for (ValueInfoProto o : graph.getOutputList()) {
      String inside = half.get(o.getName());
      if (elemType(o) == FLOAT && inside != null && !inside.equals(o.getName())) {
        nodes.add(
            GraphEdits.cast(
                GraphEdits.unique(names, o.getName() + "_to_float"), inside, o.getName(), FLOAT));
      }
    }
    GraphProto.Builder out =
        graph.toBuilder()
            .clearNode()
            .addAllNode(nodes)
            .clearInitializer()
            .addAllInitializer(initializers);
    out.clearValueInfo();
    for (ValueInfoProto v : graph.getValueInfoList()) {
      if (elemType(v) == FLOAT && half.containsKey(v.getName())) {
        out.addValueInfo(withElemType(v, half.get(v.getName()), FLOAT16));
      } else if (!(elemType(v) == FLOAT)) {
        out.addValueInfo(v);
      }
    }
    ModelProto.Builder result = model.toBuilder().setGraph(out);
    result.addMetadataProps(
        StringStringEntryProto.newBuilder()
            .setKey(METADATA_KEY)
            .setValue(converted + " nodes in float16, " + kept.size() + " kept in float32"));
    return new Result(result.build().toByteArray(), converted, Map.copyOf(kept));
  }

  private static boolean isFloat(Integer type) {
    return type != null && type == FLOAT;
  }

  /** The float16 version of float value {@code value}, cast from float32 once where needed. */
  private static String halfVersion(
      String value,
      Map<String, String> half,
      Map<String, String> single,
      Set<String> names,
      List<NodeProto> nodes) {
    return version(value, half, single.getOrDefault(value, value), "_fp16", FLOAT16, names, nodes);
  }

  /** The float32 version of float value {@code value}, cast from float16 once where needed. */
  private static String singleVersion(
      String value,
      Map<String, String> half,
      Map<String, String> single,
      Set<String> names,
      List<NodeProto> nodes) {
    return version(value, single, half.get(value), "_fp32", FLOAT, names, nodes);
  }

  private static String version(
      String value,
      Map<String, String> versions,
      String source,
      String suffix,
      int type,
      Set<String> names,
      List<NodeProto> nodes) {
    String name = versions.get(value);
    if (name == null) {
      name = GraphEdits.unique(names, value + suffix);
      nodes.add(
          GraphEdits.cast(GraphEdits.unique(names, value + "_to" + suffix), source, name, type));
      versions.put(value, name);
    }
    return name;
  }

  /** Cast to float, Constant and ConstantOfShape values of float: float16 instead. */
  private static void retypeAttributes(NodeProto.Builder node) {
    for (int i = 0; i < node.getAttributeCount(); i++) {
      AttributeProto a = node.getAttribute(i);
      if (node.getOpType().equals("Cast") && a.getName().equals("to") && a.getI() == FLOAT) {
        node.setAttribute(i, a.toBuilder().setI(FLOAT16));
      } else if (a.hasT() && a.getT().getDataType() == FLOAT) {
        node.setAttribute(i, a.toBuilder().setT(toHalf(a.getT(), a.getT().getName())));
      }
    }
  }

  /** Output element types of {@code node} from its inputs' types, or null when unknown. */
  private static List<Integer> outputTypes(NodeProto node, Map<String, Integer> types) {
    String op = node.getOpType();
    int outputs = node.getOutputCount();
    Integer first = node.getInputCount() > 0 ? types.get(node.getInput(0)) : null;
    List<Integer> out = new ArrayList<>();
    if (SAME_AS_FIRST.contains(op)) {
      if (first == null) {
        return null;
      }
      for (int i = 0; i < outputs; i++) {
        // Dropout's optional mask and MaxPool's indices are not float.
        out.add(
            i == 0 ? first : op.equals("Dropout") ? BOOL : op.equals("MaxPool") ? INT64 : first);
      }
      return out;
    }
    if (TO_BOOL.contains(op)) {
      return List.of(BOOL);
    }
    if (TO_INT64.contains(op)) {
      return List.of(INT64);
    }
    switch (op) {
      case "Cast":
        return List.of((int) GraphEdits.intAttr(node, "to", 0));
      case "Constant":
        for (AttributeProto a : node.getAttributeList()) {
          if (a.hasT()) {
            return List.of(a.getT().getDataType());
          }
          if (a.getName().startsWith("value_float")) {
            return null;
          }
          if (a.getName().startsWith("value_int")) {
            return List.of(INT64);
          }
        }
        return null;
      case "ConstantOfShape":
        for (AttributeProto a : node.getAttributeList()) {
          if (a.getName().equals("value")) {
            return List.of(a.getT().getDataType());
          }
        }
        return List.of(FLOAT);
      case "Where":
        Integer x = node.getInputCount() > 1 ? types.get(node.getInput(1)) : null;
        return x == null ? null : List.of(x);
      case "TopK":
        return first == null ? null : List.of(first, INT64);
      case "OneHot":
        Integer values = node.getInputCount() > 2 ? types.get(node.getInput(2)) : null;
        return values == null ? null : List.of(values);
      case "DequantizeLinear":
        return List.of(FLOAT);
      case "DynamicQuantizeLinear":
        return List.of(UINT8, FLOAT, UINT8);
      case "MatMulInteger":
      case "ConvInteger":
        return List.of(TensorProto.DataType.INT32_VALUE);
      default:
        return null;
    }
  }

  private static int elemType(ValueInfoProto v) {
    TypeProto t = v.getType();
    return t.hasTensorType() ? t.getTensorType().getElemType() : 0;
  }

  private static ValueInfoProto withElemType(ValueInfoProto v, String name, int type) {
    ValueInfoProto.Builder b = v.toBuilder().setName(name);
    b.getTypeBuilder().getTensorTypeBuilder().setElemType(type);
    return b.build();
  }

  private static TensorProto toHalf(TensorProto t, String name) {
    float[] values = Initializers.floats(t);
    for (int i = 0; i < values.length; i++) {
      values[i] = Math.max(-65504f, Math.min(65504f, values[i]));
    }
    return Initializers.float16(name, t.getDimsList(), values);
  }
}
