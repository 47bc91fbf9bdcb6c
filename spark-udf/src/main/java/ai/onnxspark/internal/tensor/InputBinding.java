package ai.onnxspark.internal.tensor;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxspark.internal.OnnxErrors;
import ai.onnxspark.model.ElementType;
import ai.onnxspark.model.TensorSpec;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.SpecializedGetters;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.execution.vectorized.WritableColumnVector;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarArray;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.apache.spark.unsafe.Platform;

/**
 * How one model input is fed from a row: which columns, how they hold the values ({@link
 * SourceKind}), the model's element type and per-row shape. Built and checked on the driver against
 * the DataFrame's schema by {@link #bind}, then shipped to executors, where {@link #newBatch} gives
 * each task a reusable native-order direct buffer to fill row by row.
 *
 * <p>Immutable and serializable. Supported element types: float, double, float16 (from float
 * columns, rounded), int8, uint8 (values checked to be in 0..255), int16, int32, int64, bool and
 * string.
 */
public final class InputBinding implements Serializable {
  private static final long serialVersionUID = 1L;

  private static final java.util.Set<ElementType> SUPPORTED =
      java.util.EnumSet.of(
          ElementType.FLOAT,
          ElementType.DOUBLE,
          ElementType.FLOAT16,
          ElementType.INT8,
          ElementType.UINT8,
          ElementType.INT16,
          ElementType.INT32,
          ElementType.INT64,
          ElementType.BOOL,
          ElementType.STRING);

  private final TensorSpec spec;
  private final String[] columns;
  private final int[] ordinals;
  private final SourceKind kind;
  private final NumericType source;

  /** Per column: its numeric type (scalars), or the array's element type. */
  private final NumericType[] columnTypes;

  private final boolean elementsNullable;

  /** How many array levels a nested column has (0 unless the kind is NESTED). */
  private final int nestedDepth;

  /** Per-row dims (the model's dims after the batch dim); -1 marks the one variable dim. */
  private final long[] rowDims;

  /** Product of the fixed per-row dims. */
  private final long fixedPerRow;

  private final boolean variable;

  /** Whether array elements have the model's element type, so rows can be copied in bulk. */
  private final boolean sameWidth;

  /**
   * With a variable dimension: the value rows shorter than the batch's longest are padded with, or
   * null to require equal lengths within a batch.
   */
  private Double padValue;

  /** Padded inputs: how many batches of rows are read and grouped by length (1: none). */
  private int bucketBatches = 1;

  /** Images: per-channel mean and standard deviation (RGB), applied to values in 0..1. */
  private float[] imageMean;

  private float[] imageStd;

  /** Image structs: the ordinals of height, width, nChannels and data. */
  private int[] imageFields;

  /** The column that names rows in error messages (its ordinal, name and type), if any. */
  private int keyOrdinal = -1;

  private String keyName;
  private DataType keyType;

  private InputBinding(
      TensorSpec spec,
      String[] columns,
      int[] ordinals,
      SourceKind kind,
      NumericType source,
      NumericType[] columnTypes,
      boolean elementsNullable,
      long[] rowDims,
      int nestedDepth) {
    this.spec = spec;
    this.nestedDepth = nestedDepth;
    this.columnTypes = columnTypes;
    this.columns = columns;
    this.ordinals = ordinals;
    this.kind = kind;
    this.source = source;
    this.elementsNullable = elementsNullable;
    this.rowDims = rowDims;
    long fixed = 1;
    boolean var = false;
    for (long d : rowDims) {
      if (d < 0) {
        var = true;
      } else {
        fixed *= d;
      }
    }
    this.fixedPerRow = fixed;
    this.variable = var;
    ElementType target = spec.elementType();
    this.sameWidth =
        kind == SourceKind.ARRAY
            && ((target == ElementType.FLOAT && source == NumericType.FLOAT)
                || (target == ElementType.DOUBLE && source == NumericType.DOUBLE)
                || (target == ElementType.INT32 && source == NumericType.INT)
                || (target == ElementType.INT64 && source == NumericType.LONG));
  }

  /**
   * Checks that {@code columns} of {@code schema} can feed the model input {@code spec} and returns
   * the binding.
   *
   * @param defaulted whether the column was chosen by default (named like the input), for messages
   * @throws ai.onnxspark.OnnxException naming the input, the column, the expected and actual types
   *     and the fix, when they do not fit
   */
  public static InputBinding bind(
      TensorSpec spec, List<String> columns, StructType schema, boolean defaulted) {
    return bind(spec, columns, schema, defaulted, false);
  }

