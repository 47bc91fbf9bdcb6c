package ai.onnxspark.sql

import ai.onnxspark.{OnnxOption, OnnxOptions}
import ai.onnxspark.internal.OnnxErrors

import org.apache.spark.sql.{SparkSession, SparkSessionExtensions}
import org.apache.spark.sql.catalyst.FunctionIdentifier
import org.apache.spark.sql.catalyst.analysis.UnresolvedAttribute
import org.apache.spark.sql.catalyst.expressions.{Expression, ExpressionInfo}
import org.apache.spark.sql.catalyst.util.MapData
import org.apache.spark.sql.types.{MapType, StringType}

import scala.jdk.CollectionConverters._

/**
 * Installs ONNX scoring in every session:
 * `spark.sql.extensions=ai.onnxspark.sql.OnnxSparkExtensions`. Adds the SQL function
 * `onnx_predict('<model name>', col, ...)`, and the optimizer rule and planner strategy that score
 * its rows in batches.
 */
class OnnxSparkExtensions extends (SparkSessionExtensions => Unit) {
  override def apply(extensions: SparkSessionExtensions): Unit = {
    extensions.injectFunction(OnnxSparkExtensions.function)
    extensions.injectOptimizerRule(_ => ExtractOnnxPredict)
    extensions.injectPlannerStrategy(_ => OnnxPredictStrategy)
  }
}

object OnnxSparkExtensions {
  val functionId: FunctionIdentifier = FunctionIdentifier("onnx_predict")

  private val usage =
    "onnx_predict(model_name[, options], col1, col2, ...) - Scores the columns with the ONNX model" +
      " registered under model_name (OnnxModels.register, or SET spark.onnx.models.<name>.path=" +
      "<model file or URI>; set in a session, under a root of the cluster's" +
      " spark.onnx.models.allowedRoots). Takes one column per model input, or several numeric columns" +
      " assembled into the only input of a one-input model. Returns the model's output, or a" +
      " struct of its outputs and derived columns; in permissive mode a struct of the outputs and" +
      " the error message. Rows are scored in batches of spark.onnx.batchSize. options, a map of" +
      " string literals, sets per-call options that override the spark.onnx.* configuration: " +
      OnnxOptions.keysFor(OnnxOption.Api.COLUMN).asScala.mkString(", ") + "."

  private val examples =
    """
    Examples:
      > SET spark.onnx.models.fraud.path=/models/fraud.onnx;
      > SELECT id, onnx_predict('fraud', features) AS score FROM transactions;
      > SELECT id, onnx_predict('fraud', map('batch-size', '256', 'permissive', 'true'), features) AS p FROM transactions;
  """

  val function: (FunctionIdentifier, ExpressionInfo, Seq[Expression] => Expression) = (
    functionId,
    new ExpressionInfo(
      classOf[OnnxPredict].getName,
      null,
      "onnx_predict",
      usage,
      "",
      examples,
      "",
      "misc_funcs",
      "0.1.0",
      "",
      "built-in"),
    build)

  private def build(arguments: Seq[Expression]): Expression = {
    val name = arguments.headOption match {
      case Some(e) if e.foldable && e.dataType == StringType => String.valueOf(e.eval())
      case _ =>
        throw OnnxErrors.sqlCall(
          "onnx_predict takes the registered name of a model as its first argument, a string" +
            " literal such as 'fraud', followed by an optional map of options and the columns to" +
            " score.")
    }
    val (options, columns) = arguments.tail match {
      case first +: rest if first.dataType.isInstanceOf[MapType] =>
        first.dataType match {
          case MapType(StringType, StringType, _) if first.foldable => (optionMap(first), rest)
          case other =>
            throw OnnxErrors.sqlCall(
              s"onnx_predict('$name', ...) takes its options as a map of string literals, such as" +
                s" map('batch-size', '256'), but got ${first.sql} of type ${other.sql}.")
        }
      case rest => (new java.util.LinkedHashMap[String, String](), rest)
    }
    val spark = SparkSession.active
    val function = OnnxModels.function(spark, name, options, columns.size)
    val key = Option(function.keyColumn).map(UnresolvedAttribute.quoted).toSeq
    OnnxPredict(function, columns ++ key)
  }

  /** The options in the order the map literal gives them (later keys may refine earlier ones). */
  private def optionMap(e: Expression): java.util.Map[String, String] = {
    val data = e.eval().asInstanceOf[MapData]
    val keys = data.keyArray()
    val values = data.valueArray()
    val options = new java.util.LinkedHashMap[String, String]()
    (0 until data.numElements()).foreach { i =>
      options.put(
        keys.getUTF8String(i).toString,
        if (values.isNullAt(i)) null else values.getUTF8String(i).toString)
    }
    options
  }
}
