package ai.onnxspark.internal.tensor;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxspark.internal.OnnxErrors;
import ai.onnxspark.model.ElementType;
import ai.onnxspark.model.TensorSpec;
import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ColumnarBatch;

/**
 * How one model input is fed from a row: which columns, how they hold the values ({@link
 * SourceKind}), the model's element type and per-row shape. Built and checked on the driver against
 * the DataFrame's schema by {@link #bind}, then shipped to executors, where {@link #newBatch} gives
 * each task a reusable native-order direct buffer to fill row by row.
 *
 * <p>Immutable and serializable. Supported element types: float, double, float16 and bfloat16 (from
 * float columns, rounded), int8, uint8 (values checked to be in 0..255), int16, int32, int64, bool
 * and string. ONNX Runtime's Java API creates no uint16, uint32 or uint64 tensors. An optional
 * tensor input ({@code optional(tensor)}) is fed its tensor, always present: the Java API cannot
 * feed an absent one, so a null row is an error as for any input. A sequence of tensors ({@code
 * seq(tensor)}, one row per run) is fed from a column of nested arrays, one level more than the
 * elements' rank ({@code array<array<…>>} for 1-D elements), as the elements' concatenation along
 * their first dimension and their first dimensions, to a model rewritten to split them ({@code
 * SequenceInputs}).
 */
public final class InputBinding implements Serializable {
  private static final long serialVersionUID = 1L;

  private static final java.util.Set<ElementType> SUPPORTED =
      java.util.EnumSet.of(
          ElementType.FLOAT,
          ElementType.DOUBLE,
          ElementType.FLOAT16,
          ElementType.BFLOAT16,
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

  /**
   * Whether each row holds the complete input tensor (the model has no batch dimension): the
   * tensor's shape is the per-row dims alone, for batches of one row.
   */
  private boolean wholeTensor;

  /** Tokenized text: the tokenizer, and which of its outputs this input takes. */
  private ai.onnxspark.internal.text.TextTokenizer tokenizer;

  private TokenField tokenField;

  /** Tokenized text: whether each row's tokens and their spans are kept for the outputs. */
  private boolean keepsTokens;

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
    return bind(spec, columns, schema, defaulted, narrowing, false);
  }

  /**
   * As {@link #bind(TensorSpec, List, StructType, boolean, boolean)}; with {@code wholeTensor},
   * each row holds the complete tensor (every dimension of the input, none of them a batch), and
   * batches hold one row.
   */
  public static InputBinding bind(
      TensorSpec spec,
      List<String> columns,
      StructType schema,
      boolean defaulted,
      boolean narrowing,
      boolean wholeTensor) {
    InputBinding binding = bindRows(spec, columns, schema, defaulted, narrowing, wholeTensor);
    binding.wholeTensor = wholeTensor;
    return binding;
  }

