package ai.onnxspark.internal.plan;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.Test;

/**
 * Copied rows stay readable, intact, for the whole batch, whatever their sizes: rows much smaller
 * than a chunk, rows that fill chunks unevenly, rows larger than a chunk, and from batch to batch
 * as the chunks are reused.
 */
class BatchRowsTest {

  @Test
  void copiedRowsOfMixedSizesStayIntactForTheirBatchAcrossChunkReuse() {
    Random random = new Random(11);
    int[] sizes = {0, 10, 66_000, 200_000, BatchRows.Copied.CHUNK + 1, 3, 700_000, 90_000};
    List<byte[]> payloads = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      byte[] bytes = new byte[sizes[random.nextInt(sizes.length)]];
      random.nextBytes(bytes);
      payloads.add(bytes);
    }
    UnsafeProjection project =
        UnsafeProjection.create(new DataType[] {DataTypes.LongType, DataTypes.BinaryType});
    // The source reuses its row object, as Spark's scans and projections do.
    Iterator<InternalRow> source =
        new Iterator<>() {
          int next;

          @Override
          public boolean hasNext() {
            return next < payloads.size();
          }

          @Override
          public InternalRow next() {
            UnsafeRow row =
                project.apply(
                    new GenericInternalRow(new Object[] {(long) next, payloads.get(next)}));
            next++;
            return row;
          }
        };
    int batch = 7;
    BatchRows rows = new BatchRows.Copied(source, batch);
    int seen = 0;
    while (rows.hasNext()) {
      rows.startBatch();
      int n = 0;
      while (n < batch && rows.hasNext()) {
        InternalRow row = rows.next(n);
        assertThat(row.getLong(0)).isEqualTo(seen + n);
        n++;
      }
      for (int p = 0; p < n; p++) {
        InternalRow kept = rows.kept(p);
        assertThat(kept.getLong(0)).isEqualTo(seen + p);
        assertThat(kept.getBinary(1)).as("row %d", seen + p).isEqualTo(payloads.get(seen + p));
      }
      seen += n;
    }
    assertThat(seen).isEqualTo(payloads.size());
  }
}
