package ai.onnxspark.internal.plan;

import ai.onnxspark.internal.OnnxErrors;
import ai.onnxspark.internal.tensor.InputBinding;
import ai.onnxspark.internal.tensor.OutputBinding;
import ai.onnxspark.model.ModelInfo;
import ai.onnxspark.model.TensorSpec;
import ai.onnxspark.spark.ScoringMetrics;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * A model as the {@code onnx_predict} column function uses it: which of the function's argument
 * columns feed which model input, which outputs it returns, and its result type: the single
 * output's type, or a struct with one field per output. In permissive mode the result is always a
 * struct of the outputs (null for a row that could not be scored) and the error field, null for
 * rows that were scored.
 *
 * <p>Immutable and serializable; it carries a {@link ModelHandle}, never the model bytes. Scorers
 * are made from it for the layout of rows the batching operator feeds ({@link #scorer}).
 */
public final class PredictFunction implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String name;
  private final ModelHandle handle;
  private final ScoringSpec spec;
  private final List<OutputBinding> outputs;
  private final int[] columnsPerInput;

  PredictFunction(
      String name,
      ModelHandle handle,
      ScoringSpec spec,
      List<OutputBinding> outputs,
      int[] columnsPerInput) {
    this.name = name;
    this.handle = handle;
    this.spec = spec;
    this.outputs = List.copyOf(outputs);
    this.columnsPerInput = columnsPerInput;
  }

  /**
   * How {@code columns} argument columns split over the model's inputs: one column per input when
   * the counts match, all of them assembled into the only input of a one-input model. With a
   * tokenizer, the text column (or the text and its pair) feeds all the token inputs: the first of
   * them counts the column(s), the others none.
   */
  static int[] columnsPerInput(ModelInfo info, ScoringSpec spec, String name, int columns) {
    java.util.Map<String, ai.onnxspark.internal.tensor.InputBinding.TokenField> tokenized =
        spec.tokenized(info);
    if (!tokenized.isEmpty()) {
      int others = info.inputs().size() - tokenized.size();
      int text = columns - others;
      if (text != 1 && text != 2) {
        throw OnnxErrors.badArguments(
            name,
            "takes the text column (or a text and its pair) for the tokenized inputs "
                + tokenized.keySet()
                + (others > 0 ? " and one column per other model input" : "")
                + ", but got "
                + columns
                + " column(s)");
      }
      int[] split = new int[info.inputs().size()];
      boolean first = true;
      for (int i = 0; i < split.length; i++) {
        if (tokenized.containsKey(info.inputs().get(i).name())) {
          split[i] = first ? text : 0;
          first = false;
        } else {
          split[i] = 1;
        }
      }
      return split;
    }
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

  /**
   * This function with the model broadcast in {@code sc}; called on the driver when the query is
   * planned for execution, so that analysing a query never ships a model.
   */
  public PredictFunction broadcastIn(org.apache.spark.SparkContext sc) {
    ModelHandle broadcast = handle.broadcastIn(sc);
    return broadcast == handle
        ? this
        : new PredictFunction(name, broadcast, spec, outputs, columnsPerInput);
  }

  /** Whether the last argument is the key column naming bad rows in messages. */
  public boolean keyArgument() {
    return spec.keyColumn() != null;
  }

  /** The key column ({@code key-column}), the last argument, or null. */
  public String keyColumn() {
    return spec.keyColumn();
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
    return Arrays.stream(columnsPerInput).sum() + (keyArgument() ? 1 : 0);
  }

  /** The result type: the only output's type, or a struct of the outputs (and error field). */
  public DataType dataType() {
    if (!structResult()) {
      return outputs.get(0).field().dataType();
    }
    return new StructType(resultFields().toArray(StructField[]::new));
  }

  /**
   * Whether the result may be null: the only output's value when it is an optional output, null
   * where absent. A struct result is never null (its fields may be).
   */
  public boolean nullable() {
    return !structResult() && outputs.get(0).field().nullable();
  }

  /** Whether the result is a struct rather than the only output's value. */
  public boolean structResult() {
    return outputs.size() > 1 || errorField() != null;
  }

  /**
   * The columns the scorer appends to each row, in order: one per output, then the error column in
   * permissive mode. Also the fields of a struct result.
   */
  public List<StructField> resultFields() {
    List<StructField> fields = new ArrayList<>();
    String errorField = errorField();
    outputs.forEach(o -> fields.add(o.field(errorField != null)));
    if (errorField != null) {
      fields.add(new StructField(errorField, DataTypes.StringType, true, Metadata.empty()));
    }
    return fields;
  }

  /**
   * Checks that the argument columns, at {@code argumentOrdinals} of {@code rowSchema} in argument
   * order, fit the model's inputs.
   *
   * @throws ai.onnxspark.OnnxException naming the input, argument, expected and actual types
   */
  public List<InputBinding> bindInputs(StructType rowSchema, int[] argumentOrdinals) {
    ModelInfo info = handle.info();
    Map<String, List<String>> feeding = new LinkedHashMap<>();
    Set<String> tokenized = spec.tokenized(info).keySet();
    List<String> text = null;
    int next = 0;
    for (int i = 0; i < info.inputs().size(); i++) {
      List<String> columns = new ArrayList<>();
      for (int k = 0; k < columnsPerInput[i]; k++) {
        columns.add(rowSchema.fields()[argumentOrdinals[next++]].name());
      }
      String input = info.inputs().get(i).name();
      if (tokenized.contains(input)) {
        // The first token input took the text column(s); the others read the same.
        text = text == null ? columns : text;
        columns = text;
      }
      feeding.put(input, columns);
    }
    int keyOrdinal = keyArgument() ? argumentOrdinals[next] : -1;
    return ScoringPlanner.bindInputs(
        info, spec, rowSchema, feeding, Set.of(), keyOrdinal, handle.resolved().tokenizer());
  }

  /**
   * A scorer for rows laid out as {@code rowSchema} whose argument columns are at {@code
   * argumentOrdinals}; it returns each row followed by one column per model output.
   */
  public PartitionScorer scorer(
      StructType rowSchema, int[] argumentOrdinals, ScoringMetrics metrics) {
    List<InputBinding> inputs = bindInputs(rowSchema, argumentOrdinals);
    StructType out = rowSchema;
    for (StructField field : resultFields()) {
      out = out.add(field);
    }
    return handle.scorer(inputs, outputs, out, metrics, errorField() != null);
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
    List<StructField> fields = resultFields();
    int first = scored.numFields() - fields.size();
    if (!structResult()) {
      return scored.get(first, fields.get(0).dataType());
    }
    Object[] values = new Object[fields.size()];
    for (int j = 0; j < values.length; j++) {
      values[j] = scored.get(first + j, fields.get(j).dataType());
    }
    return new GenericInternalRow(values);
  }

  /** The error field of permissive mode, or null. */
  private String errorField() {
    return handle.resolved().errorColumn();
  }

  /**
   * Equal when they score the same model with the same spec and resolved options, the same way:
   * equal calls in one query are then scored once.
   */
  @Override
  public boolean equals(Object o) {
    return o instanceof PredictFunction f
        && name.equals(f.name)
        && handle.equals(f.handle)
        && spec.equals(f.spec)
        && Arrays.equals(columnsPerInput, f.columnsPerInput);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(name, handle, spec, Arrays.hashCode(columnsPerInput));
  }

  @Override
  public String toString() {
    return name;
  }
}
