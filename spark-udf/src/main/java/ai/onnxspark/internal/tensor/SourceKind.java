package ai.onnxspark.internal.tensor;

/** How the columns behind one model input hold a row's values. */
public enum SourceKind {
  /** One {@code array<numeric>} column, flattened in row-major order. */
  ARRAY,
  /** One or more numeric columns, one value each, assembled in the order given. */
  SCALARS,
  /** One Spark ML vector column (dense or sparse), whose values are doubles. */
  VECTOR,
  /**
   * One column of nested arrays ({@code array<array<float>>} for {@code [batch, seq, dim]}),
   * rectangular within a row, flattened in row-major order.
   */
  NESTED,
  /** One binary column holding the row's tensor as little-endian values of the input's type. */
  BYTES,
  /**
   * One image column: Spark's image data source struct (BGR or BGRA bytes, row-major) or encoded
   * JPEG/PNG bytes, resized and normalised into an NCHW float tensor.
   */
  IMAGE,
  /**
   * One {@code array<array<…>>} column feeding a sequence of 1-D tensors: the inner arrays are the
   * elements, concatenated, their lengths kept for splitting them in the model.
   */
  SEQUENCE,
  /**
   * One string column (two for text pairs) encoded by a Hugging Face tokenizer into one of the
   * inputs it makes: {@code input_ids}, {@code attention_mask} or {@code token_type_ids}.
   */
  TOKENS
}
