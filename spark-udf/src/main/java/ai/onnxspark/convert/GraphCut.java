package ai.onnxspark.convert;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import ai.onnxspark.internal.OnnxErrors;
import ai.onnxspark.model.ElementType;
import ai.onnxspark.onnx.OnnxProto.GraphProto;
import ai.onnxspark.onnx.OnnxProto.ModelProto;
import ai.onnxspark.onnx.OnnxProto.NodeProto;
import ai.onnxspark.onnx.OnnxProto.TensorProto;
import ai.onnxspark.onnx.OnnxProto.TensorShapeProto;
import ai.onnxspark.onnx.OnnxProto.TypeProto;
import ai.onnxspark.onnx.OnnxProto.ValueInfoProto;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Cuts a model at intermediate values: they become its outputs, and nodes that only lead elsewhere
 * are dropped, so scoring computes no more than it returns (an embedding layer's output, say).
 * Types and shapes of the new outputs come from ONNX Runtime's inference, on the driver.
 */
public final class GraphCut {
  private GraphCut() {}

  /**
   * The model whose outputs are {@code values}, names of values computed in the graph.
   *
   * @throws ai.onnxspark.OnnxException when a name is not computed by any node, listing some that
   *     are
   */
  public static byte[] apply(byte[] modelBytes, String source, List<String> values) {
    ModelProto model;
    try {
      model = ModelProto.parseFrom(modelBytes);
    } catch (InvalidProtocolBufferException e) {
      throw OnnxErrors.cannotConvert("Cannot cut " + source + ": not an ONNX model", e);
    }
    GraphProto graph = model.getGraph();
    Map<String, NodeProto> producers = new HashMap<>();
    for (NodeProto node : graph.getNodeList()) {
      for (String output : node.getOutputList()) {
        producers.put(output, node);
      }
    }
    for (String value : values) {
      if (!producers.containsKey(value)) {
        List<String> known = new ArrayList<>(new LinkedHashSet<>(producers.keySet()));
        throw OnnxErrors.cannotConvert(
            "Cannot cut "
                + source
                + " at "
                + "'"
                + value
                + "': no node computes it. Values the graph computes include "
                + known.subList(0, Math.min(20, known.size()))
                + (known.size() > 20 ? " and " + (known.size() - 20) + " more" : "")
                + " (onnx-inspect lists the outputs; Netron shows every value).");
      }
    }
    // Nodes needed for the new outputs, walking back from them.
    Set<NodeProto> needed = new HashSet<>();
    Deque<String> pending = new ArrayDeque<>(values);
    while (!pending.isEmpty()) {
      NodeProto node = producers.get(pending.pop());
      if (node != null && needed.add(node)) {
        pending.addAll(node.getInputList());
      }
    }
    Set<String> read = new HashSet<>();
    List<NodeProto> nodes = new ArrayList<>();
    for (NodeProto node : graph.getNodeList()) {
      if (needed.contains(node)) {
        nodes.add(node);
        read.addAll(node.getInputList());
      }
    }
    GraphProto.Builder cut = graph.toBuilder().clearNode().addAllNode(nodes).clearOutput();
    cut.clearInitializer();
    for (TensorProto t : graph.getInitializerList()) {
      if (read.contains(t.getName())) {
        cut.addInitializer(t);
      }
    }
    cut.clearInput();
    Set<String> initializers = new HashSet<>();
    graph.getInitializerList().forEach(t -> initializers.add(t.getName()));
    for (ValueInfoProto input : graph.getInputList()) {
      if (read.contains(input.getName()) || !initializers.contains(input.getName())) {
        cut.addInput(input);
      }
    }
    for (String value : values) {
      cut.addOutput(ValueInfoProto.newBuilder().setName(value));
    }
    byte[] untyped = model.toBuilder().setGraph(cut).build().toByteArray();
    return withInferredOutputTypes(untyped, source);
  }

  private static byte[] withInferredOutputTypes(byte[] modelBytes, String source) {
    try {
      ModelProto model = ModelProto.parseFrom(modelBytes);
      Map<String, NodeInfo> infos;
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
        try (OrtSession session = env.createSession(modelBytes, options)) {
          infos = session.getOutputInfo();
        }
      }
      GraphProto.Builder graph = model.getGraph().toBuilder().clearOutput();
      for (ValueInfoProto output : model.getGraph().getOutputList()) {
        NodeInfo info = infos.get(output.getName());
        if (info == null || !(info.getInfo() instanceof TensorInfo)) {
          graph.addOutput(output);
          continue;
        }
        TensorInfo tensor = (TensorInfo) info.getInfo();
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        long[] dims = tensor.getShape();
        String[] names = tensor.getDimensionNames();
        for (int i = 0; i < dims.length; i++) {
          TensorShapeProto.Dimension.Builder dim = TensorShapeProto.Dimension.newBuilder();
          if (dims[i] >= 0) {
            dim.setDimValue(dims[i]);
          } else if (names != null && i < names.length && !names[i].isEmpty()) {
            dim.setDimParam(names[i]);
          }
          shape.addDim(dim);
        }
        graph.addOutput(
            output.toBuilder()
                .setType(
                    TypeProto.newBuilder()
                        .setTensorType(
                            TypeProto.Tensor.newBuilder()
                                .setElemType(elementCode(tensor))
                                .setShape(shape))));
      }
      return model.toBuilder().setGraph(graph).build().toByteArray();
    } catch (OrtException | InvalidProtocolBufferException e) {
      throw OnnxErrors.cannotConvert(
          "ONNX Runtime cannot load " + source + " cut at the requested values: " + e.getMessage(),
          e);
    }
  }

  private static int elementCode(TensorInfo tensor) {
    String name = tensor.onnxType.name().replace("ONNX_TENSOR_ELEMENT_DATA_TYPE_", "");
    for (ElementType type : ElementType.values()) {
      if (type.name().equals(name)) {
        return type.code();
      }
    }
    return 0;
  }
}
