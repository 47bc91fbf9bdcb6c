/**
 * Score ONNX models on Apache Spark.
 *
 * <p>The public API, and all of it:
 *
 * <ul>
 *   <li>{@link ai.onnxspark.spark.OnnxModel}: the model, its column mapping and options, {@code
 *       transform}, the function for users' own {@code mapPartitions}, and the conversions (int8,
 *       float16, optimized, cut); {@link ai.onnxspark.spark.ScoringMetrics} for counters.
 *   <li>{@link ai.onnxspark.sql.OnnxFunctions#onnxPredict} (the column function), {@link
 *       ai.onnxspark.sql.OnnxModels} (models by name for SQL's {@code onnx_predict}) and {@link
 *       ai.onnxspark.sql.OnnxSparkExtensions} (installs it through {@code spark.sql.extensions}).
 *   <li>{@link ai.onnxspark.ml.OnnxTransformer}, the Spark ML stage.
 *   <li>{@link ai.onnxspark.model.ModelInfo} for inspection; {@link
 *       ai.onnxspark.convert.Int8Quantization} and {@link ai.onnxspark.convert.Float16Conversion}
 *       for conversions.
 *   <li>This package: the options ({@link ai.onnxspark.OnnxOptions}, each declared as an {@link
 *       ai.onnxspark.OnnxOption}) and the exception users catch ({@link
 *       ai.onnxspark.OnnxException}, with its {@link ai.onnxspark.OnnxException.ErrorClass}).
 * </ul>
 *
 * <p>Everything under {@code ai.onnxspark.internal} is the implementation: public only so that the
 * library's own packages can share it, with no promise to users.
 */
package ai.onnxspark;
