/**
 * The Spark API: {@link ai.onnxspark.spark.OnnxModel} maps DataFrame columns to model inputs and
 * model outputs to new columns, ships the model to executors by broadcast and scores each partition
 * in batches.
 */
package ai.onnxspark.spark;
