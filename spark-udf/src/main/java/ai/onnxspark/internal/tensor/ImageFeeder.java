package ai.onnxspark.internal.tensor;

import ai.onnxspark.internal.OnnxErrors;
import ai.onnxspark.model.TensorSpec;
import org.apache.spark.sql.catalyst.InternalRow;

/**
 * Feeds a float {@code [batch, 3, height, width]} input from one image column ({@link
 * SourceKind#IMAGE}): Spark's image struct or encoded JPEG/PNG bytes, decoded, resized (bilinear,
 * sampling at pixel centres: {@link Images#planes}) to the input's height and width, scaled to 0..1
 * and normalised per RGB channel, {@code (v - mean[c]) / std[c]}, into planes in NCHW order.
 */
final class ImageFeeder implements RowFeeder {
  private final TensorSpec spec;
  private final String column;
  private final int ordinal;

  /** Image structs: the ordinals of height, width, nChannels and data; null for encoded bytes. */
  private final int[] fields;

  private final int height;
  private final int width;
  private final float[] mean;
  private final float[] std;

  ImageFeeder(InputBinding binding) {
    this.spec = binding.spec();
    this.column = binding.column(0);
    this.ordinal = binding.ordinal(0);
    this.fields = binding.imageFields();
    long[] rowDims = binding.rowDims();
    this.height = (int) rowDims[1];
    this.width = (int) rowDims[2];
    this.mean = binding.imageMean();
    this.std = binding.imageStd();
  }

  @Override
  public void add(InternalRow row, TensorBuffer out, RowContext where) {
    if (row.isNullAt(ordinal)) {
      throw OnnxErrors.nullValue(spec.name(), column, where.where(), "image");
    }
    Images.Pixels pixels;
    if (fields != null) {
      InternalRow struct = row.getStruct(ordinal, fields.length + 2);
      pixels =
          Images.fromPixels(
              struct.getInt(fields[0]),
              struct.getInt(fields[1]),
              struct.getInt(fields[2]),
              struct.getBinary(fields[3]),
              spec,
              column,
              where.where());
    } else {
      pixels = Images.pixels(Images.decode(row.getBinary(ordinal), spec, column, where.where()));
    }
    long base = out.written();
    int plane =
        Images.planes(pixels, width, height, mean, std, (i, v) -> out.putFloatAt(base + i, v));
    out.advance(3L * plane);
  }
}
