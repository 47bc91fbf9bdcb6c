package ai.onnxspark.model;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One input or output of a model as the model declares it: its name, its kind (a tensor, or a
 * sequence or map as scikit-learn exports produce), the element type and the shape, where a
 * dimension is either fixed ({@code dims()[i] >= 0}) or symbolic ({@code -1}, with its name in
 * {@code dimNames()[i]} when the model gives one).
 *
 * <p>Immutable and serializable.
 */
public final class TensorSpec implements Serializable {
  private static final long serialVersionUID = 1L;

  /** What kind of value an input or output holds. */
  public enum Kind {
    /** A tensor: the kind the library scores. */
    TENSOR,
    /** A sequence of tensors or maps (scikit-learn classifiers' probabilities). */
    SEQUENCE,
    /** A map from keys to values (ZipMap outputs). */
    MAP,
    /**
     * An optional tensor ({@code optional(tensor(float))}, opset 15 and later): a tensor or none.
     * The element type and shape are the tensor's.
     */
    OPTIONAL,
    /** Any other ONNX type (optional sequences, sparse tensors). */
    OTHER
  }

  private final String name;
  private final Kind kind;
  private final ElementType elementType;
  private final long[] dims;
  private final String[] dimNames;
  private final boolean shapeKnown;
  private final String typeString;

  /** For a sequence of maps (scikit-learn's ZipMap): the maps' key and value types. */
  private ElementType mapKey = ElementType.UNDEFINED;

  private ElementType mapValue = ElementType.UNDEFINED;

  /**
   * For a sequence of tensors whose elements declare a shape: that shape ({@code -1} for a symbolic
   * dimension); null otherwise.
   */
  private long[] elementDims;

  TensorSpec(
      String name,
      Kind kind,
      ElementType elementType,
      long[] dims,
      String[] dimNames,
      boolean shapeKnown,
      String typeString) {
    this.name = Objects.requireNonNull(name, "name");
    this.kind = kind;
    this.elementType = elementType;
    this.dims = dims.clone();
    this.dimNames = dimNames.clone();
    this.shapeKnown = shapeKnown;
    this.typeString = typeString;
  }

  /** A tensor spec; {@code -1} in {@code dims} marks a symbolic dimension. */
  public static TensorSpec tensor(String name, ElementType elementType, long... dims) {
    String[] names = new String[dims.length];
    Arrays.fill(names, "");
    return new TensorSpec(name, Kind.TENSOR, elementType, dims, names, true, null);
  }

  /** This spec, as a sequence of maps from {@code key} to {@code value} elements. */
  TensorSpec withMapTypes(ElementType key, ElementType value) {
    TensorSpec copy =
        new TensorSpec(name, kind, elementType, dims, dimNames, shapeKnown, typeString);
    copy.mapKey = key;
    copy.mapValue = value;
    return copy;
  }

  /** This spec, a sequence of tensors, with its elements' declared shape. */
  TensorSpec withElementDims(long[] dims) {
    TensorSpec copy =
        new TensorSpec(name, kind, elementType, this.dims, dimNames, shapeKnown, typeString);
    copy.elementDims = dims.clone();
    return copy;
  }

  /**
   * For a sequence of tensors: the shape its elements declare ({@code -1} for a symbolic
   * dimension), or null when they declare none; null for other kinds. A copy.
   */
  public long[] elementDims() {
    return elementDims == null ? null : elementDims.clone();
  }

  /** This tensor spec as an optional tensor ({@code optional(float[batch,3])}). */
  TensorSpec asOptional() {
    return new TensorSpec(
        name,
        Kind.OPTIONAL,
        elementType,
        dims,
        dimNames,
        shapeKnown,
        "optional(" + typeString() + ")");
  }

  /** Whether a tensor is what it holds: a tensor, or an optional tensor (when present). */
  public boolean holdsTensor() {
    return kind == Kind.TENSOR || kind == Kind.OPTIONAL;
  }

  /** Whether this is a sequence of maps, one map per row (ZipMap's output). */
  public boolean sequenceOfMaps() {
    return kind == Kind.SEQUENCE && mapKey != ElementType.UNDEFINED;
  }

  /** The key type of a sequence of maps; {@code UNDEFINED} otherwise. */
  public ElementType mapKeyType() {
    return mapKey;
  }

  /** The value type of a sequence of maps; {@code UNDEFINED} otherwise. */
  public ElementType mapValueType() {
    return mapValue;
  }

  /** The name of the input or output in the graph. */
  public String name() {
    return name;
  }

  /** Whether this is a tensor, a sequence or a map. */
  public Kind kind() {
    return kind;
  }

  /**
   * The element type of a tensor, an optional tensor or a sequence of tensors; {@link
   * ElementType#UNDEFINED} for other kinds.
   */
  public ElementType elementType() {
    return elementType;
  }

  /** The dimensions; {@code -1} for a symbolic or unknown dimension. A copy. */
  public long[] dims() {
    return dims.clone();
  }

  /** The name of each symbolic dimension, or {@code ""} where it has none or is fixed. A copy. */
  public String[] dimNames() {
    return dimNames.clone();
  }

  /** The rank; meaningful only when {@link #shapeKnown()}. */
  public int rank() {
    return dims.length;
  }

  /** Whether the model declares a shape at all (some exports leave it out). */
  public boolean shapeKnown() {
    return shapeKnown;
  }

  /** Whether dimension {@code i} is symbolic rather than fixed. */
  public boolean isDynamic(int i) {
    return dims[i] < 0;
  }

  /** The shape as users read it: {@code [batch,3,224,224]}, {@code [?,16]}, or {@code [?...]}. */
  public String shapeString() {
    if (!shapeKnown) {
      return "[unknown shape]";
    }
    List<String> parts = new ArrayList<>(dims.length);
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] >= 0) {
        parts.add(Long.toString(dims[i]));
      } else {
        parts.add(dimNames[i].isEmpty() ? "?" : dimNames[i]);
      }
    }
    return "[" + String.join(",", parts) + "]";
  }

  /** The full type as users read it: {@code float[batch,16]} or {@code seq(map(int64,float))}. */
  public String typeString() {
    if (kind == Kind.TENSOR) {
      return elementType + shapeString();
    }
    return typeString;
  }

  @Override
  public String toString() {
    return name + ": " + typeString();
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof TensorSpec)) {
      return false;
    }
    TensorSpec that = (TensorSpec) o;
    return name.equals(that.name)
        && kind == that.kind
        && elementType == that.elementType
        && shapeKnown == that.shapeKnown
        && Arrays.equals(dims, that.dims)
        && Arrays.equals(dimNames, that.dimNames)
        && Arrays.equals(elementDims, that.elementDims)
        && Objects.equals(typeString, that.typeString);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, kind, elementType, Arrays.hashCode(dims));
  }
}
