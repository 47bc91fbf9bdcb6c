/**
 * Programs for spark-submit and the launcher scripts in {@code jobs/bin}: scoring a table ({@link
 * ai.onnxspark.jobs.ScoreJob}), writing sample data ({@link ai.onnxspark.jobs.SampleData}) and
 * measuring the library against raw ONNX Runtime ({@link ai.onnxspark.jobs.Benchmark}).
 */
package ai.onnxspark.jobs;
