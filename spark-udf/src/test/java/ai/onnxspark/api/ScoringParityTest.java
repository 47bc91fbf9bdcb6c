package ai.onnxspark.api;

import static ai.onnxspark.sql.OnnxFunctions.onnxPredict;
import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxspark.ml.OnnxTransformer;
import ai.onnxspark.spark.OnnxModel;
import ai.onnxspark.sql.OnnxModels;
import ai.onnxspark.testing.SparkTestBase;
import ai.onnxspark.testing.TestModels;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.Transformer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every option through every API it applies to gives the same rows: {@code transform}, the column
 * function {@code onnxPredict(model)}, SQL's {@code onnx_predict} with an option map, the ML stage,
 * and the ML stage after {@code PipelineModel} save and load. The scorings share one plan, so a
 * feature added to one must show up in all.
 */
class ScoringParityTest extends SparkTestBase {
  @TempDir static Path dir;

  /** One scenario: a model, a table, the options, and the columns SQL passes explicitly. */
  record Case(
      String name,
      byte[] model,
      Dataset<Row> table,
      Map<String, String> options,
      List<String> sqlArguments,
      boolean columnFunction) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Arguments> cases() throws Exception {
    byte[] mlp = TestModels.mlp(4, 8, 3, 21);
    return Stream.of(
            new Case(
                "images",
                TestModels.channelMeans(),
                images(),
                options("image.image", "content", "batch-size", "3"),
                List.of("content"),
                true),
            new Case(
                "images with mean and std",
                TestModels.channelMeans(),
                images(),
                options(
                    "image.image",
                    "content",
                    "image-mean.image",
                    "0.5,0.5,0.5",
                    "image-std.image",
                    "0.25,0.5,1"),
                List.of("content"),
                true),
            new Case(
                "padding and bucketing",
                TestModels.maskedText(),
                sentences(),
                options(
                    "input.ids",
                    "input_ids",
                    "input.mask",
                    "attention_mask",
                    "pad.ids",
                    "0",
                    "pad.mask",
                    "0",
                    "bucket-batches",
                    "3",
                    "batch-size",
                    "4"),
                List.of("input_ids", "attention_mask"),
                true),
            new Case(
                "key column and permissive",
                mlp,
                features(true),
                options(
                    "input.features",
                    "f",
                    "key-column",
                    "id",
                    "permissive",
                    "true",
                    "batch-size",
                    "7"),
                List.of("f"),
                true),
            new Case(
                "error column",
                mlp,
                features(true),
                options("input.features", "f", "error-column", "why"),
                List.of("f"),
                true),
            new Case(
                "post-processing",
                mlp,
                features(false),
                options(
                    "input.features",
                    "f",
                    "output.probabilities",
                    "probs",
                    "softmax.logits",
                    "p",
                    "argmax.logits",
                    "am",
                    "labels.logits",
                    "x,y,z",
                    "label.logits",
                    "l",
                    "top-k.logits",
                    "2",
                    "top-k-indices.logits",
                    "ti",
                    "top-k-scores.logits",
                    "ts"),
                List.of("f"),
                true),
            new Case(
                "narrowing",
                mlp,
                features(false),
                options("input.features", "fd", "narrowing", "true", "batch-size", "5"),
                List.of("fd"),
                true),
            new Case(
                "assembled columns",
                mlp,
                features(false),
                options("input.features", "a,b,c,d"),
                List.of("a", "b", "c", "d"),
                true),
            new Case(
                "struct output",
                mlp,
                features(false),
                options("input.features", "f", "struct-column", "s", "softmax.logits", "p"),
                List.of(),
                false),
            new Case(
                "cut at an intermediate value",
                bytesOf(OnnxModel.fromBytes(mlp).cutAt("h2")),
                features(false),
                options("input.features", "f", "flatten-outputs", "true"),
                List.of("f"),
                true))
        .map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void everyApiScoresTheSameRows(Case c) throws Exception {
    OnnxModel base = OnnxModel.fromBytes(c.model());
    OnnxModel configured = base.withOptions(c.options());
    Dataset<Row> df = c.table();
    Set<String> kept = new HashSet<>(Arrays.asList(df.columns()));

    Map<Long, List<Object>> transformed = added(configured.transform(df), kept);
    assertThat(transformed).hasSize((int) df.count());

    OnnxTransformer stage = new OnnxTransformer().setModel(base).setOptions(c.options());
    assertThat(added(stage.transform(df), kept)).as("ML stage").isEqualTo(transformed);

    Path saved = dir.resolve(c.name().replace(' ', '_'));
    new PipelineModel("parity", new Transformer[] {stage})
        .write()
        .overwrite()
        .save(saved.toString());
    assertThat(added(PipelineModel.load(saved.toString()).transform(df), kept))
        .as("ML stage saved and loaded")
        .isEqualTo(transformed);

    if (!c.columnFunction()) {
      return;
    }
    assertThat(values(df.withColumn("p", onnxPredict(configured)).select("id", "p")))
        .as("onnxPredict(model)")
        .isEqualTo(transformed);

    OnnxModels.register(spark, "parity", base);
    df.createOrReplaceTempView("parity_table");
    String map =
        c.options().entrySet().stream()
            .map(e -> "'" + e.getKey() + "', '" + e.getValue() + "'")
            .collect(Collectors.joining(", ", "map(", ")"));
    String sql =
        "SELECT id, onnx_predict('parity', "
            + map
            + ", "
            + String.join(", ", c.sqlArguments())
            + ") AS p FROM parity_table";
    assertThat(values(spark.sql(sql))).as(sql).isEqualTo(transformed);
  }

  /** The columns {@code scored} added to the table's, by id, as plain Java values. */
  private static Map<Long, List<Object>> added(Dataset<Row> scored, Set<String> kept) {
    List<org.apache.spark.sql.Column> columns = new ArrayList<>(List.of(scored.col("id")));
    Arrays.stream(scored.columns())
        .filter(c -> !kept.contains(c))
        .forEach(c -> columns.add(scored.col(c)));
    Map<Long, List<Object>> rows = new TreeMap<>();
    for (Row row :
        scored.select(columns.toArray(new org.apache.spark.sql.Column[0])).collectAsList()) {
      List<Object> values = new ArrayList<>();
      for (int i = 1; i < row.size(); i++) {
        values.add(plain(row.get(i)));
      }
      rows.put(row.getLong(0), values);
    }
    return rows;
  }

  /** The one column of {@code scored}: a struct's fields, or the single value. */
  private static Map<Long, List<Object>> values(Dataset<Row> scored) {
    Map<Long, List<Object>> rows = new TreeMap<>();
    for (Row row : scored.collectAsList()) {
      Object value = plain(row.get(1));
      @SuppressWarnings("unchecked")
      List<Object> fields =
          row.get(1) instanceof Row ? (List<Object>) value : new ArrayList<>(List.of(value));
      rows.put(row.getLong(0), fields);
    }
    return rows;
  }

  /**
   * A value as plain Java: rows and arrays as lists; in error messages, the row's position is left
   * out, since where a row sits in its partition depends on each plan's shuffle, not on the API.
   */
  private static Object plain(Object value) {
    if (value instanceof String text) {
      return text.replaceAll("row \\d+ of partition \\d+", "row of partition");
    }
    if (value instanceof Row row) {
      List<Object> fields = new ArrayList<>();
      for (int i = 0; i < row.size(); i++) {
        fields.add(plain(row.get(i)));
      }
      return fields;
    }
    if (value instanceof scala.collection.Seq<?> seq) {
      List<Object> items = new ArrayList<>();
      // By hand: Scala 2.12 and 2.13 share the iterator API, not the converters.
      scala.collection.Iterator<?> values = seq.iterator();
      while (values.hasNext()) {
        items.add(plain(values.next()));
      }
      return items;
    }
    return value;
  }

  private static Map<String, String> options(String... keysAndValues) {
    Map<String, String> map = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      map.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return map;
  }

  /** Four floats per row as an array (f), an array of doubles (fd) and columns a..d; a null row. */
  private static Dataset<Row> features(boolean withNull) {
    Random random = new Random(5);
    List<Row> data = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      Float[] f = new Float[4];
      Double[] fd = new Double[4];
      for (int j = 0; j < 4; j++) {
        f[j] = (float) random.nextGaussian();
        fd[j] = (double) f[j];
      }
      boolean bad = withNull && i % 11 == 4;
      data.add(RowFactory.create((long) i, bad ? null : f, fd, f[0], f[1], f[2], f[3]));
    }
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType)
            .add("f", DataTypes.createArrayType(DataTypes.FloatType, false))
            .add("fd", DataTypes.createArrayType(DataTypes.DoubleType, false))
            .add("a", DataTypes.FloatType)
            .add("b", DataTypes.FloatType)
            .add("c", DataTypes.FloatType)
            .add("d", DataTypes.FloatType);
    return spark.createDataFrame(data, schema).repartition(3).sortWithinPartitions("id");
  }

  /** PNG images of different sizes and colours in a binary column, as binaryFile reads them. */
  private static Dataset<Row> images() throws Exception {
    Random random = new Random(8);
    List<Row> data = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      int size = 3 + random.nextInt(8);
      BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
      for (int y = 0; y < size; y++) {
        for (int x = 0; x < size; x++) {
          image.setRGB(x, y, random.nextInt(1 << 24));
        }
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ImageIO.write(image, "png", out);
      data.add(RowFactory.create((long) i, out.toByteArray()));
    }
    return spark
        .createDataFrame(
            data,
            new StructType().add("id", DataTypes.LongType).add("content", DataTypes.BinaryType))
        .repartition(2)
        .sortWithinPartitions("id");
  }

  private static Dataset<Row> sentences() {
    Random random = new Random(4);
    List<Row> data = new ArrayList<>();
    for (int r = 0; r < 40; r++) {
      int length = 1 + random.nextInt(12);
      Long[] ids = new Long[length];
      Long[] mask = new Long[length];
      for (int t = 0; t < length; t++) {
        ids[t] = (long) (1 + random.nextInt(500));
        mask[t] = random.nextInt(5) == 0 ? 0L : 1L;
      }
      data.add(RowFactory.create((long) r, ids, mask));
    }
    return spark
        .createDataFrame(
            data,
            new StructType()
                .add("id", DataTypes.LongType)
                .add("input_ids", DataTypes.createArrayType(DataTypes.LongType, false))
                .add("attention_mask", DataTypes.createArrayType(DataTypes.LongType, false)))
        .repartition(2)
        .sortWithinPartitions("id");
  }

  private static byte[] bytesOf(OnnxModel model) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    model.writeTo(out);
    return out.toByteArray();
  }
}
