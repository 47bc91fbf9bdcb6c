package ai.onnxspark.internal.model;

import ai.onnxspark.internal.OnnxErrors;
import ai.onnxspark.onnx.OnnxProto;
import ai.onnxspark.onnx.OnnxProto.AttributeProto;
import ai.onnxspark.onnx.OnnxProto.GraphProto;
import ai.onnxspark.onnx.OnnxProto.ModelProto;
import ai.onnxspark.onnx.OnnxProto.NodeProto;
import com.google.protobuf.CodedInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What the in-memory graph rewrites ({@link OptionalOutputs}, {@link SequenceInputs}) share:
 * parsing a model's bytes, its default-domain opset, the names a graph already uses and fresh ones,
 * and the memory of rewrites done. A few rewrites of models up to 64 MB are remembered, so that
 * planning again does not parse the model again; every rewrite's fingerprint is remembered (by the
 * model it was made from), so that releasing a model's broadcast also releases its rewrites'.
 */
final class GraphRewrites {
  private GraphRewrites() {}

  /** Rewritten models kept for planning again, small ones only: a model's bytes are held here. */
  private static final Map<String, Object> DONE = new ConcurrentHashMap<>();

  private static final int DONE_MAX = 8;
  private static final long DONE_MAX_BYTES = 64L << 20;

  /** Per original fingerprint and rewrite key, the rewritten model's fingerprint (any size). */
  private static final Map<String, String> FINGERPRINTS = new ConcurrentHashMap<>();

  private static final int FINGERPRINTS_MAX = 256;

  /**
   * The rewrite of the model of fingerprint {@code original} that {@code key} names (the kind of
   * rewrite and what it rewrites), made by {@code make} unless remembered.
   */
  @SuppressWarnings("unchecked")
  static <R> R cached(
      String original, String key, Supplier<R> make, Function<R, ModelBytes> model) {
    String full = original + "/" + key;
    Object known = DONE.get(full);
    if (known != null) {
      return (R) known;
    }
    R made = make.get();
    ModelBytes bytes = model.apply(made);
    if (bytes.size() <= DONE_MAX_BYTES) {
      if (DONE.size() >= DONE_MAX) {
        DONE.clear();
      }
      DONE.put(full, made);
    }
    if (FINGERPRINTS.size() >= FINGERPRINTS_MAX) {
      FINGERPRINTS.clear();
    }
    FINGERPRINTS.put(full, bytes.fingerprint());
    return made;
  }

  /**
   * Fingerprints of the rewritten models made from the model of fingerprint {@code original},
   * directly or from one of its rewrites.
   */
  static List<String> rewrittenFrom(String original) {
    List<String> found = new ArrayList<>();
    collect(original, found);
    return found;
  }

  private static void collect(String from, List<String> found) {
    for (Map.Entry<String, String> e : FINGERPRINTS.entrySet()) {
      String made = e.getValue();
      if (e.getKey().startsWith(from + "/") && !found.contains(made) && !made.equals(from)) {
        found.add(made);
        collect(made, found);
      }
    }
  }

  /** The model of {@code source}'s bytes. */
  static ModelProto parse(ModelBytes source) {
    try {
      CodedInputStream in = CodedInputStream.newInstance(source.bytes());
      in.setRecursionLimit(1000);
      return ModelProto.parseFrom(in);
    } catch (IOException e) {
      throw OnnxErrors.notAnOnnxModel(source.source(), source.size(), e.getMessage(), e);
    }
  }

  /** The opset {@code model} imports of the default domain, or 0. */
  static long opset(ModelProto model) {
    long opset = 0;
    for (OnnxProto.OperatorSetIdProto id : model.getOpsetImportList()) {
      if (id.getDomain().isEmpty() || id.getDomain().equals("ai.onnx")) {
        opset = id.getVersion();
      }
    }
    return opset;
  }

  /** Every value and subgraph name in {@code graph} and its subgraphs, and its node names. */
  static void collectNames(GraphProto graph, Set<String> names, Set<String> nodeNames) {
    names.add(graph.getName());
    graph.getInputList().forEach(v -> names.add(v.getName()));
    graph.getOutputList().forEach(v -> names.add(v.getName()));
    graph.getValueInfoList().forEach(v -> names.add(v.getName()));
    graph.getInitializerList().forEach(t -> names.add(t.getName()));
    graph.getSparseInitializerList().forEach(t -> names.add(t.getValues().getName()));
    for (NodeProto node : graph.getNodeList()) {
      nodeNames.add(node.getName());
      names.addAll(node.getInputList());
      names.addAll(node.getOutputList());
      for (AttributeProto a : node.getAttributeList()) {
        if (a.hasG()) {
          collectNames(a.getG(), names, nodeNames);
        }
        for (GraphProto g : a.getGraphsList()) {
          collectNames(g, names, nodeNames);
        }
      }
    }
  }

  /** {@code wanted}, or {@code wanted_1}, {@code wanted_2}, … : the first not in {@code names}. */
  static String unique(Set<String> names, String wanted) {
    String name = wanted;
    for (int i = 1; !names.add(name); i++) {
      name = wanted + "_" + i;
    }
    return name;
  }
}
