package ai.onnxspark.testing;

import ai.onnxspark.internal.model.NodeCache;
import ai.onnxspark.spark.OnnxModel;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * A driver for {@code LargeModelIT}, run in a JVM of its own with a small heap: on {@code
 * local-cluster[2,1,1024]}, scores a model given by path (argument 1) through {@code transform} and
 * SQL's {@code onnx_predict} (the model registered at launch as {@code big}), with the node cache
 * in argument 2, for the indices in argument 3 (comma-separated). Prints one line per row and API
 * ({@code transform <idx> <y>}, {@code sql <idx> <y>}), what each executor did ({@code executor
 * <id> sessions=.. copies=..}) and the heap's peak use ({@code driverPeakHeap=<bytes>}).
 */
public final class LargeModelDriver {
  private LargeModelDriver() {}

  /** This JVM's resident and peak resident memory, from {@code /proc/self/status}. */
  private static String memory() throws Exception {
    StringBuilder out = new StringBuilder();
    for (String line :
        java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:") || line.startsWith("VmHWM:")) {
        out.append(line.replaceAll("\\s+", " ")).append(' ');
      }
    }
    return out.toString().trim();
  }

  public static void main(String[] args) throws Exception {
    String model = args[0];
    String cache = args[1];
    List<Row> rows = new ArrayList<>();
    for (String idx : args[2].split(",")) {
      rows.add(RowFactory.create(Long.parseLong(idx)));
    }
    SparkSession spark =
        LocalCluster.start(
            LocalCluster.builder(2, 1)
                .appName("onnx-large-model")
                .config("spark.sql.extensions", "ai.onnxspark.sql.OnnxSparkExtensions")
                .config("spark.onnx.modelCache.dir", cache)
                .config("spark.onnx.models.big.path", model),
            2);
    try {
      Dataset<Row> df =
          spark
              .createDataFrame(rows, new StructType().add("idx", DataTypes.LongType))
              .repartition(4);
      for (Row r : OnnxModel.fromPath(model).transform(df).collectAsList()) {
        System.out.println("transform " + r.getLong(0) + " " + r.getFloat(1));
      }
      df.createOrReplaceTempView("rows");
      for (Row r : spark.sql("SELECT idx, onnx_predict('big', idx) FROM rows").collectAsList()) {
        System.out.println("sql " + r.getLong(0) + " " + r.getFloat(1));
      }
      Map<String, String> executors = LocalCluster.sessionsAndCopies(spark, NodeCache::copies);
      executors.forEach((id, report) -> System.out.println("executor " + id + " " + report));
      LocalCluster.perExecutor(spark, LargeModelDriver::memory)
          .forEach((id, memory) -> System.out.println("memory " + id + " " + memory));
      long peak = 0;
      for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
        if (pool.getType() == MemoryType.HEAP) {
          peak += pool.getPeakUsage().getUsed();
        }
      }
      System.out.println("driverPeakHeap=" + peak);
      System.out.println("driverMaxHeap=" + Runtime.getRuntime().maxMemory());
    } finally {
      spark.stop();
    }
  }
}
