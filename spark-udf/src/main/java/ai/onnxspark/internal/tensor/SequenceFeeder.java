package ai.onnxspark.internal.tensor;

import ai.onnxspark.internal.OnnxErrors;
import ai.onnxspark.model.TensorSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;

/**
 * Feeds a sequence of tensors from one column of nested arrays ({@link SourceKind#SEQUENCE}), one
 * array per element: {@code array<array<…>>} for 1-D elements, one level more per dimension.
 * Appends the row's elements one after the other in row-major order, which is their concatenation
 * along the first dimension, and keeps each element's first dimension, which the batch sends beside
 * the values ({@link InputBinding.Batch#lengthsTensor}) for {@code SplitToSequence} to split them
 * again. The elements of a row are therefore slices of one tensor: each rectangular, and all of the
 * same dimensions after the first ({@link #valuesShape}). A batch holds one row, so the lengths and
 * shape are the last row's.
 */
final class SequenceFeeder implements RowFeeder {
  private static final long[] NONE = new long[0];

  private final TensorSpec spec;
  private final String column;
  private final int ordinal;
  private final NumericType source;

  /** The elements' rank: the column's array levels below the outer one. */
  private final int rank;

  /** The indices of the leaf being read (element, then within it), for messages. */
  private final int[] at;

  /** The elements' declared dims ({@code -1} symbolic), or null when they declare none. */
  private final long[] declared;

  /** The elements' first dimensions of the row last added. */
  private long[] lengths = NONE;

  /** The values' shape of the row last added: the total of the lengths, then the common dims. */
  private long[] valuesShape = {0};

  SequenceFeeder(InputBinding binding) {
    this.spec = binding.spec();
    this.column = binding.column(0);
    this.ordinal = binding.ordinal(0);
    this.source = binding.source();
    this.rank = binding.nestedDepth() - 1;
    this.at = new int[rank + 1];
    this.declared = spec.elementDims();
  }

  @Override
  public void add(InternalRow row, TensorBuffer out, RowContext where) {
    lengths = NONE;
    if (row.isNullAt(ordinal)) {
      throw OnnxErrors.nullValue(spec.name(), column, where.where(), "array (the sequence)");
    }
    ArrayData outer = row.getArray(ordinal);
    int n = outer.numElements();
    long[] sizes = new long[n];
    // Each element's dims as far as its arrays reach (an empty array hides the dims below it).
    List<List<Integer>> shapes = new ArrayList<>(n);
    long total = 0;
    for (int i = 0; i < n; i++) {
      if (outer.isNullAt(i)) {
        throw OnnxErrors.nullValue(
            spec.name(), column, where.where(), "array at index [" + i + "] (element " + i + ")");
      }
      List<Integer> dims = new ArrayList<>();
      total += measure(outer.getArray(i), 0, dims, "[" + i + "]", i, where);
      shapes.add(dims);
      sizes[i] = dims.get(0);
    }
    long[] common = commonDims(shapes, where);
    where.checkLength(total);
    for (int i = 0; i < n; i++) {
      at[0] = i;
      NestedFeeder.putLeaves(outer.getArray(i), 1, at, source, out, where, spec.name(), column);
    }
    long sum = 0;
    for (long s : sizes) {
      sum += s;
    }
    long[] shape = new long[rank];
    shape[0] = sum;
    System.arraycopy(common, 1, shape, 1, rank - 1);
    lengths = sizes;
    valuesShape = shape;
  }

  /**
   * The number of values under element {@code element}'s array at {@code level}, checking that the
   * element is rectangular: arrays at each level have the length the first one at that level had
   * ({@code dims}), and none is null.
   */
  private long measure(
      ArrayData array, int level, List<Integer> dims, String path, int element, RowContext where) {
    int n = array.numElements();
    if (dims.size() <= level) {
      dims.add(n);
    } else if (dims.get(level) != n) {
      throw OnnxErrors.raggedNested(
          spec.name(),
          spec.typeString(),
          column,
          "element "
              + element
              + " is not rectangular: the array at index "
              + path
              + " has "
              + n
              + " elements where the first at its level has "
              + dims.get(level)
              + " (each element of the sequence is one tensor)",
          where.where());
    }
    if (level == rank - 1) {
      return n;
    }
    long total = 0;
    for (int i = 0; i < n; i++) {
      if (array.isNullAt(i)) {
        throw OnnxErrors.nullValue(
            spec.name(), column, where.where(), "array at index " + path + "[" + i + "]");
      }
      total += measure(array.getArray(i), level + 1, dims, path + "[" + i + "]", element, where);
    }
    return total;
  }

  /**
   * The dims the row's elements share after the first: each from the elements whose arrays reach
   * it, which must agree and match the declared dims; where none does (every element empty above
   * it), the declared dim, else 0. The first dim is checked against a fixed declared one.
   */
  private long[] commonDims(List<List<Integer>> shapes, RowContext where) {
    long[] common = new long[rank];
    Arrays.fill(common, -1);
    for (int level = 0; level < rank; level++) {
      for (List<Integer> dims : shapes) {
        if (level >= dims.size()) {
          continue;
        }
        long d = dims.get(level);
        boolean declaredMismatch = declared != null && declared[level] >= 0 && declared[level] != d;
        boolean ragged = level > 0 && common[level] >= 0 && common[level] != d;
        if (declaredMismatch || ragged) {
          throw OnnxErrors.raggedSequence(
              spec.name(),
              spec.typeString(),
              column,
              shapesText(shapes),
              declaredMismatch
                  ? "every element of the shape the model declares, "
                      + InputBinding.shapeText(declared)
                  : "elements that differ in their first dimension only (they are fed as one"
                      + " tensor that SplitToSequence splits along it)",
              where.where());
        }
        if (level > 0) {
          common[level] = d;
        }
      }
      if (common[level] < 0) {
        common[level] = declared != null && declared[level] >= 0 ? declared[level] : 0;
      }
    }
    return common;
  }

  /** The elements' shapes as messages show them, {@code ?} below an empty array. */
  private String shapesText(List<List<Integer>> shapes) {
    List<String> parts = new ArrayList<>();
    for (List<Integer> dims : shapes) {
      List<String> d = new ArrayList<>();
      for (int level = 0; level < rank; level++) {
        d.add(level < dims.size() ? Integer.toString(dims.get(level)) : "?");
      }
      parts.add("[" + String.join(", ", d) + "]");
    }
    return String.join(", ", parts);
  }

  /** The elements' first dimensions of the row last added. */
  long[] lengths() {
    return lengths.clone();
  }

  /**
   * The shape of the values tensor of the row last added: the sum of the elements' first
   * dimensions, then the dims they share.
   */
  long[] valuesShape() {
    return valuesShape.clone();
  }
}
