package ai.onnxspark.internal;

import ai.onnxspark.OnnxException;
import ai.onnxspark.OnnxException.ErrorClass;
import ai.onnxspark.OnnxOptions;
import java.util.Collection;

/**
 * Creates every user-facing {@link OnnxException}, so that messages read alike: what is wrong,
 * where (model, input, column, partition and row), and what to do about it.
 *
 * <p>Rows are named by partition and position within the partition (0-based), the coordinates a
 * user can reproduce with {@code df.rdd().zipWithIndex()} or by filtering the partition.
 */
public final class OnnxErrors {
  private OnnxErrors() {}

  /** Where a row sits, for messages. */
  public static String rowAt(int partition, long row) {
    return "row " + row + " of partition " + partition;
  }

  public static OnnxException notAnOnnxModel(
      String source, long size, String why, Throwable cause) {
    return new OnnxException(
        ErrorClass.MODEL,
        "Model "
            + quote(source)
            + " ("
            + size
            + " bytes) is not a readable ONNX model: "
            + why
            + ". Check that the file is a complete .onnx export (not truncated, not a zip or an"
            + " external-data file).",
        cause);
  }

  public static OnnxException modelNotFound(String location, String resolved) {
    return new OnnxException(
        ErrorClass.MODEL,
        "Model file "
            + quote(location)
            + " does not exist"
            + (resolved != null && !resolved.equals(location)
                ? " (resolved to " + resolved + ")"
                : "")
            + ". Give the path of an .onnx file, or a URI such as hdfs://, s3a:// or dbfs:/.");
  }

  /** A model location that names a directory (a local folder, or one of a file system). */
  public static OnnxException modelIsDirectory(String location) {
    return new OnnxException(
        ErrorClass.MODEL,
        "Model path "
            + quote(location)
            + " is a directory, not a model file. Give the path of the .onnx file inside it.");
  }

  /** A model location on a web server ({@code http://}, {@code https://}), which is not read. */
  public static OnnxException modelOverHttp(String location) {
    return new OnnxException(
        ErrorClass.MODEL,
        "Model "
            + quote(location)
            + " is an http(s) URL; models are read from files or Hadoop file systems (hdfs://,"
            + " s3a://, gs://, abfss://, dbfs:/), not from web servers. Download the model and"
            + " give its path, put it on a file system the cluster reads, or pass its bytes to"
            + " OnnxModel.fromBytes.");
  }

  /**
   * No Hadoop FileSystem serves {@code scheme} here (its class is missing from the classpath, or
   * none is configured); says which package to add.
   */
  public static OnnxException fileSystemMissing(
      String location, String scheme, String hadoopVersion, Throwable cause) {
    String s = scheme.toLowerCase(java.util.Locale.ROOT);
    String fix =
        switch (s) {
          case "s3a", "s3", "s3n" ->
              "add org.apache.hadoop:hadoop-aws of the cluster's Hadoop version ("
                  + hadoopVersion
                  + ") and the AWS SDK bundle it depends on (spark-submit --packages"
                  + " org.apache.hadoop:hadoop-aws:"
                  + hadoopVersion
                  + ")"
                  + (s.equals("s3a") ? "" : ", and use the s3a:// scheme");
          case "gs" ->
              "add Google's gcs-connector (com.google.cloud.bigdataoss:gcs-connector, the hadoop3"
                  + " shaded build) to the driver and executors";
          case "abfs", "abfss", "wasb", "wasbs" ->
              "add org.apache.hadoop:hadoop-azure of the cluster's Hadoop version ("
                  + hadoopVersion
                  + ") to the driver and executors";
          default ->
              "add the jar of a Hadoop FileSystem for '"
                  + scheme
                  + "' and set fs."
                  + scheme
                  + ".impl, or copy the model to a file system the cluster reads";
        };
    return new OnnxException(
        ErrorClass.CONFIGURATION,
        "Model "
            + quote(location)
            + " cannot be read: no Hadoop FileSystem for scheme '"
            + scheme
            + "' is available here ("
            + cause.getMessage()
            + "). To read "
            + scheme
            + ":// paths, "
            + fix
            + ".",
        cause);
  }

