package ai.onnxspark.sql

import scala.collection.mutable
import scala.jdk.CollectionConverters._

import ai.onnxspark.internal.plan.ColumnarScans
import ai.onnxspark.spark.ScoringMetrics

import org.apache.spark.rdd.RDD
import org.apache.spark.sql.SparkSession
import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.sql.catalyst.expressions._
import org.apache.spark.sql.catalyst.plans.logical.{
  Aggregate,
  Filter,
  LogicalPlan,
  Project,
  Sort,
  UnaryNode
}
import org.apache.spark.sql.catalyst.rules.Rule
import org.apache.spark.sql.execution.{SparkPlan, SparkStrategy, UnaryExecNode}
import org.apache.spark.sql.execution.metric.{SQLMetric, SQLMetrics}
import org.apache.spark.sql.types.{StructField, StructType}
import org.apache.spark.sql.vectorized.ColumnarBatch

/**
 * Scores `predictions` for every row of `child` in batches, appending one column per prediction
 * (`resultAttrs`). Placed by [[ExtractOnnxPredict]]; planned as [[OnnxPredictBatchExec]].
 */
case class OnnxPredictBatch(
    predictions: Seq[OnnxPredict],
    resultAttrs: Seq[Attribute],
    child: LogicalPlan)
    extends UnaryNode {

  override def output: Seq[Attribute] = child.output ++ resultAttrs

  override def producedAttributes: AttributeSet = AttributeSet(resultAttrs)

  override lazy val references: AttributeSet = AttributeSet(predictions.flatMap(_.references))

  override protected def withNewChildInternal(newChild: LogicalPlan): OnnxPredictBatch =
    copy(child = newChild)
}

/**
 * Moves `onnx_predict` calls out of projections, filters, aggregates and sorts into an
 * [[OnnxPredictBatch]] below them, replacing each call by a reference to its result column, as
 * Spark does for batched Python UDFs. Equal calls in one node are scored once. Calls anywhere else
 * become [[OnnxPredictRowByRow]].
 */
object ExtractOnnxPredict extends Rule[LogicalPlan] {

  override def apply(plan: LogicalPlan): LogicalPlan = {
    val batched = plan.transformUp {
      case Project(projectList, child) if projectList.exists(hasPrediction) =>
        val (batch, rewrite) = extract(projectList, child)
        Project(projectList.map(rewrite(_).asInstanceOf[NamedExpression]), batch)
      case Filter(condition, child) if hasPrediction(condition) =>
        val (batch, rewrite) = extract(Seq(condition), child)
        Project(child.output, Filter(rewrite(condition), batch))
      case a: Aggregate
          if (a.groupingExpressions ++ a.aggregateExpressions).exists(hasPrediction) =>
        val (batch, rewrite) = extract(a.groupingExpressions ++ a.aggregateExpressions, a.child)
        a.copy(
          groupingExpressions = a.groupingExpressions.map(rewrite),
          aggregateExpressions =
            a.aggregateExpressions.map(rewrite(_).asInstanceOf[NamedExpression]),
          child = batch
        )
      case s: Sort if s.order.exists(hasPrediction) =>
        val (batch, rewrite) = extract(s.order, s.child)
        Project(
          s.child.output,
          s.copy(order = s.order.map(rewrite(_).asInstanceOf[SortOrder]), child = batch))
    }
    batched.transformUp {
      case batch: OnnxPredictBatch => batch
      case other =>
        other.transformExpressions { case p: OnnxPredict =>
          OnnxPredict.logRowByRow(p.function.name)
          // Evaluated on executors: the model is broadcast now, while planning on the driver.
          OnnxPredictRowByRow(p.function.broadcastIn(SparkSession.active.sparkContext), p.children)
        }
    }
  }

  private def hasPrediction(e: Expression): Boolean = e.exists(_.isInstanceOf[OnnxPredict])

  private def extract(
      expressions: Seq[Expression],
      child: LogicalPlan): (OnnxPredictBatch, Expression => Expression) = {
    val found = mutable.LinkedHashMap.empty[OnnxPredict, Attribute]
    expressions.foreach(_.foreach {
      case p: OnnxPredict if !found.contains(p) =>
        found(p) = AttributeReference(s"onnx_predict_${found.size}", p.dataType, p.nullable)()
      case _ =>
    })
    val rewrite: Expression => Expression = _.transformDown {
      case p: OnnxPredict if found.contains(p) => found(p)
    }
    (OnnxPredictBatch(found.keys.toSeq, found.values.toSeq, child), rewrite)
  }
}

