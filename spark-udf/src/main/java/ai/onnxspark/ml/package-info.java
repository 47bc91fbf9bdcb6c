/**
 * The Spark ML pipeline stage: {@link ai.onnxspark.ml.OnnxTransformer} scores a DataFrame with an
 * ONNX model inside a {@code Pipeline}, and is saved and loaded with the model bytes beside its
 * parameters.
 */
package ai.onnxspark.ml;
