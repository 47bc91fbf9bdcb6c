/**
 * Score ONNX models on Apache Spark.
 *
 * <p>Start with {@link ai.onnxspark.spark.OnnxModel}. This package holds what every part of the
 * library shares: the option keys and their defaults ({@link ai.onnxspark.OnnxOptions}) and the one
 * exception type users catch ({@link ai.onnxspark.OnnxException}).
 */
package ai.onnxspark;