  public static OnnxException modelUnreadable(String location, Throwable cause) {
    return new OnnxException(
        ErrorClass.MODEL,
        "Model file "
            + quote(location)
            + " could not be read: "
            + cause.getMessage()
            + ". Check the path, the permissions and, for cloud URIs, the file system's credentials.",
        cause);
  }

  public static OnnxException modelTooLarge(String location, long size) {
    return new OnnxException(
        ErrorClass.MODEL,
        "Model file "
            + quote(location)
            + " is "
            + size
            + " bytes; models of 2 GB or more must keep their weights as ONNX external data.");
  }

  /**
   * A model file over {@code maxBytesKey}'s limit; said before anything is read. Only for files the
   * session may read (static paths, or under an allowed root).
   */
  public static OnnxException modelOverLimit(
      String location, long size, long limit, String maxBytesKey) {
    return new OnnxException(
        ErrorClass.MODEL,
        "Model file "
            + quote(location)
            + " is "
            + size
            + " bytes, more than "
            + maxBytesKey
            + " = "
            + limit
            + ". Use a smaller model, or ask the administrator to raise "
            + maxBytesKey
            + " in the cluster configuration.");
  }

  /**
   * A static setting ({@code key}) given another value in a session than the application's {@code
   * SparkConf} has. Names neither value's file or folder contents.
   */
  public static OnnxException staticSettingInSession(String key, String staticValue) {
    return new OnnxException(
        ErrorClass.CONFIGURATION,
        "Setting "
            + quote(key)
            + " is static: it decides what the library loads, so only the cluster or launch"
            + " configuration may set it (spark-defaults.conf, spark-submit --conf, or the"
            + " builder of a new application), not a session (SET, spark.conf.set). This"
            + " session sets it to another value than the application was started with ("
            + (staticValue == null ? "unset" : quote(staticValue))
            + "). Remove it from the session (RESET "
            + key
            + " or spark.conf.unset) and ask the administrator to set it at launch.");
  }

  /**
   * A model path set in a session that is not under an allowed root. Says nothing about the file
   * itself (neither whether it exists nor its size), whatever the path.
   */
  public static OnnxException modelPathNotAllowed(
      String name, String pathKey, String location, String rootsKey, Collection<String> roots) {
    return new OnnxException(
        ErrorClass.CONFIGURATION,
        "Model "
            + quote(name)
            + " is named by "
            + pathKey
            + " = "
            + quote(location)
            + " in this session, but a session may only name model files under the roots the"
            + " administrator allowed in "
            + rootsKey
            + (roots.isEmpty() ? " (none are allowed)" : " " + roots)
            + "; paths are compared after resolving '.', '..' and links. Put the model under an"
            + " allowed root, register it in code (OnnxModels.register), or ask the administrator"
            + " to set the path or the roots in the cluster configuration.");
  }

  /**
   * A file other than a model ({@code what}, e.g. a tokenizer) named in a session ({@code setBy})
   * outside the allowed roots.
   */
  public static OnnxException filePathNotAllowed(
      String what, String setBy, String location, String rootsKey, Collection<String> roots) {
    return new OnnxException(
        ErrorClass.CONFIGURATION,
        what
            + " is named by "
            + setBy
            + " = "
            + quote(location)
            + " in this session, but a session may only name files under the roots the"
            + " administrator allowed in "
            + rootsKey
            + (roots.isEmpty() ? " (none are allowed)" : " " + roots)
            + "; paths are compared after resolving '.', '..' and links. Put the file under an"
            + " allowed root, set it in code (OnnxModel.withTokenizer), or ask the administrator"
            + " to set it in the cluster configuration.");
  }

  /** A model using ONNX Runtime Extensions' operators, scored without them. */
  public static OnnxException extensionsNeeded(
      String model, String domain, Collection<String> operators) {
    return new OnnxException(
        ErrorClass.MODEL,
        "Model "
            + model
            + " uses custom operators of domain "
            + quote(domain)
            + " "
            + operators
            + ", which ONNX Runtime Extensions provides. Enable them: withExtensions(), the"
            + " option map('extensions', 'true') or spark.onnx.extensions=true.");
  }

