package ai.onnxspark.spark;

import ai.onnxspark.OnnxErrors;
import ai.onnxspark.model.ModelInfo;
import ai.onnxspark.model.TensorSpec;
import ai.onnxspark.tensor.InputBinding;
import ai.onnxspark.tensor.OutputBinding;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * A model as the {@code onnx_predict} column function uses it: which of the function's argument
 * columns feed which model input, which outputs it returns, and its result type (the single
 * output's type, or a struct with one field per output).
 *
 * <p>Immutable and serializable; it carries a {@link ModelHandle}, never the model bytes. Scorers
 * are made from it for the layout of rows the batching operator feeds ({@link #scorer}).
 */
public final class PredictFunction implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String name;
  private final ModelHandle handle;
  private final List<OutputBinding> outputs;
  private final int[] columnsPerInput;

  PredictFunction(
      String name, ModelHandle handle, List<OutputBinding> outputs, int[] columnsPerInput) {
    this.name = name;
    this.handle = handle;
    this.outputs = List.copyOf(outputs);
    this.columnsPerInput = columnsPerInput;
  }

  /**
   * How {@code columns} argument columns split over the model's inputs: one column per input when
   * the counts match, all of them assembled into the only input of a one-input model.
   */
  static int[] columnsPerInput(ModelInfo info, String name, int columns) {
    int inputs = info.inputs().size();
    if (columns == inputs) {
      int[] split = new int[inputs];
      Arrays.fill(split, 1);
      return split;
    }
    if (inputs == 1 && columns > 1) {
      return new int[] {columns};
    }
    throw OnnxErrors.badArguments(
        name,
        "takes one column per model input "
            + info.inputs().stream().map(TensorSpec::toString).toList()
            + (inputs == 1 ? ", or several numeric columns assembled into it" : "")
            + ", but got "
            + columns
            + " column(s)");
  }

  /** The model's name in plans and messages. */
  public String name() {
    return name;
  }

  /** The model as executors see it. */
  public ModelHandle handle() {
    return handle;
  }

  /** How many argument columns the function takes. */
  public int argumentCount() {
    return Arrays.stream(columnsPerInput).sum();
  }

  /** The result type: the only output's type, or a struct of the outputs. */
  public DataType dataType() {
    if (outputs.size() == 1) {
      return outputs.get(0).field().dataType();
    }
    return new StructType(outputs.stream().map(OutputBinding::field).toArray(StructField[]::new));
  }

  /** How many model outputs the scorer appends to each row. */
  public int outputCount() {
    return outputs.size();
  }

  /** The field names of a struct result, in order. */
  public List<String> outputNames() {
    return outputs.stream().map(OutputBinding::column).toList();
  }

  /**
   * Checks that the argument columns, at {@code argumentOrdinals} of {@code rowSchema} in argument
   * order, fit the model's inputs.
   *
   * @throws ai.onnxspark.OnnxException naming the input, argument, expected and actual types
   */
  public List<InputBinding> bindInputs(StructType rowSchema, int[] argumentOrdinals) {
    List<InputBinding> bindings = new ArrayList<>();
    List<TensorSpec> inputs = handle.info().inputs();
    int next = 0;
    for (int i = 0; i < inputs.size(); i++) {
      List<String> columns = new ArrayList<>();
      for (int k = 0; k < columnsPerInput[i]; k++) {
        columns.add(rowSchema.fields()[argumentOrdinals[next++]].name());
      }
      bindings.add(InputBinding.bind(inputs.get(i), columns, rowSchema, false));
    }
    return bindings;
  }

  /**
   * A scorer for rows laid out as {@code rowSchema} whose argument columns are at {@code
   * argumentOrdinals}; it returns each row followed by one column per model output.
   */
  public PartitionScorer scorer(
      StructType rowSchema, int[] argumentOrdinals, ScoringMetrics metrics) {
    List<InputBinding> inputs = bindInputs(rowSchema, argumentOrdinals);
    StructType out = rowSchema;
    for (OutputBinding output : outputs) {
      out = out.add(output.field());
    }
    return handle.scorer(inputs, outputs, out, metrics, false);
  }

  /** Ordinals {@code 0 .. count-1}: arguments that are the whole row. */
  public static int[] firstOrdinals(int count) {
    int[] ordinals = new int[count];
    for (int i = 0; i < count; i++) {
      ordinals[i] = i;
    }
    return ordinals;
  }

  /** A schema of the argument types, named {@code _arg0, _arg1, …}, for row-by-row use. */
  public static StructType argumentSchema(List<DataType> types) {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < types.size(); i++) {
      names.add("_arg" + i);
    }
    return argumentSchema(names, types);
  }

  /**
   * A schema of the arguments under the names users know them by (a column's name, else the
   * expression's SQL), made unique, so that type errors name the argument.
   */
  public static StructType argumentSchema(List<String> names, List<DataType> types) {
    StructType schema = new StructType();
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (int i = 0; i < types.size(); i++) {
      String name = names.get(i);
      while (!seen.add(name)) {
        name = name + "#" + i;
      }
      schema = schema.add(name, types.get(i), true);
    }
    return schema;
  }

  /**
   * Scores one row of argument values, for plans where the batching operator could not be used.
   * Slow: one ONNX Runtime call per row.
   */
  public Object evalRow(PartitionScorer scorer, InternalRow arguments) {
    InternalRow scored = scorer.score(List.of(arguments).iterator()).next();
    int first = scored.numFields() - outputs.size();
    if (outputs.size() == 1) {
      return scored.get(first, outputs.get(0).field().dataType());
    }
    Object[] values = new Object[outputs.size()];
    for (int j = 0; j < values.length; j++) {
      values[j] = scored.get(first + j, outputs.get(j).field().dataType());
    }
    return new GenericInternalRow(values);
  }

  @Override
  public String toString() {
    return name;
  }
}