  private static InputBinding bindRows(
      TensorSpec spec,
      List<String> columns,
      StructType schema,
      boolean defaulted,
      boolean narrowing,
      boolean wholeTensor) {
    String input = spec.name();
    String type = spec.typeString();
    if (spec.kind() == TensorSpec.Kind.SEQUENCE) {
      return bindSequence(spec, columns, schema, defaulted, narrowing, wholeTensor);
    }
    if (!spec.holdsTensor()) {
      throw OnnxErrors.unsupportedInput(
          input, type, "only tensor and optional tensor inputs are supported");
    }
    ElementType target = spec.elementType();
    if (!SUPPORTED.contains(target)) {
      boolean unsigned =
          target == ElementType.UINT16
              || target == ElementType.UINT32
              || target == ElementType.UINT64;
      throw OnnxErrors.unsupportedInput(
          input,
          type,
          "element type "
              + target
              + " is not supported (float, double, float16, bfloat16, int8, uint8, int16, int32,"
              + " int64, bool, string)"
              + (unsigned
                  ? ": ONNX Runtime's Java API cannot create "
                      + target
                      + " tensors; re-export the model with a signed input (int32 or int64) and a"
                      + " Cast node"
                  : ""));
    }
    long[] rowDims = wholeTensor ? tensorDims(spec) : rowDims(spec);
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

  /**
   * A sequence of tensors ({@code seq(tensor(T))}), fed from one column of nested arrays: {@code
   * array<array<T'>>} for 1-D elements, one level more per dimension of the elements (their
   * declared rank, or for elements of no declared shape the column's). Each row's outer array holds
   * the elements, sent as their concatenation along the first dimension and their first dimensions
   * to a model rewritten to split them (see {@code SequenceInputs}). One row per run.
   */
  private static InputBinding bindSequence(
      TensorSpec spec,
      List<String> columns,
      StructType schema,
      boolean defaulted,
      boolean narrowing,
      boolean wholeTensor) {
    String input = spec.name();
    String type = spec.typeString();
    ElementType target = spec.elementType();
    if (target == ElementType.UNDEFINED) {
      throw OnnxErrors.unsupportedInput(
          input,
          type,
          "it is not a sequence of tensors; only tensors, optional tensors and (with"
              + " row-as-tensor) sequences of tensors are fed from columns");
    }
    if (!wholeTensor) {
      throw OnnxErrors.unsupportedInput(
          input,
          type,
          "a sequence is one value per run, not one per row of a batch; score one row per run"
              + " with withRowAsTensor() (option row-as-tensor), each row's array<array<"
              + NumericType.sparkName(target)
              + ">> holding the sequence's elements");
    }
    if (!SUPPORTED.contains(target)) {
      throw OnnxErrors.unsupportedInput(
          input,
          type,
          "element type "
              + target
              + " is not supported (float, double, float16, bfloat16, int8, uint8, int16, int32,"
              + " int64, bool, string)");
    }
    long[] elementDims = spec.elementDims();
    if (elementDims != null && elementDims.length == 0) {
      throw OnnxErrors.unsupportedInput(
          input,
          type,
          "its elements are declared of rank 0 (scalars), and sequences are fed from nested array"
              + " columns, one array per element, as tensors of rank 1 or more; re-export the"
              + " model with a sequence of 1-D tensors of one value (Reshape each element inside"
              + " the model), or with a tensor input and a SplitToSequence node");
    }
    int declaredRank = elementDims == null ? -1 : elementDims.length;
    String wantedType = nestedType(declaredRank < 0 ? 1 : declaredRank, target);
    if (columns.size() != 1) {
      throw OnnxErrors.unsupportedInput(
          input,
          type,
          "a sequence input is fed from one "
              + wantedType
              + " column (one inner array per element), not from "
              + columns.size()
              + " columns "
              + columns);
    }
    String column = columns.get(0);
    List<String> names = Arrays.asList(schema.fieldNames());
    int ordinal = names.indexOf(column);
    if (ordinal < 0) {
      throw OnnxErrors.missingColumn(input, type, column, names, defaulted);
    }
    DataType actual = schema.fields()[ordinal].dataType();
    NumericType element = null;
    boolean nullable = false;
    int levels = 0;
    DataType leaf = actual;
    while (leaf instanceof ArrayType array) {
      nullable = array.containsNull();
      leaf = array.elementType();
      levels++;
    }
    if (levels >= 2 && (declaredRank < 0 || levels == declaredRank + 1)) {
      element = NumericType.of(leaf);
    }
    if (declaredRank < 0 && levels >= 2) {
      wantedType = nestedType(levels - 1, target);
    }
    if (element == null || !fits(element, target, narrowing)) {
      throw OnnxErrors.columnType(
          input,
          type,
          column,
          actual.simpleString(),
          element == null
              ? (declaredRank < 0
                  ? "a sequence of tensors is fed from nested arrays of numbers, booleans or"
                      + " strings, one array per element (array<array<…>> for 1-D elements,"
                      + " one level more per dimension)"
                  : "its elements are declared of rank "
                      + declaredRank
                      + " ("
                      + shapeText(elementDims)
                      + "), fed from nested arrays of "
                      + (declaredRank + 1)
                      + " levels, one array per element")
              : kindMismatch(element, target)
                  ? "its innermost elements are not " + NumericType.sparkName(target)
                  : "converting would lose information",
          "make it a column of type "
              + wantedType
              + " (cast it with col(\""
              + column
              + "\").cast(\""
              + wantedType
              + "\"))"
              + (element != null && element.narrowsTo(target)
                  ? ", or let the library round it with withNarrowing()"
                  : ""));
    }
    return new InputBinding(
        spec,
        new String[] {column},
        new int[] {ordinal},
        SourceKind.SEQUENCE,
        element,
        new NumericType[] {element},
        nullable,
        new long[] {-1},
        levels);
  }

  /** {@code array<…>} of {@code rank + 1} levels around the Spark name of {@code target}. */
  private static String nestedType(int rank, ElementType target) {
    return "array<".repeat(rank + 1) + NumericType.sparkName(target) + ">".repeat(rank + 1);
  }

  /** Dims as messages show them: {@code [?, 3]}. */
  static String shapeText(long[] dims) {
    List<String> parts = new java.util.ArrayList<>();
    for (long d : dims) {
      parts.add(d < 0 ? "?" : Long.toString(d));
    }
    return "[" + String.join(", ", parts) + "]";
  }

  /** Whole tensors per row: all of the model's dims, checking a row can resolve them. */
  private static long[] tensorDims(TensorSpec spec) {
    if (!spec.shapeKnown()) {
      throw OnnxErrors.unsupportedInput(
          spec.name(),
          spec.typeString(),
          "its shape is unknown, so a row cannot say which tensor it holds; feed a model whose"
              + " inputs declare their rank");
    }
    return atMostOneVariable(
        spec, spec.dims(), "variable dimensions, and a row (one whole tensor, row-as-tensor)");
  }

  /** {@code dims}, checked to hold at most one variable (-1) dimension, which a row resolves. */
  private static long[] atMostOneVariable(TensorSpec spec, long[] dims, String what) {
    int variable = 0;
    for (long d : dims) {
      variable += d < 0 ? 1 : 0;
    }
    if (variable > 1) {
      throw OnnxErrors.unsupportedInput(
          spec.name(), spec.typeString(), "it has " + variable + " " + what + " can resolve one");
    }
    return dims.clone();
  }

  /**
   * The model's dims after the batch dim, checking the input can be batched at all (a first
   * dimension fixed above 1 is a batch of exactly that many rows).
   */
  private static long[] rowDims(TensorSpec spec) {
    if (!spec.shapeKnown()) {
      return new long[] {-1};
    }
    if (spec.rank() == 0) {
      throw OnnxErrors.unsupportedInput(
          spec.name(), spec.typeString(), "a scalar input has no batch dimension");
    }
    long[] dims = spec.dims();
    return atMostOneVariable(
        spec,
        Arrays.copyOfRange(dims, 1, dims.length),
        "variable dimensions per row, and a flat column");
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

  /**
   * Bytes one row takes in this input's tensor when every row has the same number of values (no
   * variable dimension; strings count 16 bytes each), else -1.
   */
  public long fixedRowBytes() {
    if (variable) {
      return -1;
    }
    return fixedPerRow
        * (spec.elementType() == ElementType.STRING ? 16 : spec.elementType().byteSize());
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
    if (kind == SourceKind.TOKENS) {
      // Tokens follow the text's length closely enough to group rows by.
      int bytes = row.getUTF8String(ordinals[0]).numBytes();
      return columns.length > 1 && !row.isNullAt(ordinals[1])
          ? bytes + row.getUTF8String(ordinals[1]).numBytes()
          : bytes;
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
    copy.wholeTensor = wholeTensor;
    copy.tokenizer = tokenizer;
    copy.tokenField = tokenField;
    copy.keepsTokens = keepsTokens;
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

  /** Which of a tokenizer's outputs a tokenized input takes, by the input's name. */
  public enum TokenField {
    /** {@code input_ids}: the token ids, padded with the tokenizer's pad id. */
    IDS("input_ids"),
    /** {@code attention_mask}: 1 for tokens, 0 for padding. */
    MASK("attention_mask"),
    /** {@code token_type_ids}: 0 for the text, 1 for its pair, padded with the pad type id. */
    TYPES("token_type_ids");

    private final String inputName;

    TokenField(String inputName) {
      this.inputName = inputName;
    }

    /** The model input name that takes this output. */
    public String inputName() {
      return inputName;
    }

    /** The field a model input of this name takes, or null. */
    public static TokenField forInput(String name) {
      for (TokenField f : values()) {
        if (f.inputName.equals(name)) {
          return f;
        }
      }
      return null;
    }

    /** The value that pads this field's rows. */
    public long padOf(ai.onnxspark.internal.text.TextTokenizer tokenizer) {
      return switch (this) {
        case IDS -> tokenizer.padId();
        case MASK -> 0;
        case TYPES -> tokenizer.padTypeId();
      };
    }
  }

  /**
   * The binding of {@code spec}, one of the inputs a tokenizer makes ({@code field}), to the string
   * column {@code columns.get(0)} (and its pair, {@code columns.get(1)}): an int64 or int32 input
   * of shape {@code [batch, seq]}. A variable sequence is padded to each batch's longest row; a
   * fixed one truncates and pads every row to it.
   *
   * @throws ai.onnxspark.OnnxException when the input is not such a tensor or a column holds no
   *     strings
   */
  public static InputBinding bindTokens(
      TensorSpec spec,
      List<String> columns,
      StructType schema,
      boolean defaulted,
      ai.onnxspark.internal.text.TextTokenizer tokenizer,
      TokenField field) {
    ElementType target = spec.elementType();
    if (!spec.holdsTensor()
        || (target != ElementType.INT64 && target != ElementType.INT32)
        || (spec.shapeKnown() && spec.rank() != 2)) {
      throw OnnxErrors.unsupportedInput(
          spec.name(),
          spec.typeString(),
          "a tokenizer feeds int64 or int32 inputs of shape [batch, sequence]");
    }
    if (columns.isEmpty() || columns.size() > 2) {
      throw OnnxErrors.badOption(
          "text-column", String.join(",", columns), "one text column, or two for text pairs");
    }
    List<String> names = Arrays.asList(schema.fieldNames());
    int[] ordinals = new int[columns.size()];
    for (int i = 0; i < columns.size(); i++) {
      String column = columns.get(i);
      int ordinal = names.indexOf(column);
      if (ordinal < 0) {
        throw OnnxErrors.missingColumn(spec.name(), spec.typeString(), column, names, defaulted);
      }
      DataType type = schema.fields()[ordinal].dataType();
      if (!(type instanceof org.apache.spark.sql.types.StringType)) {
        throw OnnxErrors.columnType(
            spec.name(),
            spec.typeString(),
            column,
            type.simpleString(),
            "the tokenizer reads text",
            "cast it with col(\"" + column + "\").cast(\"string\")");
      }
      ordinals[i] = ordinal;
    }
    long[] rowDims = rowDims(spec);
    if (rowDims[0] == 0) {
      throw OnnxErrors.unsupportedInput(
          spec.name(), spec.typeString(), "its sequence dimension is 0");
    }
    InputBinding binding =
        new InputBinding(
            spec,
            columns.toArray(new String[0]),
            ordinals,
            SourceKind.TOKENS,
            null,
            new NumericType[columns.size()],
            false,
            rowDims,
            0);
    binding.tokenizer = tokenizer;
    binding.tokenField = field;
    if (binding.variable) {
      binding.padValue = (double) field.padOf(tokenizer);
    }
    return binding;
  }

  /** Tokenized text: the tokenizer; else null. */
  ai.onnxspark.internal.text.TextTokenizer tokenizer() {
    return tokenizer;
  }

  /**
   * This binding of tokenized text keeping each row's tokens, with their spans in the text, for
   * per-token outputs ({@code token-labels.<output>}); see {@link Batch#tokens()}.
   */
  public InputBinding keepingTokens() {
    if (kind != SourceKind.TOKENS) {
      throw new IllegalStateException("Input " + spec.name() + " is not tokenized text");
    }
    InputBinding copy = copy();
    copy.keepsTokens = true;
    return copy;
  }

  /** Whether each row's tokens are kept ({@link #keepingTokens}). */
  public boolean keepsTokens() {
    return keepsTokens;
  }

  /** Tokenized text: which of the tokenizer's outputs this input takes; else null. */
  public TokenField tokenField() {
    return tokenField;
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

  /** A reusable buffer for one task, holding up to {@code batchSize} rows. */
  public Batch newBatch(int batchSize) {
    return new Batch(batchSize);
  }

  /** The columns as error messages name them: the scalar columns joined by commas, or the one. */
  String columnLabel() {
    return kind == SourceKind.SCALARS || kind == SourceKind.TOKENS
        ? String.join(",", columns)
        : columns[0];
  }

  /** How many columns are read. */
  int columnCount() {
    return columns.length;
  }

  /** The name of column {@code i} of those read. */
  String column(int i) {
    return columns[i];
  }

  /** The ordinal in the rows of column {@code i} of those read. */
  int ordinal(int i) {
    return ordinals[i];
  }

  /** Scalars: column {@code i}'s numeric type. */
  NumericType columnType(int i) {
    return columnTypes[i];
  }

  /** Arrays, nested arrays and vectors: the numeric type of the values; else null. */
  NumericType source() {
    return source;
  }

  /** Whether array elements may be null. */
  boolean elementsNullable() {
    return elementsNullable;
  }

  /** Arrays: whether their elements have the model's element type, so they copy in bulk. */
  boolean sameWidth() {
    return sameWidth;
  }

  /** Nested arrays: how many array levels the column has; else 0. */
  int nestedDepth() {
    return nestedDepth;
  }

  /**
   * A copy of the per-row dims (the model's dims after the batch dim), -1 marking a variable one.
   */
  long[] rowDims() {
    return rowDims.clone();
  }

  /** Image structs: the ordinals of height, width, nChannels and data; null for encoded images. */
  int[] imageFields() {
    return imageFields == null ? null : imageFields.clone();
  }

  /** Images: a copy of the per-channel (RGB) mean. */
  float[] imageMean() {
    return imageMean.clone();
  }

  /** Images: a copy of the per-channel (RGB) standard deviation. */
  float[] imageStd() {
    return imageStd.clone();
  }

  /** Whether a key column names rows in error messages. */
  boolean keyed() {
    return keyOrdinal >= 0;
  }

  /**
   * One task's tensor buffer for this input: rows are appended with {@link #add}, the tensor is
   * created over the filled part with {@link #toTensor}, and {@link #reset} starts the next batch.
   *
   * <p>Coordinates the batch: counts rows, checks their lengths against each other (or records
   * them, for padding), and names the row being added in errors; the source kind's {@link
   * RowFeeder} reads each row and the {@link TensorBuffer} holds the values. Not thread-safe.
   */
  public final class Batch {
    private final int capacityRows;
    private final RowFeeder feeder;

    /** The feeder when it can copy columnar chunks in one piece, else null. */
    private final ArrayFeeder columnar;

    private final TensorBuffer buffer;
    private final Position position = new Position();

    private int markRows;

    /** Values per row in the current batch (padded: the longest), or -1 before the first row. */
    private long perRow = -1;

    private int rows;

    /** Padded batches: each row's number of values, grown as rows come. */
    private long[] rowValues;

    private int partition;
    private long rowIndex;

    /** The row being added, for naming it by its key in errors. */
    private InternalRow current;

    /** Tokenized text keeping its tokens: each row's, by its position in the batch. */
    private ai.onnxspark.internal.text.TokenSpans[] tokens =
        new ai.onnxspark.internal.text.TokenSpans[0];

    Batch(int capacityRows) {
      this.capacityRows = capacityRows;
      this.rowValues = padValue != null ? new long[Math.min(capacityRows, 64)] : null;
      this.feeder = RowFeeder.of(InputBinding.this);
      this.columnar =
          feeder instanceof ArrayFeeder && sameWidth && padValue == null
              ? (ArrayFeeder) feeder
              : null;
      // Nothing is allocated until rows come: the buffer grows with the rows a batch gathers.
      this.buffer = new TensorBuffer(spec, columnLabel(), capacityRows, rowDims, padValue);
    }

    /**
     * Gives the batch's native memory back for later tasks (the batch is empty afterwards). Call
     * once no tensor made from it is open: when the partition is done.
     */
    public void release() {
      reset();
      buffer.release();
    }

    /** Starts a new batch, keeping the buffer. */
    public void reset() {
      rows = 0;
      if (variable) {
        perRow = -1;
      }
      buffer.reset();
    }

    /** Remembers the batch as it is, so that a row that fails half-way can be taken back. */
    public void mark() {
      markRows = rows;
      buffer.mark();
    }

    /** Takes back what was written since {@link #mark()}. */
    public void rollback() {
      rows = markRows;
      buffer.rollback();
      if (rows == 0 && variable) {
        perRow = -1;
      }
    }

    /** Rows in the current batch. */
    public int rows() {
      return rows;
    }

    /** Bytes of tensor values in the current batch. */
    public long bytes() {
      return buffer.writtenBytes();
    }

    /** What the batch's buffer holds now (bytes; strings for a string input), for tests. */
    long capacity() {
      return buffer.capacity();
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
      if (!variable) {
        buffer.ensureRows(rows + 1L, fixedPerRow);
      }
      feeder.add(row, buffer, position);
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
      if (columnar == null || count == 0 || !columnar.copiesInBulk(chunk)) {
        addRows(chunk, start, count, partition, firstRowIndex);
        return;
      }
      this.partition = partition;
      if (!columnar.addColumnar(chunk, start, count, firstRowIndex, buffer, position)) {
        // Not laid out back to back: copy this chunk row by row.
        rows = 0;
        buffer.reset();
        addRows(chunk, start, count, partition, firstRowIndex);
      }
    }

    private void addRows(
        ColumnarBatch chunk, int start, int count, int partition, long firstRowIndex) {
      for (int i = 0; i < count; i++) {
        add(chunk.getRow(start + i), partition, firstRowIndex + i);
      }
    }

    private String where() {
      return OnnxErrors.rowAt(partition, rowIndex) + describeKey(current);
    }

    private void checkLength(long n) {
      if (!variable) {
        if (n != fixedPerRow) {
          throw OnnxErrors.wrongLength(
              spec.name(),
              spec.typeString(),
              columnLabel(),
              fixedPerRow,
              n,
              where(),
              wholeTensorHint(n));
        }
        buffer.ensureRows(rows + 1L, fixedPerRow);
        return;
      }
      if (padValue != null) {
        if (n == 0 || n % fixedPerRow != 0) {
          throw OnnxErrors.wrongLength(
              spec.name(), spec.typeString(), columnLabel(), fixedPerRow, n, where());
        }
        buffer.ensureRoom(buffer.written() + n);
        if (rows >= rowValues.length) {
          rowValues =
              Arrays.copyOf(rowValues, (int) Math.min(capacityRows, 2L * rowValues.length + 1));
        }
        rowValues[rows] = n;
        perRow = Math.max(rows == 0 ? 0 : perRow, n);
        return;
      }
      if (rows == 0 && kind == SourceKind.SEQUENCE) {
        // A sequence's values may be none (no elements, or empty ones).
        startBatchWith(n);
      } else if (rows == 0) {
        if (n == 0 || n % fixedPerRow != 0) {
          throw OnnxErrors.wrongLength(
              spec.name(), spec.typeString(), columnLabel(), fixedPerRow, n, where());
        }
        startBatchWith(n);
      } else if (n != perRow) {
        throw OnnxErrors.raggedBatch(
            spec.name(), spec.typeString(), columnLabel(), perRow, n, where());
      } else {
        buffer.ensureRows(rows + 1L, n);
      }
    }

    /**
     * When a row of a model with a fixed batch dimension holds as many values as the whole input
     * tensor: the sentence pointing to row-as-tensor scoring.
     */
    private String wholeTensorHint(long n) {
      if (wholeTensor || !spec.shapeKnown() || spec.rank() == 0 || spec.dims()[0] <= 1) {
        return "";
      }
      if (n != spec.dims()[0] * fixedPerRow) {
        return "";
      }
      return "The row holds the whole tensor "
          + spec.typeString()
          + ", while the model's first dimension ("
          + spec.dims()[0]
          + ") is read as a fixed batch of rows: score each row as whole tensors with"
          + " withRowAsTensor() (option row-as-tensor).";
    }

    private void startBatchWith(long valuesPerRow) {
      buffer.ensureRows(1, valuesPerRow);
      perRow = valuesPerRow;
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

    /**
     * Tokenized text keeping its tokens ({@link #keepsTokens}): each row's tokens, in batch order;
     * else null.
     */
    public ai.onnxspark.internal.text.TokenSpans[] tokens() {
      return keepsTokens ? Arrays.copyOf(tokens, rows) : null;
    }

    /**
     * The batch's tensor shape: rows, then the per-row dims with the variable one resolved; for
     * whole tensors (one row), the per-row dims alone.
     */
    public long[] shape() {
      int lead = wholeTensor ? 0 : 1;
      long[] shape = new long[rowDims.length + lead];
      if (lead == 1) {
        shape[0] = rows;
      }
      long valuesPerRow = variable ? perRow : fixedPerRow;
      for (int i = 0; i < rowDims.length; i++) {
        shape[i + lead] =
            rowDims[i] >= 0 ? rowDims[i] : fixedPerRow == 0 ? 0 : valuesPerRow / fixedPerRow;
      }
      return shape;
    }

    /**
     * A tensor over the filled part of the buffer, without copying (padded batches: over a padded
     * copy). The caller closes it; the buffer must not be reset while the tensor is in use.
     */
    public OnnxTensor toTensor(OrtEnvironment env) throws OrtException {
      // A sequence's values: its elements concatenated along their first dimension.
      long[] shape = feeder instanceof SequenceFeeder sequence ? sequence.valuesShape() : shape();
      if (padValue != null && spec.elementType() != ElementType.STRING) {
        return buffer.toPaddedTensor(env, shape, rows, rowValues, perRow);
      }
      return buffer.toTensor(env, shape);
    }

    /**
     * A sequence input: the int64 tensor of the lengths of the elements of the batch's row (one row
     * per run), which split the values of {@link #toTensor}. The caller closes it.
     */
    public OnnxTensor lengthsTensor(OrtEnvironment env) throws OrtException {
      if (!(feeder instanceof SequenceFeeder sequence)) {
        throw new IllegalStateException("Input " + spec.name() + " is not a sequence input");
      }
      long[] lengths = sequence.lengths();
      return OnnxTensor.createTensor(
          env, java.nio.LongBuffer.wrap(lengths), new long[] {lengths.length});
    }

    /** The batch as its feeder sees it while adding a row. */
    private final class Position implements RowContext {
      @Override
      public String where() {
        return Batch.this.where();
      }

      @Override
      public void checkLength(long values) {
        Batch.this.checkLength(values);
      }

      @Override
      public void startRows(long values) {
        if (rows == 0 && perRow < 0) {
          startBatchWith(values);
        }
        buffer.ensureRows(rows + 1L, values);
      }

      @Override
      public void moveTo(long rowIndex, InternalRow row) {
        Batch.this.rowIndex = rowIndex;
        current = row;
      }

      @Override
      public void endRow() {
        rows++;
      }

      @Override
      public long valuesPerRow() {
        return variable ? perRow : fixedPerRow;
      }

      @Override
      public long fixedValuesPerRow() {
        return variable ? -1 : fixedPerRow;
      }

      @Override
      public void addCheckedRows(int count) {
        if (variable) {
          throw new IllegalStateException("Rows of a variable length are checked one by one");
        }
        buffer.ensureRows(rows + (long) count, fixedPerRow);
        rows += count;
      }

      @Override
      public void keepTokens(ai.onnxspark.internal.text.TokenSpans row) {
        if (rows >= tokens.length) {
          tokens =
              Arrays.copyOf(tokens, Math.max(rows + 1, (int) Math.min(capacityRows, 2L * rows)));
        }
        // Indexed by the row being added: a row taken back (rollback, reset) is overwritten.
        tokens[rows] = row;
      }
    }
  }
}
