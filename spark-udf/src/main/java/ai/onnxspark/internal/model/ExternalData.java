package ai.onnxspark.internal.model;

import ai.onnxspark.internal.OnnxErrors;
import ai.onnxspark.model.ElementType;
import ai.onnxspark.onnx.OnnxProto;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;

/**
 * The tensors of a model whose values live in files beside it (ONNX external data), found anywhere
 * in the graph: initializers, constants in node attributes, sparse tensors, subgraphs of If, Loop
 * and Scan.
 *
 * <p>References are untrusted input: {@link Reference#file} is checked to name a file inside the
 * model's folder (relative, no {@code ..} that leaves it, no scheme, drive or absolute path) before
 * anything reads it.
 */
public final class ExternalData {
  private ExternalData() {}

  /**
   * One tensor's external data: {@code length} bytes (or, when the model leaves it out, what the
   * tensor's shape and type need) at {@code offset} of {@code file}, relative to the model's
   * folder.
   *
   * @param tensor the tensor's name
   * @param file the file, relative to the model's folder, normalized ({@code a/./b} is {@code a/b})
   * @param offset where the tensor's bytes start
   * @param length how many bytes it declares, or -1 when it declares none
   * @param needed how many bytes its shape and element type need, or -1 when they do not say
   */
  public record Reference(String tensor, String file, long offset, long length, long needed) {
    /** The end of the tensor's bytes in its file, or -1 when neither length nor shape says. */
    public long end() {
      long bytes = length >= 0 ? length : needed;
      return bytes < 0 ? -1 : offset + bytes;
    }
  }

  /** Every external-data reference of {@code graph}, checked to stay in the model's folder. */
  public static void collect(OnnxProto.GraphProto graph, String model, Consumer<Reference> into) {
    for (OnnxProto.TensorProto t : graph.getInitializerList()) {
      collect(t, model, into);
    }
    for (OnnxProto.SparseTensorProto t : graph.getSparseInitializerList()) {
      collect(t, model, into);
    }
    for (OnnxProto.NodeProto node : graph.getNodeList()) {
      collect(node, model, into);
    }
  }

  /** The external-data references of one node's attributes (constants and subgraphs). */
  public static void collect(OnnxProto.NodeProto node, String model, Consumer<Reference> into) {
    for (OnnxProto.AttributeProto a : node.getAttributeList()) {
      if (a.hasT()) {
        collect(a.getT(), model, into);
      }
      for (OnnxProto.TensorProto t : a.getTensorsList()) {
        collect(t, model, into);
      }
      if (a.hasSparseTensor()) {
        collect(a.getSparseTensor(), model, into);
      }
      for (OnnxProto.SparseTensorProto t : a.getSparseTensorsList()) {
        collect(t, model, into);
      }
      if (a.hasG()) {
        collect(a.getG(), model, into);
      }
      for (OnnxProto.GraphProto g : a.getGraphsList()) {
        collect(g, model, into);
      }
    }
  }

  /** The references of a sparse tensor's values and indices. */
  public static void collect(
      OnnxProto.SparseTensorProto tensor, String model, Consumer<Reference> into) {
    if (tensor.hasValues()) {
      collect(tensor.getValues(), model, into);
    }
    if (tensor.hasIndices()) {
      collect(tensor.getIndices(), model, into);
    }
  }

  /** The reference of one tensor, if its data is external. */
  public static void collect(OnnxProto.TensorProto tensor, String model, Consumer<Reference> into) {
    if (tensor.getDataLocation() != OnnxProto.TensorProto.DataLocation.EXTERNAL) {
      return;
    }
    String location = null;
    long offset = 0;
    long length = -1;
    for (OnnxProto.StringStringEntryProto entry : tensor.getExternalDataList()) {
      switch (entry.getKey()) {
        case "location" -> location = entry.getValue();
        case "offset" -> offset = number(model, tensor.getName(), "offset", entry.getValue());
        case "length" -> length = number(model, tensor.getName(), "length", entry.getValue());
        default -> {
          // checksum and other keys ONNX defines are not needed to find the bytes
        }
      }
    }
    if (location == null || location.isEmpty()) {
      throw OnnxErrors.externalDataInvalid(
          model, tensor.getName(), "it is marked external but names no file (location)");
    }
    into.accept(
        new Reference(
            tensor.getName(),
            inside(model, tensor.getName(), location),
            offset,
            length,
            needed(tensor)));
  }

  /** The bytes a tensor's dims and element type need, or -1 for strings and unknown types. */
  private static long needed(OnnxProto.TensorProto tensor) {
    ElementType type = ElementType.fromCode(tensor.getDataType());
    if (type.byteSize() <= 0) {
      return -1;
    }
    long count = 1;
    for (long d : tensor.getDimsList()) {
      if (d < 0) {
        return -1;
      }
      count = Math.multiplyExact(count, d);
    }
    return Math.multiplyExact(count, type.byteSize());
  }

  private static long number(String model, String tensor, String key, String value) {
    try {
      long n = Long.parseLong(value.trim());
      if (n >= 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw OnnxErrors.externalDataInvalid(
        model, tensor, "its " + key + " '" + value + "' is not a number of bytes");
  }

  /**
   * {@code location} normalized, when it names a file inside the model's folder; refused when it is
   * absolute, names a scheme or a drive, or climbs out with {@code ..}.
   */
  static String inside(String model, String tensor, String location) {
    if (location.startsWith("/")
        || location.startsWith("\\")
        || location.indexOf(':') >= 0
        || location.indexOf('\0') >= 0) {
      throw OnnxErrors.externalDataOutsideFolder(model, tensor, location);
    }
    Deque<String> parts = new ArrayDeque<>();
    for (String part : location.split("[/\\\\]+")) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        if (parts.isEmpty()) {
          throw OnnxErrors.externalDataOutsideFolder(model, tensor, location);
        }
        parts.removeLast();
      } else {
        parts.addLast(part);
      }
    }
    if (parts.isEmpty()) {
      throw OnnxErrors.externalDataOutsideFolder(model, tensor, location);
    }
    return String.join("/", List.copyOf(parts));
  }
}
