package ai.onnxspark.spark;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxspark.convert.Int8Quantization;
import ai.onnxspark.model.ElementType;
import ai.onnxspark.testing.ModelBuilder;
import ai.onnxspark.testing.OrtReference;
import ai.onnxspark.testing.SparkTestBase;
import ai.onnxspark.testing.TestModels;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * Quantized, float16, optimized and pre-quantized (QDQ and QOperator) models score on Spark exactly
 * as ONNX Runtime runs them directly, and close to the float model.
 */
class ConvertedModelsTest extends SparkTestBase {
  private static final byte[] MLP = TestModels.mlp(32, 64, 4, 6);

  private static float[][] scores(OnnxModel model, Dataset<Row> df, String output) {
    List<Row> rows = model.withOutput(output, "y").transform(df).orderBy("id").collectAsList();
    float[][] out = new float[rows.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = TransformTest.floats(rows.get(i).getList(rows.get(i).fieldIndex("y")));
    }
    return out;
  }

  @Test
  void quantizedFloat16AndOptimizedModelsScoreOnSpark() throws Exception {
    float[][] x = TransformTest.randomRows(200, 32, 4);
    Dataset<Row> df = TransformTest.featuresFrame(x, 3);
    OnnxModel fp32 = OnnxModel.fromBytes(MLP).withBatchSize(16);
    float[][] reference = scores(fp32, df, "logits");

    // Activations are quantized per batch (their range decides the scale), so rows are compared
    // one per batch, with ONNX Runtime run directly on each row.
    OnnxModel int8 = fp32.quantizeInt8();
    float[][] quantized = scores(int8.withBatchSize(1), df, "logits");
    byte[] int8Bytes = Int8Quantization.defaults().apply(MLP, "bytes").model();
    for (int r = 0; r < x.length; r++) {
      float[][] direct =
          (float[][])
              OrtReference.run(int8Bytes, Map.of("features", new float[][] {x[r]}), "logits");
      assertThat(quantized[r]).containsExactly(direct[0]);
    }
    assertThat(int8.source()).endsWith("(int8)");
    assertThat(int8.size()).isLessThan(fp32.size() / 2);
    assertThat(fp32.fingerprint()).isEqualTo(OnnxModel.fromBytes(MLP).fingerprint());
    assertMaxDifference(reference, quantized, 0.03);

    OnnxModel half = fp32.toFloat16();
    assertMaxDifference(reference, scores(half, df, "logits"), 0.01);

    OnnxModel optimized = fp32.optimized("extended");
    float[][] optimizedScores = scores(optimized, df, "logits");
    assertMaxDifference(reference, optimizedScores, 1e-5);
  }

  @Test
  void preQuantizedQdqAndQOperatorModelsScoreAsOnnxRuntimeRunsThem() throws Exception {
    Random random = new Random(8);
    byte[] w = new byte[16 * 8];
    random.nextBytes(w);
    // 7-bit weights, as quantizers make them for x86 CPUs without VNNI, where ONNX Runtime adds
    // pairs of uint8 x int8 products in 16 bits with saturation and full 8-bit weights overflow.
    for (int i = 0; i < w.length; i++) {
      w[i] = (byte) (w[i] >> 1);
    }
    byte[] qdq =
        new ModelBuilder("qdq")
            .input("x", ElementType.FLOAT, "batch", 16)
            .initializer("xs", new long[] {}, 0.05f)
            .initializer("xzp", ElementType.UINT8, new long[] {}, new byte[] {(byte) 128})
            .initializer("W", ElementType.INT8, new long[] {16, 8}, w)
            .initializer("ws", new long[] {}, 0.01f)
            .initializer("wzp", ElementType.INT8, new long[] {}, new byte[] {0})
            .node("QuantizeLinear", new String[] {"x", "xs", "xzp"}, new String[] {"xq"})
            .node("DequantizeLinear", new String[] {"xq", "xs", "xzp"}, new String[] {"xd"})
            .node("DequantizeLinear", new String[] {"W", "ws", "wzp"}, new String[] {"wd"})
            .node("MatMul", new String[] {"xd", "wd"}, new String[] {"y"})
            .output("y", ElementType.FLOAT, "batch", 8)
            .build();
    byte[] qoperator =
        new ModelBuilder("qoperator")
            .input("x", ElementType.FLOAT, "batch", 16)
            .initializer("xs", new long[] {}, 0.05f)
            .initializer("xzp", ElementType.UINT8, new long[] {}, new byte[] {(byte) 128})
            .initializer("W", ElementType.INT8, new long[] {16, 8}, w)
            .initializer("ws", new long[] {}, 0.01f)
            .initializer("wzp", ElementType.INT8, new long[] {}, new byte[] {0})
            .initializer("ys", new long[] {}, 0.1f)
            .initializer("yzp", ElementType.UINT8, new long[] {}, new byte[] {(byte) 128})
            .node("QuantizeLinear", new String[] {"x", "xs", "xzp"}, new String[] {"xq"})
            .node(
                "QLinearMatMul",
                new String[] {"xq", "xs", "xzp", "W", "ws", "wzp", "ys", "yzp"},
                new String[] {"yq"})
            .node("DequantizeLinear", new String[] {"yq", "ys", "yzp"}, new String[] {"y"})
            .output("y", ElementType.FLOAT, "batch", 8)
            .build();
    float[][] x = TransformTest.randomRows(100, 16, 5);
    Dataset<Row> df = TransformTest.featuresFrame(x, 2);
    // The float model the quantized weights stand for: y = x · (0.01 · W).
    float[][] exact = new float[x.length][8];
    for (int r = 0; r < x.length; r++) {
      for (int c = 0; c < 8; c++) {
        for (int k = 0; k < 16; k++) {
          exact[r][c] += x[r][k] * 0.01f * w[k * 8 + c];
        }
      }
    }
    for (byte[] model : List.of(qdq, qoperator)) {
      float[][] scored =
          scores(OnnxModel.fromBytes(model).withInput("x", "features").withBatchSize(7), df, "y");
      assertThat(scored).isDeepEqualTo((float[][]) OrtReference.run(model, Map.of("x", x), "y"));
      assertMaxDifference(exact, scored, 0.05);
    }
  }

  private static void assertMaxDifference(float[][] want, float[][] got, double fraction) {
    double scale = 0;
    double diff = 0;
    for (int r = 0; r < want.length; r++) {
      for (int c = 0; c < want[r].length; c++) {
        scale = Math.max(scale, Math.abs(want[r][c]));
        diff = Math.max(diff, Math.abs(want[r][c] - got[r][c]));
      }
    }
    assertThat(diff).isLessThanOrEqualTo(fraction * scale);
  }
}
