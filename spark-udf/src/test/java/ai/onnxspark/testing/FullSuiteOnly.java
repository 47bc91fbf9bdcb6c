package ai.onnxspark.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * A slow test that the full suite runs (the default Spark line) and the per-line compatibility
 * suite leaves out (Maven profile {@code compat}, which the README's test command adds for every
 * other Spark line): its subject is the same on every line, or a faster test checks that subject on
 * every line. Each use says which.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag(FullSuiteOnly.TAG)
public @interface FullSuiteOnly {
  /** The JUnit tag, excluded by profile {@code compat}. */
  String TAG = "full-suite-only";
}
