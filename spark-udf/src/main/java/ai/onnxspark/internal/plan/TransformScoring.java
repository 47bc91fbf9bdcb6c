package ai.onnxspark.internal.plan;

import ai.onnxspark.internal.OnnxErrors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Runs a {@link PartitionScorer} over a DataFrame for {@code OnnxModel.transform}, batch or
 * streaming: adds the {@code OnnxTransform} node (over the columnar batches of a Parquet or ORC
 * scan when its input is one, else over internal rows, in the scoring stage's own GPU resource
 * profile when asked) on top of the DataFrame's plan, and packs the outputs into one struct column
 * when the spec says so. The one place {@code transform} touches Spark's classic API (through the
 * line's {@code ClassicDatasets}).
 */
public final class TransformScoring {
  private TransformScoring() {}

  /**
   * {@code df} scored by {@code scorer}, its outputs packed into {@code structColumn} if set. The
   * scoring is a node of {@code df}'s plan (see {@code OnnxTransform}), not an RDD made into a new
   * DataFrame: a streaming DataFrame stays one, and nothing runs until an action or the stream.
   */
  public static Dataset<Row> transform(
      Dataset<Row> df, PartitionScorer scorer, String structColumn) {
    if (scorer.model().gpusPerTask() != null) {
      // Where stage-level scheduling is missing, refused now rather than when the query runs.
      scorer.model().gpuStage(df.sparkSession().sparkContext());
    }
    TransformNodes nodes = TransformNodes.get();
    LogicalPlan plan = ClassicDatasets.logicalPlan(df);
    nodes.install(df.sparkSession());
    Dataset<Row> result = ClassicDatasets.ofRows(df, nodes.node(scorer, plan));
    return structColumn == null
        ? result
        : packStruct(result, df.schema(), structColumn, scorer.model().resolved().errorColumn());
  }

  /**
   * The schema {@link #transform} gives: {@code scored} (the scorer's) with the outputs in one
   * struct column when {@code structColumn} is set.
   */
  public static StructType schema(
      StructType input, StructType scored, String structColumn, String errorColumn) {
    if (structColumn == null) {
      return scored;
    }
    Set<String> kept = new HashSet<>(Arrays.asList(input.fieldNames()));
    StructType struct = new StructType();
    for (StructField f : scored.fields()) {
      if (!kept.contains(f.name()) && !f.name().equals(errorColumn)) {
        struct = struct.add(f);
      }
    }
    StructType out = input.add(structColumn, struct, false);
    return errorColumn == null ? out : out.add(errorColumn, DataTypes.StringType, true);
  }

  private static Dataset<Row> packStruct(
      Dataset<Row> scored, StructType input, String name, String error) {
    ScoringPlanner.ColumnNames names = ScoringPlanner.ColumnNames.of(scored.sparkSession());
    List<String> taken = new ArrayList<>(Arrays.asList(input.fieldNames()));
    if (error != null) {
      taken.add(error);
    }
    String existing = names.index(taken).get(names.key(name));
    if (existing != null) {
      throw OnnxErrors.outputColumnExists("(struct of the outputs)", name, existing);
    }
    Set<String> kept = new HashSet<>(Arrays.asList(input.fieldNames()));
    List<Column> columns = new ArrayList<>();
    List<Column> fields = new ArrayList<>();
    for (String field : scored.schema().fieldNames()) {
      if (!kept.contains(field) && !field.equals(error)) {
        fields.add(scored.col("`" + field + "`"));
      }
    }
    for (String field : input.fieldNames()) {
      columns.add(scored.col("`" + field + "`"));
    }
    columns.add(functions.struct(fields.toArray(new Column[0])).as(name));
    if (error != null) {
      columns.add(scored.col("`" + error + "`"));
    }
    return scored.select(columns.toArray(new Column[0]));
  }
}
