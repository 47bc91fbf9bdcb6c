package ai.onnxspark.internal.tensor;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxspark.internal.OnnxErrors;
import ai.onnxspark.model.ElementType;
import ai.onnxspark.model.TensorSpec;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.sql.execution.vectorized.WritableColumnVector;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * How one model output becomes a column: the column's name and Spark type, and how an output tensor
 * of a batch is split into one value per row. A per-row tensor of one element becomes a scalar
 * column; a per-row vector an array column; a per-row tensor of rank 2 or more nested arrays
 * ({@code [batch, seq, dim]} gives {@code array<array<float>>}), or, when asked, one flat array in
 * row-major order.
 *
 * <p>Element types and their Spark types: float, float16 and bfloat16 to float; double; int8 to
 * tinyint; uint8 and int16 to smallint; uint16 and int32 to int; uint32 and int64 to bigint; uint64
 * to decimal(20,0), which holds every uint64 exactly; bool to boolean; string to string.
 *
 * <p>An optional tensor output ({@code optional(tensor)}) is bound like the tensor it holds, for
 * whole tensors per row only, and read from the value and presence outputs of the model rewritten
 * for it ({@link #readingOptionalFrom}): its column is nullable, null where the value is absent.
 * Immutable and serializable.
 */
public final class OutputBinding implements Serializable {
  private static final long serialVersionUID = 1L;

  private final TensorSpec spec;
  private final String column;
  private final boolean scalar;

  /** How many array levels a row's value has: 0 for a scalar, 1 for a flat array. */
  private final int depth;

  private final PostProcess post;

  /**
   * Whether the output is one row's whole tensor (the model has no batch dimension): its dims are
   * all the row's, as if behind a batch dimension of 1.
   */
  private final boolean wholeTensor;

  /**
   * Grouped outputs ({@code [entries, 1 + k]}): the column holding each entry's row in the batch,
   * or -1 when the output has one slice per row.
   */
  private int groupIndex = -1;

  /**
   * For an optional output: the model output holding its tensor (empty when absent), and the bool
   * output saying whether it is present, which the rewritten model computes (see {@code
   * OptionalOutputs}); null otherwise, and null for an optional output not rewritten yet, which is
   * never fetched.
   */
  private String valueOutput;

  private String presentOutput;

  /**
   * Whether this column holds each row's dimensions of the output ({@code array<int>}, the shape
   * column beside a flat array) instead of its values.
   */
  private boolean shapes;

  private OutputBinding(
      TensorSpec spec,
      String column,
      boolean scalar,
      int depth,
      PostProcess post,
      boolean wholeTensor) {
    this.spec = spec;
    this.column = column;
    this.scalar = scalar;
    this.depth = depth;
    this.post = post;
    this.wholeTensor = wholeTensor;
  }

  /**
   * The binding of model output {@code spec}, a per-row vector of float or double scores, to a
   * column holding {@code post} of it.
   *
   * @throws ai.onnxspark.OnnxException when the output is not such a vector, or k is out of range
   */
  public static OutputBinding bind(TensorSpec spec, String column, PostProcess post) {
    return bind(spec, column, post, false);
  }

  /**
   * As {@link #bind(TensorSpec, String, PostProcess)}; with {@code wholeTensor}, the output is one
   * row's vector of scores ({@code [classes]}).
   */
  public static OutputBinding bind(
      TensorSpec spec, String column, PostProcess post, boolean wholeTensor) {
    OutputBinding plain = bind(spec, column, true, wholeTensor);
    ElementType type = spec.elementType();
    boolean scores =
        type == ElementType.FLOAT || type == ElementType.DOUBLE || type == ElementType.FLOAT16;
    int lead = wholeTensor ? 0 : 1;
    if (post.pools()) {
      if (!scores || !spec.shapeKnown() || spec.rank() != 2 + lead) {
        throw OnnxErrors.unsupportedOutput(
            spec.name(),
            spec.typeString(),
            post
                + " needs per-token vectors of float or double ("
                + (wholeTensor ? "[seq, dim] per row" : "[batch, seq, dim]")
                + "), as a text encoder's last hidden state; name another output");
      }
      return new OutputBinding(spec, column, false, 1, post, wholeTensor);
    }
    if (post.kind() == PostProcess.Kind.TOKEN_LABELS) {
      return bindTokenLabels(spec, column, post, scores, wholeTensor);
    }
    if (!scores || plain.scalar || !spec.shapeKnown() || spec.rank() != 1 + lead) {
      throw OnnxErrors.unsupportedOutput(
          spec.name(),
          spec.typeString(),
          post
              + " needs a per-row vector of float or double scores ("
              + (wholeTensor ? "[classes], as each row gets its whole output" : "[batch, classes]")
              + "); name another output");
    }
    long classes = spec.dims()[lead];
    if ((post.kind() == PostProcess.Kind.TOP_K_INDICES
            || post.kind() == PostProcess.Kind.TOP_K_SCORES)
        && (post.k() < 1 || classes > 0 && post.k() > classes)) {
      throw OnnxErrors.badOption(
          "top-k of " + spec.name(),
          post.k(),
          "a k between 1 and " + (classes > 0 ? classes : "the number of classes"));
    }
    if (post.kind() == PostProcess.Kind.LABEL && classes > 0 && post.labels().size() != classes) {
      throw OnnxErrors.badOption(
          "labels of " + spec.name(),
          post.labels().size() + " labels",
          classes + " labels, one per class of " + spec.typeString());
    }
    return new OutputBinding(spec, column, false, 1, post, wholeTensor);
  }

  private static OutputBinding bindTokenLabels(
      TensorSpec spec, String column, PostProcess post, boolean scores, boolean wholeTensor) {
    String key = ai.onnxspark.OnnxOptions.TOKEN_LABELS_PREFIX + spec.name();
    if (wholeTensor) {
      throw OnnxErrors.unsupportedOutput(
          spec.name(),
          spec.typeString(),
          key
              + " reads per-token scores of a batch of texts ([batch, seq, labels]), and this"
              + " model's rows are scored as whole tensors; feed it from text with a tokenizer"
              + " (withTokenizer) over inputs of shape [batch, seq]");
    }
    if (!scores || !spec.shapeKnown() || spec.rank() != 3) {
      throw OnnxErrors.unsupportedOutput(
          spec.name(),
          spec.typeString(),
          key
              + " needs per-token scores of float or double of rank 3 ([batch, seq, labels], as a"
              + " token classifier's logits), not "
              + (spec.shapeKnown() ? "rank " + spec.rank() + " " : "")
              + spec.elementType().name().toLowerCase()
              + "; name another output");
    }
    long labels = spec.dims()[2];
    if (labels > 0 && post.labels().size() != labels) {
      throw OnnxErrors.badOption(
          ai.onnxspark.OnnxOptions.LABELS_PREFIX + spec.name(),
          post.labels().size() + " labels " + post.labels(),
          labels
              + " labels, one per score of the last dimension of "
              + spec.typeString()
              + " (give them with withTokenLabels(output, column, labels) or labels."
              + spec.name()
              + ")");
    }
    return new OutputBinding(spec, column, false, 1, post, false);
  }

  /** As {@link #bind(TensorSpec, String, boolean)}, with nested arrays for rank 2 or more. */
  public static OutputBinding bind(TensorSpec spec, String column) {
    return bind(spec, column, false);
  }

  /**
   * The binding of model output {@code spec} to a new column named {@code column}.
   *
   * @throws ai.onnxspark.OnnxException when the output's kind or element type has no column form
   */
  public static OutputBinding bind(TensorSpec spec, String column, boolean flatten) {
    return bind(spec, column, flatten, false);
  }

  /**
   * As {@link #bind(TensorSpec, String, boolean)}; with {@code wholeTensor}, each row gets the
   * whole output (every dimension its own): a scalar for rank 0 (or a single value), an array for
   * rank 1, nested arrays for more (or one flat array, with {@code flatten}).
   */
  public static OutputBinding bind(
      TensorSpec spec, String column, boolean flatten, boolean wholeTensor) {
    if (spec.sequenceOfMaps()) {
      if (mapKeyType(spec) == null
          || elementType(spec.mapValueType()) == null
          || spec.mapValueType() == ElementType.UINT64) {
        throw OnnxErrors.unsupportedOutput(
            spec.name(),
            spec.typeString(),
            "maps with int64 or string keys and numeric values are supported");
      }
      return new OutputBinding(spec, column, true, 0, PostProcess.NONE, wholeTensor);
    }
    if (spec.kind() == TensorSpec.Kind.SEQUENCE
        && spec.elementType() != ElementType.UNDEFINED
        && elementType(spec.elementType()) != null) {
      if (!wholeTensor) {
        throw OnnxErrors.unsupportedOutput(
            spec.name(),
            spec.typeString(),
            "a sequence of tensors is one value for the whole run, not one per row; score each"
                + " row on its own with withRowAsTensor() (row-as-tensor) to get it per row");
      }
      // Each row gets its sequence: an array of the tensors, each flattened in row-major order.
      return new OutputBinding(spec, column, false, 2, PostProcess.NONE, true);
    }
    if (spec.kind() == TensorSpec.Kind.OPTIONAL && !wholeTensor) {
      throw OnnxErrors.unsupportedOutput(
          spec.name(),
          spec.typeString(),
          "an optional output is one value for the whole run, present or absent for all the rows"
              + " of a batch together, not for each row; score each row on its own with"
              + " withRowAsTensor() (row-as-tensor), where a row whose value is absent gets a"
              + " null, or score the model's other outputs only, naming them with"
              + " withOutput(output, column)");
    }
    if (!spec.holdsTensor()) {
      throw OnnxErrors.unsupportedOutput(
          spec.name(),
          spec.typeString(),
          "tensors, optional tensors (with row-as-tensor), sequences of tensors (with"
              + " row-as-tensor) and sequences of maps are supported");
    }
    if (elementType(spec.elementType()) == null) {
      throw OnnxErrors.unsupportedOutput(
          spec.name(),
          spec.typeString(),
          "element type "
              + spec.elementType()
              + " is not supported (float, float16, bfloat16, double, int8, uint8, int16, uint16,"
              + " int32, uint32, int64, uint64, bool, string); re-export the model with a Cast to"
              + " one of them for this output");
    }
    int lead = wholeTensor ? 0 : 1;
    boolean scalar = false;
    if (spec.shapeKnown() && spec.rank() >= lead) {
      scalar = true;
      long[] dims = spec.dims();
      for (int i = lead; i < dims.length; i++) {
        scalar &= dims[i] == 1;
      }
    }
    int depth = scalar ? 0 : 1;
    if (!scalar && !flatten && spec.shapeKnown() && spec.rank() - lead > 1) {
      depth = spec.rank() - lead;
    }
    return new OutputBinding(spec, column, scalar, depth, PostProcess.NONE, wholeTensor);
  }

  /**
   * This output, read as a list of entries for the whole batch ({@code [entries, 1 + k]}) whose
   * column {@code indexColumn} names each entry's row: each row gets the array of its entries, each
   * without that column ({@code array<array<…>>}).
   *
   * @throws ai.onnxspark.OnnxException when the output is not a numeric tensor of rank 2, or has no
   *     such column
   */
  public OutputBinding groupedBy(int indexColumn) {
    boolean numeric =
        spec.kind() == TensorSpec.Kind.TENSOR
            && spec.elementType() != ElementType.STRING
            && spec.elementType() != ElementType.BOOL
            && spec.elementType() != ElementType.UINT64;
    if (!numeric || wholeTensor || spec.shapeKnown() && spec.rank() != 2) {
      throw OnnxErrors.unsupportedOutput(
          spec.name(),
          spec.typeString(),
          "grouping by row (group."
              + spec.name()
              + ") reads a numeric output of shape [entries, 1 + k] for a batch of rows");
    }
    long columns = spec.shapeKnown() ? spec.dims()[1] : -1;
    if (indexColumn < 0 || columns >= 0 && indexColumn >= columns) {
      throw OnnxErrors.badOption(
          ai.onnxspark.OnnxOptions.GROUP_PREFIX + spec.name(),
          indexColumn,
          "a column of "
              + spec.typeString()
              + ", from 0"
              + (columns > 0 ? " to " + (columns - 1) : ""));
    }
    OutputBinding grouped = new OutputBinding(spec, column, false, 2, PostProcess.NONE, false);
    grouped.groupIndex = indexColumn;
    return grouped;
  }

  /**
   * Whether the output's values come back as an array whose dimensions a shape column can give: a
   * tensor (or optional tensor) output, not a scalar, not post-processed nor grouped.
   */
  public boolean takesShapeColumn() {
    return (spec.kind() == TensorSpec.Kind.TENSOR || spec.kind() == TensorSpec.Kind.OPTIONAL)
        && !scalar
        && depth >= 1
        && post.kind() == PostProcess.Kind.NONE
        && groupIndex < 0
        && !shapes;
  }

  /**
   * The shape column of this output, named {@code column}: each row's dimensions of the output
   * ({@code array<int>}; without the batch dimension in batches, all of them for whole tensors), so
   * that a flat array in row-major order can be read back as the tensor it holds. After padding is
   * removed, the row's own length.
   *
   * @throws IllegalStateException when the output takes no shape column ({@link
   *     #takesShapeColumn()})
   */
  public OutputBinding shapeColumn(String column) {
    if (!takesShapeColumn()) {
      throw new IllegalStateException("Output " + spec.name() + " takes no shape column");
    }
    OutputBinding copy = new OutputBinding(spec, column, false, 1, post, wholeTensor);
    copy.valueOutput = valueOutput;
    copy.presentOutput = presentOutput;
    copy.shapes = true;
    return copy;
  }

  /** Whether this column holds the output's per-row dimensions rather than its values. */
  public boolean shapes() {
    return shapes;
  }

  /**
   * This binding of an optional output, reading its tensor from model output {@code value} and
   * whether it is present from bool output {@code present}, so that no optional value is ever
   * fetched (ONNX Runtime's Java API crashes on an absent one); a row whose value is absent gets a
   * null.
   *
   * @throws IllegalArgumentException when the output is not optional
   */
  public OutputBinding readingOptionalFrom(String value, String present) {
    if (spec.kind() != TensorSpec.Kind.OPTIONAL) {
      throw new IllegalArgumentException("Output " + spec.name() + " is not optional");
    }
    OutputBinding copy = new OutputBinding(spec, column, scalar, depth, post, wholeTensor);
    copy.groupIndex = groupIndex;
    copy.shapes = shapes;
    copy.valueOutput = value;
    copy.presentOutput = present;
    return copy;
  }

  /** The model output to fetch for this column: the output, or an optional output's value. */
  public String fetchedOutput() {
    return valueOutput != null ? valueOutput : spec.name();
  }

  /**
   * For an optional output, the bool model output saying whether its value is present; else null.
   */
  public String presentOutput() {
    return presentOutput;
  }

  /**
   * Whether this is an optional output the model was not rewritten for: fetching it could crash the
   * JVM, so it must not be scored.
   */
  public boolean unreadableOptional() {
    return spec.kind() == TensorSpec.Kind.OPTIONAL && presentOutput == null;
  }

  private static DataType elementType(ElementType type) {
    switch (type) {
      case FLOAT:
        return DataTypes.FloatType;
      case DOUBLE:
        return DataTypes.DoubleType;
      case INT32:
        return DataTypes.IntegerType;
      case INT64:
        return DataTypes.LongType;
      case BOOL:
        return DataTypes.BooleanType;
      case FLOAT16:
      case BFLOAT16:
        return DataTypes.FloatType;
      case INT8:
        return DataTypes.ByteType;
      case UINT8:
      case INT16:
        return DataTypes.ShortType;
      case UINT16:
        return DataTypes.IntegerType;
      case UINT32:
        return DataTypes.LongType;
      case UINT64:
        return UINT64_TYPE;
      case STRING:
        return DataTypes.StringType;
      default:
        return null;
    }
  }

  /** The Spark type of uint64 values: every one of 0..2^64-1 fits in 20 decimal digits. */
  private static final DataType UINT64_TYPE = DataTypes.createDecimalType(20, 0);

  /** A uint64 value (its bits in {@code bits}) as a Spark decimal(20,0), exactly. */
  static org.apache.spark.sql.types.Decimal unsignedDecimal(long bits) {
    if (bits >= 0) {
      return org.apache.spark.sql.types.Decimal.apply(bits, 20, 0);
    }
    java.math.BigInteger value =
        java.math.BigInteger.valueOf(bits & Long.MAX_VALUE).setBit(Long.SIZE - 1);
    return org.apache.spark.sql.types.Decimal.apply(new java.math.BigDecimal(value), 20, 0);
  }

  private static DataType mapKeyType(TensorSpec spec) {
    switch (spec.mapKeyType()) {
      case INT64:
        return DataTypes.LongType;
      case STRING:
        return DataTypes.StringType;
      default:
        return null;
    }
  }

  /** Bytes per element of the Spark type the column holds (0 for strings). */
  private static int sparkWidth(ElementType type) {
    DataType t = elementType(type);
    if (t.equals(DataTypes.StringType)) {
      return 0;
    }
    return t.defaultSize();
  }

  /**
   * Whether the output's first dimension after the batch is named {@code name} (non-empty), so that
   * padding along an input's dimension of that name is removed from it.
   */
  public boolean firstRowDimNamed(String name) {
    int lead = wholeTensor ? 0 : 1;
    return !name.isEmpty()
        && spec.kind() == TensorSpec.Kind.TENSOR
        && spec.shapeKnown()
        && spec.rank() >= 1 + lead
        && name.equals(spec.dimNames()[lead])
        && !scalar
        && (post.kind() == PostProcess.Kind.NONE || post.pools());
  }

  /** The model output's name. */
  public String outputName() {
    return spec.name();
  }

  /** The model output as the model declares it. */
  public TensorSpec spec() {
    return spec;
  }

  /** The column's name. */
  public String column() {
    return column;
  }

  /** Whether each row gets a single value rather than an array. */
  public boolean scalar() {
    return scalar;
  }

  /** The column's field: the element type, or an array of it; never null. */
  public StructField field() {
    return field(false);
  }

  /**
   * The column's field, nullable where rows that fail get null (permissive mode), and always for an
   * optional output (null where its value is absent).
   */
  public StructField field(boolean nullable) {
    nullable |= spec.kind() == TensorSpec.Kind.OPTIONAL;
    if (spec.sequenceOfMaps()) {
      return DataTypes.createStructField(
          column,
          DataTypes.createMapType(mapKeyType(spec), elementType(spec.mapValueType()), false),
          nullable);
    }
    if (shapes) {
      return DataTypes.createStructField(
          column, DataTypes.createArrayType(DataTypes.IntegerType, false), nullable);
    }
    if (post.kind() != PostProcess.Kind.NONE) {
      return DataTypes.createStructField(
          column, post.columnType(elementType(spec.elementType())), nullable);
    }
    DataType type = elementType(spec.elementType());
    for (int level = 0; level < depth; level++) {
      type = DataTypes.createArrayType(type, false);
    }
    return DataTypes.createStructField(column, type, nullable);
  }

  /**
   * Whether {@link Splitter#splitInto} can write this output straight into a column vector: a
   * tensor with one scalar or one flat array of numbers or bools per row, as it is (no
   * post-processing, grouping, optional value or whole tensor per row).
   */
  public boolean writesColumns() {
    ElementType type = spec.elementType();
    return spec.kind() == TensorSpec.Kind.TENSOR
        && !spec.sequenceOfMaps()
        && groupIndex < 0
        && presentOutput == null
        && !shapes
        && !wholeTensor
        && depth <= 1
        && post.kind() == PostProcess.Kind.NONE
        && type != ElementType.STRING
        && type != ElementType.UINT64
        && elementType(type) != null;
  }

  /**
   * Writes one row's value, as {@link Splitter#split} gives it, into column vector {@code out} at
   * {@code rowId}; an array's elements go to its element vector from {@code elementStart}. For
   * bindings that {@link #writesColumns} only.
   *
   * @return the element vector's next free position
   */
  public int putRow(WritableColumnVector out, int rowId, Object value, int elementStart) {
    DataType type = elementType(spec.elementType());
    if (value == null) {
      out.putNull(rowId);
      return elementStart;
    }
    if (scalar) {
      putValue(out, rowId, value, type);
      return elementStart;
    }
    ArrayData array = (ArrayData) value;
    int n = array.numElements();
    WritableColumnVector data = out.arrayData();
    data.reserve(elementStart + n);
    for (int i = 0; i < n; i++) {
      putValue(data, elementStart + i, array.get(i, type), type);
    }
    out.putArray(rowId, elementStart, n);
    return elementStart + n;
  }

  private static void putValue(WritableColumnVector out, int rowId, Object value, DataType type) {
    if (type.equals(DataTypes.FloatType)) {
      out.putFloat(rowId, (Float) value);
    } else if (type.equals(DataTypes.DoubleType)) {
      out.putDouble(rowId, (Double) value);
    } else if (type.equals(DataTypes.IntegerType)) {
      out.putInt(rowId, (Integer) value);
    } else if (type.equals(DataTypes.LongType)) {
      out.putLong(rowId, (Long) value);
    } else if (type.equals(DataTypes.ShortType)) {
      out.putShort(rowId, (Short) value);
    } else if (type.equals(DataTypes.ByteType)) {
      out.putByte(rowId, (Byte) value);
    } else {
      out.putBoolean(rowId, (Boolean) value);
    }
  }

  /** A reusable splitter for one task, for batches of up to {@code batchSize} rows. */
  public Splitter newSplitter(int batchSize) {
    return new Splitter(batchSize);
  }

  /**
   * Splits a batch's output into one Spark value per row: boxed scalars, or {@link UnsafeArrayData}
   * views into one arena per batch (no allocation per row). The values are valid until the next
   * call. Not thread-safe.
   */
  public final class Splitter {
    /** One reusable view per row, grown as batches need (never sized by the batch size alone). */
    private UnsafeArrayData[] slots;

    private final int batchSize;
    private long[] arena = new long[0];

    /** Output values on their way into column vectors (see {@link #stagedBytes}). */
    private byte[] staging = new byte[0];

    Splitter(int batchSize) {
      this.batchSize = batchSize;
      slots = new UnsafeArrayData[Math.min(batchSize, 64)];
    }

    /**
     * Writes the per-row values of {@code value} to {@code into[0..rows)}.
     *
     * @throws ai.onnxspark.OnnxException when the output is not a tensor with one entry per row
     */
    public void split(OnnxValue value, int rows, Object[] into) {
      split(value, rows, into, null);
    }

    /**
     * As {@link #split(OnnxValue, int, Object[])}, keeping of each row only the first {@code
     * lengths[row]} entries along its first dimension (removing padding), when {@code lengths} is
     * not null.
     */
    public void split(OnnxValue value, int rows, Object[] into, int[] lengths) {
      split(value, rows, rows, into, lengths);
    }

    /**
     * As {@link #split(OnnxValue, int, Object[], int[])}, for a batch of {@code batchRows} rows of
     * which the first {@code rows} are the caller's (the others filled a batch of fixed size, and
     * their results are dropped).
     */
    public void split(OnnxValue value, int rows, int batchRows, Object[] into, int[] lengths) {
      split(value, rows, batchRows, into, lengths, null);
    }

    /**
     * As {@link #split(OnnxValue, int, int, Object[], int[])}, with each row's tokens for a
     * per-token output labelled by token ({@code token-labels.<output>}), else null.
     */
    public void split(
        OnnxValue value,
        int rows,
        int batchRows,
        Object[] into,
        int[] lengths,
        ai.onnxspark.internal.text.TokenSpans[] tokens) {
      if (spec.sequenceOfMaps() && value instanceof ai.onnxruntime.OnnxSequence) {
        splitMaps((ai.onnxruntime.OnnxSequence) value, rows, batchRows, into);
        return;
      }
      if (spec.kind() == TensorSpec.Kind.SEQUENCE
          && value instanceof ai.onnxruntime.OnnxSequence sequence) {
        into[0] = tensors(sequence);
        return;
      }
      if (!(value instanceof OnnxTensor)) {
        throw OnnxErrors.outputShape(
            spec.name(), spec.typeString(), rows, value.getInfo().toString(), "it is not a tensor");
      }
      OnnxTensor tensor = (OnnxTensor) value;
      long[] shape = tensor.getInfo().getShape();
      if (groupIndex >= 0) {
        splitGrouped(tensor, shape, rows, batchRows, into);
        return;
      }
      shape = rowShape(tensor, rows, batchRows);
      if (shapes) {
        splitShapes(tensor, shape, rows, into, lengths);
        return;
      }
      int perRow = (int) perRow(shape);
      if (spec.elementType() == ElementType.STRING) {
        splitStrings(tensor, rows, perRow, shape, into);
        return;
      }
      if (spec.elementType() == ElementType.UINT64) {
        splitObjects(unsignedDecimals(tensor, rows * perRow), rows, perRow, shape, into);
        return;
      }
      byte[] values = sparkBytes(tensor.getByteBuffer(), rows * perRow);
      if (post.pools()) {
        pool(ByteBuffer.wrap(values).order(ByteOrder.nativeOrder()), rows, shape, lengths, into);
        return;
      }
      if (post.kind() == PostProcess.Kind.TOKEN_LABELS) {
        tokenLabels(
            ByteBuffer.wrap(values).order(ByteOrder.nativeOrder()), rows, shape, tokens, into);
        return;
      }
      if (post.kind() != PostProcess.Kind.NONE) {
        postProcess(ByteBuffer.wrap(values).order(ByteOrder.nativeOrder()), rows, perRow, into);
        return;
      }
      if (scalar) {
        splitScalars(ByteBuffer.wrap(values).order(ByteOrder.nativeOrder()), rows, into);
      } else if (lengths != null) {
        long inner = perRow / Math.max(1, shape[1]);
        for (int r = 0; r < rows; r++) {
          long[] rowShape = shape.clone();
          rowShape[1] = Math.min(lengths[r], shape[1]);
          into[r] =
              depth > 1
                  ? nested(values, (long) r * perRow, rowShape, 1)
                  : leaf(values, (long) r * perRow, (int) (rowShape[1] * inner));
        }
      } else if (depth > 1) {
        for (int r = 0; r < rows; r++) {
          into[r] = nested(values, (long) r * perRow, shape, 1);
        }
      } else {
        splitArrays(values, rows, perRow, into);
      }
    }

    /**
     * Each row's dimensions of a batch's output of {@code shape} (its first dimension the rows):
     * {@code shape[1..]}, with the first of them cut to the row's length when padding is removed.
     */
    private void splitShapes(
        OnnxTensor tensor, long[] shape, int rows, Object[] into, int[] lengths) {
      int[] dims = new int[shape.length - 1];
      for (int i = 1; i < shape.length; i++) {
        if (shape[i] > Integer.MAX_VALUE) {
          throw OnnxErrors.outputShape(
              spec.name(),
              spec.typeString(),
              rows,
              Arrays.toString(tensor.getInfo().getShape()),
              "its shape column (array<int>) cannot hold a dimension above " + Integer.MAX_VALUE);
        }
        dims[i - 1] = (int) shape[i];
      }
      for (int r = 0; r < rows; r++) {
        int[] row = dims;
        if (lengths != null && dims.length > 0) {
          row = dims.clone();
          row[0] = Math.min(lengths[r], dims[0]);
        }
        into[r] = UnsafeArrayData.fromPrimitiveArray(row);
      }
    }

    /**
     * The output's shape with the batch dimension first (a whole tensor behind a batch dimension of
     * 1), checked to hold {@code batchRows} rows and, for a scalar column, one value per row.
     */
    private long[] rowShape(OnnxTensor tensor, int rows, int batchRows) {
      long[] shape = tensor.getInfo().getShape();
      if (wholeTensor) {
        // One row's whole tensor: its dims behind a batch dimension of 1.
        long[] withRow = new long[shape.length + 1];
        withRow[0] = 1;
        System.arraycopy(shape, 0, withRow, 1, shape.length);
        shape = withRow;
      }
      if (shape.length == 0 || shape[0] != batchRows) {
        throw OnnxErrors.outputShape(
            spec.name(),
            spec.typeString(),
            batchRows,
            Arrays.toString(tensor.getInfo().getShape()),
            "its first dimension must be the batch's row count. For entries of a whole batch that"
                + " name their row in one column (as NonMaxSuppression's), group them per row with"
                + " withGroupedOutput(output, column) (option group.<output>); for a model whose"
                + " rows are whole tensors, use withRowAsTensor() (row-as-tensor)");
      }
      if (scalar && perRow(shape) != 1) {
        throw OnnxErrors.outputShape(
            spec.name(),
            spec.typeString(),
            rows,
            Arrays.toString(shape),
            "each row must get one value");
      }
      return shape;
    }

    private long perRow(long[] shape) {
      long perRow = 1;
      for (int i = 1; i < shape.length; i++) {
        perRow *= shape[i];
      }
      return perRow;
    }

    /**
     * Writes the first {@code rows} rows of output {@code value} (of a batch of {@code batchRows})
     * into column vector {@code out} from row {@code offset}, in bulk: the values of a scalar
     * column, or for an array column the elements into its element vector from {@code
     * elementStart}. For bindings that {@link #writesColumns} only.
     *
     * @return the element vector's next free position (for a scalar column, {@code elementStart})
     * @throws ai.onnxspark.OnnxException when the output is not a tensor with one entry per row
     */
    public int splitInto(
        OnnxValue value,
        int rows,
        int batchRows,
        WritableColumnVector out,
        int offset,
        int elementStart) {
      if (!(value instanceof OnnxTensor)) {
        throw OnnxErrors.outputShape(
            spec.name(), spec.typeString(), rows, value.getInfo().toString(), "it is not a tensor");
      }
      OnnxTensor tensor = (OnnxTensor) value;
      long[] shape = rowShape(tensor, rows, batchRows);
      long perRowLong = perRow(shape);
      long elements = (long) rows * perRowLong;
      if (elementStart + elements > Integer.MAX_VALUE - 64) {
        throw new IllegalStateException(
            "Output " + spec.name() + " has too many values for one column batch");
      }
      int perRow = (int) perRowLong;
      byte[] values = stagedBytes(OutputMemory.of(tensor), (int) elements);
      if (scalar) {
        putValues(out, offset, rows, values);
        return elementStart;
      }
      WritableColumnVector data = out.arrayData();
      data.reserve(elementStart + (int) elements);
      putValues(data, elementStart, (int) elements, values);
      for (int r = 0; r < rows; r++) {
        out.putArray(offset + r, elementStart + r * perRow, perRow);
      }
      return elementStart + (int) elements;
    }

    /** {@code count} values in the column's Spark layout, native byte order, into {@code out}. */
    private void putValues(WritableColumnVector out, int rowId, int count, byte[] values) {
      DataType type = elementType(spec.elementType());
      if (type.equals(DataTypes.BooleanType)) {
        for (int i = 0; i < count; i++) {
          out.putBoolean(rowId + i, values[i] != 0);
        }
        return;
      }
      if (type.equals(DataTypes.ByteType)) {
        out.putBytes(rowId, count, values, 0);
        return;
      }
      if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
        // Spark's bulk puts read little-endian bytes: one value at a time elsewhere.
        ByteBuffer buffer = ByteBuffer.wrap(values).order(ByteOrder.nativeOrder());
        Object[] boxed = new Object[count];
        splitScalars(buffer, count, boxed);
        for (int i = 0; i < count; i++) {
          putValue(out, rowId + i, boxed[i], type);
        }
        return;
      }
      if (type.equals(DataTypes.FloatType)) {
        out.putFloats(rowId, count, values, 0);
      } else if (type.equals(DataTypes.DoubleType)) {
        out.putDoubles(rowId, count, values, 0);
      } else if (type.equals(DataTypes.IntegerType)) {
        out.putIntsLittleEndian(rowId, count, values, 0);
      } else if (type.equals(DataTypes.LongType)) {
        out.putLongsLittleEndian(rowId, count, values, 0);
      } else {
        out.putShorts(rowId, count, values, 0);
      }
    }

    /**
     * Grouped outputs: the entries of {@code [entries, c]} whose index column names a row below
     * {@code rows}, as one array of entries per row (each entry without the index column); entries
     * of rows that filled a fixed-size batch are dropped.
     */
    private void splitGrouped(
        OnnxTensor tensor, long[] shape, int rows, int batchRows, Object[] into) {
      if (shape.length != 2 || shape[1] <= groupIndex) {
        throw OnnxErrors.outputShape(
            spec.name(),
            spec.typeString(),
            batchRows,
            Arrays.toString(shape),
            "grouping by column " + groupIndex + " needs entries of shape [entries, 1 + k]");
      }
      int entries = (int) shape[0];
      int columns = (int) shape[1];
      int width = sparkWidth(spec.elementType());
      ByteBuffer values =
          ByteBuffer.wrap(sparkBytes(tensor.getByteBuffer(), entries * columns))
              .order(ByteOrder.nativeOrder());
      DataType type = elementType(spec.elementType());
      List<List<Object>> perRow = new ArrayList<>(rows);
      for (int r = 0; r < rows; r++) {
        perRow.add(new ArrayList<>());
      }
      byte[] entry = new byte[(columns - 1) * width];
      for (int i = 0; i < entries; i++) {
        int at = (i * columns + groupIndex) * width;
        double index = number(values, at, type);
        if (!(index >= 0 && index < batchRows && index == Math.rint(index))) {
          throw OnnxErrors.outputShape(
              spec.name(),
              spec.typeString(),
              batchRows,
              Arrays.toString(shape),
              "entry " + i + " names row " + index + ", not a row of the batch");
        }
        if (index >= rows) {
          continue;
        }
        int out = 0;
        for (int c = 0; c < columns; c++) {
          if (c != groupIndex) {
            values.position((i * columns + c) * width);
            values.get(entry, out * width, width);
            out++;
          }
        }
        values.position(0);
        perRow.get((int) index).add(leaf(entry, 0, columns - 1));
      }
      for (int r = 0; r < rows; r++) {
        into[r] = new GenericArrayData(perRow.get(r).toArray());
      }
    }

    private double number(ByteBuffer values, int at, DataType type) {
      if (type.equals(DataTypes.LongType)) {
        return values.getLong(at);
      } else if (type.equals(DataTypes.IntegerType)) {
        return values.getInt(at);
      } else if (type.equals(DataTypes.ShortType)) {
        return values.getShort(at);
      } else if (type.equals(DataTypes.ByteType)) {
        return values.get(at);
      } else if (type.equals(DataTypes.FloatType)) {
        return values.getFloat(at);
      }
      return values.getDouble(at);
    }

    /** A whole row's sequence of tensors: an array of them, each flattened in row-major order. */
    private ArrayData tensors(ai.onnxruntime.OnnxSequence sequence) {
      List<? extends OnnxValue> items;
      try {
        items = sequence.getValue();
      } catch (ai.onnxruntime.OrtException e) {
        throw new IllegalStateException("Cannot read the sequence of output " + spec.name(), e);
      }
      Object[] arrays = new Object[items.size()];
      for (int i = 0; i < arrays.length; i++) {
        OnnxTensor tensor = (OnnxTensor) items.get(i);
        long count = 1;
        for (long d : tensor.getInfo().getShape()) {
          count *= d;
        }
        if (spec.elementType() == ElementType.STRING) {
          List<UTF8String> flat = new ArrayList<>();
          try {
            flatten(tensor.getValue(), flat);
          } catch (ai.onnxruntime.OrtException e) {
            throw new IllegalStateException("Cannot read string output " + spec.name(), e);
          }
          arrays[i] = new GenericArrayData(flat.toArray());
        } else if (spec.elementType() == ElementType.UINT64) {
          arrays[i] = new GenericArrayData(unsignedDecimals(tensor, (int) count).toArray());
        } else {
          arrays[i] = leaf(sparkBytes(tensor.getByteBuffer(), (int) count), 0, (int) count);
        }
      }
      return new GenericArrayData(arrays);
    }

    /** One map per row, from a sequence of maps (ZipMap): keys and values as Spark data. */
    private void splitMaps(
        ai.onnxruntime.OnnxSequence sequence, int rows, int batchRows, Object[] into) {
      List<? extends OnnxValue> maps;
      try {
        maps = sequence.getValue();
      } catch (ai.onnxruntime.OrtException e) {
        throw new IllegalStateException("Cannot read the maps of output " + spec.name(), e);
      }
      if (maps.size() != batchRows) {
        throw OnnxErrors.outputShape(
            spec.name(),
            spec.typeString(),
            batchRows,
            maps.size() + " maps",
            "it must hold one map per row");
      }
      for (int r = 0; r < rows; r++) {
        java.util.Map<?, ?> map;
        try {
          map = ((ai.onnxruntime.OnnxMap) maps.get(r)).getValue();
        } catch (ai.onnxruntime.OrtException e) {
          throw new IllegalStateException("Cannot read a map of output " + spec.name(), e);
        }
        Object[] keys = new Object[map.size()];
        Object[] values = new Object[map.size()];
        int i = 0;
        for (java.util.Map.Entry<?, ?> e : new java.util.TreeMap<>(map).entrySet()) {
          keys[i] =
              e.getKey() instanceof String
                  ? UTF8String.fromString((String) e.getKey())
                  : ((Number) e.getKey()).longValue();
          values[i] = e.getValue();
          i++;
        }
        into[r] =
            new org.apache.spark.sql.catalyst.util.ArrayBasedMapData(
                new GenericArrayData(keys), new GenericArrayData(values));
      }
    }

    /**
     * Each row's mean over its tokens of {@code [rows, seq, dim]} values: the first {@code
     * lengths[row]} tokens when the batch was padded, else all of them (rows scored as whole
     * tensors, or a batch whose rows were not padded by the library, which is refused).
     */
    private void pool(ByteBuffer values, int rows, long[] shape, int[] lengths, Object[] into) {
      if (lengths == null && !wholeTensor) {
        throw OnnxErrors.unsupportedOutput(
            spec.name(),
            spec.typeString(),
            post
                + " averages each row's tokens without its batch's padding, so it needs the"
                + " rows' lengths: feed the model from text (withTokenizer) or pad its token"
                + " inputs per batch (pad.<input>), over a sequence dimension named as this"
                + " output's second one");
      }
      boolean isDouble = elementType(spec.elementType()).equals(DataTypes.DoubleType);
      int seq = (int) shape[1];
      int dim = (int) shape[2];
      for (int r = 0; r < rows; r++) {
        int tokens = lengths == null ? seq : Math.min(lengths[r], seq);
        double[] mean = new double[dim];
        for (int t = 0; t < tokens; t++) {
          int base = (r * seq + t) * dim;
          for (int d = 0; d < dim; d++) {
            mean[d] +=
                isDouble ? values.getDouble((base + d) * 8) : values.getFloat((base + d) * 4);
          }
        }
        double norm = 0;
        for (int d = 0; d < dim; d++) {
          mean[d] = tokens == 0 ? 0 : mean[d] / tokens;
          norm += mean[d] * mean[d];
        }
        if (post.kind() == PostProcess.Kind.MEAN_POOL_NORMALIZED && norm > 0) {
          double scale = 1 / Math.sqrt(norm);
          for (int d = 0; d < dim; d++) {
            mean[d] *= scale;
          }
        }
        into[r] = scores(mean, isDouble);
      }
    }

    /**
     * Per row, one struct per token of its text ({@link PostProcess#TOKEN_LABEL_TYPE}): its scores
     * {@code [seq, labels]} are read at the token's position, so that the special tokens and the
     * padding (past the row's tokens) are left out.
     */
    private void tokenLabels(
        ByteBuffer values,
        int rows,
        long[] shape,
        ai.onnxspark.internal.text.TokenSpans[] tokens,
        Object[] into) {
      String key = ai.onnxspark.OnnxOptions.TOKEN_LABELS_PREFIX + spec.name();
      if (tokens == null || tokens.length < rows) {
        throw OnnxErrors.unsupportedOutput(
            spec.name(),
            spec.typeString(),
            key
                + " labels the tokens of text the library tokenized: feed the model from a text"
                + " column with withTokenizer(textColumn, tokenizerJson) (option tokenizer)");
      }
      if (shape.length != 3 || shape[2] != post.labels().size()) {
        throw OnnxErrors.outputShape(
            spec.name(),
            spec.typeString(),
            rows,
            Arrays.toString(shape),
            key
                + " needs [batch, seq, labels] with "
                + post.labels().size()
                + " labels, as labels."
                + spec.name()
                + " gives");
      }
      boolean isDouble = elementType(spec.elementType()).equals(DataTypes.DoubleType);
      int seq = (int) shape[1];
      int classes = (int) shape[2];
      UTF8String[] labels = new UTF8String[classes];
      for (int c = 0; c < classes; c++) {
        labels[c] = UTF8String.fromString(post.labels().get(c));
      }
      double[] scores = new double[classes];
      for (int r = 0; r < rows; r++) {
        ai.onnxspark.internal.text.TokenSpans row = tokens[r];
        int n = Math.min(row.size(), seq);
        List<Object> entries = new ArrayList<>(n);
        for (int t = 0; t < n; t++) {
          if (row.special(t) || row.start(t) < 0) {
            continue;
          }
          int base = (r * seq + t) * classes;
          for (int c = 0; c < classes; c++) {
            int i = base + c;
            scores[c] = isDouble ? values.getDouble(i * 8) : values.getFloat(i * 4);
          }
          int best = argmax(scores);
          // The softmax probability of the best label: 1 / sum of exp(v - best).
          double sum = 0;
          for (double v : scores) {
            sum += Math.exp(v - scores[best]);
          }
          entries.add(
              new org.apache.spark.sql.catalyst.expressions.GenericInternalRow(
                  new Object[] {
                    UTF8String.fromString(row.token(t)),
                    row.start(t),
                    row.end(t),
                    labels[best],
                    (float) (1 / sum)
                  }));
        }
        into[r] = new GenericArrayData(entries.toArray());
      }
    }

    private void postProcess(ByteBuffer values, int rows, int perRow, Object[] into) {
      boolean isDouble = elementType(spec.elementType()).equals(DataTypes.DoubleType);
      double[] row = new double[perRow];
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < perRow; c++) {
          int i = r * perRow + c;
          row[c] = isDouble ? values.getDouble(i * 8) : values.getFloat(i * 4);
        }
        into[r] = postProcessRow(row, isDouble);
      }
    }

    private Object postProcessRow(double[] row, boolean isDouble) {
      switch (post.kind()) {
        case SOFTMAX:
          double max = Double.NEGATIVE_INFINITY;
          for (double v : row) {
            max = Math.max(max, v);
          }
          double sum = 0;
          double[] p = new double[row.length];
          for (int c = 0; c < row.length; c++) {
            p[c] = Math.exp(row[c] - max);
            sum += p[c];
          }
          for (int c = 0; c < row.length; c++) {
            p[c] /= sum;
          }
          return scores(p, isDouble);
        case ARGMAX:
          return argmax(row);
        case LABEL:
          int best = argmax(row);
          return best < post.labels().size()
              ? UTF8String.fromString(post.labels().get(best))
              : null;
        default:
          Integer[] order = new Integer[row.length];
          for (int c = 0; c < row.length; c++) {
            order[c] = c;
          }
          // Largest first; equal scores keep the lower index first.
          Arrays.sort(order, (a, b) -> Double.compare(row[b], row[a]));
          int k = Math.min(post.k(), row.length);
          if (post.kind() == PostProcess.Kind.TOP_K_INDICES) {
            int[] top = new int[k];
            for (int i = 0; i < k; i++) {
              top[i] = order[i];
            }
            return UnsafeArrayData.fromPrimitiveArray(top);
          }
          double[] top = new double[k];
          for (int i = 0; i < k; i++) {
            top[i] = row[order[i]];
          }
          return scores(top, isDouble);
      }
    }

    private Object scores(double[] values, boolean isDouble) {
      if (isDouble) {
        return UnsafeArrayData.fromPrimitiveArray(values);
      }
      float[] f = new float[values.length];
      for (int i = 0; i < f.length; i++) {
        f[i] = (float) values[i];
      }
      return UnsafeArrayData.fromPrimitiveArray(f);
    }

    private int argmax(double[] row) {
      int best = 0;
      for (int c = 1; c < row.length; c++) {
        if (row[c] > row[best] || Double.isNaN(row[best]) && !Double.isNaN(row[c])) {
          best = c;
        }
      }
      return best;
    }

    /**
     * As {@link #sparkBytes}, for values copied on at once: values that need no widening are read
     * into an array this splitter reuses from batch to batch (its first {@code count} values are
     * the tensor's), so that a batch allocates nothing.
     */
    private byte[] stagedBytes(ByteBuffer tensor, int count) {
      ElementType type = spec.elementType();
      int width = sparkWidth(type);
      if (width != type.byteSize() || type == ElementType.FLOAT16 || type == ElementType.BFLOAT16) {
        return sparkBytes(tensor, count);
      }
      int bytes = count * width;
      if (staging.length < bytes) {
        staging =
            new byte[Math.max(bytes, (int) Math.min(Integer.MAX_VALUE - 64L, 2L * staging.length))];
      }
      tensor.get(0, staging, 0, bytes);
      return staging;
    }

    /**
     * The tensor's values in the layout of the column's Spark type: as they are, or widened
     * (unsigned to the next signed type, float16 and bfloat16 to float).
     */
    private byte[] sparkBytes(ByteBuffer tensor, int count) {
      ElementType type = spec.elementType();
      int width = sparkWidth(type);
      if (width == type.byteSize() && type != ElementType.FLOAT16 && type != ElementType.BFLOAT16) {
        return tensor.array();
      }
      tensor.order(ByteOrder.nativeOrder());
      ByteBuffer out = ByteBuffer.allocate(count * width).order(ByteOrder.nativeOrder());
      for (int i = 0; i < count; i++) {
        switch (type) {
          case UINT8:
            out.putShort((short) (tensor.get(i) & 0xff));
            break;
          case UINT16:
            out.putInt(tensor.getShort(i * 2) & 0xffff);
            break;
          case UINT32:
            out.putLong(tensor.getInt(i * 4) & 0xffffffffL);
            break;
          case FLOAT16:
            out.putFloat(Float16.toFloat(tensor.getShort(i * 2)));
            break;
          default:
            out.putFloat(Float16.fromBfloat16(tensor.getShort(i * 2)));
        }
      }
      return out.array();
    }

    /** One row's nested arrays: {@code shape[level..]} over values from {@code start}. */
    private ArrayData nested(byte[] values, long start, long[] shape, int level) {
      int n = (int) shape[level];
      if (level == shape.length - 1) {
        return leaf(values, start, n);
      }
      long stride = 1;
      for (int i = level + 1; i < shape.length; i++) {
        stride *= shape[i];
      }
      Object[] children = new Object[n];
      for (int i = 0; i < n; i++) {
        children[i] = nested(values, start + i * stride, shape, level + 1);
      }
      return new GenericArrayData(children);
    }

    /** An array of {@code n} values from {@code start}, in memory of its own. */
    private UnsafeArrayData leaf(byte[] values, long start, int n) {
      int width = sparkWidth(spec.elementType());
      long header = UnsafeArrayData.calculateHeaderPortionInBytes(n);
      long valueBytes = (long) n * width;
      long size = header + ((valueBytes + 7) / 8) * 8;
      long[] memory = new long[(int) (size / 8)];
      Platform.putLong(memory, Platform.LONG_ARRAY_OFFSET, n);
      Platform.copyMemory(
          values,
          Platform.BYTE_ARRAY_OFFSET + start * width,
          memory,
          Platform.LONG_ARRAY_OFFSET + header,
          valueBytes);
      UnsafeArrayData array = new UnsafeArrayData();
      array.pointTo(memory, Platform.LONG_ARRAY_OFFSET, (int) size);
      return array;
    }

    private void splitStrings(
        OnnxTensor tensor, int rows, int perRow, long[] shape, Object[] into) {
      List<UTF8String> flat = new ArrayList<>(rows * perRow);
      try {
        flatten(tensor.getValue(), flat);
      } catch (ai.onnxruntime.OrtException e) {
        throw new IllegalStateException("Cannot read string output " + spec.name(), e);
      }
      splitObjects(flat, rows, perRow, shape, into);
    }

    /** The first {@code count} values of a uint64 tensor, as Spark decimals. */
    private List<Object> unsignedDecimals(OnnxTensor tensor, int count) {
      java.nio.LongBuffer bits =
          tensor.getByteBuffer().order(ByteOrder.nativeOrder()).asLongBuffer();
      List<Object> values = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        values.add(unsignedDecimal(bits.get(i)));
      }
      return values;
    }

    /** Boxed values (strings, decimals) in row-major order, split into one value per row. */
    private void splitObjects(
        List<? extends Object> flat, int rows, int perRow, long[] shape, Object[] into) {
      for (int r = 0; r < rows; r++) {
        long start = (long) r * perRow;
        if (scalar) {
          into[r] = flat.get(r);
        } else if (depth > 1) {
          into[r] = strings(flat, start, shape, 1);
        } else {
          into[r] = new GenericArrayData(flat.subList((int) start, (int) start + perRow).toArray());
        }
      }
    }

    private ArrayData strings(List<? extends Object> flat, long start, long[] shape, int level) {
      int n = (int) shape[level];
      long stride = 1;
      for (int i = level + 1; i < shape.length; i++) {
        stride *= shape[i];
      }
      Object[] children = new Object[n];
      for (int i = 0; i < n; i++) {
        children[i] =
            level == shape.length - 1
                ? flat.get((int) (start + i))
                : strings(flat, start + i * stride, shape, level + 1);
      }
      return new GenericArrayData(children);
    }

    private void flatten(Object value, List<UTF8String> into) {
      if (value instanceof String) {
        into.add(UTF8String.fromString((String) value));
      } else if (value instanceof Object[]) {
        for (Object o : (Object[]) value) {
          flatten(o, into);
        }
      }
    }

    private void splitScalars(ByteBuffer bytes, int rows, Object[] into) {
      DataType type = elementType(spec.elementType());
      for (int r = 0; r < rows; r++) {
        if (type.equals(DataTypes.FloatType)) {
          into[r] = bytes.getFloat(r * 4);
        } else if (type.equals(DataTypes.DoubleType)) {
          into[r] = bytes.getDouble(r * 8);
        } else if (type.equals(DataTypes.IntegerType)) {
          into[r] = bytes.getInt(r * 4);
        } else if (type.equals(DataTypes.LongType)) {
          into[r] = bytes.getLong(r * 8);
        } else if (type.equals(DataTypes.ShortType)) {
          into[r] = bytes.getShort(r * 2);
        } else if (type.equals(DataTypes.ByteType)) {
          into[r] = bytes.get(r);
        } else {
          into[r] = bytes.get(r) != 0;
        }
      }
    }

    private void splitArrays(byte[] values, int rows, int perRow, Object[] into) {
      int width = sparkWidth(spec.elementType());
      long header = UnsafeArrayData.calculateHeaderPortionInBytes(perRow);
      long valueBytes = (long) perRow * width;
      long rowBytes = header + ((valueBytes + 7) / 8) * 8;
      long words = rows * rowBytes / 8;
      if (arena.length < words) {
        arena = new long[(int) Math.max(words, arena.length * 2L)];
      }
      if (slots.length < rows) {
        slots =
            java.util.Arrays.copyOf(slots, Math.max(rows, Math.min(batchSize, 2 * slots.length)));
      }
      for (int r = 0; r < rows; r++) {
        long base = Platform.LONG_ARRAY_OFFSET + r * rowBytes;
        Platform.setMemory(arena, base, rowBytes, (byte) 0);
        Platform.putLong(arena, base, perRow);
        Platform.copyMemory(
            values, Platform.BYTE_ARRAY_OFFSET + r * valueBytes, arena, base + header, valueBytes);
        UnsafeArrayData slot = slots[r];
        if (slot == null) {
          slot = slots[r] = new UnsafeArrayData();
        }
        slot.pointTo(arena, base, (int) rowBytes);
        into[r] = slot;
      }
    }
  }
}
