package ai.onnxspark.testing;

import ai.onnxspark.model.ElementType;
import ai.onnxspark.onnx.OnnxProto;
import ai.onnxspark.onnx.OnnxProto.AttributeProto;
import ai.onnxspark.onnx.OnnxProto.GraphProto;
import ai.onnxspark.onnx.OnnxProto.ModelProto;
import ai.onnxspark.onnx.OnnxProto.NodeProto;
import ai.onnxspark.onnx.OnnxProto.TensorProto;
import ai.onnxspark.onnx.OnnxProto.TensorShapeProto;
import ai.onnxspark.onnx.OnnxProto.TypeProto;
import ai.onnxspark.onnx.OnnxProto.ValueInfoProto;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes small ONNX models in code, so a test shows the graph it runs:
 *
 * <pre>{@code
 * byte[] model = new ModelBuilder("affine")
 *     .input("x", ElementType.FLOAT, "batch", 4)
 *     .initializer("w", new long[] {4, 2}, new float[] {...})
 *     .node("MatMul", new String[] {"x", "w"}, new String[] {"y"})
 *     .output("y", ElementType.FLOAT, "batch", 2)
 *     .build();
 * }</pre>
 *
 * <p>A dimension is a number (fixed) or a string (symbolic, named). Not thread-safe.
 */
public final class ModelBuilder {
  private final GraphProto.Builder graph = GraphProto.newBuilder();
  private final ModelProto.Builder model = ModelProto.newBuilder();
  private long opset = 17;
  private final java.util.Map<String, Long> customOpsets = new java.util.LinkedHashMap<>();

  public ModelBuilder(String graphName) {
    graph.setName(graphName);
    model.setIrVersion(8).setProducerName("onnx-spark-tests").setProducerVersion("1");
  }

  /** The default-domain opset (17 unless set). */
  public ModelBuilder opset(long version) {
    this.opset = version;
    return this;
  }

  /** A metadata property, as exporters write labels or versions. */
  public ModelBuilder metadata(String key, String value) {
    model.addMetadataProps(
        OnnxProto.StringStringEntryProto.newBuilder().setKey(key).setValue(value));
    return this;
  }

  /** A graph input; dims are Numbers (fixed) or Strings (symbolic). */
  public ModelBuilder input(String name, ElementType type, Object... dims) {
    graph.addInput(valueInfo(name, type, dims));
    return this;
  }

  /** A graph input that declares no shape at all. */
  public ModelBuilder inputWithoutShape(String name, ElementType type) {
    graph.addInput(
        ValueInfoProto.newBuilder()
            .setName(name)
            .setType(
                TypeProto.newBuilder()
                    .setTensorType(TypeProto.Tensor.newBuilder().setElemType(type.code()))));
    return this;
  }

  /** A graph output; dims are Numbers (fixed) or Strings (symbolic). */
  public ModelBuilder output(String name, ElementType type, Object... dims) {
    graph.addOutput(valueInfo(name, type, dims));
    return this;
  }

  /** A graph output holding a sequence of tensors of {@code type} (no shape). */
  public ModelBuilder sequenceOutput(String name, ElementType type) {
    graph.addOutput(
        ValueInfoProto.newBuilder()
            .setName(name)
            .setType(
                TypeProto.newBuilder()
                    .setSequenceType(
                        TypeProto.Sequence.newBuilder()
                            .setElemType(
                                TypeProto.newBuilder()
                                    .setTensorType(
                                        TypeProto.Tensor.newBuilder().setElemType(type.code()))))));
    return this;
  }

