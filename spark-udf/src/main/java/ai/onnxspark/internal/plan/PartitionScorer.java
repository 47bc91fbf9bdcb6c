package ai.onnxspark.internal.plan;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxspark.OnnxException;
import ai.onnxspark.internal.OnnxErrors;
import ai.onnxspark.internal.model.SequenceInputs;
import ai.onnxspark.internal.session.NativeLibraries;
import ai.onnxspark.internal.session.SessionCache;
import ai.onnxspark.internal.session.SessionKey;
import ai.onnxspark.internal.session.SessionLease;
import ai.onnxspark.internal.tensor.InputBinding;
import ai.onnxspark.internal.tensor.OutputBinding;
import ai.onnxspark.internal.tensor.SourceKind;
import ai.onnxspark.spark.OnnxModel;
import ai.onnxspark.spark.ScoringMetrics;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.JoinedRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.execution.vectorized.OnHeapColumnVector;
import org.apache.spark.sql.execution.vectorized.WritableColumnVector;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.apache.spark.unsafe.types.UTF8String;
import org.apache.spark.util.TaskCompletionListener;

/**
 * Scores one partition: groups its rows into batches, fills one direct buffer per model input, runs
 * the executor's cached session once per batch, and returns each input row joined with its output
 * values. This is the function {@link OnnxModel#transform} maps over partitions; users may call
 * {@link #score} from their own {@code mapPartitions} over internal rows.
 *
 * <p>Serializable and small: it holds the model's broadcast handle, never the model bytes. On an
 * executor, the session is taken from {@link SessionCache} on the first row (an empty partition
 * creates nothing) and released when the partition is exhausted or the task ends, whichever comes
 * first. Native tensors live for one batch and are closed on every path.
 */
public final class PartitionScorer implements Serializable {
  private static final long serialVersionUID = 1L;

  private final ModelHandle model;
  private final InputBinding[] inputs;
  private final OutputBinding[] outputs;
  private final StructType outputSchema;
  private final int batchSize;

  /**
   * Rows every run must have (the model's fixed batch dimension), or 0 when a run takes any number;
   * short batches are filled with copies of one of their rows.
   */
  private final int fixedRows;

  /** Rows read at a time: a batch, or several when padded rows are grouped by length. */
  private final int rowsPerRead;

  private final ScoringMetrics metrics;
  private final boolean permissive;

  /** Largest batch in bytes of input tensors; a larger row is scored alone. */
  private final long maxBatchBytes;

  /** Bytes of one row in all input tensors when every input's rows have one size, else -1. */
  private final long fixedRowBytes;

  PartitionScorer(
      ModelHandle model,
      List<InputBinding> inputs,
      List<OutputBinding> outputs,
      StructType outputSchema,
      ScoringMetrics metrics,
      boolean permissive) {
    this.model = model;
    this.inputs = inputs.toArray(new InputBinding[0]);
    this.outputs = outputs.toArray(new OutputBinding[0]);
    for (OutputBinding output : outputs) {
      if (output.unreadableOptional()) {
        // Fetching an absent optional value crashes the JVM in ONNX Runtime's Java API (1.28).
        throw OnnxErrors.unsupportedOutput(
            output.outputName(),
            output.spec().typeString(),
            "an optional output is read only from a model the library rewrote for it (scoring"
                + " with withRowAsTensor()), never fetched as it is: ONNX Runtime's Java API"
                + " crashes the JVM on an absent one");
      }
    }
    this.outputSchema = outputSchema;
    // The model's own batch size, if it fixes one, is already resolved into it (Batching).
    this.batchSize = model.batchSize();
    this.fixedRows =
        model.batching().mode() == Batching.Mode.FIXED ? model.batching().fixedRows() : 0;
    int bucket = inputs.stream().mapToInt(InputBinding::bucketBatches).max().orElse(1);
    this.rowsPerRead = (int) Math.min(Integer.MAX_VALUE - 64, (long) batchSize * bucket);
    this.metrics = metrics;
    this.permissive = permissive;
    this.maxBatchBytes = model.maxBatchBytes();
    long rowBytes = 0;
    for (InputBinding input : inputs) {
      long b = input.fixedRowBytes();
      rowBytes = b < 0 || rowBytes < 0 ? -1 : rowBytes + b;
    }
    this.fixedRowBytes = rowBytes;
  }

