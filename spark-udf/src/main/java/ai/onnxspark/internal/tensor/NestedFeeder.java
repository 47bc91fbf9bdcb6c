package ai.onnxspark.internal.tensor;

import ai.onnxspark.internal.OnnxErrors;
import ai.onnxspark.model.TensorSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;

/**
 * Feeds an input from one column of nested arrays ({@link SourceKind#NESTED}), such as {@code
 * array<array<float>>} for {@code [batch, seq, dim]}: checks that the arrays are rectangular within
 * the row (and match the model's fixed dims when there is one level per dim) and appends the leaves
 * in row-major order.
 */
final class NestedFeeder implements RowFeeder {
  private final TensorSpec spec;
  private final String column;
  private final int ordinal;
  private final NumericType source;

  /** How many array levels the column has. */
  private final int depth;

  /** The indices of the leaf being read, for messages; per task, as the feeder. */
  private final int[] at;

  /** Per-row dims (the model's dims after the batch dim); -1 marks the one variable dim. */
  private final long[] rowDims;

  NestedFeeder(InputBinding binding) {
    this.spec = binding.spec();
    this.column = binding.column(0);
    this.ordinal = binding.ordinal(0);
    this.source = binding.source();
    this.depth = binding.nestedDepth();
    this.at = new int[depth];
    this.rowDims = binding.rowDims();
  }

  @Override
  public void add(InternalRow row, TensorBuffer out, RowContext where) {
    if (row.isNullAt(ordinal)) {
      throw OnnxErrors.nullValue(spec.name(), column, where.where(), "array");
    }
    ArrayData outer = row.getArray(ordinal);
    List<Integer> lengths = new ArrayList<>();
    long total = measure(outer, 0, lengths, "", where);
    if (depth == rowDims.length) {
      for (int level = 0; level < lengths.size(); level++) {
        if (rowDims[level] >= 0 && lengths.get(level) != rowDims[level]) {
          throw OnnxErrors.raggedNested(
              spec.name(),
              spec.typeString(),
              column,
              "its arrays have shape "
                  + lengths
                  + ", not the model's per-row shape "
                  + Arrays.toString(rowDims).replace("-1", "?"),
              where.where());
        }
      }
    }
    where.checkLength(total);
    putLeaves(outer, 0, at, source, out, where, spec.name(), column);
  }

  /**
   * The number of leaf values under {@code array}, checking that arrays at each level have the
   * length the first one at that level had ({@code lengths}), and that none is null.
   */
  private long measure(
      ArrayData array, int level, List<Integer> lengths, String path, RowContext where) {
    int n = array.numElements();
    if (lengths.size() <= level) {
      lengths.add(n);
    } else if (lengths.get(level) != n) {
      throw OnnxErrors.raggedNested(
          spec.name(),
          spec.typeString(),
          column,
          "the array at "
              + (path.isEmpty() ? "the top" : "index " + path)
              + " has "
              + n
              + " elements where the first at its level has "
              + lengths.get(level),
          where.where());
    }
    if (level == depth - 1) {
      return n;
    }
    long total = 0;
    for (int i = 0; i < n; i++) {
      if (array.isNullAt(i)) {
        throw OnnxErrors.nullValue(
            spec.name(), column, where.where(), "array at index " + path + "[" + i + "]");
      }
      total += measure(array.getArray(i), level + 1, lengths, path + "[" + i + "]", where);
    }
    return total;
  }

  /**
   * Appends the leaves of {@code array}, at nesting {@code level} of {@code at.length} levels, in
   * row-major order. {@code at} holds the indices taken above (and is written as it descends), so
   * that a null leaf's message names its place; the text is built only then.
   */
  static void putLeaves(
      ArrayData array,
      int level,
      int[] at,
      NumericType source,
      TensorBuffer out,
      RowContext where,
      String input,
      String column) {
    int n = array.numElements();
    if (level < at.length - 1) {
      for (int i = 0; i < n; i++) {
        at[level] = i;
        putLeaves(array.getArray(i), level + 1, at, source, out, where, input, column);
      }
      return;
    }
    for (int i = 0; i < n; i++) {
      if (array.isNullAt(i)) {
        StringBuilder path = new StringBuilder();
        for (int k = 0; k < level; k++) {
          path.append('[').append(at[k]).append(']');
        }
        path.append('[').append(i).append(']');
        throw OnnxErrors.nullValue(input, column, where.where(), "element at index " + path);
      }
      out.put(array, i, source, where);
    }
  }
}
