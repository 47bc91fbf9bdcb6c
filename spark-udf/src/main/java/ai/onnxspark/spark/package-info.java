/**
 * The Spark API of the core: {@link ai.onnxspark.spark.OnnxModel} maps DataFrame columns to model
 * inputs and model outputs to new columns and scores DataFrames ({@code transform}) or users' own
 * partitions ({@link ai.onnxspark.spark.OnnxPartitionFunction}); {@link
 * ai.onnxspark.spark.ScoringMetrics} counts what ran. Scoring itself is planned in {@code
 * ai.onnxspark.internal.plan}.
 */
package ai.onnxspark.spark;