/** Plans [[OnnxPredictBatch]] as [[OnnxPredictBatchExec]]. */
object OnnxPredictStrategy extends SparkStrategy {
  override def apply(plan: LogicalPlan): Seq[SparkPlan] = plan match {
    case OnnxPredictBatch(predictions, resultAttrs, child) =>
      OnnxPredictBatchExec(predictions, resultAttrs, planLater(child)) :: Nil
    case _ => Nil
  }
}

/**
 * Scores each partition of `child` in batches through the executor's cached ONNX Runtime sessions.
 * For every prediction in turn it evaluates the argument expressions into a row, runs the model
 * over batches of such rows, and keeps the result column.
 */
case class OnnxPredictBatchExec(
    predictions: Seq[OnnxPredict],
    resultAttrs: Seq[Attribute],
    child: SparkPlan)
    extends UnaryExecNode {

  override def output: Seq[Attribute] = child.output ++ resultAttrs

  override def nodeName: String = "OnnxPredictBatch"

  override def simpleString(maxFields: Int): String =
    s"OnnxPredictBatch [${predictions.map(p => s"${p.function.name} -> ${p.function.handle.batchSize} rows per batch").mkString(", ")}]"

  override lazy val metrics: Map[String, SQLMetric] = Map(
    "numOutputRows" -> SQLMetrics.createMetric(sparkContext, "number of output rows"))

  @transient private lazy val scoringMetrics = ScoringMetrics.register(sparkContext)

  override protected def withNewChildInternal(newChild: SparkPlan): OnnxPredictBatchExec =
    copy(child = newChild)

  /**
   * Columnar when there is one prediction, of a single output, over columns of a columnar child (a
   * Parquet or ORC scan) and its scorer writes outputs into column vectors: each batch of the child
   * then comes out with its own column vectors untouched plus the result's, and Spark turns it into
   * rows once, in generated code, where its consumer needs them.
   */
  override def supportsColumnar: Boolean =
    child.supportsColumnar && predictions.size == 1 && !predictions.head.function.structResult && {
      val stage = stages(broadcast = false).head
      stage.arguments.isEmpty && stage.scorer.scoresBatches
    }

  override protected def doExecuteColumnar(): RDD[ColumnarBatch] = {
    val scorer = stages(broadcast = true).head.scorer
    val numOutputRows = longMetric("numOutputRows")
    val scored = child
      .executeColumnar()
      .mapPartitions { batches =>
        scorer.scoreBatches(batches.asJava).asScala.map { batch =>
          numOutputRows += batch.numRows()
          batch
        }
      }
    withGpuStage(scored)
  }

  /** The scoring stage in its own resource profile (the largest GPU share asked), if any. */
  private def withGpuStage[T](scored: RDD[T]): RDD[T] = {
    val gpuStages = predictions.map(_.function.handle).filter(_.gpusPerTask != null)
    if (gpuStages.isEmpty) scored
    else scored.withResources(gpuStages.maxBy(_.gpusPerTask.doubleValue).gpuStage(sparkContext))
  }

  /**
   * Per prediction: the row layout it reads; its arguments, evaluated into extra columns unless
   * they are columns of the layout already; a scorer for such rows (of the model broadcast to
   * executors when `broadcast`, else only to look at); and the projection that keeps the layout
   * plus the result.
   */
  private def stages(broadcast: Boolean): Seq[OnnxPredictBatchExec.Stage] = {
    import OnnxPredictBatchExec.Stage
    var layout: Seq[Attribute] = child.output
    predictions.zip(resultAttrs).map { case (prediction, result) =>
      val direct = prediction.children.map {
        case a: Attribute => layout.indexWhere(_.exprId == a.exprId)
        case _ => -1
      }
      val evaluate = direct.contains(-1)
      val arguments =
        if (evaluate) {
          prediction.children.zipWithIndex.map { case (e, i) =>
            AttributeReference(s"_arg$i", e.dataType, e.nullable)()
          }
        } else Nil
      val ordinals =
        if (evaluate) prediction.children.indices.map(_ + layout.size).toArray else direct.toArray
      val read = layout ++ arguments
      // Arguments keep the names users know them by, so that errors name them.
      val names = mutable.ArrayBuffer.tabulate(read.size)(i => s"_c$i")
      prediction.children.zip(ordinals).foreach { case (argument, ordinal) =>
        val name = argument match {
          case a: Attribute => a.name
          case e => e.sql
        }
        names(ordinal) = if (names.contains(name)) s"$name#$ordinal" else name
      }
      // Other columns of the layout by their own names when unambiguous, so that a column `id`
      // can name a bad row in errors (as in transform).
      val taken = mutable.Set[String]()
      taken ++= names
      read.zipWithIndex.foreach { case (a, i) =>
        if (!ordinals.contains(i) && !taken.exists(_.equalsIgnoreCase(a.name))) {
          names(i) = a.name
          taken += a.name
        }
      }
      val rowSchema = StructType(read.zip(names).map { case (a, name) =>
        StructField(name, a.dataType, a.nullable)
      })
      val scorer =
        if (broadcast) {
          prediction.function.broadcastIn(sparkContext).scorer(rowSchema, ordinals, scoringMetrics)
        } else prediction.function.scorer(rowSchema, ordinals, null)
      val fields = prediction.function.resultFields.asScala.toSeq
      val outputs = fields.zipWithIndex.map { case (field, j) =>
        AttributeReference(s"_out$j", field.dataType, field.nullable)()
      }
      val value: Expression =
        if (!prediction.function.structResult) outputs.head
        else {
          CreateNamedStruct(fields.zip(outputs).flatMap { case (field, attr) =>
            Seq(Literal(field.name), attr)
          })
        }
      val stage =
        Stage(layout, if (evaluate) prediction.children else Nil, read ++ outputs, value, scorer)
      layout = layout :+ result
      stage
    }
  }

  override protected def doExecute(): RDD[InternalRow] = {
    val stages = this.stages(broadcast = true)
    val numOutputRows = longMetric("numOutputRows")
    // A first prediction over columns of a columnar scan reads the scan's batches in place.
    val columnar = Option(ColumnarScans.source(child))
      .orElse(Some(child).filter(_.supportsColumnar))
      .filter(_ => stages.head.arguments.isEmpty)
    val input: RDD[InternalRow] = columnar match {
      case Some(scan) =>
        scan
          .executeColumnar()
          .mapPartitions(batches => stages.head.scorer.scoreColumnar(batches.asJava).asScala)
      case None => child.execute()
    }
    val firstScored = columnar.isDefined
    val scored = input.mapPartitionsWithIndex { (index, rows) =>
      var current: Iterator[InternalRow] = rows
      stages.zipWithIndex.foreach { case (stage, i) =>
        if (!(i == 0 && firstScored)) {
          val withArguments =
            if (stage.arguments.isEmpty) current
            else {
              val addArguments =
                UnsafeProjection.create(stage.layout ++ stage.arguments, stage.layout)
              addArguments.initialize(index)
              current.map(addArguments)
            }
          current = stage.scorer.score(withArguments.asJava).asScala
        }
        val keepResult = UnsafeProjection.create(stage.layout ++ Seq(stage.value), stage.scored)
        keepResult.initialize(index)
        current = current.map(keepResult)
      }
      current.map { row =>
        numOutputRows += 1
        row
      }
    }
    withGpuStage(scored)
  }
}

