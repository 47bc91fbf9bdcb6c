/**
 * The layer on top of the core for SQL and the column function: {@link
 * ai.onnxspark.sql.OnnxFunctions#onnxPredict}, models registered by name for SQL's {@code
 * onnx_predict} ({@link ai.onnxspark.sql.OnnxModels}), and the Catalyst parts (the expression, the
 * batching plan node and its physical operator, the optimizer rule that places it, and the session
 * extension that installs them, {@link ai.onnxspark.sql.OnnxSparkExtensions}; Scala, under {@code
 * src/main/scala}). It builds on {@code ai.onnxspark.internal.plan}; the core never refers to it.
 */
package ai.onnxspark.sql;
