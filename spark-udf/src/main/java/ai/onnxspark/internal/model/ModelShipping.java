package ai.onnxspark.internal.model;

import ai.onnxspark.OnnxOptions;
import ai.onnxspark.internal.OnnxErrors;
import ai.onnxspark.model.ModelInfo;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;

/**
 * How a model reaches executors ({@link OnnxOptions#SHIPPING}), and the reading that goes with it:
 * a model broadcast is read into the driver's memory; a model shipped by path is only scanned there
 * ({@link ModelFiles#scan}), and each node copies its files.
 */
public enum ModelShipping {
  /** Path for external data or files above the size threshold, else broadcast. */
  AUTO,
  /** The bytes, through the driver, in a Spark broadcast. */
  BROADCAST,
  /** Executors copy the files once per node ({@link NodeCache}). */
  PATH;

  /** Models converted between forms, so that planning a query twice reads the files once. */
  private static final Map<String, ModelSource> CONVERTED = new ConcurrentHashMap<>();

  private static final int CONVERTED_MAX = 32;

  /**
   * The shipping {@code value} names.
   *
   * @throws ai.onnxspark.OnnxException for another value
   */
  public static ModelShipping parse(String value) {
    try {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw OnnxErrors.badOption(OnnxOptions.SHIPPING, value, "auto, broadcast or path");
    }
  }

  /**
   * A model and its description, read from {@code location} as {@code auto} shipping wants: a
   * folder, a file over {@code pathAboveBytes} or a model with external data is scanned for path
   * shipping; any other is read into memory, refused over {@code maxBytes} (named by {@code
   * limitKey} in the message, when not null).
   */
  public static Loaded load(
      String location,
      Configuration hadoopConf,
      long maxBytes,
      String limitKey,
      long pathAboveBytes) {
    if (ModelFiles.isFolder(location, hadoopConf)
        || ModelBytes.stat(location, hadoopConf).size() > pathAboveBytes) {
      ModelFiles files = ModelFiles.scan(location, hadoopConf);
      return new Loaded(files, files.info());
    }
    ModelBytes bytes = ModelBytes.read(location, hadoopConf, maxBytes, limitKey);
    ModelInfo info = ModelInfo.parse(bytes.bytes(), bytes.source());
    if (!info.externalDataFiles().isEmpty()) {
      ModelFiles files = ModelFiles.scan(location, hadoopConf);
      return new Loaded(files, files.info());
    }
    return new Loaded(bytes, info);
  }

  /** A model read from its location, and what it declares. */
  public record Loaded(ModelSource source, ModelInfo info) {}

  /**
   * {@code model} in the form this shipping sends: the same, or read again from its location in the
   * other form.
   *
   * @param info what the model declares (external data files among it)
   * @throws ai.onnxspark.OnnxException when the model cannot take this form (bytes given in memory
   *     cannot go by path; external data or a model over 2 GB cannot be broadcast)
   */
  public ModelSource ship(
      ModelSource model, ModelInfo info, long pathAboveBytes, Configuration hadoopConf) {
    if (model instanceof ModelBytes b && !info.externalDataFiles().isEmpty()) {
      if (b.location() == null) {
        throw OnnxErrors.shippingImpossible(
            model.source(),
            this == PATH ? "path" : "broadcast",
            "its weights are external data ("
                + String.join(", ", info.externalDataFiles())
                + ") but it was given as bytes, without its folder; load it from its path"
                + " with OnnxModel.fromPath, so that executors copy the files beside it");
      }
      if (this == BROADCAST) {
        throw externalDataNotBroadcast(model.source(), info.externalDataFiles().size());
      }
      return PATH.ship(model, info, pathAboveBytes, hadoopConf);
    }
    return switch (this) {
      case AUTO ->
          model instanceof ModelBytes b && b.location() != null && b.size() > pathAboveBytes
              ? PATH.ship(model, info, pathAboveBytes, hadoopConf)
              : model;
      case PATH -> {
        if (model instanceof ModelFiles) {
          yield model;
        }
        ModelBytes bytes = (ModelBytes) model;
        if (bytes.location() == null) {
          throw OnnxErrors.shippingImpossible(
              model.source(),
              "path",
              "it was given as bytes or made by a conversion, so executors have no file to read;"
                  + " write it to a file every executor can read (OnnxModel.writeTo) and load"
                  + " that path");
        }
        yield converted(
            "path:" + bytes.fingerprint() + ":" + bytes.location(),
            () -> {
              ModelFiles files = ModelFiles.scan(bytes.location(), hadoopConf);
              if (!files.modelSha256().equals(bytes.fingerprint())) {
                throw OnnxErrors.modelFilesChanged(
                    bytes.source(),
                    files.modelFile(),
                    "sha256 " + bytes.fingerprint(),
                    "sha256 " + files.modelSha256());
              }
              return files;
            });
      }
      case BROADCAST -> {
        if (model instanceof ModelBytes) {
          yield model;
        }
        ModelFiles files = (ModelFiles) model;
        if (files.hasExternalData()) {
          throw externalDataNotBroadcast(model.source(), files.dataFiles().size());
        }
        yield converted(
            "bytes:" + files.fingerprint(),
            () -> {
              String location = files.folder() + "/" + files.modelFile();
              ModelBytes bytes = ModelBytes.read(location, hadoopConf);
              if (!bytes.fingerprint().equals(files.modelSha256())) {
                throw OnnxErrors.modelFilesChanged(
                    files.source(),
                    files.modelFile(),
                    "sha256 " + files.modelSha256(),
                    "sha256 " + bytes.fingerprint());
              }
              return bytes;
            });
      }
    };
  }

  private static RuntimeException externalDataNotBroadcast(String model, int files) {
    return OnnxErrors.shippingImpossible(
        model,
        "broadcast",
        "its weights are external data in "
            + files
            + " file(s) beside it, which only path shipping sends ("
            + OnnxOptions.SHIPPING
            + "=path or auto)");
  }

  private static ModelSource converted(
      String key, java.util.function.Supplier<ModelSource> convert) {
    ModelSource known = CONVERTED.get(key);
    if (known != null) {
      return known;
    }
    ModelSource made = convert.get();
    if (CONVERTED.size() >= CONVERTED_MAX) {
      CONVERTED.clear();
    }
    CONVERTED.put(key, made);
    return made;
  }
}