  /**
   * As {@link #bind(TensorSpec, List, StructType, boolean)}; with {@code narrowing}, double columns
   * also feed float and float16 inputs (rounded) and bigint columns int32 inputs.
   */
  public static InputBinding bind(
      TensorSpec spec,
      List<String> columns,
      StructType schema,
      boolean defaulted,
      boolean narrowing) {
    String input = spec.name();
    String type = spec.typeString();
    if (spec.kind() != TensorSpec.Kind.TENSOR) {
      throw OnnxErrors.unsupportedInput(input, type, "only tensor inputs are supported");
    }
    ElementType target = spec.elementType();
    if (!SUPPORTED.contains(target)) {
      throw OnnxErrors.unsupportedInput(
          input,
          type,
          "element type "
              + target
              + " is not supported (float, double, float16, int8, uint8, int16, int32, int64,"
              + " bool, string)");
    }
    long[] rowDims = rowDims(spec);
    int[] ordinals = new int[columns.size()];
    DataType[] types = new DataType[columns.size()];
    List<String> names = Arrays.asList(schema.fieldNames());
    for (int i = 0; i < columns.size(); i++) {
      String column = columns.get(i);
      int ordinal = names.indexOf(column);
      if (ordinal < 0) {
        throw OnnxErrors.missingColumn(input, type, column, names, defaulted);
      }
      ordinals[i] = ordinal;
      types[i] = schema.fields()[ordinal].dataType();
    }
    String[] cols = columns.toArray(new String[0]);
    if (columns.size() == 1 && types[0] instanceof ArrayType) {
      // One array column: flat (depth 1), or nested arrays read in row-major order.
      DataType leaf = types[0];
      int depth = 0;
      boolean nullable = false;
      while (leaf instanceof ArrayType) {
        nullable |= ((ArrayType) leaf).containsNull();
        leaf = ((ArrayType) leaf).elementType();
        depth++;
      }
      NumericType element = NumericType.of(leaf);
      if (element == null || !fits(element, target, narrowing)) {
        throw OnnxErrors.columnType(
            input,
            type,
            cols[0],
            types[0].simpleString(),
            element == null
                ? depth == 1
                    ? "not an array of numbers, booleans or strings"
                    : "the innermost arrays hold no numbers, booleans or strings"
                : kindMismatch(element, target)
                    ? "its elements are not " + NumericType.sparkName(target)
                    : "converting would lose information",
            "cast it with col(\""
                + cols[0]
                + "\").cast(\""
                + "array<".repeat(depth)
                + NumericType.sparkName(target)
                + ">".repeat(depth)
                + "\")"
                + (element != null && element.narrowsTo(target)
                    ? ", or let the library round it with withNarrowing()"
                    : ""));
      }
      if (depth == 1) {
        return new InputBinding(
            spec,
            cols,
            ordinals,
            SourceKind.ARRAY,
            element,
            new NumericType[] {element},
            nullable,
            rowDims,
            0);
      }
      if (depth > rowDims.length) {
        throw OnnxErrors.columnType(
            input,
            type,
            cols[0],
            types[0].simpleString(),
            depth + " levels of arrays for " + rowDims.length + " dimension(s) per row",
            "flatten the column (flatten(col(\"" + cols[0] + "\"))) or feed the matching input");
      }
      return new InputBinding(
          spec,
          cols,
          ordinals,
          SourceKind.NESTED,
          element,
          new NumericType[] {element},
          nullable,
          rowDims,
          depth);
    }
    if (columns.size() == 1 && types[0].equals(org.apache.spark.sql.types.DataTypes.BinaryType)) {
      if (target == ElementType.STRING) {
        throw OnnxErrors.columnType(
            input, type, cols[0], "binary", "", "string inputs read string columns");
      }
      return new InputBinding(
          spec, cols, ordinals, SourceKind.BYTES, null, new NumericType[1], false, rowDims, 0);
    }
    if (columns.size() == 1 && NumericType.isVector(types[0])) {
      if (target != ElementType.FLOAT && target != ElementType.DOUBLE) {
        throw OnnxErrors.columnType(
            input,
            type,
            cols[0],
            "a Spark ML vector (double values)",
            "",
            "vectors can feed float or double inputs only; convert it with"
                + " vector_to_array(col(\""
                + cols[0]
                + "\")) and cast the array");
      }
      return new InputBinding(
          spec,
          cols,
          ordinals,
          SourceKind.VECTOR,
          NumericType.DOUBLE,
          new NumericType[] {NumericType.DOUBLE},
          false,
          rowDims,
          0);
    }
    NumericType[] scalars = new NumericType[cols.length];
    for (int i = 0; i < cols.length; i++) {
      NumericType scalar = NumericType.of(types[i]);
      if (scalar == null || !fits(scalar, target, narrowing)) {
        String fix =
            scalar == null && types[i] instanceof ArrayType
                ? "one input reads either one array column or several scalar columns"
                : "cast it with col(\""
                    + cols[i]
                    + "\").cast(\""
                    + NumericType.sparkName(target)
                    + "\")";
        throw OnnxErrors.columnType(
            input,
            type,
            cols[i],
            types[i].simpleString(),
            scalar == null || kindMismatch(scalar, target)
                ? "not a number, array or vector column"
                : "converting would lose information",
            fix);
      }
      scalars[i] = scalar;
    }
    InputBinding binding =
        new InputBinding(
            spec, cols, ordinals, SourceKind.SCALARS, null, scalars, false, rowDims, 0);
    binding.checkScalarCount();
    return binding;
  }

  private static boolean fits(NumericType column, ElementType target, boolean narrowing) {
    return column.convertsExactlyTo(target) || narrowing && column.narrowsTo(target);
  }

  /** Whether the column holds another kind of value than the input: text, truth or number. */
  private static boolean kindMismatch(NumericType column, ElementType target) {
    return (column == NumericType.STRING) != (target == ElementType.STRING)
        || (column == NumericType.BOOLEAN) != (target == ElementType.BOOL);
  }

  /** The model's dims after the batch dim, checking the input can be batched at all. */
  private static long[] rowDims(TensorSpec spec) {
    if (!spec.shapeKnown()) {
      return new long[] {-1};
    }
    if (spec.rank() == 0) {
      throw OnnxErrors.unsupportedInput(
          spec.name(), spec.typeString(), "a scalar input has no batch dimension");
    }
    long[] dims = spec.dims();
    if (dims[0] > 1) {
      throw OnnxErrors.unsupportedInput(
          spec.name(),
          spec.typeString(),
          "its first dimension is fixed at "
              + dims[0]
              + ", so it is not a batch of rows;"
              + " re-export the model with a dynamic batch dimension");
    }
    long[] rowDims = Arrays.copyOfRange(dims, 1, dims.length);
    int variable = 0;
    for (long d : rowDims) {
      variable += d < 0 ? 1 : 0;
    }
    if (variable > 1) {
      throw OnnxErrors.unsupportedInput(
          spec.name(),
          spec.typeString(),
          "it has " + variable + " variable dimensions per row, and a flat column can resolve one");
    }
    return rowDims;
  }

