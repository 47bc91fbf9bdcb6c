package ai.onnxspark.spark;

import ai.onnxspark.model.ModelInfo;
import ai.onnxspark.session.DeviceSpec;
import ai.onnxspark.session.SessionOptionsSpec;
import ai.onnxspark.tensor.InputBinding;
import ai.onnxspark.tensor.OutputBinding;
import java.io.Serializable;
import java.util.List;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.types.StructType;

/**
 * A model as executors see it, resolved on the driver: the broadcast of its bytes, its fingerprint
 * and description, and the scoring options (batch size, session options, cache size) after per-call
 * values, Spark conf and defaults were applied. Every scorer of the model is made from it.
 *
 * <p>Immutable, serializable and small: it holds the broadcast handle, never the bytes.
 */
public final class ModelHandle implements Serializable {
  private static final long serialVersionUID = 1L;

  private final Broadcast<BroadcastModel> model;
  private final String fingerprint;
  private final String description;
  private final ModelInfo info;
  private final int batchSize;
  private final SessionOptionsSpec options;
  private final int maxSessions;
  private final DeviceSpec device;
  private final long batchTimeoutMs;
  private final String nativeDir;
  private final Double gpusPerTask;

  ModelHandle(
      Broadcast<BroadcastModel> model,
      String fingerprint,
      String description,
      ModelInfo info,
      int batchSize,
      SessionOptionsSpec options,
      int maxSessions,
      DeviceSpec device,
      long batchTimeoutMs,
      String nativeDir,
      Double gpusPerTask) {
    this.model = model;
    this.fingerprint = fingerprint;
    this.description = description;
    this.info = info;
    this.batchSize = batchSize;
    this.options = options;
    this.maxSessions = maxSessions;
    this.device = device;
    this.batchTimeoutMs = batchTimeoutMs;
    this.nativeDir = nativeDir;
    this.gpusPerTask = gpusPerTask;
  }

  /**
   * GPUs per task of the scoring stage's own resource profile ({@code OnnxModel.withGpuStage}), or
   * null to score in the stage's default profile.
   */
  public Double gpusPerTask() {
    return gpusPerTask;
  }

  /**
   * The resource profile of the scoring stage when {@link #gpusPerTask} is set.
   *
   * @throws ai.onnxspark.OnnxException when the cluster cannot schedule stages with their own
   *     profile
   */
  public org.apache.spark.resource.ResourceProfile gpuStage(org.apache.spark.SparkContext sc) {
    return GpuStage.profile(sc, gpusPerTask);
  }

  /** The node-local folder for ONNX Runtime's natives ({@code spark.onnx.native.dir}), or null. */
  String nativeDir() {
    return nativeDir;
  }

  /** Longest time one ONNX Runtime call may take, in milliseconds; 0 for no limit. */
  public long batchTimeoutMs() {
    return batchTimeoutMs;
  }

  /** Where sessions run, before each task resolves it against its resources. */
  public DeviceSpec device() {
    return device;
  }

  /** What the model declares. */
  public ModelInfo info() {
    return info;
  }

  /** The model's SHA-256. */
  public String fingerprint() {
    return fingerprint;
  }

  /** How logs and errors name the model: its source and short fingerprint. */
  public String description() {
    return description;
  }

  /** Rows per ONNX Runtime call. */
  public int batchSize() {
    return batchSize;
  }

  /**
   * A scorer for rows of some schema.
   *
   * @param outputSchema the schema of the rows it returns: the input row's fields, then one per
   *     output binding
   * @param metrics counters to add to, or null to count nothing
   * @param permissive whether rows that cannot be scored get null outputs and their error in a last
   *     column of {@code outputSchema}, instead of failing the task
   */
  public PartitionScorer scorer(
      List<InputBinding> inputs,
      List<OutputBinding> outputs,
      StructType outputSchema,
      ScoringMetrics metrics,
      boolean permissive) {
    return new PartitionScorer(this, inputs, outputs, outputSchema, metrics, permissive);
  }

  Broadcast<BroadcastModel> broadcast() {
    return model;
  }

  SessionOptionsSpec options() {
    return options;
  }

  int maxSessions() {
    return maxSessions;
  }
}
