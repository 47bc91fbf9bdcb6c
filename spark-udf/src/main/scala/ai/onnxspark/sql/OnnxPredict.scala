package ai.onnxspark.sql

import java.util.concurrent.atomic.AtomicBoolean

import scala.jdk.CollectionConverters._

import ai.onnxspark.internal.plan.{PartitionScorer, PredictFunction}

import org.apache.spark.internal.Logging
import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.sql.catalyst.analysis.TypeCheckResult
import org.apache.spark.sql.catalyst.expressions.{
  Attribute,
  Expression,
  GenericInternalRow,
  Unevaluable
}
import org.apache.spark.sql.catalyst.expressions.codegen.CodegenFallback
import org.apache.spark.sql.types.DataType

/**
 * What both forms of `onnx_predict` share: the model function, whose result is never null but for
 * an optional output's value, null where absent.
 */
trait OnnxPrediction extends Expression {
  def function: PredictFunction

  override def nullable: Boolean = function.nullable

  override def dataType: DataType = function.dataType
}

/**
 * `onnx_predict(model, col, ...)`: scores its argument columns with an ONNX model.
 *
 * Not evaluable by itself: the optimizer rule [[ExtractOnnxPredict]] moves every call in a
 * projection or filter into an [[OnnxPredictBatch]] operator, which scores rows in batches, and
 * turns any call elsewhere (a join condition, an aggregate) into [[OnnxPredictRowByRow]], saying so
 * once in the log. Being unevaluable also keeps Spark from evaluating it while optimizing (for
 * example over local data) instead of in the batching operator.
 *
 * Deterministic, like Spark's Python UDFs, so filters on other columns still reach the scan and
 * predictions can be grouped and sorted by. A filter on a prediction that the optimizer pushes
 * below the projection computing it scores the filtered rows twice.
 */
case class OnnxPredict(function: PredictFunction, children: Seq[Expression])
    extends Expression
    with OnnxPrediction
    with Unevaluable {

  override def prettyName: String = "onnx_predict"

  override def toString: String = s"onnx_predict(${function.name}, ${children.mkString(", ")})"

  override def sql: String =
    s"onnx_predict('${function.name}', ${children.map(_.sql).mkString(", ")})"

  /** Types are checked by binding the arguments to the model's inputs; mismatches throw at once. */
  override def checkInputDataTypes(): TypeCheckResult = {
    val names = children.map {
      case a: Attribute => a.name
      case e => e.sql
    }
    function.bindInputs(
      PredictFunction.argumentSchema(names.asJava, children.map(_.dataType).asJava),
      PredictFunction.firstOrdinals(children.size))
    TypeCheckResult.TypeCheckSuccess
  }

  override protected def withNewChildrenInternal(newChildren: IndexedSeq[Expression]): Expression =
    copy(children = newChildren)
}

/**
 * `onnx_predict` evaluated one row per ONNX Runtime call, where the plan gives no place for the
 * batching operator.
 */
case class OnnxPredictRowByRow(function: PredictFunction, children: Seq[Expression])
    extends Expression
    with OnnxPrediction
    with CodegenFallback {

  override def prettyName: String = "onnx_predict_row_by_row"

  override def toString: String =
    s"onnx_predict_row_by_row(${function.name}, ${children.mkString(", ")})"

  @transient private lazy val rowScorer: PartitionScorer =
    function.scorer(
      PredictFunction.argumentSchema(children.map(_.dataType).asJava),
      PredictFunction.firstOrdinals(children.size),
      null)

  override def eval(input: InternalRow): Any = {
    val values = children.map(_.eval(input)).toArray
    function.evalRow(rowScorer, new GenericInternalRow(values))
  }

  override protected def withNewChildrenInternal(newChildren: IndexedSeq[Expression]): Expression =
    copy(children = newChildren)
}

object OnnxPredict extends Logging {
  private val warned = new AtomicBoolean(false)

  /** For Java callers: `function` called on `arguments`. */
  def of(function: PredictFunction, arguments: java.util.List[Expression]): OnnxPredict =
    OnnxPredict(function, arguments.asScala.toList)

  /** Says once per JVM that a call could not be batched, and how to avoid it. */
  private[sql] def logRowByRow(model: String): Unit =
    if (warned.compareAndSet(false, true)) {
      logWarning(
        s"onnx_predict with model '$model' is evaluated row by row (one ONNX Runtime call per" +
          " row), because the plan uses it where no batching operator can be placed. Compute the" +
          " prediction in a select or withColumn first, then use its column.")
    }
}
