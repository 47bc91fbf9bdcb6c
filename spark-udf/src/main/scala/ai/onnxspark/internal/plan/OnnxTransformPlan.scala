package ai.onnxspark.internal.plan

import scala.jdk.CollectionConverters._

import org.apache.spark.rdd.RDD
import org.apache.spark.sql.SparkSession
import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.sql.catalyst.expressions.{
  Attribute,
  AttributeReference,
  AttributeSet,
  UnsafeProjection
}
import org.apache.spark.sql.catalyst.plans.logical.{LogicalPlan, UnaryNode}
import org.apache.spark.sql.execution.{SparkPlan, SparkStrategy, UnaryExecNode}
import org.apache.spark.sql.execution.metric.{SQLMetric, SQLMetrics}
import org.apache.spark.sql.vectorized.ColumnarBatch

/**
 * `OnnxModel.transform`'s scoring as a node of the query plan: every row of `child`, then the
 * columns `scorer` appends (`resultAttrs`: outputs, derived columns, the error column). A plan node
 * rather than an RDD turned back into a DataFrame, so that it works on streaming DataFrames too (a
 * micro-batch replaces the streaming source under it) and batch plans keep their lineage.
 *
 * The scorer is bound to the child's columns by position, so the node reads every child column:
 * column pruning never drops one under it.
 */
case class OnnxTransform(scorer: PartitionScorer, resultAttrs: Seq[Attribute], child: LogicalPlan)
    extends UnaryNode {

  override def output: Seq[Attribute] = child.output ++ resultAttrs

  override def producedAttributes: AttributeSet = AttributeSet(resultAttrs)

  override lazy val references: AttributeSet = child.outputSet

  override def simpleString(maxFields: Int): String = OnnxTransform.describe(scorer)

  override protected def withNewChildInternal(newChild: LogicalPlan): OnnxTransform =
    copy(child = newChild)
}

object OnnxTransform {

  /** The node scoring `child` with `scorer`, whose output schema starts with `child`'s columns. */
  def apply(scorer: PartitionScorer, child: LogicalPlan): OnnxTransform = {
    val fields = scorer.outputSchema.fields
    val width = child.output.size
    require(
      fields.length >= width && fields
        .take(width)
        .map(_.name)
        .sameElements(child.output.map(_.name)),
      s"the scorer's columns ${fields.map(_.name).mkString(", ")} do not start with the" +
        s" DataFrame's ${child.output.map(_.name).mkString(", ")}"
    )
    val results = fields.drop(width).map { f =>
      AttributeReference(f.name, f.dataType, f.nullable, f.metadata)()
    }
    OnnxTransform(scorer, results.toSeq, child)
  }

  private[plan] def describe(scorer: PartitionScorer): String =
    s"OnnxTransform [${scorer.batchSize} rows per batch" +
      (if (scorer.permissive) ", permissive" else "") + "]"
}

/** Plans [[OnnxTransform]] as [[OnnxTransformExec]]. */
object OnnxTransformStrategy extends SparkStrategy {
  override def apply(plan: LogicalPlan): Seq[SparkPlan] = plan match {
    case OnnxTransform(scorer, resultAttrs, child) =>
      OnnxTransformExec(scorer, resultAttrs, planLater(child)) :: Nil
    case _ => Nil
  }
}

/**
 * Scores each partition of `child` with the scorer: over the columnar batches of a Parquet or ORC
 * scan when the child is one (rows read in place), else over its rows; in the scoring stage's own
 * GPU resource profile when asked. Returns unsafe rows, as operators above expect; or, when the
 * child is columnar and the scorer writes its outputs into column vectors
 * (`PartitionScorer.scoresBatches`), columnar batches: the child's own column vectors passed
 * through untouched plus one vector per output, which Spark turns into rows only where its consumer
 * needs them (once, in generated code), rather than a row built per scored row.
 */
case class OnnxTransformExec(scorer: PartitionScorer, resultAttrs: Seq[Attribute], child: SparkPlan)
    extends UnaryExecNode {

  override def output: Seq[Attribute] = child.output ++ resultAttrs

  override def nodeName: String = "OnnxTransform"

  override def simpleString(maxFields: Int): String = OnnxTransform.describe(scorer)

  override lazy val metrics: Map[String, SQLMetric] = Map(
    "numOutputRows" -> SQLMetrics.createMetric(sparkContext, "number of output rows"))

  override protected def withNewChildInternal(newChild: SparkPlan): OnnxTransformExec =
    copy(child = newChild)

  override def supportsColumnar: Boolean = child.supportsColumnar && scorer.scoresBatches

  override protected def doExecuteColumnar(): RDD[ColumnarBatch] = {
    // Locals only in the closures: tasks must not carry the physical plan.
    val batchScorer = scorer
    val numOutputRows = longMetric("numOutputRows")
    val scored = child
      .executeColumnar()
      .mapPartitions(
        { batches =>
          batchScorer.scoreBatches(batches.asJava).asScala.map { batch =>
            numOutputRows += batch.numRows()
            batch
          }
        },
        preservesPartitioning = true)
    val handle = batchScorer.model
    if (handle.gpusPerTask == null) scored
    else scored.withResources(handle.gpuStage(sparkContext))
  }

  override protected def doExecute(): RDD[InternalRow] = {
    // Locals only in the closures: tasks must not carry the physical plan.
    val rowScorer = scorer
    val numOutputRows = longMetric("numOutputRows")
    val columnarChild =
      Option(ColumnarScans.source(child)).orElse(Some(child).filter(_.supportsColumnar))
    val scored: RDD[InternalRow] = columnarChild match {
      case Some(scan) =>
        scan
          .executeColumnar()
          .mapPartitions(
            batches => rowScorer.scoreColumnar(batches.asJava).asScala,
            preservesPartitioning = true)
      case None =>
        child
          .execute()
          .mapPartitions(rows => rowScorer.score(rows.asJava).asScala, preservesPartitioning = true)
    }
    val unsafe = scored.mapPartitionsWithIndex[InternalRow](
      { (index, rows) =>
        val toUnsafe = UnsafeProjection.create(rowScorer.outputSchema)
        toUnsafe.initialize(index)
        rows.map { row =>
          numOutputRows += 1
          toUnsafe(row)
        }
      },
      preservesPartitioning = true
    )
    val handle = rowScorer.model
    if (handle.gpusPerTask == null) unsafe
    else unsafe.withResources(handle.gpuStage(sparkContext))
  }
}

/** What `TransformScoring` (Java, compiled before the Scala sources on Scala 2.12) calls. */
class OnnxTransformNodes extends TransformNodes {

  override def node(scorer: PartitionScorer, child: LogicalPlan): LogicalPlan =
    OnnxTransform(scorer, child)

  override def install(spark: SparkSession): Unit = OnnxTransformNodes.synchronized {
    val experimental = spark.experimental
    if (!experimental.extraStrategies.contains(OnnxTransformStrategy)) {
      experimental.extraStrategies = experimental.extraStrategies :+ OnnxTransformStrategy
    }
  }
}

object OnnxTransformNodes