  /**
   * A graph input holding a sequence of tensors of {@code type}: of no declared shape when {@code
   * elementDims} is empty, else of these dims (Long for fixed, String for symbolic).
   */
  public ModelBuilder sequenceInput(String name, ElementType type, Object... elementDims) {
    TypeProto element =
        elementDims.length == 0
            ? TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(type.code()))
                .build()
            : valueInfo(name, type, elementDims).getType();
    graph.addInput(
        ValueInfoProto.newBuilder()
            .setName(name)
            .setType(
                TypeProto.newBuilder()
                    .setSequenceType(TypeProto.Sequence.newBuilder().setElemType(element))));
    return this;
  }

  /** A graph input holding a sequence of scalars: tensors of {@code type} declared of rank 0. */
  public ModelBuilder scalarSequenceInput(String name, ElementType type) {
    TypeProto element =
        TypeProto.newBuilder()
            .setTensorType(
                TypeProto.Tensor.newBuilder()
                    .setElemType(type.code())
                    .setShape(ai.onnxspark.onnx.OnnxProto.TensorShapeProto.getDefaultInstance()))
            .build();
    graph.addInput(
        ValueInfoProto.newBuilder()
            .setName(name)
            .setType(
                TypeProto.newBuilder()
                    .setSequenceType(TypeProto.Sequence.newBuilder().setElemType(element))));
    return this;
  }

  /** A graph input holding an optional tensor ({@code optional(tensor)}) of this shape. */
  public ModelBuilder optionalInput(String name, ElementType type, Object... dims) {
    graph.addInput(optional(valueInfo(name, type, dims)));
    return this;
  }

  /** A graph output holding an optional tensor ({@code optional(tensor)}) of this shape. */
  public ModelBuilder optionalOutput(String name, ElementType type, Object... dims) {
    graph.addOutput(optional(valueInfo(name, type, dims)));
    return this;
  }

  private static ValueInfoProto optional(ValueInfoProto tensor) {
    return tensor.toBuilder()
        .setType(
            TypeProto.newBuilder()
                .setOptionalType(TypeProto.Optional.newBuilder().setElemType(tensor.getType())))
        .build();
  }

  /** The graph so far, as the body of an {@code If} or {@code Loop} node. */
  public GraphProto graph() {
    return graph.clone().build();
  }

  /** A graph attribute ({@code If}'s branches). */
  public static AttributeProto graphAttr(String name, GraphProto body) {
    return AttributeProto.newBuilder()
        .setName(name)
        .setType(AttributeProto.AttributeType.GRAPH)
        .setG(body)
        .build();
  }

  /** A type attribute ({@code Optional}'s type): a tensor of {@code type} with these dims. */
  public static AttributeProto tensorTypeAttr(String name, ElementType type, Object... dims) {
    return AttributeProto.newBuilder()
        .setName(name)
        .setType(AttributeProto.AttributeType.TYPE_PROTO)
        .setTp(valueInfo(name, type, dims).getType())
        .build();
  }

  /** A float initializer (a weight). */
  public ModelBuilder initializer(String name, long[] dims, float... values) {
    ByteBuffer buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      buf.putFloat(v);
    }
    return initializer(name, ElementType.FLOAT, dims, buf.array());
  }

  /** An int64 initializer (shapes, indices). */
  public ModelBuilder initializer(String name, long[] dims, long... values) {
    ByteBuffer buf = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (long v : values) {
      buf.putLong(v);
    }
    return initializer(name, ElementType.INT64, dims, buf.array());
  }

  /** A double initializer. */
  public ModelBuilder initializer(String name, long[] dims, double... values) {
    ByteBuffer buf = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (double v : values) {
      buf.putDouble(v);
    }
    return initializer(name, ElementType.DOUBLE, dims, buf.array());
  }

  /** An initializer of any element type from little-endian raw bytes. */
  public ModelBuilder initializer(
      String name, ElementType type, long[] dims, byte[] rawLittleEndian) {
    TensorProto.Builder tensor =
        TensorProto.newBuilder()
            .setName(name)
            .setDataType(type.code())
            .setRawData(ByteString.copyFrom(rawLittleEndian));
    for (long d : dims) {
      tensor.addDims(d);
    }
    graph.addInitializer(tensor);
    return this;
  }

  /**
   * A float initializer kept as ONNX external data: {@code length} bytes at {@code offset} of file
   * {@code location}, relative to the model's folder.
   */
  public ModelBuilder externalInitializer(
      String name, long[] dims, String location, long offset, long length) {
    TensorProto.Builder tensor =
        TensorProto.newBuilder()
            .setName(name)
            .setDataType(ElementType.FLOAT.code())
            .setDataLocation(TensorProto.DataLocation.EXTERNAL)
            .addExternalData(entry("location", location))
            .addExternalData(entry("offset", Long.toString(offset)))
            .addExternalData(entry("length", Long.toString(length)));
    for (long d : dims) {
      tensor.addDims(d);
    }
    graph.addInitializer(tensor);
    return this;
  }

  private static ai.onnxspark.onnx.OnnxProto.StringStringEntryProto entry(
      String key, String value) {
    return ai.onnxspark.onnx.OnnxProto.StringStringEntryProto.newBuilder()
        .setKey(key)
        .setValue(value)
        .build();
  }

  /** A node of the default domain. */
  public ModelBuilder node(
      String opType, String[] inputs, String[] outputs, AttributeProto... attributes) {
    NodeProto.Builder node =
        NodeProto.newBuilder().setOpType(opType).setName(opType + "_" + graph.getNodeCount());
    for (String in : inputs) {
      node.addInput(in);
    }
    for (String out : outputs) {
      node.addOutput(out);
    }
    for (AttributeProto attribute : attributes) {
      node.addAttribute(attribute);
    }
    graph.addNode(node);
    return this;
  }

  /**
   * A node of a custom operator domain (ONNX Runtime Extensions' {@code ai.onnx.contrib}, say),
   * importing that domain at version 1.
   */
  public ModelBuilder customNode(
      String domain,
      String opType,
      String[] inputs,
      String[] outputs,
      AttributeProto... attributes) {
    node(opType, inputs, outputs, attributes);
    graph.getNodeBuilder(graph.getNodeCount() - 1).setDomain(domain);
    customOpsets.putIfAbsent(domain, 1L);
    return this;
  }

  public static AttributeProto stringAttr(String name, String value) {
    return AttributeProto.newBuilder()
        .setName(name)
        .setType(AttributeProto.AttributeType.STRING)
        .setS(ByteString.copyFromUtf8(value))
        .build();
  }

  /** A one-input, one-output node. */
  public ModelBuilder node(
      String opType, String input, String output, AttributeProto... attributes) {
    return node(opType, new String[] {input}, new String[] {output}, attributes);
  }

  public static AttributeProto intAttr(String name, long value) {
    return AttributeProto.newBuilder()
        .setName(name)
        .setType(AttributeProto.AttributeType.INT)
        .setI(value)
        .build();
  }

  public static AttributeProto floatAttr(String name, float value) {
    return AttributeProto.newBuilder()
        .setName(name)
        .setType(AttributeProto.AttributeType.FLOAT)
        .setF(value)
        .build();
  }

  public static AttributeProto intsAttr(String name, long... values) {
    AttributeProto.Builder b =
        AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
    for (long v : values) {
      b.addInts(v);
    }
    return b.build();
  }

  /** The model's bytes. */
  public byte[] build() {
    return toProto().toByteArray();
  }

  /** The model as a protobuf message. */
  public ModelProto toProto() {
    ModelProto.Builder built =
        model
            .clone()
            .clearOpsetImport()
            .addOpsetImport(
                OnnxProto.OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset));
    customOpsets.forEach(
        (domain, version) ->
            built.addOpsetImport(
                OnnxProto.OperatorSetIdProto.newBuilder().setDomain(domain).setVersion(version)));
    return built.setGraph(graph.clone()).build();
  }

  /** Writes the model to {@code path} and returns the path. */
  public Path writeTo(Path path) {
    try {
      Files.write(path, build());
      return path;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static ValueInfoProto valueInfo(String name, ElementType type, Object... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (Object dim : dims) {
      if (dim instanceof Number) {
        shape.addDim(
            TensorShapeProto.Dimension.newBuilder().setDimValue(((Number) dim).longValue()));
      } else {
        shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(String.valueOf(dim)));
      }
    }
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(
            TypeProto.newBuilder()
                .setTensorType(
                    TypeProto.Tensor.newBuilder().setElemType(type.code()).setShape(shape)))
        .build();
  }
}
