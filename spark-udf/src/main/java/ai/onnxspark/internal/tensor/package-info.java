/**
 * Moving data between Spark rows and ONNX Runtime tensors: filling native-order direct buffers from
 * a batch of rows ({@link ai.onnxspark.internal.tensor.InputBinding}, whose batches read rows with
 * one feeder per source kind into a {@code TensorBuffer}, the only owner of native addresses) and
 * splitting output tensors back into per-row values ({@link
 * ai.onnxspark.internal.tensor.OutputBinding}).
 */
package ai.onnxspark.internal.tensor;
