package ai.onnxspark.internal.text;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxspark.testing.TestTokenizers;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The JVM's native tokenizers: bounded, least recently used closed, never one in use. */
class TokenizersTest {
  private static final String TEXT =
      "what is it? the film is not very good, and the plot is boring.";

  @Test
  void atMostMaxTokenizersAreKeptAndAnEvictedOneIsMadeAgainOnUse() {
    TextTokenizer tokenizer =
        TextTokenizer.of("wordpiece", TestTokenizers.wordPieceJson(), 0, null);
    long[] full = tokenizer.encode(TEXT, null, 0)[0];
    int lengths = Tokenizers.MAX_TOKENIZERS + 5;
    for (int length = 3; length < 3 + lengths; length++) {
      long[] ids = tokenizer.encode(TEXT, null, length)[0];
      assertThat(ids).hasSize(Math.min(length, full.length));
      assertThat(Tokenizers.cached()).isLessThanOrEqualTo(Tokenizers.MAX_TOKENIZERS);
    }
    assertThat(Tokenizers.cached()).isEqualTo(Tokenizers.MAX_TOKENIZERS);
    // Length 3 was evicted long ago: made again, same ids.
    assertThat(tokenizer.encode(TEXT, null, 3)[0])
        .containsExactly(full[0], full[1], full[full.length - 1]);
  }

  @Test
  void evictionWhileOtherThreadsEncodeNeverClosesATokenizerInUse() throws Exception {
    TextTokenizer tokenizer =
        TextTokenizer.of("wordpiece", TestTokenizers.wordPieceJson(), 0, null);
    long[] full = tokenizer.encode(TEXT, null, 0)[0];
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> running = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int offset = t;
        running.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 400; i++) {
                    // 40 lengths over 4 threads: tokenizers are evicted all the time.
                    int length = 3 + (i * 7 + offset) % 40;
                    long[] ids = tokenizer.encode(TEXT, null, length)[0];
                    assertThat(ids).hasSize(Math.min(length, full.length));
                    assertThat(ids[1]).isEqualTo(full[1]);
                  }
                  return null;
                }));
      }
      for (Future<?> f : running) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(Tokenizers.cached()).isLessThanOrEqualTo(Tokenizers.MAX_TOKENIZERS);
  }
}
