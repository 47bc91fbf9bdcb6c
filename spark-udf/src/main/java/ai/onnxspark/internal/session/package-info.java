/**
 * ONNX Runtime sessions on executors: the options a session is built with ({@link
 * ai.onnxspark.internal.session.SessionOptionsSpec}), and the executor-wide cache that keeps one
 * session per model, options and device, shared by all tasks of the JVM ({@link
 * ai.onnxspark.internal.session.SessionCache}).
 */
package ai.onnxspark.internal.session;
