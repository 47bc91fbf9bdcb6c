/**
 * What a model declares, read without starting ONNX Runtime: inputs and outputs with element types
 * and shapes, opsets, producer and metadata ({@link ai.onnxspark.model.ModelInfo}, {@link
 * ai.onnxspark.model.TensorSpec}, {@link ai.onnxspark.model.ElementType}).
 *
 * <p>Nothing here depends on Spark's SQL layer or needs native code.
 */
package ai.onnxspark.model;
