package ai.onnxspark.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Small Hugging Face tokenizer files made in code, so that tests need no download: a BERT-style
 * WordPiece tokenizer (about 50 tokens, lowercasing BERT normalizer, BERT pre-tokenizer, [CLS] A
 * [SEP] B [SEP] template) and a GPT-2/RoBERTa-style byte-level BPE one (the 256 byte symbols, a few
 * merges, {@code <s> A </s></s> B </s>} template, pad token {@code <pad>} = 257).
 */
public final class TestTokenizers {
  private TestTokenizers() {}

  /** The WordPiece vocabulary, in id order: [PAD]=0, [UNK]=1, [CLS]=2, [SEP]=3, then words. */
  public static final List<String> WORDPIECE_VOCAB =
      List.of(
          "[PAD]",
          "[UNK]",
          "[CLS]",
          "[SEP]",
          "the",
          "a",
          "is",
          "movie",
          "film",
          "great",
          "bad",
          "good",
          "not",
          "very",
          "i",
          "it",
          "was",
          "this",
          "and",
          "love",
          "hate",
          "story",
          "plot",
          "actor",
          "##s",
          "##ing",
          "##ed",
          "##ly",
          "play",
          "act",
          ".",
          ",",
          "!",
          "?",
          "中",
          "文",
          "fun",
          "boring",
          "bore",
          "##d",
          "hello",
          "world",
          "cafe",
          "un",
          "##believ",
          "##able",
          "what",
          "who",
          "in",
          "of");

  /** The id of {@code token} in {@link #WORDPIECE_VOCAB}. */
  public static long wordPieceId(String token) {
    return WORDPIECE_VOCAB.indexOf(token);
  }

  /** The WordPiece tokenizer.json's text. */
  public static String wordPieceJson() {
    StringBuilder vocab = new StringBuilder();
    for (int i = 0; i < WORDPIECE_VOCAB.size(); i++) {
      vocab.append(i == 0 ? "" : ",").append(quote(WORDPIECE_VOCAB.get(i))).append(':').append(i);
    }
    StringBuilder added = new StringBuilder();
    for (int i = 0; i < 4; i++) {
      added
          .append(i == 0 ? "" : ",")
          .append("{\"id\":")
          .append(i)
          .append(",\"content\":")
          .append(quote(WORDPIECE_VOCAB.get(i)))
          .append(
              ",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,"
                  + "\"special\":true}");
    }
    return "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,"
        + "\"added_tokens\":["
        + added
        + "],"
        + "\"normalizer\":{\"type\":\"BertNormalizer\",\"clean_text\":true,"
        + "\"handle_chinese_chars\":true,\"strip_accents\":null,\"lowercase\":true},"
        + "\"pre_tokenizer\":{\"type\":\"BertPreTokenizer\"},"
        + "\"post_processor\":"
        + template("[CLS]", 2, "[SEP]", 3, "[SEP]", 1)
        + ","
        + "\"decoder\":{\"type\":\"WordPiece\",\"prefix\":\"##\",\"cleanup\":true},"
        + "\"model\":{\"type\":\"WordPiece\",\"unk_token\":\"[UNK]\","
        + "\"continuing_subword_prefix\":\"##\",\"max_input_chars_per_word\":100,"
        + "\"vocab\":{"
        + vocab
        + "}}}";
  }

  /** Special token ids of the byte-level BPE tokenizer. */
  public static final long BPE_BOS = 256;

  public static final long BPE_PAD = 257;
  public static final long BPE_EOS = 258;

