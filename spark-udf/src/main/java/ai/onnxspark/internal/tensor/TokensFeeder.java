package ai.onnxspark.internal.tensor;

import ai.onnxspark.OnnxException;
import ai.onnxspark.internal.OnnxErrors;
import ai.onnxspark.internal.text.TextTokenizer;
import ai.onnxspark.internal.text.TokenSpans;
import ai.onnxspark.model.ElementType;
import java.util.Arrays;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * Feeds one of the inputs a tokenizer makes ({@link SourceKind#TOKENS}: {@code input_ids}, {@code
 * attention_mask} or {@code token_type_ids}) from a string column, or two for text pairs. The
 * feeders of one row's two or three inputs run one after the other on the task's thread, so each
 * thread remembers the last text it encoded and every row is tokenized once.
 */
final class TokensFeeder implements RowFeeder {
  /** The last text encoded on this thread, and its encoding. */
  private static final ThreadLocal<Memo> LAST = ThreadLocal.withInitial(Memo::new);

  private final InputBinding binding;
  private final TextTokenizer tokenizer;
  private final int field;
  private final int textOrdinal;
  private final int pairOrdinal;
  private final boolean int32;

  /**
   * Whether this feeder keeps each row's tokens in its batch ({@link InputBinding#keepsTokens}).
   */
  private final boolean keepsTokens;

  /** Rows of a fixed length (the model's sequence dimension), or -1 for a variable one. */
  private final int fixedLength;

  private final long pad;

  /** Where texts are truncated: the fixed length, or the tokenizer's own (-1). */
  private final int truncateAt;

  TokensFeeder(InputBinding binding) {
    this.binding = binding;
    this.tokenizer = binding.tokenizer();
    this.field = binding.tokenField().ordinal();
    this.textOrdinal = binding.ordinal(0);
    this.pairOrdinal = binding.columnCount() > 1 ? binding.ordinal(1) : -1;
    this.int32 = binding.spec().elementType() == ElementType.INT32;
    this.keepsTokens = binding.keepsTokens();
    long[] dims = binding.rowDims();
    this.fixedLength = dims[0] >= 0 ? (int) dims[0] : -1;
    this.pad = binding.tokenField().padOf(tokenizer);
    this.truncateAt =
        fixedLength < 0
            ? -1
            : tokenizer.maxLength() > 0
                ? Math.min(fixedLength, tokenizer.maxLength())
                : fixedLength;
  }

  @Override
  public void add(InternalRow row, TensorBuffer out, RowContext where) {
    UTF8String text = text(row, textOrdinal, 0, where);
    UTF8String pair = pairOrdinal < 0 ? null : text(row, pairOrdinal, 1, where);
    Memo memo = LAST.get();
    long[] values =
        memo.encode(tokenizer, truncateAt, text, pair, keepsTokens, binding, where)[field];
    if (keepsTokens) {
      where.keepTokens(memo.spans);
    }
    int n = values.length;
    if (fixedLength >= 0 && n != fixedLength) {
      long[] padded = Arrays.copyOf(values, fixedLength);
      if (n < fixedLength) {
        Arrays.fill(padded, n, fixedLength, pad);
      }
      values = padded;
      n = fixedLength;
    }
    where.checkLength(n);
    if (int32) {
      int[] ints = new int[n];
      for (int i = 0; i < n; i++) {
        ints[i] = (int) values[i];
      }
      out.putAll(ints, n);
    } else {
      out.putAll(values, n);
    }
  }

  private UTF8String text(InternalRow row, int ordinal, int column, RowContext where) {
    if (row.isNullAt(ordinal)) {
      throw OnnxErrors.nullValue(
          binding.inputName(), binding.column(column), where.where(), "string (text to tokenize)");
    }
    return row.getUTF8String(ordinal);
  }

  /** One thread's last encoding. */
  private static final class Memo {
    private TextTokenizer tokenizer;
    private int maxLength;
    private UTF8String text;
    private UTF8String pair;
    private long[][] encoded;

    /** The tokens of {@link #encoded}, when asked; else null. */
    private TokenSpans spans;

    long[][] encode(
        TextTokenizer tok,
        int maxLength,
        UTF8String text,
        UTF8String pair,
        boolean withSpans,
        InputBinding binding,
        RowContext where) {
      if (encoded != null
          && (spans != null || !withSpans)
          && tok.equals(tokenizer)
          && maxLength == this.maxLength
          && text.equals(this.text)
          && (pair == null ? this.pair == null : pair.equals(this.pair))) {
        return encoded;
      }
      long[][] result;
      TokenSpans[] kept = withSpans ? new TokenSpans[1] : null;
      try {
        result =
            tok.encode(text.toString(), pair == null ? null : pair.toString(), maxLength, kept);
      } catch (OnnxException e) {
        throw e;
      } catch (RuntimeException e) {
        throw new OnnxException(
            OnnxException.ErrorClass.ROW_INPUT,
            "Model input '"
                + binding.inputName()
                + "': the "
                + tok
                + " could not encode column '"
                + binding.column(0)
                + "' at "
                + where.where()
                + ": "
                + e.getMessage(),
            e);
      }
      // Rows of UnsafeRow point into reused buffers: keep copies.
      this.tokenizer = tok;
      this.maxLength = maxLength;
      this.text = text.clone();
      this.pair = pair == null ? null : pair.clone();
      this.encoded = result;
      this.spans = kept == null ? null : kept[0];
      return result;
    }
  }
}