  private void checkScalarCount() {
    int n = columns.length;
    boolean fits = variable ? n % fixedPerRow == 0 : n == fixedPerRow;
    if (!fits) {
      throw OnnxErrors.unsupportedInput(
          spec.name(),
          spec.typeString(),
          "it takes "
              + (variable ? "a multiple of " + fixedPerRow : Long.toString(fixedPerRow))
              + " values per row but "
              + n
              + " scalar column(s) "
              + Arrays.toString(columns)
              + " were given");
    }
  }

  /**
   * This binding, padding each batch's rows to its longest row with {@code value} along the model's
   * variable dimension.
   *
   * @throws ai.onnxspark.OnnxException when the input has no variable dimension per row
   */
  public InputBinding withPadding(double value) {
    if (!variable) {
      throw OnnxErrors.unsupportedInput(
          spec.name(),
          spec.typeString(),
          "padding needs a variable dimension per row, such as [batch, seq], and it has none");
    }
    if (spec.elementType() == ElementType.STRING || spec.elementType() == ElementType.BOOL) {
      throw OnnxErrors.unsupportedInput(
          spec.name(), spec.typeString(), "padding takes numeric inputs");
    }
    InputBinding copy = copy();
    copy.padValue = value;
    return copy;
  }

  /**
   * This binding, naming a bad row in its errors also by column {@code name} (at {@code ordinal} of
   * the rows, of type {@code type}), such as {@code id=42}.
   */
  public InputBinding withKey(String name, int ordinal, DataType type) {
    InputBinding copy = copy();
    copy.keyName = name;
    copy.keyOrdinal = ordinal;
    copy.keyType = type;
    return copy;
  }

  /**
   * This padded binding, reading {@code batches} batches of rows at a time and scoring them in
   * batches of similar lengths, so that padding stays small (row order is kept in the output).
   */
  public InputBinding withBucketing(int batches) {
    if (padValue == null) {
      throw OnnxErrors.unsupportedInput(
          spec.name(), spec.typeString(), "bucketing by length needs padding (withPadding) first");
    }
    InputBinding copy = copy();
    copy.bucketBatches = Math.max(1, batches);
    return copy;
  }

  /** How many batches of rows are grouped by length; 1 when rows are not regrouped. */
  public int bucketBatches() {
    return bucketBatches;
  }

  /**
   * The row's length along the variable dimension as the column holds it (values, or outer array
   * elements), for grouping rows by length; 0 for a null.
   */
  public int lengthOf(InternalRow row) {
    if (row.isNullAt(ordinals[0])) {
      return 0;
    }
    return kind == SourceKind.ARRAY || kind == SourceKind.NESTED
        ? row.getArray(ordinals[0]).numElements()
        : 0;
  }

  /** {@code " (id=42)"} for {@code row} when a key column is set, else empty. */
  public String describeKey(InternalRow row) {
    if (keyOrdinal < 0 || row == null) {
      return "";
    }
    Object value = row.isNullAt(keyOrdinal) ? null : row.get(keyOrdinal, keyType);
    return " (" + keyName + "=" + value + ")";
  }

  private InputBinding copy() {
    InputBinding copy =
        new InputBinding(
            spec,
            columns,
            ordinals,
            kind,
            source,
            columnTypes,
            elementsNullable,
            rowDims,
            nestedDepth);
    copy.padValue = padValue;
    copy.bucketBatches = bucketBatches;
    copy.imageMean = imageMean;
    copy.imageStd = imageStd;
    copy.imageFields = imageFields;
    copy.keyOrdinal = keyOrdinal;
    copy.keyName = keyName;
    copy.keyType = keyType;
    return copy;
  }

  /**
   * The binding of image column {@code column} (Spark's image struct, or encoded JPEG/PNG bytes) to
   * {@code spec}, a float input of shape {@code [batch, 3, height, width]}: each image is converted
   * to RGB, resized (bilinear) to the input's height and width, scaled to 0..1 and normalised per
   * channel, {@code (v - mean[c]) / std[c]}.
   *
   * @throws ai.onnxspark.OnnxException when the input is not such a tensor or the column holds no
   *     images
   */
  public static InputBinding bindImage(
      TensorSpec spec, String column, StructType schema, float[] mean, float[] std) {
    long[] dims = spec.dims();
    if (spec.elementType() != ElementType.FLOAT
        || !spec.shapeKnown()
        || dims.length != 4
        || dims[1] != 3
        || dims[2] <= 0
        || dims[3] <= 0) {
      throw OnnxErrors.unsupportedInput(
          spec.name(),
          spec.typeString(),
          "images feed float inputs of shape [batch, 3, height, width] with a fixed height and"
              + " width");
    }
    if (mean.length != 3 || std.length != 3) {
      throw OnnxErrors.badOption("image mean/std", mean.length + "/" + std.length, "3 values each");
    }
    List<String> names = Arrays.asList(schema.fieldNames());
    int ordinal = names.indexOf(column);
    if (ordinal < 0) {
      throw OnnxErrors.missingColumn(spec.name(), spec.typeString(), column, names, false);
    }
    DataType type = schema.fields()[ordinal].dataType();
    boolean imageStruct =
        type instanceof StructType
            && Arrays.asList(((StructType) type).fieldNames())
                .containsAll(List.of("height", "width", "nChannels", "data"));
    if (!imageStruct && !type.equals(org.apache.spark.sql.types.DataTypes.BinaryType)) {
      throw OnnxErrors.columnType(
          spec.name(),
          spec.typeString(),
          column,
          type.simpleString(),
          "not an image",
          "read images with spark.read().format(\"image\") or as encoded bytes with"
              + " format(\"binaryFile\") and pass the image or content column");
    }
    InputBinding binding =
        new InputBinding(
            spec,
            new String[] {column},
            new int[] {ordinal},
            SourceKind.IMAGE,
            null,
            new NumericType[1],
            false,
            Arrays.copyOfRange(dims, 1, 4),
            0);
    if (imageStruct) {
      List<String> fields = Arrays.asList(((StructType) type).fieldNames());
      binding.imageFields =
          new int[] {
            fields.indexOf("height"),
            fields.indexOf("width"),
            fields.indexOf("nChannels"),
            fields.indexOf("data")
          };
    }
    binding.imageMean = mean.clone();
    binding.imageStd = std.clone();
    return binding;
  }

