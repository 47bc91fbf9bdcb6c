package ai.onnxspark.spark;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxspark.OnnxErrors;
import ai.onnxspark.session.SessionCache;
import ai.onnxspark.session.SessionKey;
import ai.onnxspark.session.SessionLease;
import ai.onnxspark.tensor.InputBinding;
import ai.onnxspark.tensor.OutputBinding;
import java.io.Serializable;
import java.util.ArrayList;
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
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ColumnarBatch;
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
  private final ScoringMetrics metrics;

  PartitionScorer(
      ModelHandle model,
      List<InputBinding> inputs,
      List<OutputBinding> outputs,
      StructType outputSchema,
      ScoringMetrics metrics) {
    this.model = model;
    this.inputs = inputs.toArray(new InputBinding[0]);
    this.outputs = outputs.toArray(new OutputBinding[0]);
    this.outputSchema = outputSchema;
    boolean singleRows = inputs.stream().anyMatch(InputBinding::singleRowBatches);
    this.batchSize = singleRows ? 1 : model.batchSize();
    this.metrics = metrics;
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

  private final class Scoring implements Iterator<InternalRow> {
    private final BatchRows source;
    private final TaskContext task;
    private final int partition;
    private final Object[][] values = new Object[outputs.length][batchSize];
    private final GenericInternalRow outputRow = new GenericInternalRow(outputs.length);
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
      this(new BatchRows.Copied(rows, batchSize));
    }

    Scoring(BatchRows source) {
      this.source = source;
      this.task = TaskContext.get();
      this.partition = task != null ? task.partitionId() : 0;
      for (OutputBinding output : outputs) {
        outputNames.add(output.outputName());
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
      for (int j = 0; j < outputs.length; j++) {
        outputRow.update(j, values[j][position]);
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
              model.device().fallbackToCpu());
      SessionCache cache = SessionCache.get();
      cache.setMaxSessions(model.maxSessions());
      Broadcast<BroadcastModel> bytes = model.broadcast();
      lease = cache.acquire(key, () -> bytes.value().bytes(), model.description());
      if (task != null) {
        task.addTaskCompletionListener((TaskCompletionListener) context -> finish());
      }
      if (lease.created() && metrics != null) {
        metrics.addSessionCreated(lease.provider());
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
      source.startBatch();
      if (source instanceof BatchRows.Columnar) {
        BatchRows.Columnar columnar = (BatchRows.Columnar) source;
        count = columnar.takeChunk(batchSize);
        for (InputBinding.Batch batch : batches) {
          batch.addColumnar(
              columnar.currentBatch(), columnar.batchStart(), count, partition, firstRow);
        }
        nextRowIndex += count;
      } else {
        while (count < batchSize && source.hasNext()) {
          InternalRow row = source.next(count);
          for (InputBinding.Batch batch : batches) {
            batch.add(row, partition, nextRowIndex);
          }
          count++;
          nextRowIndex++;
        }
      }
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      List<OnnxTensor> tensors = new ArrayList<>(inputs.length);
      try {
        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        for (int i = 0; i < inputs.length; i++) {
          OnnxTensor tensor = batches[i].toTensor(env);
          tensors.add(tensor);
          feeds.put(inputs[i].inputName(), tensor);
        }
        long start = System.nanoTime();
        try (OrtSession.Result result = lease.session().run(feeds, outputNames)) {
          long nanos = System.nanoTime() - start;
          for (int j = 0; j < outputs.length; j++) {
            splitters[j].split(result.get(outputs[j].outputName()).orElseThrow(), count, values[j]);
          }
          if (metrics != null) {
            metrics.addBatch(count, nanos);
          }
        }
      } catch (OrtException e) {
        throw OnnxErrors.runFailed(model.description(), count, partition, firstRow, e);
      } finally {
        tensors.forEach(OnnxTensor::close);
      }
    }

    private void finish() {
      done = true;
      if (lease != null) {
        lease.close();
      }
    }
  }
}
