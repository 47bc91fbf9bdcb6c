package ai.onnxspark.spark;

import ai.onnxspark.internal.plan.PartitionScorer;
import java.util.Iterator;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.encoders.ExpressionEncoder;
import org.apache.spark.sql.types.StructType;

/**
 * Scoring as a {@link MapPartitionsFunction} over {@link Row}s, for {@code df.mapPartitions(fn,
 * fn.encoder())} or inside users' own partition logic: each output row holds the input row's values
 * followed by the model outputs.
 *
 * <p>Serializable; built on the driver by {@link OnnxModel#partitionFunction}. Converting between
 * {@code Row} and Spark's internal rows costs time that {@link OnnxModel#transform} does not spend.
 */
public final class OnnxPartitionFunction implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;

  private final PartitionScorer scorer;
  private final StructType inputSchema;

  OnnxPartitionFunction(PartitionScorer scorer, StructType inputSchema) {
    this.scorer = scorer;
    this.inputSchema = inputSchema;
  }

  /** The schema of the rows this function returns. */
  public StructType outputSchema() {
    return scorer.outputSchema();
  }

  /** An encoder for the rows this function returns. */
  public Encoder<Row> encoder() {
    return ExpressionEncoder.apply(scorer.outputSchema());
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) {
    ExpressionEncoder.Serializer<Row> toInternal =
        ExpressionEncoder.apply(inputSchema).createSerializer();
    ExpressionEncoder<Row> out = ExpressionEncoder.apply(scorer.outputSchema());
    ExpressionEncoder.Deserializer<Row> toRow =
        out.resolveAndBind(out.resolveAndBind$default$1(), out.resolveAndBind$default$2())
            .createDeserializer();
    Iterator<InternalRow> internal =
        new Iterator<>() {
          @Override
          public boolean hasNext() {
            return rows.hasNext();
          }

          @Override
          public InternalRow next() {
            return toInternal.apply(rows.next());
          }
        };
    Iterator<InternalRow> scored = scorer.score(internal);
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return scored.hasNext();
      }

      @Override
      public Row next() {
        return toRow.apply(scored.next());
      }
    };
  }
}
