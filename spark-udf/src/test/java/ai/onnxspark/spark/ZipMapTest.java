package ai.onnxspark.spark;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxspark.model.ElementType;
import ai.onnxspark.onnx.OnnxProto.AttributeProto;
import ai.onnxspark.onnx.OnnxProto.ModelProto;
import ai.onnxspark.onnx.OnnxProto.NodeProto;
import ai.onnxspark.onnx.OnnxProto.OperatorSetIdProto;
import ai.onnxspark.onnx.OnnxProto.TensorProto;
import ai.onnxspark.onnx.OnnxProto.TypeProto;
import ai.onnxspark.onnx.OnnxProto.ValueInfoProto;
import ai.onnxspark.testing.ModelBuilder;
import ai.onnxspark.testing.SparkTestBase;
import com.google.protobuf.ByteString;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.Test;

/**
 * scikit-learn classifiers end in ZipMap: a sequence with one map of class to probability per row.
 * It becomes a Spark map column, keyed by int64 or string labels.
 */
class ZipMapTest extends SparkTestBase {

  /** x float[batch,3] to a sequence of maps {label: x[i]} with the given labels. */
  private static byte[] zipMap(boolean stringLabels) {
    ModelProto base =
        new ModelBuilder("zipmap")
            .input("x", ElementType.FLOAT, "batch", 3)
            .node("Identity", "x", "x1")
            .output("x1", ElementType.FLOAT, "batch", 3)
            .toProto();
    AttributeProto.Builder labels = AttributeProto.newBuilder();
    if (stringLabels) {
      labels.setName("classlabels_strings").setType(AttributeProto.AttributeType.STRINGS);
      for (String l : List.of("cat", "dog", "eel")) {
        labels.addStrings(ByteString.copyFromUtf8(l));
      }
    } else {
      labels
          .setName("classlabels_int64s")
          .setType(AttributeProto.AttributeType.INTS)
          .addAllInts(List.of(10L, 20L, 30L));
    }
    TypeProto mapType =
        TypeProto.newBuilder()
            .setSequenceType(
                TypeProto.Sequence.newBuilder()
                    .setElemType(
                        TypeProto.newBuilder()
                            .setMapType(
                                TypeProto.Map.newBuilder()
                                    .setKeyType(
                                        stringLabels
                                            ? TensorProto.DataType.STRING_VALUE
                                            : TensorProto.DataType.INT64_VALUE)
                                    .setValueType(
                                        TypeProto.newBuilder()
                                            .setTensorType(
                                                TypeProto.Tensor.newBuilder()
                                                    .setElemType(
                                                        TensorProto.DataType.FLOAT_VALUE))))))
            .build();
    ModelProto.Builder model = base.toBuilder();
    model.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("ai.onnx.ml").setVersion(1));
    model
        .getGraphBuilder()
        .addNode(
            NodeProto.newBuilder()
                .setOpType("ZipMap")
                .setDomain("ai.onnx.ml")
                .setName("zip")
                .addInput("x1")
                .addOutput("probabilities")
                .addAttribute(labels))
        .addOutput(ValueInfoProto.newBuilder().setName("probabilities").setType(mapType));
    return model.build().toByteArray();
  }

  @Test
  void zipMapOutputsBecomeMapColumns() {
    Dataset<Row> df =
        TransformTest.featuresFrame(new float[][] {{0.1f, 0.7f, 0.2f}, {0.5f, 0.25f, 0.25f}}, 1);
    for (boolean strings : new boolean[] {false, true}) {
      Dataset<Row> scored =
          OnnxModel.fromBytes(zipMap(strings))
              .withInput("x", "features")
              .withOutput("probabilities", "p")
              .withBatchSize(2)
              .transform(df);

      assertThat(scored.schema().apply("p").dataType())
          .isEqualTo(
              DataTypes.createMapType(
                  strings ? DataTypes.StringType : DataTypes.LongType, DataTypes.FloatType, false));
      List<Row> rows = scored.orderBy("id").collectAsList();
      Map<Object, Float> first = rows.get(0).getJavaMap(2);
      Map<Object, Float> second = rows.get(1).getJavaMap(2);
      if (strings) {
        assertThat(first)
            .containsExactlyInAnyOrderEntriesOf(Map.of("cat", 0.1f, "dog", 0.7f, "eel", 0.2f));
        assertThat(second).containsEntry("cat", 0.5f);
      } else {
        assertThat(first)
            .containsExactlyInAnyOrderEntriesOf(Map.of(10L, 0.1f, 20L, 0.7f, 30L, 0.2f));
        assertThat(second).containsEntry(10L, 0.5f);
      }
    }
  }
}
