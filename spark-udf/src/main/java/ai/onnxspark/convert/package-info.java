/**
 * Model conversions made before scoring, in Java, on the model's ONNX protobuf: dynamic int8
 * quantization of MatMul/Gemm weights ({@link ai.onnxspark.convert.Int8Quantization}), float16
 * weights and compute ({@link ai.onnxspark.convert.Float16Conversion}), and ONNX Runtime's graph
 * optimization run once ({@link ai.onnxspark.convert.GraphOptimization}). Each returns new model
 * bytes and leaves the original untouched.
 */
package ai.onnxspark.convert;
