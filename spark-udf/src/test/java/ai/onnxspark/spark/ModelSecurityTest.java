package ai.onnxspark.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ai.onnxspark.OnnxException;
import ai.onnxspark.OnnxOption;
import ai.onnxspark.OnnxOptions;
import ai.onnxspark.internal.session.SessionCache;
import ai.onnxspark.model.ElementType;
import ai.onnxspark.testing.EveryLine;
import ai.onnxspark.testing.TestModels;
import ai.onnxspark.testing.TestTokenizers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a SQL user can make the library load: static settings ({@code spark.onnx.native.dir}, {@code
 * spark.onnx.models.allowedRoots}, {@code spark.onnx.models.maxBytes}) come from the cluster
 * configuration only; model paths set in a session must be under an allowed root and are refused
 * without a word about the file; models named by configuration are read again when they change.
 */
@EveryLine
class ModelSecurityTest {
  private static final long MAX_BYTES = 100_000;

  @TempDir static Path root;

  private static SparkSession spark;
  private static Path allowed;
  private static Path outside;
  private static TestModels.Affine launched;

  @BeforeAll
  static void start() throws Exception {
    SparkSession.getActiveSession()
        .foreach(
            s -> {
              s.stop();
              return null;
            });
    allowed = Files.createDirectories(root.resolve("allowed"));
    outside = Files.createDirectories(root.resolve("outside"));
    launched = new TestModels.Affine(8, 3, 11);
    Files.write(outside.resolve("launched.onnx"), launched.bytes);
    Files.write(
        outside.resolve("words.onnx"), TokenizerTest.bertLike(ElementType.INT64, "seq", false));
    TestTokenizers.write(outside.resolve("tokenizer.json"), TestTokenizers.wordPieceJson());
    spark =
        SparkSession.builder()
            .master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.sql.extensions", "ai.onnxspark.sql.OnnxSparkExtensions")
            .config(OnnxOptions.MODELS_ALLOWED_ROOTS_CONF, allowed + ",s3a://bucket/models")
            .config(OnnxOptions.MODELS_MAX_BYTES_CONF, Long.toString(MAX_BYTES))
            .config("spark.onnx.models.launched.path", outside.resolve("launched.onnx").toString())
            .config("spark.onnx.models.words.path", outside.resolve("words.onnx").toString())
            .config(
                "spark.onnx.models.words.tokenizer", outside.resolve("tokenizer.json").toString())
            .getOrCreate();
    frame(TransformTest.randomRows(6, 8, 4)).createOrReplaceTempView("t");
    List<Row> reviews = new ArrayList<>();
    for (int i = 0; i < TokenizerTest.TEXTS.size(); i++) {
      reviews.add(RowFactory.create(i, TokenizerTest.TEXTS.get(i)));
    }
    spark
        .createDataFrame(
            reviews,
            new StructType().add("id", DataTypes.IntegerType).add("review", DataTypes.StringType))
        .createOrReplaceTempView("reviews");
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @AfterEach
  void resetSessionSettings() {
    spark.conf().unset(OnnxOptions.NATIVE_DIR_CONF);
    spark.conf().unset(OnnxOptions.MODELS_ALLOWED_ROOTS_CONF);
    spark.conf().unset(OnnxOptions.MODELS_MAX_BYTES_CONF);
    spark
        .conf()
        .set("spark.onnx.models.words.tokenizer", outside.resolve("tokenizer.json").toString());
  }

  // 1. Native libraries: a static setting, refused in a session.

  @Test
  void nativeFolderSetInASessionIsRefusedAndNothingIsLoadedFromIt() {
    Path natives = root.resolve("natives-from-session");
    String nativePathBefore = System.getProperty("onnxruntime.native.path");
    spark.sql("SET " + OnnxOptions.NATIVE_DIR_CONF + "=" + natives);

    OnnxException sql =
        catchThrowableOfType(
            OnnxException.class,
            () -> spark.sql("SELECT onnx_predict('launched', x) FROM t").collectAsList());
    assertThat(sql.errorClass()).isEqualTo(OnnxException.ErrorClass.CONFIGURATION);
    assertThat(sql)
        .hasMessageContaining("'" + OnnxOptions.NATIVE_DIR_CONF + "' is static")
        .hasMessageContaining("cluster or launch configuration");

    spark.conf().set(OnnxOptions.NATIVE_DIR_CONF, natives.toString());
    OnnxModel model = OnnxModel.fromBytes(launched.bytes);
    assertThatThrownBy(() -> model.transform(spark.table("t")).collectAsList())
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("is static");

    assertThat(natives).doesNotExist();
    assertThat(System.getProperty("onnxruntime.native.path")).isEqualTo(nativePathBefore);
    // Without the session's value, the same scoring runs.
    spark.conf().unset(OnnxOptions.NATIVE_DIR_CONF);
    assertThat(model.transform(spark.table("t")).count()).isEqualTo(6);
  }

  @Test
  void theRegistryAndTheReadmeTableMarkStaticSettings() {
    for (String key :
        List.of(
            OnnxOptions.NATIVE_DIR_CONF,
            OnnxOptions.MODELS_ALLOWED_ROOTS_CONF,
            OnnxOptions.MODELS_MAX_BYTES_CONF)) {
      OnnxOption option = OnnxOptions.forConfKey(key).orElseThrow();
      assertThat(option.isStatic()).as(key).isTrue();
      assertThat(OnnxOptions.markdownTable())
          .contains(
              "| `" + key + "` | `" + option.defaultValue() + "` | Spark conf at launch only");
    }
    assertThat(OnnxOptions.forConfKey(OnnxOptions.BATCH_SIZE_CONF).orElseThrow().isStatic())
        .isFalse();
  }

  // 2. Model files named in a session: only under allowed roots, saying nothing about others.

  @Test
  void aSessionCannotReadFilesOutsideTheAllowedRootsNorLearnAboutThem() throws Exception {
    String passwd = refusal("pw", "/etc/passwd");
    String missing = refusal("pw", "/etc/no-such-file-here");
    long size = Files.size(Path.of("/etc/passwd"));

    assertThat(passwd)
        .contains("spark.onnx.models.pw.path", OnnxOptions.MODELS_ALLOWED_ROOTS_CONF)
        .doesNotContain("does not exist")
        .doesNotContain("bytes")
        .doesNotContain(Long.toString(size))
        .doesNotContain("root:");
    // Whether the file exists or not, the message is the same.
    assertThat(passwd.replace("/etc/passwd", "<path>"))
        .isEqualTo(missing.replace("/etc/no-such-file-here", "<path>"));
    assertThat(refusal("pw2", "file:///etc/passwd")).doesNotContain("bytes");
    assertThat(refusal("remote", "s3a://other-bucket/models/m.onnx"))
        .contains("s3a://bucket/models");
  }

  @Test
  void dotDotAndLinksDoNotEscapeAnAllowedRoot() throws Exception {
    // A valid model, outside the root: reachable only by escaping it.
    String escape = allowed + "/../outside/launched.onnx";
    assertThat(refusal("escape", escape)).doesNotContain("bytes");
    Path link =
        Files.createSymbolicLink(allowed.resolve("link.onnx"), outside.resolve("launched.onnx"));
    assertThat(refusal("link", link.toString())).doesNotContain("bytes");
    Path folderLink = Files.createSymbolicLink(allowed.resolve("elsewhere"), outside);
    assertThat(refusal("folderLink", folderLink.resolve("launched.onnx").toString()))
        .doesNotContain("bytes");
    // Prefixes count by whole folders: <root>-sibling is not under <root>.
    Path sibling = Files.createDirectories(root.resolve("allowed-sibling"));
    Files.write(sibling.resolve("m.onnx"), launched.bytes);
    refusal("sibling", sibling.resolve("m.onnx").toString());
  }

  @Test
  void aModelUnderAnAllowedRootScores() throws Exception {
    TestModels.Affine affine = new TestModels.Affine(8, 3, 21);
    Path file = Files.write(allowed.resolve("ok.onnx"), affine.bytes);
    spark.sql("SET spark.onnx.models.ok.path=" + file);
    assertScoresWith("ok", affine);
    // A path under the root that does not exist may say so: the root is the administrator's.
    spark.sql("SET spark.onnx.models.gone.path=" + allowed.resolve("gone.onnx"));
    assertThatThrownBy(() -> query("gone")).hasMessageContaining("does not exist");
  }

  @Test
  void aPathFromTheClusterConfigurationIsTrustedWithoutTheAllowlist() {
    assertScoresWith("launched", launched);
  }

  @Test
  void theAllowedRootsAndTheSizeCapCannotBeChangedInASession() {
    spark.conf().set(OnnxOptions.MODELS_ALLOWED_ROOTS_CONF, "/");
    spark.sql("SET spark.onnx.models.pw3.path=/etc/passwd");
    assertThatThrownBy(() -> query("pw3"))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("'" + OnnxOptions.MODELS_ALLOWED_ROOTS_CONF + "' is static")
        .hasMessageNotContaining("does not exist");
    spark.conf().unset(OnnxOptions.MODELS_ALLOWED_ROOTS_CONF);

    spark.conf().set(OnnxOptions.MODELS_MAX_BYTES_CONF, "999999999999");
    assertThatThrownBy(() -> query("launched"))
        .hasMessageContaining("'" + OnnxOptions.MODELS_MAX_BYTES_CONF + "' is static");
  }

  @Test
  void filesOverTheSizeCapAreRefusedBeforeTheyAreRead() throws Exception {
    Path big = Files.write(allowed.resolve("big.onnx"), new byte[(int) MAX_BYTES + 1]);
    spark.sql("SET spark.onnx.models.big.path=" + big);
    assertThatThrownBy(() -> query("big"))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("more than " + OnnxOptions.MODELS_MAX_BYTES_CONF + " = " + MAX_BYTES)
        .hasMessageNotContaining("not a readable ONNX model");
  }

  // 3. Models named by configuration follow their path and file.

  @Test
  void changingThePathScoresWithTheNewModel() throws Exception {
    TestModels.Affine a = new TestModels.Affine(8, 3, 31);
    TestModels.Affine b = new TestModels.Affine(8, 3, 32);
    Path fileA = Files.write(allowed.resolve("a.onnx"), a.bytes);
    Path fileB = Files.write(allowed.resolve("b.onnx"), b.bytes);

    spark.sql("SET spark.onnx.models.chg.path=" + fileA);
    assertScoresWith("chg", a);
    spark.sql("SET spark.onnx.models.chg.path=" + fileB);
    assertScoresWith("chg", b);
    spark.sql("SET spark.onnx.models.chg.path=" + fileA);
    assertScoresWith("chg", a);
  }

  @Test
  void replacingTheFileScoresWithTheNewModelAndReleasesTheOld() throws Exception {
    TestModels.Affine a = new TestModels.Affine(8, 3, 41);
    TestModels.Affine b = new TestModels.Affine(8, 3, 42);
    assertThat(a.bytes).hasSameSizeAs(b.bytes); // only the modification time tells them apart
    Path file = Files.write(allowed.resolve("replaced.onnx"), a.bytes);
    FileTime written = Files.getLastModifiedTime(file);

    spark.sql("SET spark.onnx.models.rep.path=" + file);
    assertScoresWith("rep", a);
    assertScoresWith("rep", a);
    long closesBefore = SessionCache.get().stats().closes();

    Files.write(file, b.bytes);
    Files.setLastModifiedTime(file, FileTime.fromMillis(written.toMillis() + 10_000));
    assertScoresWith("rep", b);
    // The replaced model's sessions in this JVM (local mode: the executors') were closed.
    assertThat(SessionCache.get().stats().closes()).isGreaterThan(closesBefore);
  }

  private static String refusal(String name, String path) {
    spark.conf().set("spark.onnx.models." + name + ".path", path);
    try {
      OnnxException e = catchThrowableOfType(OnnxException.class, () -> query(name));
      assertThat(e).as("refused: %s", path).isNotNull();
      assertThat(e.errorClass()).isEqualTo(OnnxException.ErrorClass.CONFIGURATION);
      assertThat(e).hasMessageContaining("may only name model files under the roots");
      return e.getMessage();
    } finally {
      spark.conf().unset("spark.onnx.models." + name + ".path");
    }
  }

  // 4. Tokenizer files named in a session: as model files.

  @Test
  void aTokenizerFromTheClusterConfigurationIsTrusted() {
    List<Row> rows = words("SELECT id, onnx_predict('words', review) FROM reviews");
    assertThat(rows).hasSize(TokenizerTest.TEXTS.size());
    // "Hello, world!" is [CLS] hello , world ! [SEP].
    assertThat(TokenizerTest.floatsToLongs(rows.get(0).getStruct(1).getList(0)))
        .containsExactly(2, 40, 31, 41, 32, 3);
  }

  @Test
  void aTokenizerNamedInASessionMustBeUnderAnAllowedRoot() throws Exception {
    // The session replaces the trusted tokenizer: no longer the launch's value, so checked.
    spark.sql("SET spark.onnx.models.words.tokenizer=/etc/passwd");
    String registered = tokenizerRefusal("SELECT id, onnx_predict('words', review) FROM reviews");
    assertThat(registered).contains("spark.onnx.models.words.tokenizer");
    spark.sql("SET spark.onnx.models.words.tokenizer=/etc/no-such-file-here");
    assertThat(
            tokenizerRefusal("SELECT id, onnx_predict('words', review) FROM reviews")
                .replace("/etc/no-such-file-here", "<path>"))
        .isEqualTo(registered.replace("/etc/passwd", "<path>"));

    // Per call, the same rule.
    assertThat(tokenizerRefusal(perCall("/etc/passwd"))).contains("map('tokenizer', ...)");
    tokenizerRefusal(perCall(allowed + "/../outside/tokenizer.json"));
    Path link =
        Files.createSymbolicLink(
            allowed.resolve("tokenizer-link.json"), outside.resolve("tokenizer.json"));
    tokenizerRefusal(perCall(link.toString()));

    // Under the root, it scores.
    Path ok =
        TestTokenizers.write(allowed.resolve("tokenizer.json"), TestTokenizers.wordPieceJson());
    List<Row> rows = words(perCall(ok.toString()));
    assertThat(TokenizerTest.floatsToLongs(rows.get(0).getStruct(1).getList(0)))
        .containsExactly(2, 40, 31, 41, 32, 3);
  }

  private static String perCall(String tokenizer) {
    return "SELECT id, onnx_predict('words', map('tokenizer', '"
        + tokenizer
        + "'), review) FROM reviews";
  }

  private static List<Row> words(String sql) {
    return spark.sql(sql + " ORDER BY id").collectAsList();
  }

  /** The message refusing {@code sql}'s tokenizer, checked to say nothing about the file. */
  private static String tokenizerRefusal(String sql) throws Exception {
    OnnxException e = catchThrowableOfType(OnnxException.class, () -> words(sql));
    assertThat(e).as(sql).isNotNull();
    assertThat(e.errorClass()).isEqualTo(OnnxException.ErrorClass.CONFIGURATION);
    assertThat(e.getMessage())
        .contains("tokenizer", OnnxOptions.MODELS_ALLOWED_ROOTS_CONF, allowed.toString())
        .doesNotContain("does not exist")
        .doesNotContain("bytes")
        .doesNotContain("root:")
        .doesNotContain("JSON");
    return e.getMessage();
  }

  private static List<Row> query(String name) {
    return spark
        .sql("SELECT id, onnx_predict('" + name + "', x) FROM t ORDER BY id")
        .collectAsList();
  }

  private static void assertScoresWith(String name, TestModels.Affine model) {
    List<Row> rows = query(name);
    float[][] features = TransformTest.randomRows(6, 8, 4);
    assertThat(rows).hasSize(6);
    for (Row row : rows) {
      double[] expected = model.apply(features[(int) row.getLong(0)]);
      List<Float> actual = row.getList(1);
      for (int j = 0; j < expected.length; j++) {
        assertThat((double) actual.get(j))
            .isCloseTo(expected[j], org.assertj.core.data.Offset.offset(1e-4));
      }
    }
  }

  private static Dataset<Row> frame(float[][] features) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < features.length; i++) {
      rows.add(RowFactory.create((long) i, features[i]));
    }
    return spark.createDataFrame(
        rows,
        new StructType()
            .add("id", DataTypes.LongType)
            .add("x", DataTypes.createArrayType(DataTypes.FloatType)));
  }
}
