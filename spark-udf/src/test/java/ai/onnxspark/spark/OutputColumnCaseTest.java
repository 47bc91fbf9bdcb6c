package ai.onnxspark.spark;

import static ai.onnxspark.sql.OnnxFunctions.onnxPredict;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxspark.OnnxException;
import ai.onnxspark.model.ElementType;
import ai.onnxspark.testing.SparkTestBase;
import ai.onnxspark.testing.TestModels;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Output column names are checked against existing columns and each other the way Spark compares
 * them: ignoring case unless {@code spark.sql.caseSensitive=true}.
 */
class OutputColumnCaseTest extends SparkTestBase {
  /** Input {@code x} float[3], output {@code y} = 2x + 1. */
  private static final byte[] MODEL = TestModels.twoXPlusOne(ElementType.FLOAT, "batch", 3);

  private static Dataset<Row> frameWithUpperY() {
    StructType schema =
        new StructType()
            .add("x", DataTypes.createArrayType(DataTypes.FloatType, false), false)
            .add("Y", DataTypes.StringType, true);
    return spark.createDataFrame(List.of(RowFactory.create(new float[] {1, 2, 3}, "old")), schema);
  }

  @AfterEach
  void resetCase() {
    spark.conf().unset("spark.sql.caseSensitive");
  }

  @Test
  void transformRefusesOutputDifferingInCaseOnlyByDefault() {
    assertThatThrownBy(() -> OnnxModel.fromBytes(MODEL).transform(frameWithUpperY()))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("'y'")
        .hasMessageContaining("'Y'")
        .hasMessageContaining("spark.sql.caseSensitive")
        .hasMessageContaining("withOutput");
  }

  @Test
  void transformRefusesErrorAndStructColumnsDifferingInCaseOnly() {
    assertThatThrownBy(
            () ->
                OnnxModel.fromBytes(MODEL)
                    .withOutput("y", "out")
                    .withPermissive("y")
                    .transform(frameWithUpperY()))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("'Y'");
    assertThatThrownBy(
            () ->
                OnnxModel.fromBytes(MODEL)
                    .withOutput("y", "out")
                    .withStructOutput("y")
                    .transform(frameWithUpperY()))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("'Y'");
  }

  @Test
  void transformAllowsOutputDifferingInCaseWhenCaseSensitive() {
    spark.conf().set("spark.sql.caseSensitive", "true");
    Dataset<Row> scored = OnnxModel.fromBytes(MODEL).transform(frameWithUpperY());
    assertThat(scored.columns()).containsExactly("x", "Y", "y");
    Row row = scored.select("Y", "y").first();
    assertThat(row.getString(0)).isEqualTo("old");
    assertThat(row.<Float>getList(1)).containsExactly(3f, 5f, 7f);
  }

  @Test
  void outputsDifferingInCaseOnlyAreDuplicatesByDefault() {
    OnnxModel model = OnnxModel.fromBytes(MODEL).withOutput("y", "y").withArgmax("y", "Y");
    Dataset<Row> df = frameWithUpperY().drop("Y");
    assertThatThrownBy(() -> model.transform(df))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("'y' and 'Y'");
    assertThatThrownBy(() -> df.withColumn("pred", onnxPredict(model, "x")))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("'y' and 'Y'");
  }

  @Test
  void outputsDifferingInCaseAreAllowedWhenCaseSensitive() {
    spark.conf().set("spark.sql.caseSensitive", "true");
    OnnxModel model = OnnxModel.fromBytes(MODEL).withOutput("y", "y").withArgmax("y", "Y");
    Dataset<Row> df = frameWithUpperY().drop("Y");
    assertThat(model.transform(df).columns()).containsExactly("x", "y", "Y");
    Row row = df.withColumn("pred", onnxPredict(model, "x")).select("pred.y", "pred.Y").first();
    assertThat(row.<Float>getList(0)).containsExactly(3f, 5f, 7f);
    assertThat(row.getInt(1)).isEqualTo(2);
  }

  @Test
  void withColumnOfTheColumnFunctionFollowsSparkForAColumnDifferingInCase() {
    // withColumn replaces a column Spark takes for the same (Y, by default); case-sensitive, it
    // adds y beside Y. Either way a later reference to y is not ambiguous.
    Row replaced =
        frameWithUpperY()
            .withColumn("y", onnxPredict(OnnxModel.fromBytes(MODEL), "x"))
            .select("y")
            .first();
    assertThat(replaced.<Float>getList(0)).containsExactly(3f, 5f, 7f);
    spark.conf().set("spark.sql.caseSensitive", "true");
    Dataset<Row> added =
        frameWithUpperY().withColumn("y", onnxPredict(OnnxModel.fromBytes(MODEL), "x"));
    assertThat(added.columns()).containsExactly("x", "Y", "y");
    assertThat(added.select("y").first().<Float>getList(0)).containsExactly(3f, 5f, 7f);
  }
}
