/**
 * ONNX models as bytes and as descriptions: reading a model from a local path or any Hadoop
 * FileSystem URI ({@link ai.onnxspark.model.ModelBytes}), and inspecting its inputs, outputs,
 * opsets and metadata without starting ONNX Runtime ({@link ai.onnxspark.model.ModelInfo}).
 *
 * <p>Nothing here depends on Spark's SQL layer or needs native code.
 */
package ai.onnxspark.model;
