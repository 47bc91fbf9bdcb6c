package ai.onnxspark.internal.model;

import ai.onnxspark.internal.OnnxErrors;
import ai.onnxspark.model.ElementType;
import ai.onnxspark.model.TensorSpec;
import ai.onnxspark.onnx.OnnxProto.AttributeProto;
import ai.onnxspark.onnx.OnnxProto.GraphProto;
import ai.onnxspark.onnx.OnnxProto.ModelProto;
import ai.onnxspark.onnx.OnnxProto.NodeProto;
import ai.onnxspark.onnx.OnnxProto.TensorShapeProto;
import ai.onnxspark.onnx.OnnxProto.TypeProto;
import ai.onnxspark.onnx.OnnxProto.ValueInfoProto;
import java.io.Serializable;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Rewrites a model so that its sequence inputs ({@code seq(tensor(T))}) are fed as two tensors:
 * ONNX Runtime's Java API (1.28) cannot create sequence values. For each sequence input {@code s}
 * the graph gets, instead of the input, two tensor inputs and a node
 *
 * <pre>{@code
 * s__values : T[total, d1, …]  the elements, concatenated along their first dimension
 * s__lengths: int64[n]         each element's first dimension
 * s = SplitToSequence(s__values, s__lengths, axis=0)
 * }</pre>
 *
 * so that {@code s} is the sequence of the {@code n} tensors {@code s__values[0:len_0]}, … as
 * before (names made unique against every name of the graph and its subgraphs). Elements of any
 * rank from 1 are fed this way, so the elements of one value may differ in their first dimension
 * only: they are slices of one tensor. The values input has the rank the elements declare, or no
 * declared shape when they declare none (the rank is then the column's). Elements declared of rank
 * 0 are refused. {@code SplitToSequence} exists from opset 11.
 *
 * <p>The rewrite is in memory, on the model's bytes: a model shipped by path is not rewritten. It
 * is deterministic, so planning the same scoring again gives the same fingerprint.
 */
public final class SequenceInputs {
  private SequenceInputs() {}

  /** The opset from which SplitToSequence exists. */
  static final long MIN_OPSET = 11;

  /** The tensor inputs that stand for sequence input {@code input}. */
  public record Names(String input, String values, String lengths) implements Serializable {}

  /** A rewritten model and, per sequence input it rewrote, the inputs that stand for it. */
  public record Rewritten(ModelBytes model, Map<String, Names> names) {}

  /**
   * {@code model} with each of {@code inputs} (sequence inputs of its graph) replaced by a values
   * and a lengths input.
   *
   * @throws ai.onnxspark.OnnxException when the bytes are not a model, a name is not a sequence of
   *     tensors input of it (or its elements are declared of rank 0), or the model's opset is older
   *     than 11
   */
  public static Rewritten rewrite(ModelBytes model, Collection<TensorSpec> inputs) {
    Map<String, TensorSpec> wanted = new TreeMap<>();
    inputs.forEach(i -> wanted.put(i.name(), i));
    return GraphRewrites.cached(
        model.fingerprint(),
        "sequence:" + String.join("\u0000", wanted.keySet()),
        () -> apply(model, wanted),
        Rewritten::model);
  }

  private static Rewritten apply(ModelBytes source, Map<String, TensorSpec> wanted) {
    ModelProto model = GraphRewrites.parse(source);
    long opset = GraphRewrites.opset(model);
    GraphProto graph = model.getGraph();
    Set<String> names = new HashSet<>();
    Set<String> nodeNames = new HashSet<>();
    GraphRewrites.collectNames(graph, names, nodeNames);
    GraphProto.Builder rewritten = graph.toBuilder().clearInput().clearNode();
    Map<String, Names> made = new LinkedHashMap<>();
    for (ValueInfoProto input : graph.getInputList()) {
      TensorSpec spec = wanted.get(input.getName());
      if (spec == null) {
        rewritten.addInput(input);
        continue;
      }
      String s = input.getName();
      TypeProto type = input.getType();
      if (!type.hasSequenceType() || !type.getSequenceType().getElemType().hasTensorType()) {
        throw OnnxErrors.unsupportedInput(
            s,
            spec.typeString(),
            "it is not a sequence of tensors; only tensors, optional tensors and (with"
                + " row-as-tensor) sequences of tensors are fed from columns");
      }
      TypeProto.Tensor element = type.getSequenceType().getElemType().getTensorType();
      if (element.hasShape() && element.getShape().getDimCount() == 0) {
        throw OnnxErrors.unsupportedInput(
            s,
            spec.typeString(),
            "its elements are declared of rank 0 (scalars), and sequences are fed from nested"
                + " array columns, one array per element, as tensors of rank 1 or more; re-export"
                + " the model with a sequence of 1-D tensors of one value (Reshape each element"
                + " inside the model), or with a tensor input and a SplitToSequence node");
      }
      if (opset < MIN_OPSET) {
        throw OnnxErrors.unsupportedInput(
            s,
            spec.typeString(),
            "the model imports opset "
                + opset
                + " of the default domain, but feeding a sequence input needs SplitToSequence"
                + " (opset "
                + MIN_OPSET
                + " or later); re-export the model with opset "
                + MIN_OPSET
                + " or later");
      }
      String values = GraphRewrites.unique(names, s + "__values");
      String lengths = GraphRewrites.unique(names, s + "__lengths");
      rewritten.addInput(
          values(
              values,
              element.getElemType(),
              element.hasShape() ? element.getShape().getDimCount() : -1));
      rewritten.addInput(vector(lengths, ElementType.INT64.code()));
      rewritten.addNode(
          NodeProto.newBuilder()
              .setName(GraphRewrites.unique(nodeNames, s + "__split"))
              .setOpType("SplitToSequence")
              .addInput(values)
              .addInput(lengths)
              .addOutput(s)
              .addAttribute(
                  AttributeProto.newBuilder()
                      .setName("axis")
                      .setType(AttributeProto.AttributeType.INT)
                      .setI(0)));
      made.put(s, new Names(s, values, lengths));
    }
    for (String s : wanted.keySet()) {
      if (!made.containsKey(s)) {
        throw new IllegalArgumentException(
            "Sequence input " + s + " is not an input of the model " + source.source());
      }
    }
    // The new nodes come first: they make the sequences the graph's nodes read.
    rewritten.addAllNode(graph.getNodeList());
    byte[] bytes = model.toBuilder().setGraph(rewritten).build().toByteArray();
    return new Rewritten(
        ModelBytes.of(
            bytes,
            source.source() + " (sequence inputs " + made.keySet() + " fed as values and lengths)"),
        Map.copyOf(made));
  }

  /** A 1-D tensor value of element type {@code elemType} and a dimension of unknown size. */
  private static ValueInfoProto vector(String name, int elemType) {
    return values(name, elemType, 1);
  }

  /**
   * A tensor value of element type {@code elemType} and {@code rank} dimensions of unknown size, or
   * of no declared shape when {@code rank} is negative.
   */
  private static ValueInfoProto values(String name, int elemType, int rank) {
    TypeProto.Tensor.Builder tensor = TypeProto.Tensor.newBuilder().setElemType(elemType);
    if (rank >= 0) {
      TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
      for (int i = 0; i < rank; i++) {
        shape.addDim(TensorShapeProto.Dimension.getDefaultInstance());
      }
      tensor.setShape(shape);
    }
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(TypeProto.newBuilder().setTensorType(tensor))
        .build();
  }
}
