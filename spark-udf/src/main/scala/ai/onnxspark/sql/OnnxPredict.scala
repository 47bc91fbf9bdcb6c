package ai.onnxspark.sql

import java.util.concurrent.atomic.AtomicBoolean

import scala.jdk.CollectionConverters._

import ai.onnxspark.spark.{PartitionScorer, PredictFunction}

import org.apache.spark.internal.Logging
import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.sql.catalyst.analysis.TypeCheckResult
import org.apache.spark.sql.catalyst.expressions.{Expression, GenericInternalRow}
import org.apache.spark.sql.catalyst.expressions.codegen.CodegenFallback
import org.apache.spark.sql.types.DataType

/**
 * `onnx_predict(model, col, ...)`: scores its argument columns with an ONNX model.
 *
 * The optimizer rule [[ExtractOnnxPredict]] moves every call into an [[OnnxPredictBatch]]
 * operator, which scores rows in batches. Where that rule did not run (no extension installed, or
 * a plan shape it does not rewrite), the expression evaluates itself one row per ONNX Runtime call
 * and says so once in the log.
 *
 * Marked nondeterministic so that the optimizer neither duplicates nor moves it (each copy would
 * score the rows again).
 */
case class OnnxPredict(function: PredictFunction, children: Seq[Expression])
    extends Expression
    with CodegenFallback {

  override def nullable: Boolean = false

  override def dataType: DataType = function.dataType

  override lazy val deterministic: Boolean = false

  override def prettyName: String = "onnx_predict"

  override def toString: String = s"onnx_predict(${function.name}, ${children.mkString(", ")})"

  override def sql: String = s"onnx_predict('${function.name}', ${children.map(_.sql).mkString(", ")})"

  /** Types are checked by binding the arguments to the model's inputs; mismatches throw at once. */
  override def checkInputDataTypes(): TypeCheckResult = {
    function.bindInputs(argumentSchema, 0)
    TypeCheckResult.TypeCheckSuccess
  }

  private[sql] def argumentSchema =
    PredictFunction.argumentSchema(children.map(_.dataType).asJava)

  @transient private lazy val rowScorer: PartitionScorer = function.scorer(argumentSchema, 0, null)

  override def eval(input: InternalRow): Any = {
    if (OnnxPredict.warned.compareAndSet(false, true)) {
      OnnxPredict.logRowByRow(function.name)
    }
    val values = children.map(_.eval(input)).toArray
    function.evalRow(rowScorer, new GenericInternalRow(values))
  }

  override protected def withNewChildrenInternal(newChildren: IndexedSeq[Expression]): Expression =
    copy(children = newChildren)
}

object OnnxPredict extends Logging {
  private val warned = new AtomicBoolean(false)

  private def logRowByRow(model: String): Unit =
    logWarning(
      s"onnx_predict with model '$model' is evaluated row by row (one ONNX Runtime call per row)," +
        " because the plan was not rewritten into the batching OnnxPredictBatch operator. Set" +
        " spark.sql.extensions=ai.onnxspark.sql.OnnxSparkExtensions, or call onnx_predict in a" +
        " select, withColumn or filter.")
}
