package ai.onnxspark.internal.plan;

import ai.onnxspark.internal.model.ModelFiles;
import ai.onnxspark.internal.model.ModelSource;
import ai.onnxspark.internal.model.OptionalOutputs;
import ai.onnxspark.internal.model.SequenceInputs;
import ai.onnxspark.internal.session.DeviceSpec;
import ai.onnxspark.internal.session.SessionOptionsSpec;
import ai.onnxspark.internal.tensor.InputBinding;
import ai.onnxspark.internal.tensor.OutputBinding;
import ai.onnxspark.model.ModelInfo;
import ai.onnxspark.spark.ScoringMetrics;
import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.spark.SparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.types.StructType;

/**
 * A model as executors see it, resolved on the driver: its fingerprint and description, its
 * resolved options, and, once the scoring is about to run, the broadcast of its bytes ({@link
 * #broadcastIn}). Every scorer of the model is made from it.
 *
 * <p>Immutable and serializable; what travels is the broadcast handle, never the bytes. Two handles
 * are equal when they score the same model with the same options, broadcast or not.
 */
public final class ModelHandle implements Serializable {
  private static final long serialVersionUID = 1L;

  private final transient ModelSource source;
  private final Broadcast<BroadcastModel> model;
  private final String fingerprint;
  private final String description;
  private final ModelInfo info;
  private final ResolvedOptions options;
  private final boolean byPath;

  /**
   * Per optional output the model was rewritten for, the outputs that stand for it; empty when the
   * model is scored as given.
   */
  private final Map<String, OptionalOutputs.Names> optionalOutputs;

  /**
   * Per sequence input the model was rewritten for, the tensor inputs that stand for it; empty when
   * the model has none.
   */
  private final Map<String, SequenceInputs.Names> sequenceInputs;

  private ModelHandle(
      ModelSource source,
      Broadcast<BroadcastModel> model,
      ModelInfo info,
      ResolvedOptions options,
      Map<String, OptionalOutputs.Names> optionalOutputs,
      Map<String, SequenceInputs.Names> sequenceInputs) {
    this.source = source;
    this.optionalOutputs = Map.copyOf(optionalOutputs);
    this.sequenceInputs = Map.copyOf(sequenceInputs);
    this.model = model;
    this.fingerprint = source.fingerprint();
    this.byPath = source instanceof ModelFiles;
    this.description =
        source.source()
            + " ("
            + (byPath ? "by path, id " : "sha256 ")
            + source.shortFingerprint()
            + ")";
    this.info = info;
    this.options = options;
  }

  /**
   * A handle of {@code source} (as it is to be shipped) with {@code options}, not broadcast yet.
   */
  public static ModelHandle of(ModelSource source, ModelInfo info, ResolvedOptions options) {
    return of(source, info, options, Map.of(), Map.of());
  }

  /**
   * As {@link #of(ModelSource, ModelInfo, ResolvedOptions)}, for {@code source} rewritten so that
   * each optional output of {@code optionalOutputs} is read from the outputs it names ({@link
   * OptionalOutputs}), and each sequence input of {@code sequenceInputs} is fed through the tensor
   * inputs it names ({@link SequenceInputs}); {@code info} stays what the user's model declares.
   */
  public static ModelHandle of(
      ModelSource source,
      ModelInfo info,
      ResolvedOptions options,
      Map<String, OptionalOutputs.Names> optionalOutputs,
      Map<String, SequenceInputs.Names> sequenceInputs) {
    return new ModelHandle(source, null, info, options, optionalOutputs, sequenceInputs);
  }

  /**
   * Per optional output the model was rewritten for, the value and presence outputs that stand for
   * it; empty when the model runs as the user gave it.
   */
  public Map<String, OptionalOutputs.Names> optionalOutputs() {
    return optionalOutputs;
  }

  /**
   * Per sequence input the model was rewritten for, the values and lengths inputs that stand for
   * it; empty when the model has none.
   */
  public Map<String, SequenceInputs.Names> sequenceInputs() {
    return sequenceInputs;
  }

  /**
   * This handle with the model broadcast in {@code sc} (once per context and model); call on the
   * driver, when the scoring is planned for execution.
   */
  public ModelHandle broadcastIn(SparkContext sc) {
    if (model != null) {
      return this;
    }
    return new ModelHandle(
        source,
        BroadcastModel.of(sc, source, SparkConfs.activeHadoopConf()),
        info,
        options,
        optionalOutputs,
        sequenceInputs);
  }

  /** Whether the model's bytes were broadcast, so that executors can create sessions. */
  public boolean broadcast() {
    return model != null;
  }

  /** The resolved options. */
  public ResolvedOptions resolved() {
    return options;
  }

  /**
   * GPUs per task of the scoring stage's own resource profile, or null to score in the stage's
   * default profile.
   */
  public Double gpusPerTask() {
    return options.gpusPerTask();
  }

  /**
   * The resource profile of the scoring stage when {@link #gpusPerTask} is set.
   *
   * @throws ai.onnxspark.OnnxException when the cluster cannot schedule stages with their own
   *     profile
   */
  public org.apache.spark.resource.ResourceProfile gpuStage(SparkContext sc) {
    return GpuStage.profile(sc, options.gpusPerTask());
  }

  String nativeDir() {
    return options.nativeDir();
  }

  /** Longest time one ONNX Runtime call may take, in milliseconds; 0 for no limit. */
  public long batchTimeoutMs() {
    return options.batchTimeoutMs();
  }

  /** Where sessions run, before each task resolves it against its resources. */
  public DeviceSpec device() {
    return options.device();
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
    return options.batchSize();
  }

  /** How rows become ONNX Runtime runs. */
  public Batching batching() {
    return options.batching();
  }

  /** Largest batch in bytes of input tensors (a larger row is scored alone). */
  public long maxBatchBytes() {
    return options.maxBatchBytes();
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

  Broadcast<BroadcastModel> broadcastHandle() {
    if (model == null) {
      throw new IllegalStateException(
          "The model " + description + " was not broadcast before its scoring was planned.");
    }
    return model;
  }

  /** The session options. */
  SessionOptionsSpec options() {
    return options.session();
  }

  /** Whether executors load the model from their node's copy of its files. */
  public boolean shippedByPath() {
    return byPath;
  }

  int maxSessions() {
    return options.maxSessions();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModelHandle h
        && fingerprint.equals(h.fingerprint)
        && options.equals(h.options)
        && byPath == h.byPath;
  }

  @Override
  public int hashCode() {
    return Objects.hash(fingerprint, options);
  }
}
