package ai.onnxspark.ml

import java.util.{LinkedHashMap => JLinkedHashMap}

import scala.jdk.CollectionConverters._

import ai.onnxspark.{OnnxException, OnnxOptions}
import ai.onnxspark.spark.OnnxModel

import org.apache.hadoop.fs.Path
import org.apache.spark.ml.Transformer
import org.apache.spark.ml.param._
import org.apache.spark.ml.util.{Identifiable, MLReadable, MLReader, MLWritable, MLWriter}
import org.apache.spark.sql.{DataFrame, Dataset}
import org.apache.spark.sql.types.StructType

/** The parameters of [[OnnxTransformer]]; each maps onto an option of [[OnnxModel]]. */
trait OnnxTransformerParams extends Params {

  /** Where the model was read from; informational once the model is loaded. */
  final val modelPath: Param[String] =
    new Param[String](this, "modelPath", "path or URI the ONNX model was read from")

  final val inputCols: StringArrayParam = new StringArrayParam(
    this,
    "inputCols",
    "columns feeding the model: one per model input, in the model's input order, or several" +
      " numeric columns assembled into the only input of a one-input model (default: the columns" +
      " named like the inputs)")

  final val outputNames: StringArrayParam = new StringArrayParam(
    this,
    "outputNames",
    "model outputs to compute (default: every output)")

  final val outputCols: StringArrayParam = new StringArrayParam(
    this,
    "outputCols",
    "new columns, one per entry of outputNames (or per model output), in order (default: named" +
      " like the outputs)")

  final val batchSize: IntParam =
    new IntParam(this, "batchSize", "rows per ONNX Runtime call", ParamValidators.gt(0))

  final val device: Param[String] = new Param[String](
    this,
    "device",
    "where sessions run: cpu, cuda, tensorrt, or auto (the GPU Spark assigned to the task, else" +
      " the CPU)",
    ParamValidators.inArray(Array("cpu", "cuda", "tensorrt", "auto")))

  final val deviceFallback: Param[String] = new Param[String](
    this,
    "deviceFallback",
    "what an unusable GPU does: none fails the task, cpu scores on the CPU",
    ParamValidators.inArray(Array("none", "cpu")))

  final val permissive: BooleanParam = new BooleanParam(
    this,
    "permissive",
    "whether a row that cannot be scored gets null outputs and its error in errorCol instead of" +
      " failing the task")

  final val errorCol: Param[String] =
    new Param[String](this, "errorCol", "the error column of permissive mode")

  final val batchTimeoutMs: LongParam = new LongParam(
    this,
    "batchTimeoutMs",
    "longest time one ONNX Runtime call may take, in milliseconds; 0 for no limit",
    ParamValidators.gtEq(0))

  setDefault(errorCol -> OnnxOptions.ERROR_COLUMN_DEFAULT)
}

/**
 * Scores a DataFrame with an ONNX model as a Spark ML pipeline stage, in batches, through the
 * executors' cached ONNX Runtime sessions: the same scoring as [[OnnxModel#transform]].
 *
 * {{{
 * val scorer = new OnnxTransformer()
 *   .setModelPath("models/mlp.onnx")
 *   .setInputCols(Array("features"))
 *   .setOutputNames(Array("logits")).setOutputCols(Array("scores"))
 *   .setBatchSize(512)
 * val pipeline = new Pipeline().setStages(Array(assembler, scorer))
 * }}}
 *
 * Options not set here follow the Spark configuration (`spark.onnx.*`), then the defaults. Saving
 * writes the parameters and the model bytes (`model.onnx`) under the stage's path, so a loaded
 * stage does not need the original model file.
 */
