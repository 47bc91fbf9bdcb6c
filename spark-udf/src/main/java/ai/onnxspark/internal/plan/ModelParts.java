package ai.onnxspark.internal.plan;

import ai.onnxspark.internal.model.ModelSource;
import ai.onnxspark.model.ModelInfo;
import ai.onnxspark.spark.OnnxModel;
import java.util.function.Function;

/**
 * What an {@link OnnxModel} holds (its source, description, spec), for the layers built on it (the
 * SQL functions, the ML stage) without making those parts public API. {@code OnnxModel} installs
 * the accessor when its class is initialised, which has happened once any instance exists.
 */
public record ModelParts(ModelSource bytes, ModelInfo info, ScoringSpec spec) {
  private static volatile Function<OnnxModel, ModelParts> access;

  /** Called once, by {@code OnnxModel}'s class initialiser. */
  public static void install(Function<OnnxModel, ModelParts> accessor) {
    if (access != null) {
      throw new IllegalStateException("ModelParts is installed by OnnxModel only");
    }
    access = accessor;
  }

  /** The parts of {@code model}. */
  public static ModelParts of(OnnxModel model) {
    return access.apply(model);
  }
}