  /** The model this scorer runs. */
  public ModelHandle model() {
    return model;
  }

  /**
   * Whether rows that cannot be scored get null outputs and their error in one more column, instead
   * of failing the task.
   */
  public boolean permissive() {
    return permissive;
  }

  /** The schema of the rows {@link #score} returns: the input columns, then one per output. */
  public StructType outputSchema() {
    return outputSchema;
  }

  /** Rows per ONNX Runtime call (1 when the model's batch dimension is fixed at 1). */
  public int batchSize() {
    return batchSize;
  }

  /** The counters this scorer adds to; null when it counts nothing. */
  public ScoringMetrics metrics() {
    return metrics;
  }

  /**
   * Scores a partition lazily, a batch at a time. The returned rows are reused between calls to
   * {@code next()}: copy one to keep it.
   */
  public Iterator<InternalRow> score(Iterator<InternalRow> rows) {
    return new Scoring(rows);
  }

  /**
   * Scores a partition read as columnar batches (a Parquet or ORC scan), reading each row in place
   * instead of materialising it first. The returned rows are reused as in {@link #score}.
   */
  public Iterator<InternalRow> scoreColumnar(Iterator<ColumnarBatch> batches) {
    return new Scoring(new BatchRows.Columnar(batches));
  }

  /**
   * Whether {@link #scoreBatches} can score this scorer's rows: fail-fast, any number of rows per
   * run, inputs of fixed size per row read without padding or grouping by length, and every output
   * a scalar or flat array that {@link OutputBinding#writesColumns writes columns}, the outputs
   * being the only columns after the input's.
   */
  public boolean scoresBatches() {
    if (permissive || fixedRows != 0 || rowsPerRead != batchSize || fixedRowBytes < 0) {
      return false;
    }
    for (InputBinding input : inputs) {
      if (input.padded() || input.kind() == SourceKind.SEQUENCE) {
        return false;
      }
    }
    int width = outputSchema.length() - outputs.length;
    if (width < 0) {
      return false;
    }
    for (int j = 0; j < outputs.length; j++) {
      if (!outputs[j].writesColumns()
          || !outputs[j].field().dataType().equals(outputSchema.fields()[width + j].dataType())) {
        return false;
      }
    }
    return true;
  }

  /**
   * Scores a partition read as columnar batches (a Parquet or ORC scan), when {@link
   * #scoresBatches}: returns each batch with one column vector per output after its own columns,
   * which it passes through as they are. The outputs are written into the vectors in bulk, a run of
   * ONNX Runtime at a time; the returned batches and their vectors are reused between calls to
   * {@code next()}.
   */
  public Iterator<ColumnarBatch> scoreBatches(Iterator<ColumnarBatch> batches) {
    if (!scoresBatches()) {
      throw new IllegalStateException("This scorer does not score columnar batches");
    }
    return new BatchScoring(batches);
  }

  private final class BatchScoring implements Iterator<ColumnarBatch> {
    private final BatchRows.Columnar rows;
    private final Scoring scoring;
    private final WritableColumnVector[] vectors = new WritableColumnVector[outputs.length];
    private int capacity;

    BatchScoring(Iterator<ColumnarBatch> batches) {
      this.rows = new BatchRows.Columnar(batches);
      this.scoring = new Scoring(rows);
      scoring.sinks = vectors;
      scoring.sinkElements = new int[outputs.length];
    }

    @Override
    public boolean hasNext() {
      if (scoring.done) {
        return false;
      }
      if (!rows.hasNext()) {
        scoring.finish();
        return false;
      }
      return true;
    }

