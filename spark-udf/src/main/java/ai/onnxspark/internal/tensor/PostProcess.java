package ai.onnxspark.internal.tensor;

import java.io.Serializable;
import java.util.List;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * What to compute from a model output's per-row vector of scores before it becomes a column:
 * softmax probabilities, the index of the largest score, its label, or the top k indices or scores;
 * or from a per-token output, the mean over a row's tokens or each token's label. Immutable and
 * serializable.
 */
public final class PostProcess implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The kinds of post-processing. */
  public enum Kind {
    /** The output as it is. */
    NONE,
    /** {@code exp(s_i) / sum_j exp(s_j)}, computed stably: an array like the output. */
    SOFTMAX,
    /** The index of the largest score (the first on ties): int. */
    ARGMAX,
    /** The label of the largest score: string. */
    LABEL,
    /** The indices of the k largest scores, largest first: array of int. */
    TOP_K_INDICES,
    /** The k largest scores, largest first: array like the output. */
    TOP_K_SCORES,
    /** The mean of a row's per-token vectors over its tokens: array like one vector. */
    MEAN_POOL,
    /** {@link #MEAN_POOL} scaled to unit L2 norm (a zero vector stays zero). */
    MEAN_POOL_NORMALIZED,
    /**
     * Per token of the row's text (the tokenizer's special tokens and the padding left out): the
     * token, its span in the text, the label of its largest score and that score's softmax
     * probability: {@link #TOKEN_LABEL_TYPE}.
     */
    TOKEN_LABELS
  }

  /** The element type of a {@link Kind#TOKEN_LABELS} column. */
  public static final StructType TOKEN_LABEL_TYPE =
      new StructType()
          .add("token", DataTypes.StringType, false)
          .add("start", DataTypes.IntegerType, false)
          .add("end", DataTypes.IntegerType, false)
          .add("label", DataTypes.StringType, false)
          .add("score", DataTypes.FloatType, false);

  /** No post-processing. */
  public static final PostProcess NONE = new PostProcess(Kind.NONE, 0, List.of());

  private final Kind kind;
  private final int k;
  private final List<String> labels;

  private PostProcess(Kind kind, int k, List<String> labels) {
    this.kind = kind;
    this.k = k;
    this.labels = List.copyOf(labels);
  }

  public static PostProcess softmax() {
    return new PostProcess(Kind.SOFTMAX, 0, List.of());
  }

  public static PostProcess argmax() {
    return new PostProcess(Kind.ARGMAX, 0, List.of());
  }

  /** The label of the largest score, from {@code labels} by index. */
  public static PostProcess label(List<String> labels) {
    return new PostProcess(Kind.LABEL, 0, labels);
  }

  /** The mean of each row's per-token vectors, scaled to unit L2 norm when {@code normalized}. */
  public static PostProcess meanPool(boolean normalized) {
    return new PostProcess(normalized ? Kind.MEAN_POOL_NORMALIZED : Kind.MEAN_POOL, 0, List.of());
  }

  /** Per token of each row's text, its label from {@code labels} by index, and its score. */
  public static PostProcess tokenLabels(List<String> labels) {
    return new PostProcess(Kind.TOKEN_LABELS, 0, labels);
  }

  /** Whether this pools a row's per-token vectors ({@code [seq, dim]}) into one. */
  public boolean pools() {
    return kind == Kind.MEAN_POOL || kind == Kind.MEAN_POOL_NORMALIZED;
  }

  public static PostProcess topKIndices(int k) {
    return new PostProcess(Kind.TOP_K_INDICES, k, List.of());
  }

  public static PostProcess topKScores(int k) {
    return new PostProcess(Kind.TOP_K_SCORES, k, List.of());
  }

  public Kind kind() {
    return kind;
  }

  public int k() {
    return k;
  }

  public List<String> labels() {
    return labels;
  }

  /** The column's type for scores of Spark type {@code scores}. */
  DataType columnType(DataType scores) {
    switch (kind) {
      case ARGMAX:
        return DataTypes.IntegerType;
      case LABEL:
        return DataTypes.StringType;
      case TOP_K_INDICES:
        return DataTypes.createArrayType(DataTypes.IntegerType, false);
      case TOKEN_LABELS:
        return DataTypes.createArrayType(TOKEN_LABEL_TYPE, false);
      default:
        return DataTypes.createArrayType(scores, false);
    }
  }

  @Override
  public String toString() {
    return kind == Kind.TOP_K_INDICES || kind == Kind.TOP_K_SCORES
        ? kind.name().toLowerCase() + "(" + k + ")"
        : kind.name().toLowerCase();
  }
}