  public static OnnxException unknownInput(String name, Collection<String> valid) {
    return new OnnxException(
        ErrorClass.CONFIGURATION,
        "Unknown model input " + quote(name) + ", expected one of " + valid + ".");
  }

  public static OnnxException unknownOutput(String name, Collection<String> valid) {
    return new OnnxException(
        ErrorClass.CONFIGURATION,
        "Unknown model output " + quote(name) + ", expected one of " + valid + ".");
  }

  public static OnnxException missingColumn(
      String input,
      String inputType,
      String column,
      Collection<String> columns,
      boolean defaulted) {
    return new OnnxException(
        ErrorClass.SCHEMA,
        "Model input "
            + quote(input)
            + " ("
            + inputType
            + ") reads column "
            + quote(column)
            + (defaulted ? " (a column named like the input, by default)" : "")
            + ", but the DataFrame has no such column; its columns are "
            + columns
            + ". Map the input to a column with withInput("
            + quote(input)
            + ", \"<column>\").");
  }

  public static OnnxException columnType(
      String input, String inputType, String column, String actual, String why, String fix) {
    return new OnnxException(
        ErrorClass.SCHEMA,
        "Model input "
            + quote(input)
            + " expects "
            + inputType
            + " but column "
            + quote(column)
            + " is "
            + actual
            + (why.isEmpty() ? "" : " (" + why + ")")
            + "; "
            + fix
            + ".");
  }

  public static OnnxException unsupportedInput(String input, String inputType, String why) {
    return new OnnxException(
        ErrorClass.MODEL,
        "Model input "
            + quote(input)
            + " ("
            + inputType
            + ") cannot be fed from columns: "
            + why
            + ".");
  }

  public static OnnxException unsupportedOutput(String output, String outputType, String why) {
    return new OnnxException(
        ErrorClass.MODEL,
        "Model output "
            + quote(output)
            + " ("
            + outputType
            + ") cannot be returned as a column: "
            + why
            + ".");
  }

  public static OnnxException outputColumnExists(String output, String column) {
    return outputColumnExists(output, column, column);
  }

  /**
   * Model output {@code output} would be written to {@code column}, which the DataFrame already has
   * as {@code existing}: the same name, or, with {@code spark.sql.caseSensitive=false} (Spark's
   * default), a name differing in case only.
   */
  public static OnnxException outputColumnExists(String output, String column, String existing) {
    boolean sameName = column.equals(existing);
    return new OnnxException(
        ErrorClass.SCHEMA,
        "Model output "
            + quote(output)
            + " would be written to column "
            + quote(column)
            + ", which the DataFrame already has"
            + (sameName
                ? ""
                : " as "
                    + quote(existing)
                    + " (column names differ in case only, and spark.sql.caseSensitive is false,"
                    + " so Spark could not tell them apart)")
            + ". Name another column with withOutput("
            + quote(output)
            + ", \"<new column>\") or drop the existing one.");
  }

  public static OnnxException duplicateOutputColumn(String column) {
    return duplicateOutputColumn(column, column);
  }

  /**
   * Two model outputs would be written to {@code column} and {@code other}, the same name or, with
   * {@code spark.sql.caseSensitive=false}, names differing in case only.
   */
  public static OnnxException duplicateOutputColumn(String column, String other) {
    return new OnnxException(
        ErrorClass.SCHEMA,
        "Two model outputs would be written to column "
            + quote(column)
            + (column.equals(other)
                ? ""
                : " and "
                    + quote(other)
                    + ", names differing in case only (spark.sql.caseSensitive is false)")
            + "; give each its own name.");
  }

  public static OnnxException nullValue(String input, String column, String where, String what) {
    return new OnnxException(
        ErrorClass.ROW_INPUT,
        "Model input "
            + quote(input)
            + ": column "
            + quote(column)
            + " holds a null "
            + what
            + " at "
            + where
            + ". Filter or fill nulls before scoring (e.g. df.na().drop() or coalesce).");
  }

