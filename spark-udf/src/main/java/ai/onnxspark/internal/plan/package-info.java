/**
 * The one scoring plan behind every API. A {@link ai.onnxspark.internal.plan.ScoringSpec} (what the
 * user asked: column mapping, pre- and post-processing, per-call options, all as option keys) goes
 * through the {@link ai.onnxspark.internal.plan.ScoringPlanner}, which resolves the options ({@link
 * ai.onnxspark.internal.plan.ResolvedOptions}: per call, then {@code spark.onnx.*}, then defaults),
 * binds columns to inputs and outputs to columns, and returns what executors run: a {@link
 * ai.onnxspark.internal.plan.PartitionScorer} for {@code transform} and {@code mapPartitions}, or a
 * {@link ai.onnxspark.internal.plan.PredictFunction} for the column function. Both carry a {@link
 * ai.onnxspark.internal.plan.ModelHandle}: the model's broadcast (made when the scoring runs,
 * released by {@code OnnxModel.unpersist}) and its resolved options.
 *
 * <p>The Spark internals {@code transform} needs (classic Datasets, columnar scans) sit in {@link
 * ai.onnxspark.internal.plan.TransformScoring} and {@link
 * ai.onnxspark.internal.plan.ColumnarScans}.
 */
package ai.onnxspark.internal.plan;
