package ai.onnxspark.internal.text;

import ai.djl.huggingface.tokenizers.jni.CharSpan;

/**
 * One encoded text's tokens, position by position as the model sees them: each token's string, its
 * span in the text and whether the tokenizer added it ({@code [CLS]}, {@code [SEP]}, {@code <s>}).
 * Spans are in UTF-16 code units of the Java string (what {@link String#substring(int, int)}
 * takes), {@code start} inclusive, {@code end} exclusive; a token with no span (an added token) has
 * -1 for both.
 */
public final class TokenSpans {
  private final String[] tokens;
  private final int[] starts;
  private final int[] ends;
  private final boolean[] special;

  TokenSpans(String[] tokens, int[] starts, int[] ends, boolean[] special) {
    this.tokens = tokens;
    this.starts = starts;
    this.ends = ends;
    this.special = special;
  }

  /**
   * The spans of {@code text}'s tokens from the native encoding's: those count Unicode code points,
   * converted here to UTF-16 code units (they differ past a character outside the BMP, an emoji).
   */
  static TokenSpans of(String text, String[] tokens, CharSpan[] spans, long[] specialMask) {
    int n = tokens.length;
    int[] starts = new int[n];
    int[] ends = new int[n];
    boolean[] special = new boolean[n];
    int[] units = codeUnitOffsets(text);
    for (int i = 0; i < n; i++) {
      CharSpan span = i < spans.length ? spans[i] : null;
      special[i] = i < specialMask.length && specialMask[i] != 0;
      if (span == null || span.getStart() < 0) {
        starts[i] = -1;
        ends[i] = -1;
      } else {
        starts[i] = unit(units, span.getStart(), text.length());
        ends[i] = unit(units, span.getEnd(), text.length());
      }
    }
    return new TokenSpans(tokens, starts, ends, special);
  }

  /** Per code point index, its UTF-16 offset; null when the text has no surrogate pair. */
  private static int[] codeUnitOffsets(String text) {
    int points = text.codePointCount(0, text.length());
    if (points == text.length()) {
      return null;
    }
    int[] units = new int[points + 1];
    int at = 0;
    for (int p = 0; p < points; p++) {
      units[p] = at;
      at += Character.charCount(text.codePointAt(at));
    }
    units[points] = at;
    return units;
  }

  private static int unit(int[] units, int codePoint, int length) {
    if (units == null) {
      return Math.min(codePoint, length);
    }
    return units[Math.min(codePoint, units.length - 1)];
  }

  /** How many tokens the encoding has, special ones included. */
  public int size() {
    return tokens.length;
  }

  public String token(int i) {
    return tokens[i];
  }

  /** Token {@code i}'s first UTF-16 code unit in the text, or -1. */
  public int start(int i) {
    return starts[i];
  }

  /** One past token {@code i}'s last UTF-16 code unit in the text, or -1. */
  public int end(int i) {
    return ends[i];
  }

  /** Whether the tokenizer added token {@code i} rather than read it from the text. */
  public boolean special(int i) {
    return special[i];
  }
}
