package ai.onnxspark.internal.plan;

import ai.onnxspark.internal.OnnxErrors;
import org.apache.spark.SparkContext;
import org.apache.spark.resource.ExecutorResourceRequests;
import org.apache.spark.resource.ResourceProfile;
import org.apache.spark.resource.ResourceProfileBuilder;
import org.apache.spark.resource.TaskResourceRequests;

/** The resource profile of a GPU scoring stage (Spark's stage-level scheduling). */
final class GpuStage {
  private GpuStage() {}

  /**
   * A profile asking for executors with one GPU and {@code gpusPerTask} per task: the one Spark
   * already knows when an earlier scoring stage asked for the same, so that later stages run on the
   * GPU executors started for it instead of waiting for new ones while those hold the GPUs until
   * their idle timeout.
   *
   * @throws OnnxException when the cluster cannot schedule stages with their own profile
   */
  static ResourceProfile profile(SparkContext sc, double gpusPerTask) {
    String master = sc.master();
    boolean dynamic = sc.conf().getBoolean("spark.dynamicAllocation.enabled", false);
    // local-cluster[…] is a standalone cluster and schedules stages with their own profiles.
    if (master.equals("local") || master.startsWith("local[")) {
      throw OnnxErrors.clusterSetup(
          "A GPU scoring stage (withGpuStage) needs stage-level scheduling, which Spark offers on"
              + " YARN, Kubernetes and standalone clusters with dynamic allocation, not with master '"
              + master
              + "'. Locally, score on the GPU with withDevice(\"cuda\") instead.");
    }
    if (!dynamic) {
      throw OnnxErrors.clusterSetup(
          "A GPU scoring stage (withGpuStage) needs spark.dynamicAllocation.enabled=true (and, on"
              + " Kubernetes, spark.dynamicAllocation.shuffleTracking.enabled=true), so that Spark"
              + " can start GPU executors for the stage; or give every executor GPUs with"
              + " spark.executor.resource.gpu.amount and drop withGpuStage.");
    }
    ExecutorResourceRequests executors = new ExecutorResourceRequests().resource("gpu", 1, "", "");
    TaskResourceRequests tasks = new TaskResourceRequests().resource("gpu", gpusPerTask);
    ResourceProfile wanted = new ResourceProfileBuilder().require(executors).require(tasks).build();
    return sc.resourceProfileManager().getEquivalentProfile(wanted).getOrElse(() -> wanted);
  }
}
