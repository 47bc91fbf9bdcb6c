package ai.onnxspark.internal.plan;

import java.util.Iterator;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.apache.spark.unsafe.Platform;

/**
 * A partition's rows as the scorer consumes them: one scoring batch at a time, with every row of
 * the current batch readable again (by its position in the batch) until the next batch starts. Not
 * thread-safe; one per task.
 */
abstract class BatchRows {

  /**
   * Whether there is another row. May move to the source's next chunk, so call it only between
   * batches or within one.
   */
  abstract boolean hasNext();

  /**
   * The next row, to be read at once; it stays readable as {@link #kept} until {@link #startBatch}.
   */
  abstract InternalRow next(int positionInBatch);

  /** Whether the current batch must end before the next row (the source's chunk is used up). */
  abstract boolean atChunkEnd();

  /** The row at {@code position} of the current batch. */
  abstract InternalRow kept(int position);

  /** Starts a new batch; rows of the previous one are no longer readable. */
  abstract void startBatch();

  /**
   * Rows from a row iterator whose row objects the source reuses: each is copied, into chunks of
   * {@link #CHUNK} bytes reused from batch to batch. A row larger than a chunk gets an array of its
   * own. No array grows by doubling: large arrays are costly to the garbage collector (G1 collects
   * to make room for each array of half a region or more, 1 MB on a 4 GB heap), and rows of encoded
   * images are tens of kilobytes each.
   */
  static final class Copied extends BatchRows {
    /** Bytes of one chunk: a quarter of G1's smallest region, never a humongous object. */
    static final int CHUNK = 256 * 1024;

    private final Iterator<InternalRow> source;
    private final int batchSize;

    /** The rows of the batch, grown as rows come (never sized by the batch size alone). */
    private InternalRow[] rows;

    private UnsafeRow[] slots;

    /** The chunks holding the batch's rows; those past {@link #chunk} wait for reuse. */
    private final java.util.List<byte[]> chunks = new java.util.ArrayList<>();

    private int chunk = -1;
    private int chunkUsed = CHUNK;

    Copied(Iterator<InternalRow> source, int batchSize) {
      this.source = source;
      this.batchSize = batchSize;
      this.rows = new InternalRow[Math.min(batchSize, 64)];
      this.slots = new UnsafeRow[rows.length];
    }

    @Override
    boolean hasNext() {
      return source.hasNext();
    }

    @Override
    InternalRow next(int position) {
      if (position >= rows.length) {
        int grown = (int) Math.max(position + 1L, Math.min(batchSize, 2L * rows.length));
        rows = java.util.Arrays.copyOf(rows, grown);
        slots = java.util.Arrays.copyOf(slots, grown);
      }
      InternalRow row = source.next();
      if (!(row instanceof UnsafeRow)) {
        rows[position] = row.copy();
        return rows[position];
      }
      UnsafeRow unsafe = (UnsafeRow) row;
      int size = unsafe.getSizeInBytes();
      byte[] into;
      int at;
      if (size > CHUNK) {
        into = new byte[size];
        at = 0;
      } else {
        if (chunk < 0 || chunkUsed + size > CHUNK) {
          chunk++;
          if (chunk == chunks.size()) {
            chunks.add(new byte[CHUNK]);
          }
          chunkUsed = 0;
        }
        into = chunks.get(chunk);
        at = chunkUsed;
        chunkUsed += size;
      }
      Platform.copyMemory(
          unsafe.getBaseObject(),
          unsafe.getBaseOffset(),
          into,
          Platform.BYTE_ARRAY_OFFSET + at,
          size);
      UnsafeRow slot = slots[position];
      if (slot == null || slot.numFields() != unsafe.numFields()) {
        slot = slots[position] = new UnsafeRow(unsafe.numFields());
      }
      slot.pointTo(into, Platform.BYTE_ARRAY_OFFSET + at, size);
      rows[position] = slot;
      return slot;
    }

    @Override
    boolean atChunkEnd() {
      return false;
    }

    @Override
    InternalRow kept(int position) {
      return rows[position];
    }

    @Override
    void startBatch() {
      chunk = -1;
      chunkUsed = CHUNK;
    }
  }

  /**
   * Rows of columnar batches, read in place: no copy, since a columnar batch stays valid until the
   * source moves to the next one, and a scoring batch never spans two.
   */
  static final class Columnar extends BatchRows {
    private final Iterator<ColumnarBatch> source;
    private ColumnarBatch current;
    private int nextRowId;
    private int batchStart;

    Columnar(Iterator<ColumnarBatch> source) {
      this.source = source;
    }

    @Override
    boolean hasNext() {
      while (current == null || nextRowId >= current.numRows()) {
        if (!source.hasNext()) {
          return false;
        }
        current = source.next();
        nextRowId = 0;
        batchStart = 0;
      }
      return true;
    }

    @Override
    InternalRow next(int position) {
      if (position == 0) {
        batchStart = nextRowId;
      }
      return current.getRow(nextRowId++);
    }

    @Override
    boolean atChunkEnd() {
      return current != null && nextRowId >= current.numRows();
    }

    @Override
    InternalRow kept(int position) {
      return current.getRow(batchStart + position);
    }

    @Override
    void startBatch() {}

    /**
     * Takes up to {@code max} rows of the current columnar batch as one scoring batch, to be read
     * in bulk from {@link #currentBatch()} starting at {@link #batchStart()}; returns how many.
     * Call after {@link #hasNext()} returned true.
     */
    int takeChunk(int max) {
      batchStart = nextRowId;
      int n = Math.min(max, current.numRows() - nextRowId);
      nextRowId += n;
      return n;
    }

    ColumnarBatch currentBatch() {
      return current;
    }

    int batchStart() {
      return batchStart;
    }
  }
}