  /** Whether rows of a batch are padded to its longest. */
  public boolean padded() {
    return padValue != null;
  }

  /** The name of the variable dimension ({@code seq}), or empty when it has none or no name. */
  public String variableDimName() {
    if (!variable || !spec.shapeKnown()) {
      return "";
    }
    for (int i = 0; i < rowDims.length; i++) {
      if (rowDims[i] < 0) {
        return spec.dimNames()[i + 1];
      }
    }
    return "";
  }

  /** The model input this binding feeds. */
  public TensorSpec spec() {
    return spec;
  }

  /** The model input's name. */
  public String inputName() {
    return spec.name();
  }

  /** The columns read, in order. */
  public List<String> columns() {
    return List.of(columns);
  }

  /** How the columns hold the values. */
  public SourceKind kind() {
    return kind;
  }

  /** Whether the model input has a fixed batch dimension of 1, so it must be run row by row. */
  public boolean singleRowBatches() {
    return spec.shapeKnown() && spec.rank() > 0 && spec.dims()[0] == 1;
  }

  /** A reusable buffer for one task, holding up to {@code batchSize} rows. */
  public Batch newBatch(int batchSize) {
    return new Batch(batchSize);
  }

  private String column() {
    return kind == SourceKind.SCALARS ? String.join(",", columns) : columns[0];
  }

  /**
   * One task's tensor buffer for this input: rows are appended with {@link #add}, the tensor is
   * created over the filled part with {@link #toTensor}, and {@link #reset} starts the next batch.
   * Not thread-safe.
   */
  public final class Batch {
    private final int capacityRows;
    private ByteBuffer buffer;

    /** The values of a string input (ONNX Runtime takes strings as Java strings). */
    private String[] strings;

    /** Native address of the buffer; values are written through it in native byte order. */
    private long address;

    /** Bytes per element of the model input. */
    private final int width = spec.elementType().byteSize();

    /** Values written in the current batch. */
    private long written;

    private int markRows;
    private long markWritten;

    private long perRow = -1;
    private int rows;

    /** Padded batches: each row's number of values, and the padded tensor's buffer. */
    private final long[] rowValues;

    private ByteBuffer padded;
    private long paddedAddress;
    private int partition;
    private long rowIndex;

    Batch(int capacityRows) {
      this.capacityRows = capacityRows;
      this.rowValues = padValue != null ? new long[capacityRows] : null;
      if (!variable) {
        allocate(fixedPerRow);
      }
    }

    private void allocate(long valuesPerRow) {
      if (spec.elementType() == ElementType.STRING) {
        long count = valuesPerRow * capacityRows;
        if (count > Integer.MAX_VALUE - 64) {
          throw OnnxErrors.unsupportedInput(
              spec.name(),
              spec.typeString(),
              "a batch of "
                  + capacityRows
                  + " rows holds "
                  + count
                  + " strings; lower the batch size");
        }
        strings = new String[(int) count];
        buffer = ByteBuffer.allocate(0);
        return;
      }
      long bytes = valuesPerRow * capacityRows * spec.elementType().byteSize();
      if (bytes > Integer.MAX_VALUE - 64) {
        throw OnnxErrors.unsupportedInput(
            spec.name(),
            spec.typeString(),
            "a batch of " + capacityRows + " rows needs " + bytes + " bytes; lower the batch size");
      }
      buffer = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.nativeOrder());
      address = Platform.getDirectBufferAddress(buffer);
    }

    /** Starts a new batch, keeping the buffer. */
    public void reset() {
      rows = 0;
      if (variable) {
        perRow = -1;
      }
      written = 0;
    }

    /** Remembers the batch as it is, so that a row that fails half-way can be taken back. */
    public void mark() {
      markRows = rows;
      markWritten = written;
    }

    /** Takes back what was written since {@link #mark()}. */
    public void rollback() {
      rows = markRows;
      written = markWritten;
      if (rows == 0 && variable) {
        perRow = -1;
      }
    }

    /** Rows in the current batch. */
    public int rows() {
      return rows;
    }

    /**
     * Appends one row's values.
     *
     * @param partition the row's partition, for error messages
     * @param rowIndex the row's position in its partition, for error messages
     * @throws ai.onnxspark.OnnxException for nulls, wrong lengths, or lengths that differ within
     *     the batch where the model has a variable dimension
     */
    public void add(InternalRow row, int partition, long rowIndex) {
      this.partition = partition;
      this.rowIndex = rowIndex;
      this.current = row;
      switch (kind) {
        case ARRAY:
          addArray(row);
          break;
        case VECTOR:
          addVector(row);
          break;
        case NESTED:
          addNested(row);
          break;
        case BYTES:
          addBytes(row);
          break;
        case IMAGE:
          addImage(row);
          break;
        default:
          addScalars(row);
      }
      rows++;
    }

