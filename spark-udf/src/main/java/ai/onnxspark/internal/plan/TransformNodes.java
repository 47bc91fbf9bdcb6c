package ai.onnxspark.internal.plan;

import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;

/**
 * The Catalyst node {@code transform} scores through ({@code OnnxTransform}, with its physical
 * operator and planner strategy), implemented in Scala by {@code OnnxTransformNodes}. Reached
 * through this interface and loaded by name because on Scala 2.12 the Java sources of the core
 * compile before the Scala ones (see the parent pom's {@code java.first.phase}).
 */
public interface TransformNodes {
  /** The node scoring every row of {@code child} with {@code scorer}. */
  LogicalPlan node(PartitionScorer scorer, LogicalPlan child);

  /** Adds the node's planner strategy to {@code spark}, once. */
  void install(SparkSession spark);

  /** The implementation. */
  static TransformNodes get() {
    return Holder.NODES;
  }

  /** Loads the implementation once. */
  final class Holder {
    private static final TransformNodes NODES = load();

    private Holder() {}

    private static TransformNodes load() {
      String name = "ai.onnxspark.internal.plan.OnnxTransformNodes";
      try {
        return (TransformNodes) Class.forName(name).getDeclaredConstructor().newInstance();
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(
            "The library's jar is incomplete: class " + name + " could not be loaded", e);
      }
    }
  }
}