class OnnxTransformer(override val uid: String)
    extends Transformer
    with OnnxTransformerParams
    with MLWritable {

  def this() = this(Identifiable.randomUID("onnx"))

  @transient private var model: OnnxModel = _

  /** Scores with `value`. */
  def setModel(value: OnnxModel): this.type = {
    model = value
    set(modelPath, value.source())
  }

  /** Reads the model from a local path or Hadoop URI at once (so a bad file fails here). */
  def setModelPath(value: String): this.type = setModel(OnnxModel.fromPath(value))

  /** The model, or null before one is set. */
  def getModel: OnnxModel = model

  def setInputCols(value: Array[String]): this.type = set(inputCols, value)
  def setOutputNames(value: Array[String]): this.type = set(outputNames, value)
  def setOutputCols(value: Array[String]): this.type = set(outputCols, value)
  def setBatchSize(value: Int): this.type = set(batchSize, value)
  def setDevice(value: String): this.type = set(device, value)
  def setDeviceFallback(value: String): this.type = set(deviceFallback, value)
  def setPermissive(value: Boolean): this.type = set(permissive, value)
  def setErrorCol(value: String): this.type = set(errorCol, value)
  def setBatchTimeoutMs(value: Long): this.type = set(batchTimeoutMs, value)

  def getModelPath: String = $(modelPath)
  def getInputCols: Array[String] = $(inputCols)
  def getOutputNames: Array[String] = $(outputNames)
  def getOutputCols: Array[String] = $(outputCols)
  def getBatchSize: Int = $(batchSize)
  def getDevice: String = $(device)
  def getDeviceFallback: String = $(deviceFallback)
  def getPermissive: Boolean = $(permissive)
  def getErrorCol: String = $(errorCol)
  def getBatchTimeoutMs: Long = $(batchTimeoutMs)

  override def transform(dataset: Dataset[_]): DataFrame = configured().transform(dataset.toDF())

  override def transformSchema(schema: StructType): StructType =
    configured().outputSchema(schema)

  override def copy(extra: ParamMap): OnnxTransformer = {
    val that = new OnnxTransformer(uid)
    that.model = model
    copyValues(that, extra)
  }

  override def write: MLWriter = new OnnxTransformer.Writer(this)

  /** The model with this stage's mapping and options applied. */
  private[ml] def configured(): OnnxModel = {
    if (model == null) {
      throw new OnnxException(
        s"OnnxTransformer $uid has no model; call setModel(OnnxModel) or setModelPath(path).")
    }
    var m = model
    if (isDefined(inputCols)) {
      val inputs = m.info().inputNames()
      val columns = $(inputCols)
      if (columns.length == inputs.size()) {
        columns.indices.foreach(i => m = m.withInput(inputs.get(i), columns(i)))
      } else if (inputs.size() == 1 && columns.nonEmpty) {
        m = m.withInput(inputs.get(0), columns.toIndexedSeq: _*)
      } else {
        throw new OnnxException(
          s"OnnxTransformer $uid: inputCols has ${columns.length} column(s) " +
            s"${columns.mkString("[", ", ", "]")} but the model has ${inputs.size()} inputs " +
            s"$inputs; give one column per input in this order.")
      }
    }
    val outputs =
      if (isDefined(outputNames)) $(outputNames).toSeq
      else m.info().outputNames().asScala.toSeq
    if (isDefined(outputNames) || isDefined(outputCols)) {
      val columns = if (isDefined(outputCols)) $(outputCols).toSeq else outputs
      if (columns.size != outputs.size) {
        throw new OnnxException(
          s"OnnxTransformer $uid: outputCols has ${columns.size} column(s) " +
            s"${columns.mkString("[", ", ", "]")} for ${outputs.size} model outputs " +
            s"${outputs.mkString("[", ", ", "]")}; give one column per output.")
      }
      outputs.zip(columns).foreach { case (output, column) => m = m.withOutput(output, column) }
    }
    m.withOptions(callOptions())
  }

  /** The options this stage sets, under the per-call keys of [[OnnxOptions]]. */
  private def callOptions(): java.util.Map[String, String] = {
    val options = new JLinkedHashMap[String, String]()
    get(batchSize).foreach(v => options.put(OnnxOptions.BATCH_SIZE, v.toString))
    get(device).foreach(v => options.put(OnnxOptions.DEVICE, v))
    get(deviceFallback).foreach(v => options.put(OnnxOptions.DEVICE_FALLBACK, v))
    get(batchTimeoutMs).foreach(v => options.put(OnnxOptions.BATCH_TIMEOUT_MS, v.toString))
    get(permissive).foreach { on =>
      if (on) options.put(OnnxOptions.ERROR_COLUMN, $(errorCol))
      else options.put(OnnxOptions.PERMISSIVE, "false")
    }
    options
  }
}

/** Loads a saved [[OnnxTransformer]], with its model. */
object OnnxTransformer extends MLReadable[OnnxTransformer] {
  private val ModelFile = "model.onnx"

  override def read: MLReader[OnnxTransformer] = new Reader

  override def load(path: String): OnnxTransformer = super.load(path)

  private class Writer(stage: OnnxTransformer) extends MLWriter {
    override protected def saveImpl(path: String): Unit = {
      if (stage.model == null) {
        throw new OnnxException(
          s"OnnxTransformer ${stage.uid} has no model to save; call setModel or setModelPath.")
      }
      MlPersistence.saveMetadata(stage, path, sparkSession)
      val file = new Path(path, ModelFile)
      val out = file.getFileSystem(sparkSession.sparkContext.hadoopConfiguration).create(file)
      try stage.model.writeTo(out)
      finally out.close()
    }
  }

  private class Reader extends MLReader[OnnxTransformer] {
    override def load(path: String): OnnxTransformer = {
      val stage = MlPersistence.loadStage(
        path,
        sparkSession,
        classOf[OnnxTransformer].getName,
        (uid: String) => new OnnxTransformer(uid))
      // modelPath keeps saying where the model first came from.
      stage.model = OnnxModel.fromUri(
        new Path(path, ModelFile).toString,
        sparkSession.sparkContext.hadoopConfiguration)
      stage
    }
  }
}