    /**
     * Appends {@code count} rows of a columnar batch starting at {@code start}. Array columns held
     * in Spark's writable column vectors are checked row by row and copied in one piece; other
     * columns go row by row through {@link #add}.
     *
     * @param firstRowIndex the position of row {@code start} in its partition, for error messages
     */
    public void addColumnar(
        ColumnarBatch chunk, int start, int count, int partition, long firstRowIndex) {
      ColumnVector column = chunk.column(ordinals[0]);
      if (!sameWidth
          || padValue != null
          || !(column instanceof WritableColumnVector)
          || count == 0) {
        for (int i = 0; i < count; i++) {
          add(chunk.getRow(start + i), partition, firstRowIndex + i);
        }
        return;
      }
      WritableColumnVector vector = (WritableColumnVector) column;
      WritableColumnVector values = vector.arrayData();
      this.partition = partition;
      int first = vector.getArrayOffset(start);
      long expectedOffset = first;
      for (int i = 0; i < count; i++) {
        int rowId = start + i;
        this.rowIndex = firstRowIndex + i;
        this.current = keyOrdinal >= 0 ? chunk.getRow(rowId) : null;
        if (vector.isNullAt(rowId)) {
          throw OnnxErrors.nullValue(spec.name(), columns[0], where(), "array");
        }
        int n = vector.getArrayLength(rowId);
        checkLength(n);
        if (vector.getArrayOffset(rowId) != expectedOffset) {
          // Not laid out back to back: copy this chunk row by row.
          rows = 0;
          written = 0;
          for (int k = 0; k < count; k++) {
            add(chunk.getRow(start + k), partition, firstRowIndex + k);
          }
          return;
        }
        expectedOffset += n;
        rows++;
      }
      int total = (int) (expectedOffset - first);
      if (elementsNullable && values.hasNull()) {
        for (int k = 0; k < total; k++) {
          if (values.isNullAt(first + k)) {
            this.rowIndex = firstRowIndex + k / perRowOrFixed();
            throw OnnxErrors.nullValue(
                spec.name(), columns[0], where(), "element at index " + k % perRowOrFixed());
          }
        }
      }
      Object array;
      long offset;
      switch (spec.elementType()) {
        case FLOAT:
          array = values.getFloats(first, total);
          offset = Platform.FLOAT_ARRAY_OFFSET;
          break;
        case DOUBLE:
          array = values.getDoubles(first, total);
          offset = Platform.DOUBLE_ARRAY_OFFSET;
          break;
        case INT32:
          array = values.getInts(first, total);
          offset = Platform.INT_ARRAY_OFFSET;
          break;
        default:
          array = values.getLongs(first, total);
          offset = Platform.LONG_ARRAY_OFFSET;
      }
      Platform.copyMemory(array, offset, null, address + written * width, (long) total * width);
      written += total;
    }

    private long perRowOrFixed() {
      return variable ? perRow : fixedPerRow;
    }

    /** The row being added, for naming it by its key in errors. */
    private InternalRow current;

    private String where() {
      return OnnxErrors.rowAt(partition, rowIndex) + describeKey(current);
    }

    private void addArray(InternalRow row) {
      int ordinal = ordinals[0];
      if (row.isNullAt(ordinal)) {
        throw OnnxErrors.nullValue(spec.name(), columns[0], where(), "array");
      }
      ArrayData array = row.getArray(ordinal);
      int n = array.numElements();
      checkLength(n);
      if (elementsNullable && hasNull(array, n)) {
        for (int i = 0; i < n; i++) {
          if (array.isNullAt(i)) {
            throw OnnxErrors.nullValue(spec.name(), columns[0], where(), "element at index " + i);
          }
        }
      }
      if (sameWidth && array instanceof UnsafeArrayData) {
        // The array's values are laid out as the tensor wants them: one bulk copy.
        UnsafeArrayData unsafe = (UnsafeArrayData) array;
        long header = UnsafeArrayData.calculateHeaderPortionInBytes(n);
        Platform.copyMemory(
            unsafe.getBaseObject(),
            unsafe.getBaseOffset() + header,
            null,
            address + written * width,
            (long) n * width);
        written += n;
      } else if (sameWidth && array instanceof ColumnarArray) {
        copyPrimitive(array, n);
      } else {
        for (int i = 0; i < n; i++) {
          put(array, i, source);
        }
      }
    }

    /** Copies an array of the model's element type through a primitive array (columnar rows). */
    private void copyPrimitive(ArrayData array, int n) {
      Object values;
      long offset;
      switch (spec.elementType()) {
        case FLOAT:
          values = array.toFloatArray();
          offset = Platform.FLOAT_ARRAY_OFFSET;
          break;
        case DOUBLE:
          values = array.toDoubleArray();
          offset = Platform.DOUBLE_ARRAY_OFFSET;
          break;
        case INT32:
          values = array.toIntArray();
          offset = Platform.INT_ARRAY_OFFSET;
          break;
        default:
          values = array.toLongArray();
          offset = Platform.LONG_ARRAY_OFFSET;
      }
      Platform.copyMemory(values, offset, null, address + written * width, (long) n * width);
      written += n;
    }

    /** Whether any element is null, reading an unsafe array's null bits a word at a time. */
    private boolean hasNull(ArrayData array, int n) {
      if (!(array instanceof UnsafeArrayData)) {
        return true;
      }
      UnsafeArrayData unsafe = (UnsafeArrayData) array;
      long words = (n + 63) / 64;
      for (long w = 0; w < words; w++) {
        if (Platform.getLong(unsafe.getBaseObject(), unsafe.getBaseOffset() + 8 + w * 8) != 0) {
          return true;
        }
      }
      return false;
    }

