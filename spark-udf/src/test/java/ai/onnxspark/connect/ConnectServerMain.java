package ai.onnxspark.connect;

import java.util.Map;
import org.apache.spark.ml.Transformer;
import org.apache.spark.sql.connect.ml.MLUtils$;
import org.apache.spark.sql.connect.service.SparkConnectServer;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The Spark Connect server of {@link SparkConnectIT}, in a JVM of its own: first reports, on
 * standard output, what Spark Connect ML's registry of transformers (the {@code ServiceLoader} of
 * {@link Transformer} that {@code MLUtils} reads) holds for {@code
 * ai.onnxspark.ml.OnnxTransformer}, then runs Spark's {@link SparkConnectServer}, configured by
 * {@code spark.*} system properties.
 */
public final class ConnectServerMain {
  /** The transformer class the report looks for. */
  static final String STAGE = "ai.onnxspark.ml.OnnxTransformer";

  /** The prefix of the report line. */
  static final String REPORT = "connect-ml-transformer=";

  private ConnectServerMain() {}

  /**
   * Reports the ML registry's entry for {@link #STAGE}, then starts the server.
   *
   * @param args passed on to {@link SparkConnectServer}
   */
  public static void main(String[] args) throws Exception {
    Map<String, Class<?>> transformers =
        CollectionConverters.asJava(MLUtils$.MODULE$.loadOperators(Transformer.class));
    Class<?> stage = transformers.get(STAGE);
    if (stage == null) {
      System.out.println(REPORT + "missing among " + transformers.keySet());
    } else {
      // Spark Connect ML creates a stage by its uid constructor; ServiceLoader needs the other.
      Object made = stage.getConstructor(String.class).newInstance("onnx_connect");
      Object plain = stage.getConstructor().newInstance();
      System.out.println(
          REPORT
              + stage.getName()
              + " uid="
              + ((Transformer) made).uid()
              + " noArgUid="
              + ((Transformer) plain).uid());
    }
    System.out.flush();
    SparkConnectServer.main(args);
  }
}
