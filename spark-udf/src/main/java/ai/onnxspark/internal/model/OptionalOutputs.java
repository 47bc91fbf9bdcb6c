package ai.onnxspark.internal.model;

import ai.onnxspark.internal.OnnxErrors;
import ai.onnxspark.model.ElementType;
import ai.onnxspark.model.TensorSpec;
import ai.onnxspark.onnx.OnnxProto.AttributeProto;
import ai.onnxspark.onnx.OnnxProto.GraphProto;
import ai.onnxspark.onnx.OnnxProto.ModelProto;
import ai.onnxspark.onnx.OnnxProto.NodeProto;
import ai.onnxspark.onnx.OnnxProto.TensorProto;
import ai.onnxspark.onnx.OnnxProto.TensorShapeProto;
import ai.onnxspark.onnx.OnnxProto.TypeProto;
import ai.onnxspark.onnx.OnnxProto.ValueInfoProto;
import java.io.Serializable;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Rewrites a model so that its optional tensor outputs ({@code optional(tensor(…))}) are never
 * fetched as optional values: ONNX Runtime's Java API (1.28) hands over a present one as a tensor
 * but crashes the JVM in native code on an absent one. For each optional output {@code y} the graph
 * gets
 *
 * <pre>{@code
 * y__has   = OptionalHasElement(y)                        // bool[]
 * y__value = If(y__has) then { OptionalGetElement(y) }     // y's tensor
 *                       else { Constant(empty tensor) }    // zero elements, y's element type
 * }</pre>
 *
 * and outputs {@code y__value} and {@code y__has} instead of {@code y} (names made unique against
 * every name of the graph and its subgraphs). Both are plain tensors, which the Java API reads
 * safely; a row whose {@code y__has} is false gets a null. {@code OptionalHasElement} and {@code
 * OptionalGetElement} take an optional input from opset 15 on, as every model with an optional
 * value has, so the opset imports stay as they are.
 *
 * <p>The rewrite is in memory, on the model's bytes: a model shipped by path is not rewritten. The
 * rewritten model has bytes, and so a fingerprint, of its own; the rewrite is deterministic, so
 * planning the same scoring again gives the same fingerprint (and reuses the broadcast). A few
 * rewrites of models up to 64 MB are remembered, so that planning again does not parse the model
 * again.
 */
public final class OptionalOutputs {
  private OptionalOutputs() {}

  /** The opset from which OptionalHasElement and OptionalGetElement exist. */
  static final long MIN_OPSET = 15;

  /**
   * The graph outputs that stand for optional output {@code output}: {@code value}, its tensor
   * (zero elements when absent), and {@code present}, a bool scalar saying whether it is present.
   */
  public record Names(String output, String value, String present) implements Serializable {}

  /** A rewritten model and, per optional output it rewrote, the outputs that stand for it. */
  public record Rewritten(ModelBytes model, Map<String, Names> names) {}

  /**
   * {@code model} with each of {@code outputs} (optional tensor outputs of its graph) replaced by a
   * value and a presence output.
   *
   * @throws ai.onnxspark.OnnxException when the bytes are not a model, a name is not an optional
   *     tensor output of it, or the model's opset is older than 15
   */
  public static Rewritten rewrite(ModelBytes model, Collection<TensorSpec> outputs) {
    Map<String, TensorSpec> wanted = new TreeMap<>();
    outputs.forEach(o -> wanted.put(o.name(), o));
    return GraphRewrites.cached(
        model.fingerprint(),
        "optional:" + String.join("\u0000", wanted.keySet()),
        () -> apply(model, wanted),
        Rewritten::model);
  }

  /**
   * Fingerprints of the rewritten models made from the model of fingerprint {@code original} (by
   * this rewrite or {@link SequenceInputs}), so that releasing a model's broadcast also releases
   * theirs.
   */
  public static List<String> rewrittenFrom(String original) {
    return GraphRewrites.rewrittenFrom(original);
  }