    private void addBytes(InternalRow row) {
      int ordinal = ordinals[0];
      if (row.isNullAt(ordinal)) {
        throw OnnxErrors.nullValue(spec.name(), columns[0], where(), "binary value");
      }
      byte[] bytes = row.getBinary(ordinal);
      if (bytes.length % width != 0) {
        throw OnnxErrors.columnType(
            spec.name(),
            spec.typeString(),
            columns[0],
            bytes.length + " bytes",
            "at " + where() + ", not a whole number of " + width + "-byte values",
            "write the row's tensor as little-endian " + spec.elementType() + " values");
      }
      long n = bytes.length / width;
      checkLength(n);
      ByteBuffer values = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
      long at = address + written * width;
      for (int i = 0; i < n; i++) {
        switch (width) {
          case 1:
            Platform.putByte(null, at + i, values.get(i));
            break;
          case 2:
            Platform.putShort(null, at + 2L * i, values.getShort(2 * i));
            break;
          case 4:
            Platform.putInt(null, at + 4L * i, values.getInt(4 * i));
            break;
          default:
            Platform.putLong(null, at + 8L * i, values.getLong(8 * i));
        }
      }
      written += n;
    }

    private void addImage(InternalRow row) {
      int ordinal = ordinals[0];
      if (row.isNullAt(ordinal)) {
        throw OnnxErrors.nullValue(spec.name(), columns[0], where(), "image");
      }
      java.awt.image.BufferedImage image;
      if (imageFields != null) {
        InternalRow struct = row.getStruct(ordinal, imageFields.length + 2);
        image =
            Images.fromPixels(
                struct.getInt(imageFields[0]),
                struct.getInt(imageFields[1]),
                struct.getInt(imageFields[2]),
                struct.getBinary(imageFields[3]),
                spec,
                columns[0],
                where());
      } else {
        image = Images.decode(row.getBinary(ordinal), spec, columns[0], where());
      }
      int height = (int) rowDims[1];
      int imageWidth = (int) rowDims[2];
      int[] rgb = Images.resizedRgb(image, imageWidth, height);
      int plane = height * imageWidth;
      long base = address + written * 4;
      for (int p = 0; p < plane; p++) {
        int pixel = rgb[p];
        float r = ((pixel >> 16) & 0xff) / 255f;
        float g = ((pixel >> 8) & 0xff) / 255f;
        float b = (pixel & 0xff) / 255f;
        Platform.putFloat(null, base + 4L * p, (r - imageMean[0]) / imageStd[0]);
        Platform.putFloat(null, base + 4L * (plane + p), (g - imageMean[1]) / imageStd[1]);
        Platform.putFloat(null, base + 4L * (2 * plane + p), (b - imageMean[2]) / imageStd[2]);
      }
      written += 3L * plane;
    }

    private void addNested(InternalRow row) {
      int ordinal = ordinals[0];
      if (row.isNullAt(ordinal)) {
        throw OnnxErrors.nullValue(spec.name(), columns[0], where(), "array");
      }
      ArrayData outer = row.getArray(ordinal);
      List<Integer> lengths = new java.util.ArrayList<>();
      long total = measure(outer, 0, lengths, "");
      if (nestedDepth == rowDims.length) {
        for (int level = 0; level < lengths.size(); level++) {
          if (rowDims[level] >= 0 && lengths.get(level) != rowDims[level]) {
            throw OnnxErrors.raggedNested(
                spec.name(),
                spec.typeString(),
                columns[0],
                "its arrays have shape "
                    + lengths
                    + ", not the model's per-row shape "
                    + Arrays.toString(rowDims).replace("-1", "?"),
                where());
          }
        }
      }
      checkLength(total);
      putLeaves(outer, 0, "");
    }

    /**
     * The number of leaf values under {@code array}, checking that arrays at each level have the
     * length the first one at that level had ({@code lengths}), and that none is null.
     */
    private long measure(ArrayData array, int level, List<Integer> lengths, String path) {
      int n = array.numElements();
      if (lengths.size() <= level) {
        lengths.add(n);
      } else if (lengths.get(level) != n) {
        throw OnnxErrors.raggedNested(
            spec.name(),
            spec.typeString(),
            columns[0],
            "the array at "
                + (path.isEmpty() ? "the top" : "index " + path)
                + " has "
                + n
                + " elements where the first at its level has "
                + lengths.get(level),
            where());
      }
      if (level == nestedDepth - 1) {
        return n;
      }
      long total = 0;
      for (int i = 0; i < n; i++) {
        if (array.isNullAt(i)) {
          throw OnnxErrors.nullValue(
              spec.name(), columns[0], where(), "array at index " + path + "[" + i + "]");
        }
        total += measure(array.getArray(i), level + 1, lengths, path + "[" + i + "]");
      }
      return total;
    }

    private void putLeaves(ArrayData array, int level, String path) {
      int n = array.numElements();
      if (level < nestedDepth - 1) {
        for (int i = 0; i < n; i++) {
          putLeaves(array.getArray(i), level + 1, path + "[" + i + "]");
        }
        return;
      }
      for (int i = 0; i < n; i++) {
        if (array.isNullAt(i)) {
          throw OnnxErrors.nullValue(
              spec.name(), columns[0], where(), "element at index " + path + "[" + i + "]");
        }
        put(array, i, source);
      }
    }