  public static OnnxException wrongLength(
      String input, String inputType, String column, long expected, long actual, String where) {
    return wrongLength(input, inputType, column, expected, actual, where, "");
  }

  /** As above, with {@code hint} (a sentence, or empty) after the fix. */
  public static OnnxException wrongLength(
      String input,
      String inputType,
      String column,
      long expected,
      long actual,
      String where,
      String hint) {
    return new OnnxException(
        ErrorClass.ROW_INPUT,
        "Model input "
            + quote(input)
            + " expects "
            + inputType
            + ", i.e. "
            + expected
            + " values per row, but column "
            + quote(column)
            + " has "
            + actual
            + " values at "
            + where
            + ". Check the column feeds the right input, or reshape/pad it to "
            + expected
            + " values."
            + (hint.isEmpty() ? "" : " " + hint));
  }

  public static OnnxException raggedNested(
      String input, String inputType, String column, String detail, String where) {
    return new OnnxException(
        ErrorClass.ROW_INPUT,
        "Model input "
            + quote(input)
            + " ("
            + inputType
            + ") reads nested arrays from column "
            + quote(column)
            + ", which must be rectangular within a row, but at "
            + where
            + " "
            + detail
            + ". Pad the inner arrays to one length.");
  }

  /**
   * A row's sequence whose elements cannot be fed as one tensor split along its first dimension:
   * elements that differ in another dimension, or that are not of the declared shape.
   */
  public static OnnxException raggedSequence(
      String input, String inputType, String column, String shapes, String expected, String where) {
    return new OnnxException(
        ErrorClass.ROW_INPUT,
        "Model input "
            + quote(input)
            + " ("
            + inputType
            + ") reads a sequence from column "
            + quote(column)
            + ", one nested array per element, but at "
            + where
            + " the elements have shapes "
            + shapes
            + "; expected "
            + expected
            + ". Elements of one sequence that differ in a dimension after the first cannot be"
            + " fed: pad them to one shape, or re-export the model to take them flattened"
            + " (1-D) with their shapes beside them.");
  }

  public static OnnxException columnFeedsTwoInputs(String column, String first, String second) {
    return new OnnxException(
        ErrorClass.SCHEMA,
        "Column "
            + quote(column)
            + " would feed both model inputs "
            + quote(first)
            + " and "
            + quote(second)
            + "; each input reads its own column(s). Map each input to its column with withInput,"
            + " or, if both really take the same values, copy the column first"
            + " (df.withColumn(\""
            + column
            + "_copy\", col(\""
            + column
            + "\"))).");
  }

  public static OnnxException outOfRange(
      String input, String inputType, String column, long value, String range, String where) {
    return new OnnxException(
        ErrorClass.ROW_INPUT,
        "Model input "
            + quote(input)
            + " ("
            + inputType
            + ") takes values in "
            + range
            + ", but column "
            + quote(column)
            + " holds "
            + value
            + " at "
            + where
            + ". Clip or filter the column to that range before scoring.");
  }

  public static OnnxException raggedBatch(
      String input, String inputType, String column, long first, long actual, String where) {
    return new OnnxException(
        ErrorClass.ROW_INPUT,
        "Model input "
            + quote(input)
            + " ("
            + inputType
            + ") has a variable dimension, but rows of one batch must agree on it: column "
            + quote(column)
            + " has "
            + actual
            + " values at "
            + where
            + " where the batch's first row has "
            + first
            + ". Pad rows per batch with withPadding("
            + quote(input)
            + ", <pad value>) (SQL: map('pad."
            + input
            + "', '0')), pad the column to a common length, or use a batch size of 1.");
  }

  public static OnnxException sessionCreation(String model, String provider, Throwable cause) {
    return new OnnxException(
        ErrorClass.MODEL,
        "ONNX Runtime could not create a session for model "
            + model
            + " on "
            + provider
            + ": "
            + cause.getMessage()
            + (String.valueOf(cause.getMessage())
                    .toLowerCase(java.util.Locale.ROOT)
                    .contains("external data")
                ? ". The model keeps weights as external data: keep those files beside the .onnx"
                    + " file and read it with OnnxModel.fromPath from a local path that the"
                    + " executors see too (a shared or node-local mount); models given as bytes or"
                    + " read from remote URIs cannot find them."
                : ". The model may use operators or an opset this ONNX Runtime does not support,"
                    + " or be corrupt."),
        cause);
  }