  private static Rewritten apply(ModelBytes source, Map<String, TensorSpec> wanted) {
    ModelProto model = GraphRewrites.parse(source);
    long opset = GraphRewrites.opset(model);
    GraphProto graph = model.getGraph();
    Set<String> names = new HashSet<>();
    Set<String> nodeNames = new HashSet<>();
    GraphRewrites.collectNames(graph, names, nodeNames);
    GraphProto.Builder rewritten = graph.toBuilder().clearOutput();
    Map<String, Names> made = new LinkedHashMap<>();
    for (ValueInfoProto output : graph.getOutputList()) {
      TensorSpec spec = wanted.get(output.getName());
      if (spec == null) {
        rewritten.addOutput(output);
        continue;
      }
      String y = output.getName();
      TypeProto type = output.getType();
      if (!type.hasOptionalType() || !type.getOptionalType().getElemType().hasTensorType()) {
        throw OnnxErrors.unsupportedOutput(
            y, spec.typeString(), "it is not an optional tensor, so it is not read as one");
      }
      if (opset < MIN_OPSET) {
        throw OnnxErrors.unsupportedOutput(
            y,
            spec.typeString(),
            "the model imports opset "
                + opset
                + " of the default domain, but reading an optional output needs"
                + " OptionalHasElement and OptionalGetElement (opset "
                + MIN_OPSET
                + " or later); re-export the model with opset "
                + MIN_OPSET
                + " or later, or score its other outputs only with withOutput(output, column)");
      }
      TypeProto.Tensor tensor = type.getOptionalType().getElemType().getTensorType();
      String has = GraphRewrites.unique(names, y + "__has");
      String value = GraphRewrites.unique(names, y + "__value");
      String got = GraphRewrites.unique(names, y + "__got");
      String empty = GraphRewrites.unique(names, y + "__empty");
      rewritten.addNode(
          NodeProto.newBuilder()
              .setName(GraphRewrites.unique(nodeNames, y + "__has"))
              .setOpType("OptionalHasElement")
              .addInput(y)
              .addOutput(has));
      GraphProto thenBranch =
          GraphProto.newBuilder()
              .setName(GraphRewrites.unique(names, y + "__present"))
              .addNode(
                  NodeProto.newBuilder()
                      .setName(GraphRewrites.unique(nodeNames, y + "__get"))
                      .setOpType("OptionalGetElement")
                      .addInput(y)
                      .addOutput(got))
              .addOutput(tensorValue(got, tensor.getElemType(), null))
              .build();
      GraphProto elseBranch =
          GraphProto.newBuilder()
              .setName(GraphRewrites.unique(names, y + "__absent"))
              .addNode(
                  NodeProto.newBuilder()
                      .setName(GraphRewrites.unique(nodeNames, y + "__empty"))
                      .setOpType("Constant")
                      .addOutput(empty)
                      .addAttribute(
                          AttributeProto.newBuilder()
                              .setName("value")
                              .setType(AttributeProto.AttributeType.TENSOR)
                              .setT(emptyTensor(empty, tensor))))
              .addOutput(tensorValue(empty, tensor.getElemType(), null))
              .build();
      rewritten.addNode(
          NodeProto.newBuilder()
              .setName(GraphRewrites.unique(nodeNames, y + "__value"))
              .setOpType("If")
              .addInput(has)
              .addOutput(value)
              .addAttribute(
                  AttributeProto.newBuilder()
                      .setName("then_branch")
                      .setType(AttributeProto.AttributeType.GRAPH)
                      .setG(thenBranch))
              .addAttribute(
                  AttributeProto.newBuilder()
                      .setName("else_branch")
                      .setType(AttributeProto.AttributeType.GRAPH)
                      .setG(elseBranch)));
      // The value's shape is left to inference: the branches' shapes differ when absent.
      rewritten.addOutput(tensorValue(value, tensor.getElemType(), null));
      rewritten.addOutput(
          tensorValue(has, ElementType.BOOL.code(), TensorShapeProto.getDefaultInstance()));
      made.put(y, new Names(y, value, has));
    }
    for (String y : wanted.keySet()) {
      if (!made.containsKey(y)) {
        throw OnnxErrors.unknownOutput(
            y, graph.getOutputList().stream().map(ValueInfoProto::getName).toList());
      }
    }
    byte[] bytes = model.toBuilder().setGraph(rewritten).build().toByteArray();
    return new Rewritten(
        ModelBytes.of(
            bytes,
            source.source()
                + " (optional outputs "
                + made.keySet()
                + " read"
                + " as value and presence)"),
        Map.copyOf(made));
  }

  /** A tensor value of element type {@code elemType}, of {@code shape} when not null. */
  private static ValueInfoProto tensorValue(String name, int elemType, TensorShapeProto shape) {
    TypeProto.Tensor.Builder tensor = TypeProto.Tensor.newBuilder().setElemType(elemType);
    if (shape != null) {
      tensor.setShape(shape);
    }
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(TypeProto.newBuilder().setTensorType(tensor))
        .build();
  }

  /**
   * A tensor of no elements of {@code tensor}'s element type: of its rank with every dimension 0
   * when it declares a rank of 1 or more, else {@code [0]}.
   */
  static TensorProto emptyTensor(String name, TypeProto.Tensor tensor) {
    TensorProto.Builder empty = TensorProto.newBuilder().setName(name);
    empty.setDataType(tensor.getElemType());
    int rank = tensor.hasShape() ? tensor.getShape().getDimCount() : 0;
    for (int i = 0; i < Math.max(1, rank); i++) {
      empty.addDims(0);
    }
    return empty.build();
  }
}
