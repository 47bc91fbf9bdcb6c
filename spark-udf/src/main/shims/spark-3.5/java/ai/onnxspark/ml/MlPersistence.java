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
 * package-private to Scala code; Java sees them as public. Spark 3.5's take the session's {@code
 * SparkContext}; the same members in every line's folder ({@code src/main/shims/<line>}).
 */
final class MlPersistence {
  private MlPersistence() {}

  /** Writes {@code stage}'s class, uid and parameters to {@code path/metadata}. */
  static void saveMetadata(Params stage, String path, SparkSession spark) {
    DefaultParamsWriter$ writer = DefaultParamsWriter$.MODULE$;
    writer.saveMetadata(
        stage,
        path,
        spark.sparkContext(),
        writer.saveMetadata$default$4(),
        writer.saveMetadata$default$5());
  }

  /**
   * Reads the metadata at {@code path}, checks it was written for {@code className}, creates the
   * stage with its saved uid and sets its saved parameters.
   */
  static <T extends Params> T loadStage(
      String path, SparkSession spark, String className, Function<String, T> create) {
    DefaultParamsReader.Metadata metadata =
        DefaultParamsReader$.MODULE$.loadMetadata(path, spark.sparkContext(), className);
    T stage = create.apply(metadata.uid());
    metadata.getAndSetParams(stage, metadata.getAndSetParams$default$2());
    return stage;
  }
}
