package ai.onnxspark.connect;

import static org.apache.spark.sql.functions.call_function;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;

import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The Spark Connect JVM client of {@link SparkConnectIT}, in a JVM whose class path holds the
 * Connect client and no classic Spark: connects to the server, scores the rows of a features file
 * with {@code onnx_predict} three ways and prints every result, then prints the plan and the error
 * of an unknown model name, one line each on standard output.
 *
 * <p>Lines: {@code RESULT <style> <id> <output> <v1> <v2> …} for {@code style} in {@code sql},
 * {@code expr}, {@code call_function} and {@code output} in {@code logits}, {@code probabilities};
 * {@code PLAN <plan on one line>}; {@code ERROR <client exception class> <message on one line>};
 * {@code DONE} last.
 */
public final class ConnectClientMain {
  private ConnectClientMain() {}

  /**
   * Runs the client.
   *
   * @param args the server's {@code sc://host:port} address and the features file ({@code id v1 v2
   *     …} per line)
   */
  public static void main(String[] args) throws Exception {
    SparkSession spark = SparkSession.builder().remote(args[0]).getOrCreate();
    try {
      run(spark, args[1]);
    } finally {
      spark.stop();
    }
    System.out.println("DONE");
    System.out.flush();
    // gRPC may keep non-daemon threads; the answer is complete.
    System.exit(0);
  }

  private static void run(SparkSession spark, String featuresFile) throws Exception {
    List<Row> rows = new ArrayList<>();
    for (String line : Files.readAllLines(Paths.get(featuresFile))) {
      String[] parts = line.trim().split(" ");
      float[] features = new float[parts.length - 1];
      for (int i = 1; i < parts.length; i++) {
        features[i - 1] = Float.parseFloat(parts[i]);
      }
      rows.add(RowFactory.create(Long.parseLong(parts[0]), features));
    }
    Dataset<Row> df =
        spark.createDataFrame(
            rows,
            new StructType()
                .add("id", DataTypes.LongType)
                .add("features", DataTypes.createArrayType(DataTypes.FloatType)));
    df.createOrReplaceTempView("connect_features");

    print(
        "sql",
        spark.sql(
            "SELECT id, onnx_predict('mlp', features) AS p FROM connect_features ORDER BY id"));
    print(
        "expr", df.select(col("id"), expr("onnx_predict('mlp', features)").as("p")).orderBy("id"));
    print(
        "call_function",
        df.select(col("id"), call_function("onnx_predict", lit("mlp"), col("features")).as("p"))
            .orderBy("id"));

    String plan =
        spark
            .sql("EXPLAIN SELECT id, onnx_predict('mlp', features) FROM connect_features")
            .first()
            .getString(0);
    System.out.println("PLAN " + oneLine(plan));

    try {
      spark.sql("SELECT onnx_predict('nope', features) FROM connect_features").collectAsList();
      System.out.println("ERROR none");
    } catch (Exception e) {
      System.out.println("ERROR " + e.getClass().getName() + " " + oneLine(e.getMessage()));
    }
  }

  /**
   * Prints each row's two outputs (the struct {@code p} of {@code logits}, {@code probabilities}).
   */
  private static void print(String style, Dataset<Row> scored) {
    for (Row row : scored.collectAsList()) {
      Row p = row.getStruct(1);
      for (int f = 0; f < p.size(); f++) {
        StringBuilder line =
            new StringBuilder("RESULT ")
                .append(style)
                .append(' ')
                .append(row.getLong(0))
                .append(' ')
                .append(p.schema().fields()[f].name());
        for (Object v : p.getList(f)) {
          line.append(' ').append(v);
        }
        System.out.println(line);
      }
    }
  }

  private static String oneLine(String text) {
    return String.valueOf(text).replace('\n', ' ').replace('\r', ' ');
  }
}
