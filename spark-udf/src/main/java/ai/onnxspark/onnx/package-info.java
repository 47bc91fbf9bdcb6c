/**
 * The ONNX model format as protobuf messages, generated from {@code src/main/proto/onnx.proto}: the
 * subset of the ONNX specification this library reads (inspection) and writes (model generation).
 */
package ai.onnxspark.onnx;
