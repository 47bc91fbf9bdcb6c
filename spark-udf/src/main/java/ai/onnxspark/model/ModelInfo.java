package ai.onnxspark.model;

import ai.onnxspark.internal.OnnxErrors;
import ai.onnxspark.onnx.OnnxProto;
import com.google.protobuf.CodedInputStream;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What a model declares about itself, read from its ONNX protobuf on the driver without starting
 * ONNX Runtime: graph inputs (initializers excluded) and outputs with element types and shapes,
 * opset imports, producer, and the metadata properties exporters write (labels, versions).
 *
 * <p>Immutable and serializable.
 */
public final class ModelInfo implements Serializable {
  private static final long serialVersionUID = 1L;

  private final long irVersion;
  private final String producerName;
  private final String producerVersion;
  private final String domain;
  private final long modelVersion;
  private final String description;
  private final String graphName;
  private final Map<String, Long> opsets;
  private final Map<String, String> metadata;
  private final List<TensorSpec> inputs;
  private final List<TensorSpec> outputs;
  private final int nodeCount;
  private final List<String> externalDataFiles;

  /** Per operator domain other than the default one, the operators the graph's nodes use. */
  private final Map<String, java.util.SortedSet<String>> domainOperators;

  private ModelInfo(OnnxProto.ModelProto model, String source) {
    OnnxProto.GraphProto graph = model.getGraph();
    this.irVersion = model.getIrVersion();
    this.producerName = model.getProducerName();
    this.producerVersion = model.getProducerVersion();
    this.domain = model.getDomain();
    this.modelVersion = model.getModelVersion();
    this.description = model.getDocString();
    this.graphName = graph.getName();
    Map<String, Long> opsetMap = new LinkedHashMap<>();
    for (OnnxProto.OperatorSetIdProto opset : model.getOpsetImportList()) {
      opsetMap.put(opset.getDomain().isEmpty() ? "ai.onnx" : opset.getDomain(), opset.getVersion());
    }
    this.opsets = Collections.unmodifiableMap(opsetMap);
    Map<String, String> meta = new LinkedHashMap<>();
    for (OnnxProto.StringStringEntryProto entry : model.getMetadataPropsList()) {
      meta.put(entry.getKey(), entry.getValue());
    }
    this.metadata = Collections.unmodifiableMap(meta);
    Set<String> initializers = new HashSet<>();
    for (OnnxProto.TensorProto init : graph.getInitializerList()) {
      initializers.add(init.getName());
    }
    List<TensorSpec> in = new ArrayList<>();
    for (OnnxProto.ValueInfoProto value : graph.getInputList()) {
      if (!initializers.contains(value.getName())) {
        in.add(spec(value.getName(), value.getType()));
      }
    }
    List<TensorSpec> out = new ArrayList<>();
    for (OnnxProto.ValueInfoProto value : graph.getOutputList()) {
      out.add(spec(value.getName(), value.getType()));
    }
    this.inputs = Collections.unmodifiableList(in);
    this.outputs = Collections.unmodifiableList(out);
    this.nodeCount = graph.getNodeCount();
    Set<String> files = new java.util.LinkedHashSet<>();
    ai.onnxspark.internal.model.ExternalData.collect(graph, source, r -> files.add(r.file()));
    this.externalDataFiles = List.copyOf(files);
    Map<String, java.util.SortedSet<String>> byDomain = new java.util.TreeMap<>();
    collectOperators(graph, byDomain);
    this.domainOperators = Collections.unmodifiableMap(byDomain);
  }

  private static void collectOperators(
      OnnxProto.GraphProto graph, Map<String, java.util.SortedSet<String>> into) {
    for (OnnxProto.NodeProto node : graph.getNodeList()) {
      String domain = node.getDomain();
      if (!domain.isEmpty() && !domain.equals("ai.onnx")) {
        into.computeIfAbsent(domain, d -> new java.util.TreeSet<>()).add(node.getOpType());
      }
      for (OnnxProto.AttributeProto a : node.getAttributeList()) {
        if (a.hasG()) {
          collectOperators(a.getG(), into);
        }
        for (OnnxProto.GraphProto g : a.getGraphsList()) {
          collectOperators(g, into);
        }
      }
    }
  }

