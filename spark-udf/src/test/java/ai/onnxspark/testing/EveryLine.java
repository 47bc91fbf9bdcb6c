package ai.onnxspark.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * A test of the compatibility suite, which runs on every Spark line (Maven profile {@code compat}):
 * it exercises what differs between lines, such as Catalyst and the classic Dataset API under every
 * scoring API, executors and broadcasts, Spark Connect, Delta, {@code spark-submit}, and the guard
 * of the ONNX Runtime pin. The default line runs every test.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag(EveryLine.TAG)
public @interface EveryLine {
  /** The JUnit tag profile {@code compat} selects. */
  String TAG = "every-line";
}
