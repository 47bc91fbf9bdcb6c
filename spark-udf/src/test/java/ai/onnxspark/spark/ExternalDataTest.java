package ai.onnxspark.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxspark.OnnxException;
import ai.onnxspark.model.ElementType;
import ai.onnxspark.testing.ModelBuilder;
import ai.onnxspark.testing.SparkTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model read from a path whose weights are ONNX external data ({@code weights.bin} beside {@code
 * model.onnx}) finds them next to the model, not in the working directory, though executors create
 * their sessions from the broadcast bytes.
 */
class ExternalDataTest extends SparkTestBase {
  private static final float[] WEIGHTS = {0.5f, -1f, 2f, 10f};

  @Test
  void externalDataIsReadFromTheModelsFolder(@TempDir Path dir) throws Exception {
    Path model = writeModel(Files.createDirectories(dir.resolve("model")));

    OnnxModel onnx = OnnxModel.fromPath(model.toString());
    List<Row> rows = onnx.transform(frame()).orderBy("id").collectAsList();

    assertThat(rows).hasSize(2);
    for (Row row : rows) {
      List<Float> x = row.getList(1);
      List<Float> y = row.getList(2);
      for (int i = 0; i < WEIGHTS.length; i++) {
        assertThat(y.get(i)).isEqualTo(x.get(i) + WEIGHTS[i]);
      }
    }
    // The column function (SQL's path) too, from a relative path.
    Path relative = Path.of("").toAbsolutePath().relativize(model);
    List<Row> column =
        frame()
            .select(
                ai.onnxspark.sql.OnnxFunctions.onnxPredict(
                    OnnxModel.fromPath(relative.toString()),
                    org.apache.spark.sql.functions.col("x")))
            .collectAsList();
    assertThat(column).hasSize(2);
  }

  @Test
  void theSameBytesWithoutTheirFolderSayTheyNeedTheirExternalData(@TempDir Path dir)
      throws Exception {
    Path model = writeModel(Files.createDirectories(dir.resolve("model")));
    OnnxModel fromBytes = OnnxModel.fromBytes(Files.readAllBytes(model));
    assertThatThrownBy(() -> fromBytes.transform(frame()))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("external data (weights.bin)")
        .hasMessageContaining("given as bytes")
        .hasMessageContaining("OnnxModel.fromPath");
  }

  @Test
  void externalDataCannotBeReadFromOutsideTheModelsFolder(@TempDir Path dir) throws Exception {
    Path folder = Files.createDirectories(dir.resolve("model"));
    Path model = writeModel(folder);
    Files.copy(folder.resolve("weights.bin"), dir.resolve("secret.bin"));
    byte[] escaping =
        new ModelBuilder("external")
            .input("x", ElementType.FLOAT, "batch", WEIGHTS.length)
            .externalInitializer(
                "W", new long[] {WEIGHTS.length}, "../secret.bin", 8, 4L * WEIGHTS.length)
            .node("Add", new String[] {"x", "W"}, new String[] {"y"})
            .output("y", ElementType.FLOAT, "batch", WEIGHTS.length)
            .build();
    Files.write(model, escaping);
    assertThatThrownBy(() -> OnnxModel.fromPath(model.toString()))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("tensor 'W'")
        .hasMessageContaining("'../secret.bin', outside the model's folder");
    assertThatThrownBy(() -> OnnxModel.fromBytes(escaping))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("outside the model's folder");
  }

  private static OnnxException findOnnx(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof OnnxException o) {
        return o;
      }
    }
    throw new AssertionError("no OnnxException in " + e);
  }

  /** {@code y = x + W}, W float[4] stored in {@code weights.bin} beside the model. */
  private static Path writeModel(Path folder) throws Exception {
    return ModelShippingTest.writeExternalModel(folder, WEIGHTS);
  }

  private static Dataset<Row> frame() {
    return spark.createDataFrame(
        List.of(
            RowFactory.create(0L, new float[] {1f, 2f, 3f, 4f}),
            RowFactory.create(1L, new float[] {-1f, 0f, 0.25f, 8f})),
        new StructType()
            .add("id", DataTypes.LongType)
            .add("x", DataTypes.createArrayType(DataTypes.FloatType)));
  }
}
