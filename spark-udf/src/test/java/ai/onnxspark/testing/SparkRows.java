package ai.onnxspark.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** Spark rows as plain Java values, for comparing scores across APIs and with ONNX Runtime. */
public final class SparkRows {
  private SparkRows() {}

  /** Rows by their id (first column, a bigint), the other columns as plain Java values. */
  public static Map<Long, List<Object>> byId(Dataset<Row> df) {
    Map<Long, List<Object>> rows = new TreeMap<>();
    for (Row row : df.collectAsList()) {
      List<Object> values = new ArrayList<>();
      for (int i = 1; i < row.size(); i++) {
        values.add(plain(row.get(i)));
      }
      rows.put(row.getLong(0), values);
    }
    return rows;
  }

  /** A Spark value as plain Java: Scala sequences and structs as lists, the rest as it is. */
  public static Object plain(Object value) {
    if (value instanceof scala.collection.Seq<?> seq) {
      List<Object> items = new ArrayList<>();
      scala.collection.Iterator<?> it = seq.iterator();
      while (it.hasNext()) {
        items.add(plain(it.next()));
      }
      return items;
    }
    if (value instanceof Row row) {
      List<Object> fields = new ArrayList<>();
      for (int i = 0; i < row.size(); i++) {
        fields.add(plain(row.get(i)));
      }
      return fields;
    }
    return value;
  }
}