  /**
   * Reads a model's description from its bytes.
   *
   * @param source where the bytes came from, for error messages
   * @throws ai.onnxspark.OnnxException if the bytes are not an ONNX model
   */
  public static ModelInfo parse(byte[] bytes, String source) {
    OnnxProto.ModelProto model;
    try {
      CodedInputStream in = CodedInputStream.newInstance(bytes);
      in.setRecursionLimit(1000);
      in.enableAliasing(true);
      model = OnnxProto.ModelProto.parseFrom(in);
    } catch (IOException e) {
      throw OnnxErrors.notAnOnnxModel(source, bytes.length, e.getMessage(), e);
    }
    if (!model.hasGraph() || model.getGraph().getOutputCount() == 0) {
      throw OnnxErrors.notAnOnnxModel(
          source, bytes.length, "it has no graph, or its graph declares no outputs", null);
    }
    if (model.getOpsetImportCount() == 0 || !model.hasIrVersion()) {
      throw OnnxErrors.notAnOnnxModel(
          source, bytes.length, "it declares no IR version or no opset imports", null);
    }
    return new ModelInfo(model, source);
  }

  /**
   * The files, relative to the model's folder, where tensors of the model keep their data (ONNX
   * external data); empty for a self-contained model.
   */
  public List<String> externalDataFiles() {
    return externalDataFiles;
  }

  private static TensorSpec spec(String name, OnnxProto.TypeProto type) {
    if (type.hasTensorType()) {
      OnnxProto.TypeProto.Tensor tensor = type.getTensorType();
      ElementType elementType = ElementType.fromCode(tensor.getElemType());
      if (!tensor.hasShape()) {
        return new TensorSpec(
            name, TensorSpec.Kind.TENSOR, elementType, new long[0], new String[0], false, null);
      }
      int rank = tensor.getShape().getDimCount();
      long[] dims = new long[rank];
      String[] names = new String[rank];
      for (int i = 0; i < rank; i++) {
        OnnxProto.TensorShapeProto.Dimension dim = tensor.getShape().getDim(i);
        dims[i] = dim.hasDimValue() && dim.getDimValue() >= 0 ? dim.getDimValue() : -1;
        names[i] = dim.hasDimParam() ? dim.getDimParam() : "";
      }
      return new TensorSpec(name, TensorSpec.Kind.TENSOR, elementType, dims, names, true, null);
    }
    if (type.hasOptionalType() && type.getOptionalType().getElemType().hasTensorType()) {
      return spec(name, type.getOptionalType().getElemType()).asOptional();
    }
    TensorSpec.Kind kind =
        type.hasSequenceType()
            ? TensorSpec.Kind.SEQUENCE
            : type.hasMapType() ? TensorSpec.Kind.MAP : TensorSpec.Kind.OTHER;
    // A sequence of tensors keeps its tensors' element type.
    ElementType element =
        type.hasSequenceType() && type.getSequenceType().getElemType().hasTensorType()
            ? ElementType.fromCode(
                type.getSequenceType().getElemType().getTensorType().getElemType())
            : ElementType.UNDEFINED;
    TensorSpec spec =
        new TensorSpec(name, kind, element, new long[0], new String[0], false, typeString(type));
    if (type.hasSequenceType()
        && type.getSequenceType().getElemType().hasTensorType()
        && type.getSequenceType().getElemType().getTensorType().hasShape()) {
      OnnxProto.TensorShapeProto shape =
          type.getSequenceType().getElemType().getTensorType().getShape();
      long[] elementDims = new long[shape.getDimCount()];
      for (int i = 0; i < elementDims.length; i++) {
        OnnxProto.TensorShapeProto.Dimension dim = shape.getDim(i);
        elementDims[i] = dim.hasDimValue() && dim.getDimValue() >= 0 ? dim.getDimValue() : -1;
      }
      spec = spec.withElementDims(elementDims);
    }
    if (type.hasSequenceType() && type.getSequenceType().getElemType().hasMapType()) {
      OnnxProto.TypeProto.Map map = type.getSequenceType().getElemType().getMapType();
      if (map.getValueType().hasTensorType()) {
        spec =
            spec.withMapTypes(
                ElementType.fromCode(map.getKeyType()),
                ElementType.fromCode(map.getValueType().getTensorType().getElemType()));
      }
    }
    return spec;
  }

