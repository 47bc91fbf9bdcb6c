package ai.onnxspark.ml

import java.util.{LinkedHashMap => JLinkedHashMap}

import scala.jdk.CollectionConverters._

import ai.onnxspark.{OnnxOption, OnnxOptions}
import ai.onnxspark.internal.OnnxErrors
import ai.onnxspark.internal.plan.{OptionValues, SparkConfs}
import ai.onnxspark.spark.OnnxModel

import org.apache.hadoop.fs.Path
import org.apache.spark.ml.Transformer
import org.apache.spark.ml.param._
import org.apache.spark.ml.util.{Identifiable, MLReadable, MLReader, MLWritable, MLWriter}
import org.apache.spark.sql.{DataFrame, Dataset, SparkSession}
import org.apache.spark.sql.types.StructType

/**
 * The parameters of [[OnnxTransformer]]. Each option parameter documents the per-call option of
 * [[OnnxOptions]] it sets, with that option's own words; `options` takes any other per-call option
 * by key.
 */
trait OnnxTransformerParams extends Params {

  private def doc(key: String): String = {
    val option = OnnxOptions.forKey(key).get
    s"${option.doc} Values: ${option.values}. Per-call key: ${option.displayKey}."
  }

  /** Where the model was read from; informational once the model is loaded. */
  final val modelPath: Param[String] =
    new Param[String](this, "modelPath", "path or URI the ONNX model was read from")

  final val inputCols: StringArrayParam = new StringArrayParam(
    this,
    "inputCols",
    "columns feeding the model: one per model input, in the model's input order, or several" +
      " numeric columns assembled into the only input of a one-input model (default: the columns" +
      " named like the inputs)"
  )

  final val outputNames: StringArrayParam =
    new StringArrayParam(this, "outputNames", "model outputs to compute (default: every output)")

  final val outputCols: StringArrayParam = new StringArrayParam(
    this,
    "outputCols",
    "new columns, one per entry of outputNames (or per model output), in order (default: named" +
      " like the outputs)")

  final val batchSize: IntParam =
    new IntParam(this, "batchSize", doc(OnnxOptions.BATCH_SIZE), ParamValidators.gt(0))

  final val device: Param[String] = new Param[String](
    this,
    "device",
    doc(OnnxOptions.DEVICE),
    ParamValidators.inArray(Array("cpu", "cuda", "tensorrt", "auto")))

  final val deviceFallback: Param[String] = new Param[String](
    this,
    "deviceFallback",
    doc(OnnxOptions.DEVICE_FALLBACK),
    ParamValidators.inArray(Array("none", "cpu")))

  final val permissive: BooleanParam =
    new BooleanParam(this, "permissive", doc(OnnxOptions.PERMISSIVE))

  final val errorCol: Param[String] =
    new Param[String](this, "errorCol", doc(OnnxOptions.ERROR_COLUMN))

  final val batchTimeoutMs: LongParam = new LongParam(
    this,
    "batchTimeoutMs",
    doc(OnnxOptions.BATCH_TIMEOUT_MS),
    ParamValidators.gtEq(0))

  /** Per-call options by key (a JSON object of strings), applied after the other parameters. */
  final val options: Param[String] = new Param[String](
    this,
    "options",
    "per-call options by key, as a JSON object of strings, applied after the other parameters: " +
      OnnxOptions.keysFor(OnnxOption.Api.ML).asScala.mkString(", ")
  )

  /**
   * The options the model itself carries (`OnnxModel.options()`, a JSON object of strings), set by
   * `setModel` and saved with the stage, so that a loaded stage scores exactly as the saved one.
   */
  final val modelOptions: Param[String] = new Param[String](
    this,
    "modelOptions",
    "the per-call options the model carries (OnnxModel.options()), as a JSON object; set by setModel")

  setDefault(errorCol -> OnnxOptions.ERROR_COLUMN_DEFAULT, options -> "{}", modelOptions -> "{}")
}

/**
 * Scores a DataFrame with an ONNX model as a Spark ML pipeline stage, in batches, through the
 * executors' cached ONNX Runtime sessions: the same scoring plan as `OnnxModel.transform`.
 *
 * {{{
 * val scorer = new OnnxTransformer()
 *   .setModel(OnnxModel.fromPath("models/mlp.onnx").withSoftmax("logits", "p"))
 *   .setInputCols(Array("features"))
 *   .setOption("batch-size", "512")
 * val pipeline = new Pipeline().setStages(Array(assembler, scorer))
 * }}}
 *
 * Options not set follow the Spark configuration (`spark.onnx.*`), then the defaults. Saving writes
 * the parameters, the options the model carries and the model bytes (`model.onnx`) under the
 * stage's path, so a loaded stage scores exactly as the saved one without the original file.
 */
