package ai.onnxspark.jobs;

import java.util.List;
import java.util.Random;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Writes a Parquet table of random feature rows: {@code id bigint, <column> array<float>} with
 * {@code --values} floats per row, seeded per partition so the same flags give the same table.
 *
 * <pre>
 * SampleData --output models/sample/features.parquet --rows 10000 --column features --values 16
 * </pre>
 */
public final class SampleData {
  private SampleData() {}

  public static void main(String[] argv) {
    Jobs.run(
        "sample-data",
        () -> {
          Args args =
              Args.parse(
                  argv,
                  List.of("output", "rows", "column", "values", "partitions", "master", "seed"),
                  List.of());
          SparkSession spark = Jobs.session("onnx-sample-data", args.get("master", null));
          try {
            write(
                spark,
                args.required("output"),
                args.getInt("rows", 10_000),
                args.get("column", "features"),
                args.getInt("values", 16),
                args.getInt("partitions", 4),
                args.getInt("seed", 1));
          } finally {
            spark.stop();
          }
          System.out.println(
              "Wrote " + args.getInt("rows", 10_000) + " rows to " + args.required("output"));
        });
  }

  /** Writes {@code rows} rows to {@code path}, replacing what is there. */
  public static void write(
      SparkSession spark,
      String path,
      long rows,
      String column,
      int values,
      int partitions,
      long seed) {
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType, false)
            .add(column, DataTypes.createArrayType(DataTypes.FloatType, false), false);
    long perPartition = (rows + partitions - 1) / partitions;
    List<Integer> parts = new java.util.ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      parts.add(p);
    }
    var rdd =
        JavaSparkContext.fromSparkContext(spark.sparkContext())
            .parallelize(parts, partitions)
            .flatMap(
                p -> {
                  Random random = new Random(seed * 1_000_003L + p);
                  long start = p * perPartition;
                  long end = Math.min(rows, start + perPartition);
                  List<Row> out = new java.util.ArrayList<>();
                  for (long id = start; id < end; id++) {
                    float[] f = new float[values];
                    for (int i = 0; i < values; i++) {
                      f[i] = (float) random.nextGaussian();
                    }
                    out.add(RowFactory.create(id, f));
                  }
                  return out.iterator();
                });
    spark.createDataFrame(rdd, schema).write().mode("overwrite").parquet(path);
  }
}
