package ai.onnxspark.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxspark.OnnxException;
import ai.onnxspark.OnnxOptions;
import ai.onnxspark.model.ElementType;
import ai.onnxspark.testing.SparkTestBase;
import ai.onnxspark.testing.TestModels;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every bad option value, session-wide or per call, and every unusable model location fails with an
 * {@link OnnxException} that names the key (or location), the value and what is allowed; never a
 * raw Java exception, never silently another value.
 */
class OptionValidationTest extends SparkTestBase {
  private static final byte[] MODEL = TestModels.twoXPlusOne(ElementType.FLOAT, "batch", 3);

  private static Dataset<Row> frame() {
    StructType schema =
        new StructType().add("x", DataTypes.createArrayType(DataTypes.FloatType, false), false);
    return spark
        .createDataFrame(List.of(RowFactory.create((Object) new float[] {1, 2, 3})), schema)
        .coalesce(1);
  }

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource({
    "spark.onnx.batchTimeoutMs, abc",
    "spark.onnx.batchTimeoutMs, -5",
    "spark.onnx.permissive, yes",
    "spark.onnx.sessionCache.maxSessions, -1",
    "spark.onnx.sessionCache.maxSessions, many",
    "spark.onnx.batchSize, 0",
    "spark.onnx.batchSize, 99999999999",
    "spark.onnx.intraOpThreads, -1",
    "spark.onnx.interOpThreads, 0",
    "spark.onnx.device, gpu",
    "spark.onnx.deviceFallback, maybe",
    "spark.onnx.optimizationLevel, max",
    "spark.onnx.gpu.deviceId, first",
    "spark.onnx.maxBatchBytes, 0",
    "spark.onnx.maxBatchBytes, lots",
  })
  void badSessionValueNamesKeyValueAndAllowed(String confKey, String value) {
    String allowed = OnnxOptions.forConfKey(confKey).orElseThrow().values();
    spark.conf().set(confKey, value);
    try {
      assertThatThrownBy(() -> OnnxModel.fromBytes(MODEL).transform(frame()).collect())
          .isInstanceOf(OnnxException.class)
          .hasMessageContaining("'" + confKey + "'")
          .hasMessageContaining("'" + value + "'")
          .hasMessageContaining(allowed)
          .extracting(e -> ((OnnxException) e).errorClass())
          .isEqualTo(OnnxException.ErrorClass.CONFIGURATION);
    } finally {
      spark.conf().unset(confKey);
    }
  }

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource({
    "batch-timeout-ms, abc",
    "permissive, yes",
    "batch-size, -3",
    "device, gpu",
    "optimization-level, max",
    "gpus-per-task, half",
    "bucket-batches, 0",
    "max-batch-bytes, -1",
  })
  void badPerCallValueNamesKeyValueAndAllowed(String key, String value) {
    String allowed = OnnxOptions.forKey(key).orElseThrow().values();
    assertThatThrownBy(
            () -> OnnxModel.fromBytes(MODEL).withOption(key, value).transform(frame()).collect())
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("'" + key + "'")
        .hasMessageContaining("'" + value + "'")
        .hasMessageContaining(allowed);
  }

  @Test
  void httpModelUrlIsRefusedClearly() {
    assertThatThrownBy(() -> OnnxModel.fromPath("http://127.0.0.1:9/models/mlp.onnx"))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("'http://127.0.0.1:9/models/mlp.onnx'")
        .hasMessageContaining("http")
        .hasMessageContaining("Download")
        .extracting(e -> ((OnnxException) e).errorClass())
        .isEqualTo(OnnxException.ErrorClass.MODEL);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "s3a://bucket/models/mlp.onnx, org.apache.hadoop:hadoop-aws",
    "gs://bucket/models/mlp.onnx, gcs-connector",
    "abfss://c@account.dfs.core.windows.net/mlp.onnx, hadoop-azure",
    "nosuchfs://host/mlp.onnx, nosuchfs",
  })
  void missingFileSystemNamesThePackageToAdd(String uri, String fix) {
    assertThatThrownBy(() -> OnnxModel.fromPath(uri))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("'" + uri + "'")
        .hasMessageContaining(fix)
        .extracting(e -> ((OnnxException) e).errorClass())
        .isEqualTo(OnnxException.ErrorClass.CONFIGURATION);
  }

  @Test
  void directoryIsNotAModelFile(@TempDir Path dir) throws Exception {
    // A folder is a model when it holds exactly one .onnx file (ModelShippingTest); this one holds
    // none, though it is named like one.
    Path folder = Files.createDirectory(dir.resolve("model.onnx"));
    assertThatThrownBy(() -> OnnxModel.fromPath(folder.toString()))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("model.onnx' holds no .onnx file. Give the path of the .onnx file");
    assertThatThrownBy(() -> OnnxModel.fromPath(folder.toUri().toString()))
        .isInstanceOf(OnnxException.class)
        .hasMessageContaining("holds no .onnx file");
  }

  @Test
  void goodValuesStillScore() {
    spark.conf().set("spark.onnx.permissive", "TRUE");
    try {
      assertThat(OnnxModel.fromBytes(MODEL).transform(frame()).collectAsList()).hasSize(1);
    } finally {
      spark.conf().unset("spark.onnx.permissive");
    }
  }
}
