package ai.onnxspark.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxspark.model.ModelInfo;
import ai.onnxspark.testing.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectJobTest {

  @Test
  void describesTheModel(@TempDir Path dir) throws Exception {
    Path model = Files.write(dir.resolve("mlp.onnx"), TestModels.mlp(16, 8, 3, 1));
    String report = InspectJob.inspect(new String[] {model.toString()});
    assertThat(report)
        .contains("size: " + Files.size(model) + " bytes, sha256 ")
        .contains("features: float[batch,16]")
        .contains("logits: float[batch,3]")
        .contains("opsets: {ai.onnx=17}");
  }

  @Test
  void suggestsFlagsFromTheTableSchema() {
    ModelInfo info = ModelInfo.parse(TestModels.mlp(16, 8, 3, 1), "mlp");
    StructType byName =
        new StructType()
            .add("id", DataTypes.LongType)
            .add("features", DataTypes.createArrayType(DataTypes.FloatType));
    StructType byType =
        new StructType()
            .add("id", DataTypes.LongType)
            .add("x", DataTypes.createArrayType(DataTypes.FloatType));
    StructType none = new StructType().add("id", DataTypes.LongType);

    assertThat(InspectJob.suggest(info, byName))
        .contains(
            "--feed features=features --fetch logits=logits --fetch probabilities=probabilities");
    assertThat(InspectJob.suggest(info, byType)).contains("--feed features=x");
    assertThat(InspectJob.suggest(info, none)).contains("no column found for input(s) [features]");
  }
}