  private static String typeString(OnnxProto.TypeProto type) {
    if (type.hasTensorType()) {
      return ElementType.fromCode(type.getTensorType().getElemType()).toString();
    }
    if (type.hasSequenceType()) {
      return "seq(" + typeString(type.getSequenceType().getElemType()) + ")";
    }
    if (type.hasMapType()) {
      return "map("
          + ElementType.fromCode(type.getMapType().getKeyType())
          + ","
          + typeString(type.getMapType().getValueType())
          + ")";
    }
    if (type.hasOptionalType()) {
      return "optional(" + typeString(type.getOptionalType().getElemType()) + ")";
    }
    return "unknown";
  }

  /** The graph's inputs that callers feed, in graph order (initializers left out). */
  public List<TensorSpec> inputs() {
    return inputs;
  }

  /** The graph's outputs, in graph order. */
  public List<TensorSpec> outputs() {
    return outputs;
  }

  /** The input with this name, if the model has one. */
  public Optional<TensorSpec> input(String name) {
    return inputs.stream().filter(s -> s.name().equals(name)).findFirst();
  }

  /** The output with this name, if the model has one. */
  public Optional<TensorSpec> output(String name) {
    return outputs.stream().filter(s -> s.name().equals(name)).findFirst();
  }

  /** The names of the inputs, in graph order. */
  public List<String> inputNames() {
    return inputs.stream().map(TensorSpec::name).toList();
  }

  /** The names of the outputs, in graph order. */
  public List<String> outputNames() {
    return outputs.stream().map(TensorSpec::name).toList();
  }

  /** ONNX IR version of the file. */
  public long irVersion() {
    return irVersion;
  }

  /** Opset version per operator domain; the default domain is listed as {@code ai.onnx}. */
  public Map<String, Long> opsets() {
    return opsets;
  }

  /** The opset of the default ({@code ai.onnx}) domain, or 0 when the model does not import it. */
  public long opset() {
    return opsets.getOrDefault("ai.onnx", 0L);
  }

  /** The tool that wrote the model, e.g. {@code pytorch}; empty when not recorded. */
  public String producerName() {
    return producerName;
  }

  /** The version of the tool that wrote the model. */
  public String producerVersion() {
    return producerVersion;
  }

  /**
   * The operators the model's nodes (subgraphs included) use from {@code domain}, sorted; empty
   * when none. The default domain is not tracked.
   */
  public java.util.SortedSet<String> operators(String domain) {
    java.util.SortedSet<String> ops = domainOperators.get(domain);
    return ops == null ? Collections.emptySortedSet() : Collections.unmodifiableSortedSet(ops);
  }

  /** The model's domain (reverse-DNS namespace), often empty. */
  public String domain() {
    return domain;
  }

  /** The model's own version number, often 0. */
  public long modelVersion() {
    return modelVersion;
  }

  /** The model's doc string. */
  public String description() {
    return description;
  }

  /** The name of the main graph. */
  public String graphName() {
    return graphName;
  }

  /** Metadata properties written by the exporter (key to value, in file order). */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** Number of nodes in the main graph. */
  public int nodeCount() {
    return nodeCount;
  }

  /** A multi-line description for people: inputs, outputs, opsets, producer and metadata. */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    sb.append("graph: ").append(graphName.isEmpty() ? "(unnamed)" : graphName);
    sb.append(" (").append(nodeCount).append(" nodes, IR version ").append(irVersion).append(")\n");
    sb.append("producer: ")
        .append(producerName.isEmpty() ? "(unknown)" : producerName)
        .append(producerVersion.isEmpty() ? "" : " " + producerVersion)
        .append('\n');
    sb.append("opsets: ").append(opsets).append('\n');
    sb.append("inputs:\n");
    for (TensorSpec spec : inputs) {
      sb.append("  ").append(spec).append('\n');
    }
    sb.append("outputs:\n");
    for (TensorSpec spec : outputs) {
      sb.append("  ").append(spec).append('\n');
    }
    if (!metadata.isEmpty()) {
      sb.append("metadata:\n");
      metadata.forEach((k, v) -> sb.append("  ").append(k).append(" = ").append(v).append('\n'));
    }
    return sb.toString();
  }

  @Override
  public String toString() {
    return "ModelInfo{inputs=" + inputs + ", outputs=" + outputs + ", opsets=" + opsets + "}";
  }
}