    private void addVector(InternalRow row) {
      int ordinal = ordinals[0];
      if (row.isNullAt(ordinal)) {
        throw OnnxErrors.nullValue(spec.name(), columns[0], where(), "vector");
      }
      InternalRow vector = row.getStruct(ordinal, 4);
      ArrayData values = vector.getArray(3);
      boolean dense = vector.getByte(0) == 1;
      int size = dense ? values.numElements() : vector.getInt(1);
      checkLength(size);
      boolean toFloat = spec.elementType() == ElementType.FLOAT;
      if (dense) {
        for (int i = 0; i < size; i++) {
          putDouble(values.getDouble(i), toFloat);
        }
        return;
      }
      ArrayData indices = vector.getArray(2);
      long start = written;
      for (int i = 0; i < size; i++) {
        putDouble(0.0, toFloat);
      }
      for (int k = 0; k < indices.numElements(); k++) {
        int index = indices.getInt(k);
        if (index < 0 || index >= size) {
          throw OnnxErrors.columnType(
              spec.name(),
              spec.typeString(),
              columns[0],
              "a sparse vector of size " + size + " with index " + index,
              "at " + where(),
              "the vector is malformed; rebuild it with indices below its size");
        }
        long at = address + (start + index) * width;
        if (toFloat) {
          Platform.putFloat(null, at, (float) values.getDouble(k));
        } else {
          Platform.putDouble(null, at, values.getDouble(k));
        }
      }
    }

    private void putDouble(double value, boolean toFloat) {
      if (toFloat) {
        Platform.putFloat(null, address + written * 4, (float) value);
      } else {
        Platform.putDouble(null, address + written * 8, value);
      }
      written++;
    }

    private void addScalars(InternalRow row) {
      if (rows == 0 && perRow < 0) {
        startBatchWith(columns.length);
      }
      for (int i = 0; i < ordinals.length; i++) {
        if (row.isNullAt(ordinals[i])) {
          throw OnnxErrors.nullValue(spec.name(), columns[i], where(), "value");
        }
        put(row, ordinals[i], columnTypes[i]);
      }
    }

    private void checkLength(long n) {
      if (!variable) {
        if (n != fixedPerRow) {
          throw OnnxErrors.wrongLength(
              spec.name(), spec.typeString(), column(), fixedPerRow, n, where());
        }
        return;
      }
      if (padValue != null) {
        if (n == 0 || n % fixedPerRow != 0) {
          throw OnnxErrors.wrongLength(
              spec.name(), spec.typeString(), column(), fixedPerRow, n, where());
        }
        ensureRoom(written + n);
        rowValues[rows] = n;
        perRow = Math.max(rows == 0 ? 0 : perRow, n);
        return;
      }
      if (rows == 0) {
        if (n == 0 || n % fixedPerRow != 0) {
          throw OnnxErrors.wrongLength(
              spec.name(), spec.typeString(), column(), fixedPerRow, n, where());
        }
        startBatchWith(n);
      } else if (n != perRow) {
        throw OnnxErrors.raggedBatch(spec.name(), spec.typeString(), column(), perRow, n, where());
      }
    }

    /** Padded batches: grows the buffer, keeping what was written, to hold {@code values}. */
    private void ensureRoom(long values) {
      long bytes = values * width;
      if (buffer != null && buffer.capacity() >= bytes) {
        return;
      }
      long want = Math.max(bytes, buffer == null ? 0 : 2L * buffer.capacity());
      if (want > Integer.MAX_VALUE - 64) {
        throw OnnxErrors.unsupportedInput(
            spec.name(),
            spec.typeString(),
            "a batch needs " + want + " bytes; lower the batch size");
      }
      ByteBuffer bigger = ByteBuffer.allocateDirect((int) want).order(ByteOrder.nativeOrder());
      long biggerAddress = Platform.getDirectBufferAddress(bigger);
      if (buffer != null) {
        Platform.copyMemory(null, address, null, biggerAddress, written * width);
      }
      buffer = bigger;
      address = biggerAddress;
    }

    /**
     * Padded batches: each row's length along the variable dimension (tokens, say), for removing
     * the padding from outputs; null when not padded.
     */
    public int[] variableLengths() {
      if (padValue == null) {
        return null;
      }
      int[] lengths = new int[rows];
      for (int r = 0; r < rows; r++) {
        lengths[r] = (int) (rowValues[r] / fixedPerRow);
      }
      return lengths;
    }

    private void startBatchWith(long valuesPerRow) {
      boolean tooSmall =
          spec.elementType() == ElementType.STRING
              ? strings == null || strings.length < valuesPerRow * capacityRows
              : buffer == null
                  || (long) buffer.capacity()
                      < valuesPerRow * capacityRows * spec.elementType().byteSize();
      if (tooSmall) {
        allocate(valuesPerRow);
      }
      perRow = valuesPerRow;
    }

    private void put(SpecializedGetters from, int i, NumericType type) {
      long at = address + written * width;
      switch (spec.elementType()) {
        case FLOAT:
          Platform.putFloat(
              null,
              at,
              type == NumericType.FLOAT
                  ? from.getFloat(i)
                  : type == NumericType.DOUBLE
                      ? (float) from.getDouble(i)
                      : (float) asLong(from, i, type));
          break;
        case DOUBLE:
          Platform.putDouble(null, at, asDouble(from, i, type));
          break;
        case INT32:
          Platform.putInt(null, at, (int) asLong(from, i, type));
          break;
        case INT64:
          Platform.putLong(null, at, asLong(from, i, type));
          break;
        case INT8:
          Platform.putByte(null, at, from.getByte(i));
          break;
        case INT16:
          Platform.putShort(null, at, (short) asLong(from, i, type));
          break;
        case UINT8:
          long value = asLong(from, i, type);
          if (value < 0 || value > 255) {
            throw OnnxErrors.outOfRange(
                spec.name(), spec.typeString(), column(), value, "0..255", where());
          }
          Platform.putByte(null, at, (byte) value);
          break;
        case FLOAT16:
          float f =
              type == NumericType.FLOAT
                  ? from.getFloat(i)
                  : type == NumericType.DOUBLE ? (float) from.getDouble(i) : from.getByte(i);
          Platform.putShort(null, at, Float16.fromFloat(f));
          break;
        case BOOL:
          Platform.putByte(null, at, from.getBoolean(i) ? (byte) 1 : (byte) 0);
          break;
        case STRING:
          strings[(int) written] = from.getUTF8String(i).toString();
          break;
        default:
          throw new IllegalStateException("unsupported element type " + spec.elementType());
      }
      written++;
    }

