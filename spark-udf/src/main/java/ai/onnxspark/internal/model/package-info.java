/**
 * A model's bytes, read from a local path or any Hadoop FileSystem URI, with their fingerprint
 * ({@link ai.onnxspark.internal.model.ModelBytes}). No Spark SQL, no native code.
 */
package ai.onnxspark.internal.model;
