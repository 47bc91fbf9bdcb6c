package ai.onnxspark.ml;

import java.util.function.Function;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsReader$;
import org.apache.spark.ml.util.DefaultParamsWriter$;
import org.apache.spark.sql.SparkSession;

/**
 * Writes and reads a stage's parameters in Spark ML's own metadata format, so that {@code Pipeline}
 * and {@code PipelineModel} save and load the stage like any other. Spark keeps these helpers
 * package-private to Scala code; Java sees them as public. Since Spark 4.0 they take the session;
 * the same members in every line's folder ({@code src/main/shims/<line>}).
 */
final class MlPersistence {
  private MlPersistence() {}

  /** Writes {@code stage}'s class, uid and parameters to {@code path/metadata}. */
  static void saveMetadata(Params stage, String path, SparkSession spark) {
    DefaultParamsWriter$.MODULE$.saveMetadata(stage, path, spark);
  }

  /**
   * Reads the metadata at {@code path}, checks it was written for {@code className}, creates the
   * stage with its saved uid and sets its saved parameters.
   */
  static <T extends Params> T loadStage(
      String path, SparkSession spark, String className, Function<String, T> create) {
    DefaultParamsReader.Metadata metadata =
        DefaultParamsReader$.MODULE$.loadMetadata(path, spark, className);
    T stage = create.apply(metadata.uid());
    metadata.getAndSetParams(stage, metadata.getAndSetParams$default$2());
    return stage;
  }
}
