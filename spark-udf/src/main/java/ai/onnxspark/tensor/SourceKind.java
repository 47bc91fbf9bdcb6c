package ai.onnxspark.tensor;

/** How the columns behind one model input hold a row's values. */
public enum SourceKind {
  /** One {@code array<numeric>} column, flattened in row-major order. */
  ARRAY,
  /** One or more numeric columns, one value each, assembled in the order given. */
  SCALARS,
  /** One Spark ML vector column (dense or sparse), whose values are doubles. */
  VECTOR
}
