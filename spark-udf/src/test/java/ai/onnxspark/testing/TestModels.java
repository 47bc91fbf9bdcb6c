package ai.onnxspark.testing;

import ai.onnxspark.model.ElementType;
import java.util.Random;

/**
 * Small models the tests score, each with the math it computes, so results can be checked by hand.
 */
public final class TestModels {
  private TestModels() {}

  /** {@code y = x·W + b}: float[batch,in] to float[batch,out]. */
  public static final class Affine {
    public final int in;
    public final int out;
    public final float[] w;
    public final float[] b;
    public final byte[] bytes;

    public Affine(int in, int out, long seed) {
      this.in = in;
      this.out = out;
      Random random = new Random(seed);
      w = new float[in * out];
      b = new float[out];
      for (int i = 0; i < w.length; i++) {
        w[i] = (float) random.nextGaussian();
      }
      for (int i = 0; i < b.length; i++) {
        b[i] = (float) random.nextGaussian();
      }
      bytes =
          new ModelBuilder("affine")
              .metadata("labels", "a,b,c")
              .input("x", ElementType.FLOAT, "batch", in)
              .initializer("W", new long[] {in, out}, w)
              .initializer("B", new long[] {out}, b)
              .node("MatMul", new String[] {"x", "W"}, new String[] {"xw"})
              .node("Add", new String[] {"xw", "B"}, new String[] {"y"})
              .output("y", ElementType.FLOAT, "batch", out)
              .build();
    }

    /** The expected output for one row, in double precision. */
    public double[] apply(float[] x) {
      double[] y = new double[out];
      for (int j = 0; j < out; j++) {
        double sum = b[j];
        for (int i = 0; i < in; i++) {
          sum += (double) x[i] * w[i * out + j];
        }
        y[j] = sum;
      }
      return y;
    }
  }

  /** A two-layer perceptron with softmax: float[batch,in] to probabilities float[batch,out]. */
  public static byte[] mlp(int in, int hidden, int out, long seed) {
    Random random = new Random(seed);
    return new ModelBuilder("mlp")
        .input("features", ElementType.FLOAT, "batch", in)
        .initializer("W1", new long[] {in, hidden}, gaussian(random, in * hidden))
        .initializer("B1", new long[] {hidden}, gaussian(random, hidden))
        .initializer("W2", new long[] {hidden, out}, gaussian(random, hidden * out))
        .initializer("B2", new long[] {out}, gaussian(random, out))
        .node("MatMul", new String[] {"features", "W1"}, new String[] {"h0"})
        .node("Add", new String[] {"h0", "B1"}, new String[] {"h1"})
        .node("Relu", "h1", "h2")
        .node("MatMul", new String[] {"h2", "W2"}, new String[] {"l0"})
        .node("Add", new String[] {"l0", "B2"}, new String[] {"logits"})
        .node("Softmax", "logits", "probabilities", ModelBuilder.intAttr("axis", 1))
        .output("logits", ElementType.FLOAT, "batch", out)
        .output("probabilities", ElementType.FLOAT, "batch", out)
        .build();
  }

  /** {@code y = 2x + 1} elementwise, for any element type with per-row dims {@code dims}. */
  public static byte[] twoXPlusOne(ElementType type, Object... dims) {
    ModelBuilder builder = new ModelBuilder("two_x_plus_one").input("x", type, dims);
    switch (type) {
      case DOUBLE:
        builder.initializer("two", new long[] {}, 2.0).initializer("one", new long[] {}, 1.0);
        break;
      case INT64:
        builder.initializer("two", new long[] {}, 2L).initializer("one", new long[] {}, 1L);
        break;
      case FLOAT:
        builder.initializer("two", new long[] {}, 2f).initializer("one", new long[] {}, 1f);
        break;
      default:
        java.nio.ByteBuffer two =
            java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(2);
        java.nio.ByteBuffer one =
            java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(1);
        builder
            .initializer("two", type, new long[] {}, two.array())
            .initializer("one", type, new long[] {}, one.array());
    }
    return builder
        .node("Mul", new String[] {"x", "two"}, new String[] {"x2"})
        .node("Add", new String[] {"x2", "one"}, new String[] {"y"})
        .output("y", type, dims)
        .build();
  }

  /** Sum of each row: float[batch,n] to float[batch] (a scalar per row). */
  public static byte[] rowSum(int n) {
    return new ModelBuilder("row_sum")
        .input("x", ElementType.FLOAT, "batch", n)
        .initializer("axes", new long[] {1}, 1L)
        .node(
            "ReduceSum",
            new String[] {"x", "axes"},
            new String[] {"sum"},
            ModelBuilder.intAttr("keepdims", 0))
        .output("sum", ElementType.FLOAT, "batch")
        .build();
  }

  /** Two inputs concatenated: a float[batch,2] and b float[batch,3] to ab float[batch,5]. */
  public static byte[] concat() {
    return new ModelBuilder("concat")
        .input("a", ElementType.FLOAT, "batch", 2)
        .input("b", ElementType.FLOAT, "batch", 3)
        .node(
            "Concat", new String[] {"a", "b"}, new String[] {"ab"}, ModelBuilder.intAttr("axis", 1))
        .output("ab", ElementType.FLOAT, "batch", 5)
        .build();
  }

