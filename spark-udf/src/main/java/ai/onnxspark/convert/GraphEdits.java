package ai.onnxspark.convert;

import ai.onnxspark.onnx.OnnxProto.AttributeProto;
import ai.onnxspark.onnx.OnnxProto.NodeProto;
import java.util.Set;

/** What the conversions share when they rewrite a graph: fresh names, attributes, casts. */
final class GraphEdits {
  private GraphEdits() {}

  /** {@code wanted}, or {@code wanted_1}, {@code wanted_2}, … : the first not in {@code names}. */
  static String unique(Set<String> names, String wanted) {
    String name = wanted;
    for (int i = 1; !names.add(name); i++) {
      name = wanted + "_" + i;
    }
    return name;
  }

  static long intAttr(NodeProto node, String name, long defaultValue) {
    for (AttributeProto a : node.getAttributeList()) {
      if (a.getName().equals(name)) {
        return a.getI();
      }
    }
    return defaultValue;
  }

  static float floatAttr(NodeProto node, String name, float defaultValue) {
    for (AttributeProto a : node.getAttributeList()) {
      if (a.getName().equals(name)) {
        return a.getF();
      }
    }
    return defaultValue;
  }

  /**
   * A {@code Cast} node named {@code name} from value {@code from} to {@code to} of type {@code
   * type}.
   */
  static NodeProto cast(String name, String from, String to, int type) {
    return NodeProto.newBuilder()
        .setName(name)
        .setOpType("Cast")
        .addInput(from)
        .addOutput(to)
        .addAttribute(
            AttributeProto.newBuilder()
                .setName("to")
                .setType(AttributeProto.AttributeType.INT)
                .setI(type))
        .build();
  }
}