  public static OnnxException deviceUnavailable(String model, String device, Throwable cause) {
    return new OnnxException(
        ErrorClass.DEVICE,
        "Model "
            + model
            + " cannot run on "
            + device
            + ": "
            + cause.getMessage()
            + ". GPU scoring needs the onnxruntime_gpu jar (not onnxruntime), CUDA 12 and cuDNN 9 on"
            + " the executors' library path, and a GPU the task can use; or set "
            + OnnxOptions.DEVICE_FALLBACK_CONF
            + "=cpu to score on the CPU instead.",
        cause);
  }

  public static OnnxException timedOut(String model, int rows, long timeoutMs, Throwable cause) {
    return new OnnxException(
        ErrorClass.TIMEOUT,
        "ONNX Runtime did not score a batch of "
            + rows
            + " rows with model "
            + model
            + " within "
            + timeoutMs
            + " ms ("
            + OnnxOptions.BATCH_TIMEOUT_MS_CONF
            + "), so the call was stopped. Raise the limit, lower the batch size, or score on a"
            + " faster device.",
        cause);
  }

  public static OnnxException runFailed(
      String model, int rows, int partition, long firstRow, Throwable cause) {
    return new OnnxException(
        ErrorClass.RUNTIME,
        "ONNX Runtime failed scoring a batch of "
            + rows
            + " rows (rows "
            + firstRow
            + " to "
            + (firstRow + rows - 1)
            + " of partition "
            + partition
            + ") with model "
            + model
            + ": "
            + cause.getMessage(),
        cause);
  }

  /**
   * One row that ONNX Runtime rejects when scored alone, after its batch failed: {@code row} names
   * it ({@code row 7 of partition 3 (id=1042)}).
   */
  public static OnnxException rowFailed(String model, String row, Throwable cause) {
    String why = String.valueOf(cause.getMessage()).strip();
    return new OnnxException(
        ErrorClass.RUNTIME,
        "ONNX Runtime failed scoring "
            + row
            + " with model "
            + model
            + " (its batch failed, and this row fails when scored alone): "
            + why
            + (why.endsWith(".") ? "" : ".")
            + " Fix or filter out that row (an id outside an embedding's range, say);"
            + " withPermissive() scores the other rows and gives each bad row its error in a column.",
        cause);
  }

  public static OnnxException outputShape(
      String output, String outputType, int batchRows, String actualShape, String why) {
    return new OnnxException(
        ErrorClass.RUNTIME,
        "Model output "
            + quote(output)
            + " ("
            + outputType
            + ") came back with shape "
            + actualShape
            + " for a batch of "
            + batchRows
            + " rows: "
            + why
            + ".");
  }

  public static OnnxException badArguments(String model, String why) {
    return new OnnxException(
        ErrorClass.CONFIGURATION, "onnx_predict with model " + quote(model) + " " + why + ".");
  }

  public static OnnxException unknownModelName(String name, Collection<String> registered) {
    return new OnnxException(
        ErrorClass.CONFIGURATION,
        "No ONNX model is registered under the name "
            + quote(name)
            + "; registered: "
            + registered
            + ". Register one with OnnxModels.register(spark, "
            + quote(name)
            + ", model) or SET spark.onnx.models."
            + name
            + ".path=<model file or URI>.");
  }

  public static OnnxException unknownOption(String key, Collection<String> valid) {
    return new OnnxException(
        ErrorClass.CONFIGURATION,
        "Unknown ONNX scoring option " + quote(key) + ", expected one of " + valid + ".");
  }

  public static OnnxException badOption(String key, Object value, String expected) {
    return new OnnxException(
        ErrorClass.CONFIGURATION,
        "Option "
            + quote(key)
            + " = "
            + quote(String.valueOf(value))
            + " is invalid: expected "
            + expected
            + ".");
  }