class OnnxTransformer(override val uid: String)
    extends Transformer
    with OnnxTransformerParams
    with MLWritable {

  def this() = this(Identifiable.randomUID("onnx"))

  @transient private var model: OnnxModel = _

  /** Scores with `value`, with every option it carries (saved with the stage). */
  def setModel(value: OnnxModel): this.type = {
    model = value
    set(modelPath, value.source())
    set(modelOptions, OptionValues.jsonObject(value.options()))
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

  /** Sets per-call options by key (see [[OnnxOptions]]), replacing those set before. */
  def setOptions(value: java.util.Map[String, String]): this.type =
    set(options, OptionValues.jsonObject(value))

  /** Adds one per-call option by key (see [[OnnxOptions]]). */
  def setOption(key: String, value: String): this.type = {
    val all = new JLinkedHashMap[String, String](getOptions)
    all.put(key, value)
    setOptions(all)
  }

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
  def getOptions: java.util.Map[String, String] =
    OptionValues.parseJsonObject("options", $(options))

  override def transform(dataset: Dataset[_]): DataFrame = configured().transform(dataset.toDF())

  override def transformSchema(schema: StructType): StructType =
    configured().outputSchema(schema)

  override def copy(extra: ParamMap): OnnxTransformer = {
    val that = new OnnxTransformer(uid)
    that.model = model
    copyValues(that, extra)
  }

  override def write: MLWriter = new OnnxTransformer.Writer(this)

  /** The model with this stage's parameters, then its `options`, applied as per-call options. */
  private[ml] def configured(): OnnxModel = {
    if (model == null && isDefined(modelPath)) {
      // Set as a plain parameter (Spark Connect ML, a params map): read the model on first use.
      val saved = OptionValues.parseJsonObject("modelOptions", $(modelOptions))
      model = OnnxModel
        .fromUri($(modelPath), SparkConfs.hadoopConf(SparkSession.active))
        .withOptions(saved)
    }
    if (model == null) {
      throw OnnxErrors.badArguments(
        s"OnnxTransformer $uid",
        "has no model; call setModel(OnnxModel) or setModelPath(path)")
    }
    model.withOptions(parameterOptions()).withOptions(getOptions)
  }

  /** This stage's typed parameters as per-call options of [[OnnxOptions]]. */
  private def parameterOptions(): java.util.Map[String, String] = {
    val set = new JLinkedHashMap[String, String]()
    val inputs = model.info().inputNames()
    if (isDefined(inputCols)) {
      val columns = $(inputCols)
      if (columns.length == inputs.size()) {
        columns.indices.foreach(i => set.put(OnnxOptions.INPUT_PREFIX + inputs.get(i), columns(i)))
      } else if (inputs.size() == 1 && columns.nonEmpty) {
        set.put(OnnxOptions.INPUT_PREFIX + inputs.get(0), OptionValues.list(columns.toList.asJava))
      } else {
        throw OnnxErrors.badArguments(
          s"OnnxTransformer $uid",
          s"inputCols has ${columns.length} column(s) ${columns.mkString("[", ", ", "]")} but the" +
            s" model has ${inputs.size()} inputs $inputs; give one column per input in this order"
        )
      }
    }
    val outputs =
      if (isDefined(outputNames)) $(outputNames).toSeq
      else model.info().outputNames().asScala.toSeq
    if (isDefined(outputNames) || isDefined(outputCols)) {
      val columns = if (isDefined(outputCols)) $(outputCols).toSeq else outputs
      if (columns.size != outputs.size) {
        throw OnnxErrors.badArguments(
          s"OnnxTransformer $uid",
          s"outputCols has ${columns.size} column(s) ${columns.mkString("[", ", ", "]")} for" +
            s" ${outputs.size} model outputs ${outputs.mkString("[", ", ", "]")}; give one column" +
            " per output"
        )
      }
      outputs.zip(columns).foreach { case (output, column) =>
        set.put(OnnxOptions.OUTPUT_PREFIX + output, column)
      }
    }
    get(batchSize).foreach(v => set.put(OnnxOptions.BATCH_SIZE, v.toString))
    get(device).foreach(v => set.put(OnnxOptions.DEVICE, v))
    get(deviceFallback).foreach(v => set.put(OnnxOptions.DEVICE_FALLBACK, v))
    get(batchTimeoutMs).foreach(v => set.put(OnnxOptions.BATCH_TIMEOUT_MS, v.toString))
    get(permissive).foreach { on =>
      if (on) set.put(OnnxOptions.ERROR_COLUMN, $(errorCol))
      else set.put(OnnxOptions.PERMISSIVE, "false")
    }
    set
  }
}

/** Loads a saved [[OnnxTransformer]], with its model and the options the model carried. */
object OnnxTransformer extends MLReadable[OnnxTransformer] {
  private val ModelFile = "model.onnx"

  override def read: MLReader[OnnxTransformer] = new Reader

  override def load(path: String): OnnxTransformer = super.load(path)

  private class Writer(stage: OnnxTransformer) extends MLWriter {
    override protected def saveImpl(path: String): Unit = {
      if (stage.model == null) {
        throw OnnxErrors.badArguments(
          s"OnnxTransformer ${stage.uid}",
          "has no model to save; call setModel or setModelPath")
      }
      MlPersistence.saveMetadata(stage, path, sparkSession)
      val file = new Path(path, ModelFile)
      val out = file.getFileSystem(SparkConfs.hadoopConf(sparkSession)).create(file)
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
      val saved =
        OptionValues.parseJsonObject("modelOptions", stage.getOrDefault(stage.modelOptions))
      stage.model = OnnxModel
        .fromUri(new Path(path, ModelFile).toString, SparkConfs.hadoopConf(sparkSession))
        .withOptions(saved)
      stage
    }
  }
}
