package ai.onnxspark.jobs;

import java.io.IOException;
import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * A Hadoop file system for the scheme {@code counting://}, serving local files and counting the
 * files it opens: stands in for an object store whose classes and credentials only reach Spark
 * through {@code spark.hadoop.*} settings.
 */
public class CountingFileSystem extends RawLocalFileSystem {
  static final String SCHEME = "counting";
  static final AtomicInteger OPENED = new AtomicInteger();

  @Override
  public URI getUri() {
    return URI.create(SCHEME + ":///");
  }

  @Override
  public String getScheme() {
    return SCHEME;
  }

  @Override
  public FSDataInputStream open(Path f, int bufferSize) throws IOException {
    if (!"secret".equals(getConf().get("fs.counting.token"))) {
      throw new IOException("fs.counting.token is not set: access denied");
    }
    OPENED.incrementAndGet();
    return super.open(f, bufferSize);
  }
}
