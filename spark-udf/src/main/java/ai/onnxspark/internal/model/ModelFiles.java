package ai.onnxspark.internal.model;

import ai.onnxspark.internal.OnnxErrors;
import ai.onnxspark.model.ModelInfo;
import ai.onnxspark.onnx.OnnxProto;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A model shipped by path: its {@code .onnx} file and the external data files it references, on a
 * file system every executor can read (HDFS, S3A, ABFS, GCS, DBFS, or a local path present on every
 * node). Executors copy the files once per node into a local cache ({@link NodeCache}) and create
 * sessions from there; the driver never holds the weights.
 *
 * <p>{@link #scan} reads the model file once as a stream: it keeps the graph's inputs, outputs and
 * metadata and drops tensor payloads as they pass, so a 1.9 GB model costs the driver a few
 * kilobytes of heap. It checks every external-data reference (inside the model's folder, file
 * present, long enough), and fingerprints the content: SHA-256 of the model file and CRC-32C of
 * each data file, which executors check again when they copy.
 *
 * <p>Immutable and serializable; what travels is the description, never the bytes.
 */
public final class ModelFiles implements ModelSource {
  private static final long serialVersionUID = 1L;
  private static final int BUFFER = 1 << 20;

  private final String folder;
  private final String modelFile;
  private final long modelSize;
  private final String modelSha256;
  private final List<DataFile> dataFiles;
  private final String fingerprint;
  private final String source;
  private final transient ModelInfo info;

  /**
   * One external data file of the model.
   *
   * @param name its path relative to the model's folder
   * @param size its length in bytes
   * @param crc32c its CRC-32C
   */
  public record DataFile(String name, long size, long crc32c) implements Serializable {}

  private ModelFiles(
      String folder,
      String modelFile,
      long modelSize,
      String modelSha256,
      List<DataFile> dataFiles,
      String source,
      ModelInfo info) {
    this.folder = folder;
    this.modelFile = modelFile;
    this.modelSize = modelSize;
    this.modelSha256 = modelSha256;
    this.dataFiles = List.copyOf(dataFiles);
    this.source = source;
    this.info = info;
    StringBuilder identity = new StringBuilder("onnx-model-files\n").append(modelSha256);
    for (DataFile f : dataFiles) {
      identity.append('\n').append(f.name()).append('\t').append(f.size());
      identity.append('\t').append(Long.toHexString(f.crc32c()));
    }
    this.fingerprint = sha256Hex(identity.toString().getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Describes the model at {@code location}: an {@code .onnx} file, or a folder holding exactly
   * one, beside its external data files.
   *
   * @throws ai.onnxspark.OnnxException when the model is missing or unreadable, not an ONNX model,
   *     or references external data outside its folder, missing or shorter than its tensors need
   */
  public static ModelFiles scan(String location, Configuration hadoopConf) {
    Path path = hadoopPath(location);
    try {
      FileSystem fs = ModelBytes.fileSystem(path, location, hadoopConf);
      if (!fs.exists(path)) {
        throw OnnxErrors.modelNotFound(location, null);
      }
      FileStatus status = fs.getFileStatus(path);
      if (status.isDirectory()) {
        path = onlyModelIn(fs, path, location);
        status = fs.getFileStatus(path);
      }
      Path folder = path.getParent();
      MessageDigest sha = sha256();
      List<ExternalData.Reference> references = new ArrayList<>();
      byte[] slim;
      try (InputStream in =
          new DigestInputStream(new BufferedInputStream(fs.open(path), BUFFER), sha)) {
        slim = slimModel(in, location, status.getLen(), references);
        in.transferTo(java.io.OutputStream.nullOutputStream());
      }
      ModelInfo info = ModelInfo.parse(slim, location);
      Map<String, DataFile> files = new LinkedHashMap<>();
      for (ExternalData.Reference ref : references) {
        if (!files.containsKey(ref.file())) {
          files.put(ref.file(), dataFile(fs, folder, ref, location));
        }
        DataFile file = files.get(ref.file());
        if (ref.end() > file.size()) {
          throw OnnxErrors.externalDataTruncated(
              location, ref.tensor(), ref.file(), ref.end(), file.size());
        }
        if (ref.length() >= 0 && ref.needed() >= 0 && ref.length() != ref.needed()) {
          throw OnnxErrors.externalDataInvalid(
              location,
              ref.tensor(),
              "it declares "
                  + ref.length()
                  + " bytes of "
                  + ref.file()
                  + " but its shape and type need "
                  + ref.needed());
        }
      }
      return new ModelFiles(
          folder.toString(),
          path.getName(),
          status.getLen(),
          HexFormat.of().formatHex(sha.digest()),
          List.copyOf(files.values()),
          location,
          info);
    } catch (IOException e) {
      throw OnnxErrors.modelUnreadable(location, e);
    }
  }

  private static Path onlyModelIn(FileSystem fs, Path dir, String location) throws IOException {
    List<Path> models = new ArrayList<>();
    for (FileStatus child : fs.listStatus(dir)) {
      if (child.isFile() && child.getPath().getName().endsWith(".onnx")) {
        models.add(child.getPath());
      }
    }
    if (models.size() != 1) {
      throw OnnxErrors.modelFolderAmbiguous(
          location, models.stream().map(Path::getName).sorted().toList());
    }
    return models.get(0);
  }

  private static DataFile dataFile(
      FileSystem fs, Path folder, ExternalData.Reference ref, String location) throws IOException {
    Path file = new Path(folder, ref.file());
    if (!fs.exists(file) || !fs.getFileStatus(file).isFile()) {
      throw OnnxErrors.externalDataMissing(location, ref.tensor(), ref.file());
    }
    if ("file".equals(file.toUri().getScheme())) {
      java.nio.file.Path real = java.nio.file.Paths.get(file.toUri()).toRealPath();
      java.nio.file.Path realFolder = java.nio.file.Paths.get(folder.toUri()).toRealPath();
      if (!real.startsWith(realFolder)) {
        throw OnnxErrors.externalDataOutsideFolder(location, ref.tensor(), ref.file());
      }
    }
    CRC32C crc = new CRC32C();
    long size = 0;
    byte[] buffer = new byte[BUFFER];
    try (InputStream in = fs.open(file)) {
      for (int n; (n = in.read(buffer)) > 0; ) {
        crc.update(buffer, 0, n);
        size += n;
      }
    }
    return new DataFile(ref.file(), size, crc.getValue());
  }

  /**
   * The model file's protobuf with tensor payloads dropped (initializers keep name, type, shape and
   * external-data entries; nodes are counted, not kept), reading {@code in} once; collects every
   * external-data reference on the way.
   */
  private static byte[] slimModel(
      InputStream stream, String location, long size, List<ExternalData.Reference> references)
      throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(stream, BUFFER);
    in.setSizeLimit(Integer.MAX_VALUE);
    in.setRecursionLimit(1000);
    ByteString.Output slim = ByteString.newOutput();
    CodedOutputStream out = CodedOutputStream.newInstance(slim);
    try {
      for (int tag; (tag = in.readTag()) != 0; ) {
        if (isMessage(tag, 7)) {
          int length = in.readRawVarint32();
          int limit = in.pushLimit(length);
          ByteString graph = slimGraph(in, location, references);
          in.popLimit(limit);
          out.writeBytes(7, graph);
        } else {
          in.skipField(tag, out);
        }
      }
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw OnnxErrors.notAnOnnxModel(location, size, e.getMessage(), e);
    }
    out.flush();
    return slim.toByteString().toByteArray();
  }

  private static ByteString slimGraph(
      CodedInputStream in, String location, List<ExternalData.Reference> references)
      throws IOException {
    ByteString.Output graph = ByteString.newOutput();
    CodedOutputStream out = CodedOutputStream.newInstance(graph);
    for (int tag; (tag = in.readTag()) != 0; ) {
      if (isMessage(tag, 1)) {
        OnnxProto.NodeProto node = OnnxProto.NodeProto.parseFrom(in.readBytes());
        ExternalData.collect(node, location, references::add);
        out.writeBytes(1, ByteString.EMPTY);
      } else if (isMessage(tag, 5)) {
        int length = in.readRawVarint32();
        int limit = in.pushLimit(length);
        OnnxProto.TensorProto tensor = slimTensor(in);
        in.popLimit(limit);
        ExternalData.collect(tensor, location, references::add);
        out.writeMessage(5, tensor);
      } else if (isMessage(tag, 15)) {
        ExternalData.collect(
            OnnxProto.SparseTensorProto.parseFrom(in.readBytes()), location, references::add);
      } else {
        in.skipField(tag, out);
      }
    }
    out.flush();
    return graph.toByteString();
  }

  /** An initializer without its values: name, type, shape, doc and external-data entries. */
  private static OnnxProto.TensorProto slimTensor(CodedInputStream in) throws IOException {
    ByteString.Output kept = ByteString.newOutput();
    CodedOutputStream out = CodedOutputStream.newInstance(kept);
    for (int tag; (tag = in.readTag()) != 0; ) {
      int field = WireFormat.getTagFieldNumber(tag);
      if (field == 1 || field == 2 || field == 8 || field == 12 || field == 13 || field == 14) {
        in.skipField(tag, out);
      } else {
        in.skipField(tag);
      }
    }
    out.flush();
    return OnnxProto.TensorProto.parseFrom(kept.toByteString());
  }

  private static boolean isMessage(int tag, int field) {
    return WireFormat.getTagFieldNumber(tag) == field
        && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED;
  }

  static Path hadoopPath(String location) {
    java.nio.file.Path local = ModelBytes.localPath(location);
    if (local != null) {
      return new Path(local.toAbsolutePath().normalize().toUri());
    }
    URI uri = ModelBytes.toUri(location);
    return uri != null ? new Path(uri) : new Path(location);
  }

  /** Whether {@code location} is a folder (local, or of its file system). */
  public static boolean isFolder(String location, Configuration hadoopConf) {
    java.nio.file.Path local = ModelBytes.localPath(location);
    if (local != null) {
      return Files.isDirectory(local);
    }
    Path path = hadoopPath(location);
    try {
      FileSystem fs = ModelBytes.fileSystem(path, location, hadoopConf);
      return fs.exists(path) && fs.getFileStatus(path).isDirectory();
    } catch (IOException e) {
      throw OnnxErrors.modelUnreadable(location, e);
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }

  private static String sha256Hex(byte[] bytes) {
    return HexFormat.of().formatHex(sha256().digest(bytes));
  }

  /** What the model declares; on the driver only (null after deserialization). */
  public ModelInfo info() {
    return info;
  }

  /** The model's folder (a URI), where its files are read from. */
  public String folder() {
    return folder;
  }

  /** The model file's name in its folder. */
  public String modelFile() {
    return modelFile;
  }

  /** The model file's length. */
  public long modelSize() {
    return modelSize;
  }

  /** SHA-256 of the model file, which executors check when they copy it. */
  public String modelSha256() {
    return modelSha256;
  }

  /** The external data files, each once, in the order the model first references them. */
  public List<DataFile> dataFiles() {
    return dataFiles;
  }

  /** Whether the model keeps tensors in external data files. */
  public boolean hasExternalData() {
    return !dataFiles.isEmpty();
  }

  @Override
  public String fingerprint() {
    return fingerprint;
  }

  @Override
  public String source() {
    return source;
  }

  @Override
  public long size() {
    long total = modelSize;
    for (DataFile f : dataFiles) {
      total += f.size();
    }
    return total;
  }

  @Override
  public String toString() {
    return "ModelFiles{"
        + source
        + ", "
        + (1 + dataFiles.size())
        + " files, "
        + size()
        + " bytes, id="
        + shortFingerprint()
        + "}";
  }
}