  /** The byte-level BPE tokenizer.json's text. */
  public static String byteLevelBpeJson() {
    Map<String, Long> vocab = new LinkedHashMap<>();
    List<String> symbols = byteSymbols();
    for (int b = 0; b < 256; b++) {
      vocab.put(symbols.get(b), (long) b);
    }
    vocab.put("<s>", BPE_BOS);
    vocab.put("<pad>", BPE_PAD);
    vocab.put("</s>", BPE_EOS);
    List<String> merges = List.of("h e", "l l", "Ġ t", "Ġt he", "o r", "w or", "e ll");
    long next = 259;
    for (String merge : merges) {
      vocab.put(merge.replace(" ", ""), next++);
    }
    StringBuilder v = new StringBuilder();
    vocab.forEach(
        (k, id) -> v.append(v.length() == 0 ? "" : ",").append(quote(k)).append(':').append(id));
    StringBuilder m = new StringBuilder();
    merges.forEach(x -> m.append(m.length() == 0 ? "" : ",").append(quote(x)));
    StringBuilder added = new StringBuilder();
    for (String special : List.of("<s>", "<pad>", "</s>")) {
      added
          .append(added.length() == 0 ? "" : ",")
          .append("{\"id\":")
          .append(vocab.get(special))
          .append(",\"content\":")
          .append(quote(special))
          .append(
              ",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,"
                  + "\"special\":true}");
    }
    return "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,"
        + "\"added_tokens\":["
        + added
        + "],"
        + "\"normalizer\":null,"
        + "\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false,"
        + "\"trim_offsets\":true,\"use_regex\":true},"
        + "\"post_processor\":"
        + roberta()
        + ","
        + "\"decoder\":{\"type\":\"ByteLevel\",\"add_prefix_space\":true,\"trim_offsets\":true,"
        + "\"use_regex\":true},"
        + "\"model\":{\"type\":\"BPE\",\"dropout\":null,\"unk_token\":null,"
        + "\"continuing_subword_prefix\":null,\"end_of_word_suffix\":null,\"fuse_unk\":false,"
        + "\"byte_fallback\":false,\"vocab\":{"
        + v
        + "},\"merges\":["
        + m
        + "]}}";
  }

  /** GPT-2's printable stand-ins for the 256 byte values (bytes_to_unicode), in byte order. */
  public static List<String> byteSymbols() {
    List<Integer> printable = new ArrayList<>();
    for (int b = '!'; b <= '~'; b++) {
      printable.add(b);
    }
    for (int b = 0xA1; b <= 0xAC; b++) {
      printable.add(b);
    }
    for (int b = 0xAE; b <= 0xFF; b++) {
      printable.add(b);
    }
    String[] symbols = new String[256];
    int extra = 0;
    for (int b = 0; b < 256; b++) {
      symbols[b] =
          printable.contains(b)
              ? new String(Character.toChars(b))
              : new String(Character.toChars(256 + extra++));
    }
    return List.of(symbols);
  }

  /** Writes {@code json} to {@code file} and returns its path. */
  public static Path write(Path file, String json) {
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, json, StandardCharsets.UTF_8);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String template(String cls, long clsId, String sep, long sepId, String b, int bt) {
    return "{\"type\":\"TemplateProcessing\","
        + "\"single\":[{\"SpecialToken\":{\"id\":\""
        + cls
        + "\",\"type_id\":0}},{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},"
        + "{\"SpecialToken\":{\"id\":\""
        + sep
        + "\",\"type_id\":0}}],"
        + "\"pair\":[{\"SpecialToken\":{\"id\":\""
        + cls
        + "\",\"type_id\":0}},{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},"
        + "{\"SpecialToken\":{\"id\":\""
        + sep
        + "\",\"type_id\":0}},{\"Sequence\":{\"id\":\"B\",\"type_id\":"
        + bt
        + "}},{\"SpecialToken\":{\"id\":\""
        + b
        + "\",\"type_id\":"
        + bt
        + "}}],"
        + "\"special_tokens\":{"
        + special(cls, clsId)
        + ","
        + special(sep, sepId)
        + "}}";
  }

  private static String roberta() {
    return "{\"type\":\"TemplateProcessing\","
        + "\"single\":[{\"SpecialToken\":{\"id\":\"<s>\",\"type_id\":0}},"
        + "{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},"
        + "{\"SpecialToken\":{\"id\":\"</s>\",\"type_id\":0}}],"
        + "\"pair\":[{\"SpecialToken\":{\"id\":\"<s>\",\"type_id\":0}},"
        + "{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},"
        + "{\"SpecialToken\":{\"id\":\"</s>\",\"type_id\":0}},"
        + "{\"SpecialToken\":{\"id\":\"</s>\",\"type_id\":0}},"
        + "{\"Sequence\":{\"id\":\"B\",\"type_id\":0}},"
        + "{\"SpecialToken\":{\"id\":\"</s>\",\"type_id\":0}}],"
        + "\"special_tokens\":{"
        + special("<s>", BPE_BOS)
        + ","
        + special("</s>", BPE_EOS)
        + "}}";
  }

  private static String special(String token, long id) {
    return quote(token)
        + ":{\"id\":"
        + quote(token)
        + ",\"ids\":["
        + id
        + "],\"tokens\":["
        + quote(token)
        + "]}";
  }

  private static String quote(String s) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20 || c > 0x7e) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.append('"').toString();
  }
}
