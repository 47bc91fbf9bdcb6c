package ai.onnxspark.jobs;

import ai.onnxspark.internal.model.ModelBytes;
import ai.onnxspark.model.ModelInfo;
import ai.onnxspark.model.TensorSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Describes a model: inputs, outputs, types, shapes, opsets, producer, metadata and size; with
 * {@code --table}, also suggests the {@code --feed}/{@code --fetch} flags of the scoring job for
 * that table's schema. The main class behind {@code jobs/bin/onnx-inspect}.
 */
public final class InspectJob {
  static final String USAGE =
      String.join(
          "\n",
          "Usage: onnx-inspect MODEL [--table PATH [--format parquet]]",
          "",
          "  MODEL           ONNX model: local path or Hadoop URI",
          "  --table PATH    a table to score: suggests --feed/--fetch flags for its columns",
          "  --format FMT    the table's format (default parquet)",
          "",
          "Exit codes: 0 done, 1 failed, 2 bad flags or not a model.");

  private InspectJob() {}

  public static void main(String[] argv) {
    if (argv.length == 0 || Arrays.asList(argv).contains("--help")) {
      System.out.println(USAGE);
      return;
    }
    Jobs.run("onnx-inspect", () -> System.out.print(inspect(argv)));
  }

  /** The report for {@code argv}, as printed. */
  static String inspect(String[] argv) {
    String location = argv[0];
    Args args =
        Args.parse(Arrays.copyOfRange(argv, 1, argv.length), List.of("table", "format"), List.of());
    ModelBytes bytes = ModelBytes.read(location, new Configuration());
    ModelInfo info = ModelInfo.parse(bytes.bytes(), location);
    StringBuilder out = new StringBuilder();
    out.append("model: ").append(location).append('\n');
    out.append("size: ")
        .append(bytes.size())
        .append(" bytes, sha256 ")
        .append(bytes.fingerprint())
        .append('\n');
    out.append(info.describe());
    if (args.has("table")) {
      boolean own = SparkSession.getDefaultSession().isEmpty();
      SparkSession spark = Jobs.session("onnx-inspect", null);
      try {
        StructType schema =
            spark
                .read()
                .format(args.get("format", "parquet"))
                .load(args.get("table", null))
                .schema();
        out.append(suggest(info, schema));
      } finally {
        if (own) {
          spark.stop();
        }
      }
    }
    return out.toString();
  }

  /**
   * Flags for the scoring job: each input fed from the column named like it, else from the one
   * column whose type fits (an array for a tensor input, a number for a one-value input); each
   * output fetched into a column named like it.
   */
  static String suggest(ModelInfo info, StructType schema) {
    StringBuilder out = new StringBuilder("suggested flags for the table (");
    out.append(schema.simpleString()).append("):\n ");
    List<String> unmatched = new ArrayList<>();
    for (TensorSpec input : info.inputs()) {
      String column = null;
      if (Arrays.asList(schema.fieldNames()).contains(input.name())) {
        column = input.name();
      } else {
        List<String> candidates = new ArrayList<>();
        for (StructField field : schema.fields()) {
          if (field.dataType().typeName().equals("array")) {
            candidates.add(field.name());
          }
        }
        if (candidates.size() == 1) {
          column = candidates.get(0);
        }
      }
      if (column == null) {
        unmatched.add(input.name());
      } else {
        out.append(" --feed ").append(input.name()).append('=').append(column);
      }
    }
    for (TensorSpec output : info.outputs()) {
      out.append(" --fetch ").append(output.name()).append('=').append(output.name());
    }
    out.append('\n');
    if (!unmatched.isEmpty()) {
      out.append("no column found for input(s) ")
          .append(unmatched)
          .append("; add --feed INPUT=COLUMN for each\n");
    }
    return out.toString();
  }
}