    /** The batch's tensor shape: rows, then the per-row dims with the variable one resolved. */
    public long[] shape() {
      long[] shape = new long[rowDims.length + 1];
      shape[0] = rows;
      long valuesPerRow = variable ? perRow : fixedPerRow;
      for (int i = 0; i < rowDims.length; i++) {
        shape[i + 1] = rowDims[i] >= 0 ? rowDims[i] : valuesPerRow / fixedPerRow;
      }
      return shape;
    }

    /**
     * A tensor over the filled part of the buffer, without copying. The caller closes it; the
     * buffer must not be reset while the tensor is in use.
     */
    public OnnxTensor toTensor(OrtEnvironment env) throws OrtException {
      long[] shape = shape();
      long values = 1;
      for (long d : shape) {
        values *= d;
      }
      if (spec.elementType() == ElementType.STRING) {
        return OnnxTensor.createTensor(env, Arrays.copyOf(strings, (int) values), shape);
      }
      if (padValue != null) {
        return OnnxTensor.createTensor(env, padToLongest(values), shape, javaType());
      }
      ByteBuffer view = buffer.duplicate().order(ByteOrder.nativeOrder());
      view.position(0).limit((int) (values * spec.elementType().byteSize()));
      return OnnxTensor.createTensor(
          env, view.slice().order(ByteOrder.nativeOrder()), shape, javaType());
    }

    /** The batch's rows, each padded to the longest, in a buffer of {@code values} values. */
    private ByteBuffer padToLongest(long values) {
      long bytes = values * width;
      if (padded == null || padded.capacity() < bytes) {
        padded = ByteBuffer.allocateDirect((int) Math.max(bytes, 8)).order(ByteOrder.nativeOrder());
        paddedAddress = Platform.getDirectBufferAddress(padded);
      }
      for (long i = 0; i < values; i++) {
        putPad(paddedAddress + i * width);
      }
      // Rows are back to back in the buffer; in the tensor the variable dimension is the longest.
      long rowStride = perRow;
      long outer = 1;
      long inner = 1;
      boolean afterVariable = false;
      for (long d : rowDims) {
        if (d < 0) {
          afterVariable = true;
        } else if (afterVariable) {
          inner *= d;
        } else {
          outer *= d;
        }
      }
      long read = 0;
      for (int r = 0; r < rows; r++) {
        long length = rowValues[r] / fixedPerRow;
        long longest = perRow / fixedPerRow;
        for (long o = 0; o < outer; o++) {
          long chunk = length * inner * width;
          Platform.copyMemory(
              null,
              address + read * width,
              null,
              paddedAddress + (r * rowStride + o * longest * inner) * width,
              chunk);
          read += length * inner;
        }
      }
      ByteBuffer view = padded.duplicate().order(ByteOrder.nativeOrder());
      view.position(0).limit((int) bytes);
      return view.slice().order(ByteOrder.nativeOrder());
    }

    private void putPad(long at) {
      double v = padValue;
      switch (spec.elementType()) {
        case FLOAT:
          Platform.putFloat(null, at, (float) v);
          break;
        case DOUBLE:
          Platform.putDouble(null, at, v);
          break;
        case FLOAT16:
          Platform.putShort(null, at, Float16.fromFloat((float) v));
          break;
        case INT32:
          Platform.putInt(null, at, (int) v);
          break;
        case INT64:
          Platform.putLong(null, at, (long) v);
          break;
        case INT16:
          Platform.putShort(null, at, (short) v);
          break;
        default:
          Platform.putByte(null, at, (byte) v);
      }
    }

    private OnnxJavaType javaType() {
      switch (spec.elementType()) {
        case FLOAT:
          return OnnxJavaType.FLOAT;
        case DOUBLE:
          return OnnxJavaType.DOUBLE;
        case INT32:
          return OnnxJavaType.INT32;
        case INT64:
          return OnnxJavaType.INT64;
        case INT8:
          return OnnxJavaType.INT8;
        case UINT8:
          return OnnxJavaType.UINT8;
        case INT16:
          return OnnxJavaType.INT16;
        case FLOAT16:
          return OnnxJavaType.FLOAT16;
        case BOOL:
          return OnnxJavaType.BOOL;
        default:
          throw new IllegalStateException("unsupported element type " + spec.elementType());
      }
    }
  }

  private static long asLong(SpecializedGetters from, int i, NumericType type) {
    switch (type) {
      case BYTE:
        return from.getByte(i);
      case SHORT:
        return from.getShort(i);
      case INT:
        return from.getInt(i);
      case LONG:
        return from.getLong(i);
      default:
        throw new IllegalStateException("not an integral type: " + type);
    }
  }

  private static double asDouble(SpecializedGetters from, int i, NumericType type) {
    switch (type) {
      case FLOAT:
        return from.getFloat(i);
      case DOUBLE:
        return from.getDouble(i);
      default:
        return asLong(from, i, type);
    }
  }
}