object OnnxPredictBatchExec {

  /**
   * One prediction's part of the operator, shipped to tasks: kept out of the operator's class so
   * that task closures do not carry the physical plan.
   */
  private case class Stage(
      layout: Seq[Attribute],
      arguments: Seq[Expression],
      scored: Seq[Attribute],
      value: Expression,
      scorer: ai.onnxspark.internal.plan.PartitionScorer)
}

/** Installs `onnx_predict` and its batching in a session. */
object OnnxSql {

  /** Adds the optimizer rule, the planner strategy and the SQL function to `spark`, once. */
  def install(spark: SparkSession): Unit = synchronized {
    val experimental = spark.experimental
    if (!experimental.extraOptimizations.contains(ExtractOnnxPredict)) {
      experimental.extraOptimizations = experimental.extraOptimizations :+ ExtractOnnxPredict
    }
    if (!experimental.extraStrategies.contains(OnnxPredictStrategy)) {
      experimental.extraStrategies = experimental.extraStrategies :+ OnnxPredictStrategy
    }
    val registry = SparkInternals.functionRegistry(spark)
    val id = SparkInternals.builtinFunction(OnnxSparkExtensions.functionId.funcName)
    if (!registry.functionExists(id)) {
      val (_, info, builder) = OnnxSparkExtensions.function
      registry.registerFunction(id, info, builder)
    }
  }
}