    @Override
    public ColumnarBatch next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      ColumnarBatch in = rows.currentBatch();
      int n = in.numRows();
      if (vectors[0] == null || capacity < n) {
        capacity = Math.max(n, capacity);
        for (int j = 0; j < outputs.length; j++) {
          if (vectors[j] != null) {
            vectors[j].close();
          }
          vectors[j] = new OnHeapColumnVector(capacity, outputs[j].field().dataType());
        }
      } else {
        for (WritableColumnVector vector : vectors) {
          vector.reset();
        }
      }
      Arrays.fill(scoring.sinkElements, 0);
      // Every row of the batch, a run at a time; the batch's own rows stay where they are.
      do {
        scoring.runBatch();
      } while (!rows.atChunkEnd());
      ColumnVector[] columns = new ColumnVector[in.numCols() + vectors.length];
      for (int c = 0; c < in.numCols(); c++) {
        columns[c] = in.column(c);
      }
      System.arraycopy(vectors, 0, columns, in.numCols(), vectors.length);
      return new ColumnarBatch(columns, n);
    }
  }

  private final class Scoring implements Iterator<InternalRow> {
    /**
     * Where outputs go when scoring whole columnar batches ({@link BatchScoring}): one vector per
     * output, written from the batch's row of the run; null when scoring rows.
     */
    private WritableColumnVector[] sinks;

    /** Per sink: its element vector's next free position (array outputs). */
    private int[] sinkElements;

    private final BatchRows source;
    private final TaskContext task;
    private final int partition;
    // Per-row arrays grow with the rows a batch gathers, up to rowsPerRead: a batch size of
    // millions on a few rows allocates for those few.
    private final Object[][] values = new Object[outputs.length][Math.min(rowsPerRead, 64)];
    private final GenericInternalRow outputRow =
        new GenericInternalRow(outputs.length + (permissive ? 1 : 0));

    /** Per position in the batch: the row's index in the tensors, or -1 when it failed. */
    private int[] tensorIndex = new int[Math.min(rowsPerRead, 64)];

    /** Per position in the batch: why the row failed, or null. */
    private UTF8String[] errors = new UTF8String[Math.min(rowsPerRead, 64)];

    /** Bytes per row of the last batch scored, for sizing batches of variable rows; -1 before. */
    private long lastRowBytes = -1;

    /** Grouped reads: one batch's outputs before they go back to their rows' positions. */
    private Object[][] grouped;

    /** The last row added to the tensors, and its index: what fills a short fixed-size batch. */
    private InternalRow lastAdded;

    private long lastAddedIndex;

    private int tensorRows;
    private final JoinedRow joined = new JoinedRow();
    private final Set<String> outputNames = new LinkedHashSet<>();
    private InputBinding.Batch[] batches;
    private OutputBinding.Splitter[] splitters;
    private SessionLease lease;
    private int count;
    private int position;
    private long nextRowIndex;
    private boolean done;

    Scoring(Iterator<InternalRow> rows) {
      this(new BatchRows.Copied(rows, rowsPerRead));
    }

    Scoring(BatchRows source) {
      this.source = source;
      this.task = TaskContext.get();
      this.partition = task != null ? task.partitionId() : 0;
      for (OutputBinding output : outputs) {
        outputNames.add(output.fetchedOutput());
        if (output.presentOutput() != null) {
          outputNames.add(output.presentOutput());
        }
      }
    }

    @Override
    public boolean hasNext() {
      if (position < count) {
        return true;
      }
      if (done) {
        return false;
      }
      if (!source.hasNext()) {
        finish();
        return false;
      }
      runBatch();
      return true;
    }

    @Override
    public InternalRow next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      int index = tensorIndex[position];
      for (int j = 0; j < outputs.length; j++) {
        outputRow.update(j, index < 0 ? null : values[j][index]);
      }
      if (permissive) {
        outputRow.update(outputs.length, errors[position]);
      }
      return joined.apply(source.kept(position++), outputRow);
    }

    private void open() {
      int taskCpus = task != null ? task.cpus() : 1;
      String device = model.device().resolve(task != null ? task.resourcesJMap() : Map.of());
      SessionKey key =
          new SessionKey(
              model.fingerprint(),
              model.options().withTaskCpus(taskCpus),
              device,
              model.device().fallbackToCpu(),
              model.device().providerOptions());
      NativeLibraries.use(model.nativeDir());
      SessionCache cache = SessionCache.get();
      cache.setMaxSessions(model.maxSessions());
      Broadcast<BroadcastModel> bytes = model.broadcastHandle();
      lease =
          cache.acquire(
              key,
              (env, options) -> bytes.value().loader().open(env, options),
              model.description());
      if (task != null) {
        task.addTaskCompletionListener((TaskCompletionListener) context -> finish());
      }
      if (lease.created() && metrics != null) {
        ScoringCounters.get().addSessionCreated(metrics, lease.provider(), lease.creationNanos());
      }
      batches = new InputBinding.Batch[inputs.length];
      for (int i = 0; i < inputs.length; i++) {
        batches[i] = inputs[i].newBatch(batchSize);
      }
      splitters = new OutputBinding.Splitter[outputs.length];
      for (int j = 0; j < outputs.length; j++) {
        splitters[j] = outputs[j].newSplitter(batchSize);
      }
    }

    /** Makes the per-row arrays hold {@code rows} rows. */
    private void ensureRows(int rows) {
      if (tensorIndex.length >= rows) {
        return;
      }
      int grown = (int) Math.max(rows, Math.min(rowsPerRead, 2L * tensorIndex.length));
      tensorIndex = Arrays.copyOf(tensorIndex, grown);
      errors = Arrays.copyOf(errors, grown);
      for (int j = 0; j < values.length; j++) {
        values[j] = Arrays.copyOf(values[j], grown);
      }
    }

    /** Bytes of the input tensors of the current batch. */
    private long batchBytes() {
      long bytes = 0;
      for (InputBinding.Batch batch : batches) {
        bytes += batch.bytes();
      }
      return bytes;
    }

    /**
     * Whether the batch must end before the next row because it would take the batch over {@link
     * #maxBatchBytes} (the next row taken to be as large as the batch's rows on average). A batch
     * always gets its first row.
     */
    private boolean fullByBytes() {
      if (tensorRows == 0) {
        return false;
      }
      long bytes = batchBytes();
      return bytes + bytes / tensorRows > maxBatchBytes;
    }

    /**
     * Rows of a columnar chunk to take as one batch under {@link #maxBatchBytes}, or -1 when the
     * size of a row is not known yet (variable rows, first batch).
     */
    private int rowsWithinBytes() {
      long rowBytes = fixedRowBytes >= 0 ? fixedRowBytes : lastRowBytes;
      if (rowBytes < 0) {
        return -1;
      }
      return (int) Math.max(1, Math.min(batchSize, maxBatchBytes / Math.max(1, rowBytes)));
    }

    private void runBatch() {
      if (lease == null) {
        open();
      }
      for (InputBinding.Batch batch : batches) {
        batch.reset();
      }
      long firstRow = nextRowIndex;
      count = 0;
      position = 0;
      tensorRows = 0;
      source.startBatch();
      if (rowsPerRead > batchSize) {
        runGroupedByLength(firstRow);
        return;
      }
      int chunkRows = rowsWithinBytes();
      if (source instanceof BatchRows.Columnar && !permissive && fixedRows == 0 && chunkRows > 0) {
        BatchRows.Columnar columnar = (BatchRows.Columnar) source;
        count = columnar.takeChunk(chunkRows);
        ensureRows(count);
        for (InputBinding.Batch batch : batches) {
          batch.addColumnar(
              columnar.currentBatch(), columnar.batchStart(), count, partition, firstRow);
        }
        for (int p = 0; p < count; p++) {
          tensorIndex[p] = p;
        }
        tensorRows = count;
        nextRowIndex += count;
      } else {
        // hasNext() may move a columnar source to its next chunk, so a batch ends at a chunk's end.
        while (count < batchSize
            && !(count > 0 && source.atChunkEnd())
            && !fullByBytes()
            && source.hasNext()) {
          ensureRows(count + 1);
          InternalRow row = source.next(count);
          addRow(row, count);
          count++;
          nextRowIndex++;
        }
      }
      if (tensorRows > 0) {
        lastRowBytes = batchBytes() / tensorRows;
        try {
          run(firstRow);
        } catch (OnnxException e) {
          if (!permissive && !rowsMayBeAtFault(e)) {
            throw e;
          }
          isolateFailures(e);
          if (sinks != null) {
            // Fail-fast: every row scored alone (else it threw); their values go to the vectors.
            int offset = ((BatchRows.Columnar) source).batchStart();
            for (int j = 0; j < outputs.length; j++) {
              for (int p = 0; p < count; p++) {
                sinkElements[j] =
                    outputs[j].putRow(sinks[j], offset + p, values[j][p], sinkElements[j]);
              }
            }
          }
        }
      }
    }

    /**
     * Whether scoring the rows of a failed batch one by one may find the row at fault: ONNX Runtime
     * rejected the batch (an id out of an embedding's range, say). A batch over its time limit is
     * not retried row by row in fail-fast mode.
     */
    private boolean rowsMayBeAtFault(OnnxException e) {
      return e.errorClass() != OnnxException.ErrorClass.TIMEOUT
          && e.getCause() instanceof OrtException;
    }

    /** Adds one row to the input tensors; in permissive mode a bad row is recorded, not thrown. */
    private void addRow(InternalRow row, int positionInBatch) {
      errors[positionInBatch] = null;
      if (!permissive) {
        for (InputBinding.Batch batch : batches) {
          batch.add(row, partition, nextRowIndex);
        }
        tensorIndex[positionInBatch] = tensorRows++;
        added(row);
        return;
      }
      for (InputBinding.Batch batch : batches) {
        batch.mark();
      }
      try {
        for (InputBinding.Batch batch : batches) {
          batch.add(row, partition, nextRowIndex);
        }
        tensorIndex[positionInBatch] = tensorRows++;
        added(row);
      } catch (OnnxException e) {
        for (InputBinding.Batch batch : batches) {
          batch.rollback();
        }
        tensorIndex[positionInBatch] = -1;
        errors[positionInBatch] = UTF8String.fromString(e.getMessage());
      }
    }

    /** Remembers the row just added, to fill a short batch of a model with a fixed batch size. */
    private void added(InternalRow row) {
      if (fixedRows > 0) {
        lastAdded = row;
        lastAddedIndex = nextRowIndex;
      }
    }

    /**
     * Fills the tensors up to the model's fixed batch size with copies of the last row added, and
     * returns the rows they hold; their results are not read.
     */
    private int fillFixedBatch() {
      if (fixedRows == 0 || tensorRows >= fixedRows) {
        return tensorRows;
      }
      for (int r = tensorRows; r < fixedRows; r++) {
        for (InputBinding.Batch batch : batches) {
          batch.add(lastAdded, partition, lastAddedIndex);
        }
      }
      return fixedRows;
    }

    /**
     * Reads up to {@link #rowsPerRead} rows, orders them by the length of the padded input, scores
     * them in batches of similar lengths, and puts each row's outputs back at its position, so the
     * rows come out in the order they came in.
     */
    private void runGroupedByLength(long firstRow) {
      while (count < rowsPerRead && !(count > 0 && source.atChunkEnd()) && source.hasNext()) {
        ensureRows(count + 1);
        source.next(count);
        count++;
        nextRowIndex++;
      }
      InputBinding padded = null;
      for (InputBinding input : inputs) {
        if (input.bucketBatches() > 1) {
          padded = input;
        }
      }
      int[] lengths = new int[count];
      Integer[] order = new Integer[count];
      for (int p = 0; p < count; p++) {
        lengths[p] = padded.lengthOf(source.kept(p));
        order[p] = p;
      }
      Arrays.sort(order, (a, b) -> Integer.compare(lengths[a], lengths[b]));
      if (grouped == null) {
        grouped = new Object[outputs.length][0];
      }
      long readEnd = nextRowIndex;
      int start = 0;
      while (start < count) {
        int limit = Math.min(count, start + batchSize);
        for (InputBinding.Batch batch : batches) {
          batch.reset();
        }
        tensorRows = 0;
        int end = start;
        // A batch ends at the batch size, or before a row that would take it over the bytes.
        while (end < limit && !fullByBytes()) {
          int p = order[end];
          nextRowIndex = firstRow + p;
          addRow(source.kept(p), p);
          end++;
        }
        int[] members = new int[end - start];
        for (int k = start; k < end; k++) {
          members[k - start] = order[k];
        }
        start = end;
        for (int j = 0; j < grouped.length; j++) {
          if (grouped[j].length < members.length) {
            grouped[j] =
                Arrays.copyOf(
                    grouped[j],
                    (int) Math.max(members.length, Math.min(batchSize, 2L * grouped[j].length)));
          }
        }
        nextRowIndex = readEnd;
        if (tensorRows == 0) {
          continue;
        }
        try {
          run(grouped, firstRow);
        } catch (OnnxException e) {
          if (!permissive && !rowsMayBeAtFault(e)) {
            throw e;
          }
          isolateFailures(members, firstRow, e);
          continue;
        }
        for (int p : members) {
          int index = tensorIndex[p];
          if (index >= 0) {
            for (int j = 0; j < outputs.length; j++) {
              values[j][p] = kept(grouped[j][index]);
            }
            tensorIndex[p] = p;
          }
        }
      }
    }

    /** A value that outlives the splitter's arena. */
    private Object kept(Object value) {
      return value instanceof UnsafeArrayData ? ((UnsafeArrayData) value).copy() : value;
    }

    /** Runs the filled tensors and splits the outputs into {@code values}. */
    private void run(long firstRow) {
      run(values, firstRow);
    }

    private void run(Object[][] into, long firstRow) {
      try {
        runTensors(into, sinks != null && into == values);
      } catch (Deadlines.TimedOut e) {
        throw OnnxErrors.timedOut(
            model.description(), tensorRows, model.batchTimeoutMs(), e.getCause());
      } catch (OrtException e) {
        throw OnnxErrors.runFailed(model.description(), tensorRows, partition, firstRow, e);
      }
    }

    /**
     * Runs ONNX Runtime on the {@code tensorRows} rows of the filled buffers, splitting each output
     * into {@code into[output][0..tensorRows)}; the tensors are closed on every path.
     */
    private void runTensors(Object[][] into, boolean toSinks)
        throws OrtException, Deadlines.TimedOut {
      int batchRows = fillFixedBatch();
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      List<OnnxTensor> tensors = new ArrayList<>(inputs.length);
      try {
        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        for (int i = 0; i < inputs.length; i++) {
          OnnxTensor tensor = batches[i].toTensor(env);
          tensors.add(tensor);
          if (inputs[i].kind() == SourceKind.SEQUENCE) {
            // Fed as values and lengths, which the rewritten model splits into the sequence.
            SequenceInputs.Names names = model.sequenceInputs().get(inputs[i].inputName());
            if (names == null) {
              throw new IllegalStateException(
                  "Sequence input "
                      + inputs[i].inputName()
                      + " is fed only to a model the library rewrote for it");
            }
            OnnxTensor lengths = batches[i].lengthsTensor(env);
            tensors.add(lengths);
            feeds.put(names.values(), tensor);
            feeds.put(names.lengths(), lengths);
            continue;
          }
          feeds.put(inputs[i].inputName(), tensor);
        }
        long start = System.nanoTime();
        try (OrtSession.Result result =
            Deadlines.run(lease.session(), feeds, outputNames, model.batchTimeoutMs())) {
          long nanos = System.nanoTime() - start;
          int[] lengths = null;
          String paddedDim = "";
          for (int i = 0; i < inputs.length && lengths == null; i++) {
            if (inputs[i].padded()) {
              lengths = batches[i].variableLengths();
              paddedDim = inputs[i].variableDimName();
            }
          }
          ai.onnxspark.internal.text.TokenSpans[] tokens = null;
          for (int i = 0; i < inputs.length && tokens == null; i++) {
            tokens = batches[i].tokens();
          }
          for (int j = 0; j < outputs.length; j++) {
            String present = outputs[j].presentOutput();
            if (present != null && !present(result.get(present).orElseThrow(), outputs[j])) {
              // An absent optional value: its rows get a null (the value output is empty).
              Arrays.fill(into[j], 0, tensorRows, null);
              continue;
            }
            if (toSinks) {
              sinkElements[j] =
                  splitters[j].splitInto(
                      result.get(outputs[j].fetchedOutput()).orElseThrow(),
                      tensorRows,
                      batchRows,
                      sinks[j],
                      ((BatchRows.Columnar) source).batchStart(),
                      sinkElements[j]);
              continue;
            }
            boolean trim = lengths != null && outputs[j].firstRowDimNamed(paddedDim);
            splitters[j].split(
                result.get(outputs[j].fetchedOutput()).orElseThrow(),
                tensorRows,
                batchRows,
                into[j],
                trim ? lengths : null,
                tokens);
          }
          if (metrics != null) {
            ScoringCounters.get().addBatch(metrics, tensorRows, nanos);
          }
        }
      } finally {
        tensors.forEach(OnnxTensor::close);
      }
    }

    /** Whether the presence output of optional {@code output} says its value is there. */
    private boolean present(ai.onnxruntime.OnnxValue value, OutputBinding output)
        throws OrtException {
      Object flag = value.getValue();
      if (flag instanceof Boolean b) {
        return b;
      }
      if (flag instanceof boolean[] flags && flags.length == 1) {
        return flags[0];
      }
      throw OnnxErrors.outputShape(
          output.presentOutput(),
          "bool[]",
          tensorRows,
          value.getInfo().toString(),
          "it must be one bool saying whether optional output "
              + output.outputName()
              + " is present");
    }

    /**
     * After a batch failed in ONNX Runtime ({@code batchError}): scores its rows one at a time, so
     * that only the rows that fail alone get the error (permissive mode), or so that the error
     * names the first row that fails alone (fail-fast mode).
     */
    private void isolateFailures(OnnxException batchError) {
      int[] all = new int[count];
      for (int p = 0; p < count; p++) {
        all[p] = p;
      }
      isolateFailures(all, nextRowIndex - count, batchError);
    }

    /**
     * As {@link #isolateFailures(OnnxException)}, for the rows at {@code positions} of the batch
     * (in the order they were read). In fail-fast mode it throws the first row's error, with {@code
     * batchError} suppressed in it; when every row scores alone their outputs are kept.
     */
    private void isolateFailures(int[] positions, long batchStart, OnnxException batchError) {
      if (!permissive) {
        positions = positions.clone();
        Arrays.sort(positions);
      }
      Object[][] single = new Object[outputs.length][1];
      for (int p : positions) {
        if (tensorIndex[p] < 0) {
          continue;
        }
        for (InputBinding.Batch batch : batches) {
          batch.reset();
        }
        tensorRows = 0;
        long saved = nextRowIndex;
        nextRowIndex = batchStart + p;
        addRow(source.kept(p), p);
        nextRowIndex = saved;
        OnnxException error;
        try {
          runTensors(single, false);
          for (int j = 0; j < outputs.length; j++) {
            // The splitter reuses its arena for the next row: keep a copy.
            values[j][p] = kept(single[j][0]);
          }
          tensorIndex[p] = p;
          continue;
        } catch (Deadlines.TimedOut e) {
          error = OnnxErrors.timedOut(model.description(), 1, model.batchTimeoutMs(), e.getCause());
        } catch (OrtException | OnnxException e) {
          error =
              OnnxErrors.rowFailed(
                  model.description(),
                  OnnxErrors.rowAt(partition, batchStart + p) + keyOf(source.kept(p)),
                  e);
        }
        if (!permissive) {
          error.addSuppressed(batchError);
          throw error;
        }
        tensorIndex[p] = -1;
        errors[p] = UTF8String.fromString(error.getMessage());
      }
      // Every row scored alone in fail-fast mode: the batch as a whole was too much (memory, say),
      // and the rows' outputs are all there.
    }

    /** The row's key for messages ({@code " (id=42)"}), when a key column is set. */
    private String keyOf(InternalRow row) {
      return inputs.length == 0 ? "" : inputs[0].describeKey(row);
    }

    private void finish() {
      done = true;
      if (batches != null) {
        for (InputBinding.Batch batch : batches) {
          if (batch != null) {
            batch.release();
          }
        }
      }
      if (lease != null) {
        lease.close();
      }
    }
  }
}
