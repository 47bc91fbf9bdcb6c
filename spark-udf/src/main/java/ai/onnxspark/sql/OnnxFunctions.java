package ai.onnxspark.sql;

import ai.onnxspark.internal.OnnxErrors;
import ai.onnxspark.internal.plan.ModelParts;
import ai.onnxspark.internal.plan.PredictFunction;
import ai.onnxspark.internal.plan.ScoringPlanner;
import ai.onnxspark.spark.OnnxModel;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * Scoring as a column: {@code df.withColumn("p", onnxPredict(model, col("features")))}.
 *
 * <p>The result is the model's single output, or a struct with one field per output (named as set
 * by {@link OnnxModel#withOutput}, else like the outputs). Rows are still scored in batches: the
 * first call installs, in the active session, an optimizer rule that gathers {@code onnx_predict}
 * calls into a batching operator ({@code OnnxPredictBatch} in {@code explain()}), the same one that
 * {@code spark.sql.extensions=ai.onnxspark.sql.OnnxSparkExtensions} installs at session start.
 */
public final class OnnxFunctions {
  private OnnxFunctions() {}

  /**
   * Scores {@code inputs} with {@code model}: one column per model input, in the model's input
   * order, or several numeric columns assembled into the only input of a one-input model. With no
   * columns, each input reads the column {@link OnnxModel#withInput} set, else the column named
   * like it.
   *
   * @throws ai.onnxspark.OnnxException when the number of columns does not fit the model; column
   *     types are checked when the query is analysed
   */
  public static Column onnxPredict(OnnxModel model, Column... inputs) {
    SparkSession spark = SparkSession.active();
    OnnxSql.install(spark);
    ModelParts parts = ModelParts.of(model);
    List<Column> columns = new ArrayList<>(Arrays.asList(inputs));
    if (columns.isEmpty()) {
      List<String> names = ScoringPlanner.defaultArguments(parts);
      if (names.isEmpty()) {
        throw OnnxErrors.badArguments(
            model.source(), "needs explicit columns when one input reads several columns");
      }
      names.forEach(n -> columns.add(functions.col(n)));
    }
    String name = Paths.get(model.source()).getFileName().toString();
    PredictFunction function = ScoringPlanner.forColumn(spark, name, parts, columns.size());
    if (function.keyArgument()) {
      columns.add(functions.col(parts.spec().keyColumn()));
    }
    return SparkInternals.column(
        OnnxPredict.of(function, columns.stream().map(SparkInternals::expression).toList()));
  }

  /**
   * Scores the columns the model's inputs read: those set with {@link OnnxModel#withInput}, else
   * the columns named like the inputs.
   */
  public static Column onnxPredict(OnnxModel model) {
    return onnxPredict(model, new Column[0]);
  }

  /** As {@link #onnxPredict(OnnxModel, Column...)}, naming the columns. */
  public static Column onnxPredict(OnnxModel model, String... columns) {
    return onnxPredict(model, Arrays.stream(columns).map(functions::col).toArray(Column[]::new));
  }
}