  /** {@code s} in single quotes, as messages quote names and values. */
  public static String quote(String s) {
    return "'" + s + "'";
  }

  /** An external-data reference that would read outside the model's folder. */
  public static OnnxException externalDataOutsideFolder(
      String model, String tensor, String location) {
    return new OnnxException(
        ErrorClass.MODEL,
        "Model "
            + quote(model)
            + ": tensor "
            + quote(tensor)
            + " keeps its data in "
            + quote(location)
            + ", outside the model's folder. External data must be a file inside the folder of"
            + " the .onnx file, named by a relative path without '..' (re-save the model with"
            + " onnx.save_model(..., save_as_external_data=True, location='weights.bin')).");
  }

  /** An external-data reference that cannot be followed. */
  public static OnnxException externalDataInvalid(String model, String tensor, String why) {
    return new OnnxException(
        ErrorClass.MODEL,
        "Model "
            + quote(model)
            + ": the external data of tensor "
            + quote(tensor)
            + " cannot be read: "
            + why
            + ". Re-export the model with its external data.");
  }

  /** An external data file the model names that is not beside it. */
  public static OnnxException externalDataMissing(String model, String tensor, String file) {
    return new OnnxException(
        ErrorClass.MODEL,
        "Model "
            + quote(model)
            + ": tensor "
            + quote(tensor)
            + " keeps its data in "
            + quote(file)
            + ", which is not in the model's folder. Copy the model's external data files"
            + " together with the .onnx file.");
  }

  /** An external data file shorter than a tensor in it needs. */
  public static OnnxException externalDataTruncated(
      String model, String tensor, String file, long needed, long size) {
    return new OnnxException(
        ErrorClass.MODEL,
        "Model "
            + quote(model)
            + ": tensor "
            + quote(tensor)
            + " needs bytes up to "
            + needed
            + " of "
            + quote(file)
            + ", which has "
            + size
            + " bytes: the file is truncated or from another export. Copy it again from the"
            + " export.");
  }

  /** A model folder that does not hold exactly one {@code .onnx} file. */
  public static OnnxException modelFolderAmbiguous(String location, Collection<String> models) {
    return new OnnxException(
        ErrorClass.MODEL,
        "Model folder "
            + quote(location)
            + (models.isEmpty() ? " holds no .onnx file" : " holds several .onnx files " + models)
            + ". Give the path of the .onnx file itself.");
  }

  /**
   * A model file that differs, as an executor copies it, from what the driver planned with: changed
   * since, or damaged on the way.
   */
  public static OnnxException modelFilesChanged(
      String model, String file, String expected, String actual) {
    return new OnnxException(
        ErrorClass.MODEL,
        "Model "
            + quote(model)
            + ": file "
            + quote(file)
            + " is not what the query was planned with (expected "
            + expected
            + ", found "
            + actual
            + "): it changed after the model was loaded, or it is damaged. Load the model again"
            + " (or replace model files only by writing new folders).");
  }

  /** A shipping that the model's form does not allow. */
  public static OnnxException shippingImpossible(String model, String shipping, String why) {
    return new OnnxException(
        ErrorClass.CONFIGURATION,
        "Model " + quote(model) + " cannot be shipped by " + shipping + ": " + why + ".");
  }

  /** A model conversion (int8, float16, optimization, cut) that cannot be done, and why. */
  public static OnnxException cannotConvert(String message) {
    return new OnnxException(ErrorClass.MODEL, message);
  }

  /** As {@link #cannotConvert(String)}, with the underlying cause. */
  public static OnnxException cannotConvert(String message, Throwable cause) {
    return new OnnxException(ErrorClass.MODEL, message, cause);
  }

  /** A cluster set up so that the scoring asked for cannot run there, with the settings to use. */
  public static OnnxException clusterSetup(String message) {
    return new OnnxException(ErrorClass.CONFIGURATION, message);
  }

  /** A SQL call of {@code onnx_predict} written wrong, with how to write it. */
  public static OnnxException sqlCall(String message) {
    return new OnnxException(ErrorClass.CONFIGURATION, message);
  }
}
