package ai.onnxspark.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.onnxspark.OnnxException;
import ai.onnxspark.model.ElementType;
import ai.onnxspark.model.ModelInfo;
import ai.onnxspark.onnx.OnnxProto.AttributeProto;
import ai.onnxspark.onnx.OnnxProto.GraphProto;
import ai.onnxspark.onnx.OnnxProto.ModelProto;
import ai.onnxspark.onnx.OnnxProto.NodeProto;
import ai.onnxspark.onnx.OnnxProto.TensorProto;
import ai.onnxspark.testing.ModelBuilder;
import ai.onnxspark.testing.TestModels;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Float16 models keep float32 inputs and outputs, hold float16 weights, run (ONNX Runtime's CPU
 * provider runs them too), and stay within 1% of the float32 model's largest output.
 */
class Float16ConversionTest {

  @Test
  void mlpRunsInFloat16WithFloat32InputsAndOutputs() throws Exception {
    byte[] fp32 = TestModels.mlp(64, 128, 10, 4);
    Float16Conversion.Result result = Float16Conversion.defaults().apply(fp32, "mlp");

    ModelInfo before = ModelInfo.parse(fp32, "fp32");
    ModelInfo after = ModelInfo.parse(result.model(), "fp16");
    assertThat(after.inputs()).isEqualTo(before.inputs());
    assertThat(after.outputs()).isEqualTo(before.outputs());
    GraphProto graph = ModelProto.parseFrom(result.model()).getGraph();
    assertThat(graph.getInitializerList())
        .allMatch(t -> t.getDataType() == TensorProto.DataType.FLOAT16_VALUE);
    assertThat(result.model().length).isLessThan(fp32.length * 6 / 10);
    assertThat(result.keptInFloat32()).isEmpty();

    float[][] x = Int8QuantizationTest.gaussian(300, 64, 3);
    for (String output : new String[] {"logits", "probabilities"}) {
      float[][] want = run(fp32, "features", x, output);
      float[][] got = run(result.model(), "features", x, output);
      Int8QuantizationTest.assertClose(want, got, 0.01, 0.99);
    }
  }

  @Test
  void opsThatMustStayFloat32AreCastAroundAndConstantsConverted() throws Exception {
    Random random = new Random(2);
    byte[] fp32 =
        new ModelBuilder("topk")
            .input("x", ElementType.FLOAT, "batch", 8)
            .initializer("W", new long[] {8, 8}, TestModels.gaussian(random, 64))
            .initializer("k", new long[] {1}, 3L)
            .node("MatMul", new String[] {"x", "W"}, new String[] {"h"})
            .node("TopK", new String[] {"h", "k"}, new String[] {"values", "indices"})
            .node(
                "Cast",
                new String[] {"indices"},
                new String[] {"indices_f"},
                ModelBuilder.intAttr("to", 1))
            .node("Add", new String[] {"values", "indices_f"}, new String[] {"y"})
            .output("y", ElementType.FLOAT, "batch", 3)
            .output("indices", ElementType.INT64, "batch", 3)
            .build();

    Float16Conversion.Result result = Float16Conversion.defaults().apply(fp32, "topk");

    assertThat(result.keptInFloat32()).containsOnlyKeys("TopK_1");
    GraphProto graph = ModelProto.parseFrom(result.model()).getGraph();
    NodeProto cast =
        graph.getNodeList().stream()
            .filter(n -> n.getOutputList().contains("indices_f"))
            .findFirst()
            .orElseThrow();
    assertThat(cast.getAttributeList())
        .extracting(AttributeProto::getI)
        .containsExactly((long) TensorProto.DataType.FLOAT16_VALUE);
    float[][] x = Int8QuantizationTest.gaussian(50, 8, 9);
    Int8QuantizationTest.assertClose(
        run(fp32, "x", x, "y"), run(result.model(), "x", x, "y"), 0.01, 0.99);
    long[][] want = (long[][]) runAny(fp32, "x", x, "indices");
    long[][] got = (long[][]) runAny(result.model(), "x", x, "indices");
    int same = 0;
    for (int r = 0; r < want.length; r++) {
      same += java.util.Arrays.equals(want[r], got[r]) ? 1 : 0;
    }
    assertThat(same).isGreaterThanOrEqualTo(48);
  }

  @Test
  void modelsWithoutFloatComputationAreRefused() {
    byte[] ints = TestModels.twoXPlusOne(ElementType.INT64, "batch", 2);
    assertThatThrownBy(() -> Float16Conversion.defaults().apply(ints, "ints.onnx"))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("Nothing to convert to float16 in ints.onnx");
  }

  static float[][] run(byte[] model, String input, float[][] x, String output) throws Exception {
    return (float[][]) runAny(model, input, x, output);
  }

  /** As the library runs float16 models: optimization level extended. */
  static Object runAny(byte[] model, String input, float[][] x, String output) throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.EXTENDED_OPT);
      try (OrtSession session = env.createSession(model, options);
          OnnxTensor tensor = OnnxTensor.createTensor(env, x);
          OrtSession.Result result = session.run(Map.of(input, tensor))) {
        return result.get(output).orElseThrow().getValue();
      }
    }
  }
}
