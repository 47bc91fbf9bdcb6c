/**
 * The implementation behind the public API, with no promise to users: the one factory of
 * user-facing errors ({@link ai.onnxspark.internal.OnnxErrors}) here, and below it the scoring plan
 * ({@code plan}), model bytes ({@code model}), tensors ({@code tensor}) and sessions ({@code
 * session}). The layers point down: {@code plan} uses {@code tensor} and {@code session}; nothing
 * here uses the Catalyst layer ({@code ai.onnxspark.sql}) or the ML stage.
 */
package ai.onnxspark.internal;
