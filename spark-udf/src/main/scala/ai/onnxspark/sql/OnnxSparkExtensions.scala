package ai.onnxspark.sql

import ai.onnxspark.OnnxException
import ai.onnxspark.spark.OnnxModels

import org.apache.spark.sql.{SparkSession, SparkSessionExtensions}
import org.apache.spark.sql.catalyst.FunctionIdentifier
import org.apache.spark.sql.catalyst.expressions.{Expression, ExpressionInfo}
import org.apache.spark.sql.catalyst.util.MapData
import org.apache.spark.sql.types.{MapType, StringType}

import scala.jdk.CollectionConverters._

/**
 * Installs ONNX scoring in every session: `spark.sql.extensions=ai.onnxspark.sql.OnnxSparkExtensions`.
 * Adds the SQL function `onnx_predict('<model name>', col, ...)`, and the optimizer rule and
 * planner strategy that score its rows in batches.
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
      "<model file or URI>). Takes one column per model input, or several numeric columns" +
      " assembled into the only input of a one-input model. Returns the model's output, or a" +
      " struct of its outputs; in permissive mode a struct of the outputs and the error message." +
      " Rows are scored in batches of spark.onnx.batchSize. options, a map of string literals," +
      " sets per-call options that override the spark.onnx.* configuration: batch-size, device," +
      " device-fallback, permissive, error-column, batch-timeout-ms, intra-op-threads," +
      " optimization-level, provider.<key>."

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
        throw new OnnxException(
          "onnx_predict takes the registered name of a model as its first argument, a string" +
            " literal such as 'fraud', followed by an optional map of options and the columns to" +
            " score.")
    }
    val (options, columns) = arguments.tail match {
      case first +: rest if first.dataType.isInstanceOf[MapType] =>
        first.dataType match {
          case MapType(StringType, StringType, _) if first.foldable => (optionMap(first), rest)
          case other =>
            throw new OnnxException(
              s"onnx_predict('$name', ...) takes its options as a map of string literals, such as" +
                s" map('batch-size', '256'), but got ${first.sql} of type ${other.sql}.")
        }
      case rest => (Map.empty[String, String], rest)
    }
    val spark = SparkSession.active
    OnnxPredict(OnnxModels.function(spark, name, options.asJava, columns.size), columns)
  }

  private def optionMap(e: Expression): Map[String, String] = {
    val data = e.eval().asInstanceOf[MapData]
    val keys = data.keyArray()
    val values = data.valueArray()
    (0 until data.numElements()).map { i =>
      keys.getUTF8String(i).toString -> (if (values.isNullAt(i)) null else values.getUTF8String(i).toString)
    }.toMap
  }
}
