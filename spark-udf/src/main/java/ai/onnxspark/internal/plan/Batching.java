package ai.onnxspark.internal.plan;

import ai.onnxspark.model.ModelInfo;
import ai.onnxspark.model.TensorSpec;
import java.io.Serializable;

/**
 * How rows become ONNX Runtime runs, read off the model's shapes:
 *
 * <ul>
 *   <li>{@link Mode#ROWS}: every input's first dimension is the batch (symbolic, or fixed at 1 for
 *       models that take one row at a time); rows are stacked along it, a batch per run, and each
 *       output's first dimension gives one slice per row.
 *   <li>{@link Mode#FIXED}: every input and output has the same fixed first dimension {@code B >
 *       1}, as a model exported with an example batch of B and no dynamic axes; rows run in batches
 *       of exactly B, the last one filled with copies of one of its rows whose results are dropped.
 *   <li>{@link Mode#WHOLE}: the model has no batch dimension (a scalar or sequence input, inputs
 *       whose first dimensions differ, outputs whose first dimension is not the inputs'), or the
 *       user asked for it ({@code row-as-tensor}); each row holds complete input tensors, one run
 *       per row, and each output comes back whole.
 * </ul>
 */
public final class Batching implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The three ways rows map to runs. */
  public enum Mode {
    ROWS,
    FIXED,
    WHOLE
  }

  private static final Batching ROWS = new Batching(Mode.ROWS, 0, "");

  /** Batches of one row: an input's first dimension is fixed at 1, the others' free or 1. */
  private static final Batching ONE_ROW = new Batching(Mode.ROWS, 1, "");

  private final Mode mode;
  private final int fixedRows;
  private final String reason;

  private Batching(Mode mode, int fixedRows, String reason) {
    this.mode = mode;
    this.fixedRows = fixedRows;
    this.reason = reason;
  }

  /** The batching of {@code info}'s model, or whole tensors when {@code rowAsTensor}. */
  public static Batching of(ModelInfo info, boolean rowAsTensor) {
    if (rowAsTensor) {
      return new Batching(Mode.WHOLE, 1, "row-as-tensor is set");
    }
    if (info.inputs().isEmpty()) {
      return new Batching(Mode.WHOLE, 1, "the model has no inputs");
    }
    long fixed = -1;
    boolean symbolic = false;
    for (TensorSpec input : info.inputs()) {
      if (input.kind() == TensorSpec.Kind.SEQUENCE) {
        return new Batching(
            Mode.WHOLE,
            1,
            "input '"
                + input.name()
                + "' ("
                + input.typeString()
                + ") is a sequence, one value per run");
      }
      if (!input.holdsTensor() || !input.shapeKnown()) {
        // No shape to read: taken as a free batch dimension.
        symbolic = true;
        continue;
      }
      if (input.rank() == 0) {
        return new Batching(
            Mode.WHOLE, 1, "input '" + input.name() + "' (" + input.typeString() + ") is a scalar");
      }
      long first = input.dims()[0];
      if (first < 0) {
        symbolic = true;
      } else if (fixed < 0) {
        fixed = first;
      } else if (first != fixed) {
        return new Batching(
            Mode.WHOLE, 1, "its inputs' first dimensions differ (" + fixed + " and " + first + ")");
      }
    }
    if (fixed < 0) {
      return ROWS;
    }
    if (fixed == 1) {
      // Exported with a batch of one (free first dimensions beside it take one row too).
      return ONE_ROW;
    }
    if (symbolic) {
      return new Batching(
          Mode.WHOLE,
          1,
          "some inputs have a free first dimension and others one fixed at " + fixed);
    }
    for (TensorSpec output : info.outputs()) {
      if (output.kind() == TensorSpec.Kind.TENSOR && output.shapeKnown()) {
        long first = output.rank() == 0 ? 1 : output.dims()[0];
        if (first >= 0 && first != fixed) {
          return new Batching(
              Mode.WHOLE,
              1,
              "output '"
                  + output.name()
                  + "' ("
                  + output.typeString()
                  + ") does not have the inputs' first dimension "
                  + fixed);
        }
      }
    }
    if (fixed > Integer.MAX_VALUE / 2) {
      return new Batching(Mode.WHOLE, 1, "its first dimension " + fixed + " is too large a batch");
    }
    return new Batching(
        Mode.FIXED,
        (int) fixed,
        "every input and output has a first dimension fixed at "
            + fixed
            + " (a batch exported without dynamic axes)");
  }

  /** How rows map to runs. */
  public Mode mode() {
    return mode;
  }

  /** Whether each row holds complete input tensors and gets complete output tensors. */
  public boolean wholeTensors() {
    return mode == Mode.WHOLE;
  }

  /**
   * Rows per run the model fixes: B for {@link Mode#FIXED}, 1 for {@link Mode#WHOLE} and for inputs
   * whose first dimension is fixed at 1, 0 when the batch size is free.
   */
  public int fixedRows() {
    return fixedRows;
  }

  /** The batch size to use when the user asked for {@code requested} rows per run. */
  public int batchSize(int requested) {
    return fixedRows > 0 ? fixedRows : requested;
  }

  /** One line for the log saying how rows are run and why, or "" for plain batches of rows. */
  public String describe(String model) {
    switch (mode) {
      case FIXED:
        return "Model "
            + model
            + ": "
            + reason
            + ", so rows run in batches of exactly "
            + fixedRows
            + "; the last batch of a partition is filled with copies of one of its rows, whose"
            + " results are dropped.";
      case WHOLE:
        return "Model "
            + model
            + ": "
            + reason
            + ", so each row holds whole input tensors and gets whole output tensors, one ONNX"
            + " Runtime run per row (row-as-tensor).";
      default:
        return "";
    }
  }
}
