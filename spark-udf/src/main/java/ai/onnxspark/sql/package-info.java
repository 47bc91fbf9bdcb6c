/**
 * The Catalyst side of {@code onnx_predict}: the expression, the batching plan node and its
 * physical operator, the optimizer rule that places it, and the session extension that installs
 * them ({@link ai.onnxspark.sql.OnnxSparkExtensions}). Mostly Scala, under {@code src/main/scala}.
 */
package ai.onnxspark.sql;