  /**
   * For each row of x float[batch,n], the number of rows in its batch: shows how many rows reached
   * ONNX Runtime together.
   */
  public static byte[] rowsInBatch(int n) {
    return new ModelBuilder("rows_in_batch")
        .input("x", ElementType.FLOAT, "batch", n)
        .initializer("zero", new long[] {}, 0f)
        .initializer("first", new long[] {}, 0L)
        .initializer("axes", new long[] {1}, 1L)
        .node("Shape", "x", "shape")
        .node("Gather", new String[] {"shape", "first"}, new String[] {"batch"})
        .node("Cast", "batch", "batch_f", ModelBuilder.intAttr("to", 1))
        .node("Mul", new String[] {"x", "zero"}, new String[] {"zeros"})
        .node(
            "ReduceSum",
            new String[] {"zeros", "axes"},
            new String[] {"row_zero"},
            ModelBuilder.intAttr("keepdims", 0))
        .node("Add", new String[] {"row_zero", "batch_f"}, new String[] {"rows"})
        .output("rows", ElementType.FLOAT, "batch")
        .build();
  }

  /**
   * Looks ids up in a table of 10 floats (value 10·id): ids int64[batch,1] to float[batch,1]. ONNX
   * Runtime fails the whole call when an id is outside 0..9.
   */
  public static byte[] lookup() {
    float[] table = new float[10];
    for (int i = 0; i < table.length; i++) {
      table[i] = 10f * i;
    }
    return new ModelBuilder("lookup")
        .input("ids", ElementType.INT64, "batch", 1)
        .initializer("table", new long[] {10}, table)
        .node("Gather", new String[] {"table", "ids"}, new String[] {"value"})
        .output("value", ElementType.FLOAT, "batch", 1)
        .build();
  }

  /**
   * A chain of {@code layers} MatMuls by an n×n matrix, float[batch,n] to float[batch,n]: slow
   * enough at large n to test time limits, with a check of the terminate flag between layers.
   */
  public static byte[] slowChain(int n, int layers) {
    float[] w = new float[n * n];
    for (int i = 0; i < n; i++) {
      w[i * n + i] = 1f;
    }
    ModelBuilder builder =
        new ModelBuilder("slow_chain")
            .input("x", ElementType.FLOAT, "batch", n)
            .initializer("w", new long[] {n, n}, w);
    String previous = "x";
    for (int l = 0; l < layers; l++) {
      String next = l == layers - 1 ? "y" : "h" + l;
      builder.node("MatMul", new String[] {previous, "w"}, new String[] {next});
      previous = next;
    }
    return builder.output("y", ElementType.FLOAT, "batch", n).build();
  }

  /** Floats of a standard normal distribution. */
  public static float[] gaussian(Random random, int n) {
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = (float) random.nextGaussian();
    }
    return values;
  }

  /** image float[batch,3,4,4] to its per-channel means, float[batch,3]. */
  public static byte[] channelMeans() {
    return new ModelBuilder("means")
        .input("image", ElementType.FLOAT, "batch", 3, 4, 4)
        .node(
            "ReduceMean",
            new String[] {"image"},
            new String[] {"means"},
            ModelBuilder.intsAttr("axes", 2, 3),
            ModelBuilder.intAttr("keepdims", 0))
        .output("means", ElementType.FLOAT, "batch", 3)
        .build();
  }

  /**
   * ids, mask int64[batch, seq] to tokens = ids·mask float[batch, seq] and mean = the mean of a
   * row's unmasked ids, float[batch].
   */
  public static byte[] maskedText() {
    return new ModelBuilder("text")
        .input("ids", ElementType.INT64, "batch", "seq")
        .input("mask", ElementType.INT64, "batch", "seq")
        .initializer("axes", new long[] {1}, 1L)
        .node("Cast", "ids", "ids_f", ModelBuilder.intAttr("to", 1))
        .node("Cast", "mask", "mask_f", ModelBuilder.intAttr("to", 1))
        .node("Mul", new String[] {"ids_f", "mask_f"}, new String[] {"tokens"})
        .node(
            "ReduceSum",
            new String[] {"tokens", "axes"},
            new String[] {"total"},
            ModelBuilder.intAttr("keepdims", 0))
        .node(
            "ReduceSum",
            new String[] {"mask_f", "axes"},
            new String[] {"count"},
            ModelBuilder.intAttr("keepdims", 0))
        .node("Div", new String[] {"total", "count"}, new String[] {"mean"})
        .initializer("zero", new long[] {}, 0f)
        .initializer("one", new long[] {}, 1f)
        .node("Mul", new String[] {"mask_f", "zero"}, new String[] {"zeros"})
        .node("Add", new String[] {"zeros", "one"}, new String[] {"ones"})
        .node(
            "ReduceSum",
            new String[] {"ones", "axes"},
            new String[] {"width"},
            ModelBuilder.intAttr("keepdims", 0))
        .output("tokens", ElementType.FLOAT, "batch", "seq")
        .output("mean", ElementType.FLOAT, "batch")
        .output("width", ElementType.FLOAT, "batch")
        .build();
  }
}
