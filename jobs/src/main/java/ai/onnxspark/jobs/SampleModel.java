package ai.onnxspark.jobs;

import ai.onnxspark.onnx.OnnxProto.GraphProto;
import ai.onnxspark.onnx.OnnxProto.ModelProto;
import ai.onnxspark.onnx.OnnxProto.NodeProto;
import ai.onnxspark.onnx.OnnxProto.OperatorSetIdProto;
import ai.onnxspark.onnx.OnnxProto.TensorProto;
import ai.onnxspark.onnx.OnnxProto.TensorShapeProto;
import ai.onnxspark.onnx.OnnxProto.TypeProto;
import ai.onnxspark.onnx.OnnxProto.ValueInfoProto;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Writes a multilayer perceptron of the given widths with random weights scaled as trained
 * networks' are (normal, variance 2 / fan-in), for benchmarks of models larger than the sample
 * {@code models/mlp.onnx}: {@code features float[batch, in]} to {@code logits float[batch, out]},
 * ReLU between layers.
 */
public final class SampleModel {
  static final String USAGE =
      String.join(
          "\n",
          "Usage: sample-model --layers IN,HIDDEN,...,OUT --output PATH [--seed N]",
          "       sample-model --from MODEL --vocab N --output PATH",
          "",
          "  --layers LIST   layer widths, e.g. 256,1024,1024,10",
          "  --output PATH   where the model goes",
          "  --seed N        random seed of the weights (default 1)",
          "  --from MODEL    an exported model whose token embedding tables to cut down",
          "  --vocab N       keep the first N rows of every embedding table indexed by a model",
          "                  input (ids must then be below N): a small copy of a text model",
          "       sample-model --tokenizer --output PATH",
          "  --tokenizer     writes a WordPiece tokenizer.json (BERT-style, lowercasing) of common",
          "                  English words (ids below 2,000), for models/text_encoder.onnx");

  private SampleModel() {}

  public static void main(String[] argv) {
    if (List.of(argv).contains("--help")) {
      System.out.println(USAGE);
      return;
    }
    Jobs.run(
        "sample-model",
        () -> {
          Args args =
              Args.parse(
                  argv, List.of("layers", "output", "seed", "from", "vocab"), List.of("tokenizer"));
          if (args.has("tokenizer")) {
            Path output = Paths.get(args.required("output"));
            try {
              Files.writeString(output, TextBenchmark.wordPieceJson(SAMPLE_VOCABULARY));
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
            System.out.println(
                "Wrote " + output.toAbsolutePath() + " (" + SAMPLE_VOCABULARY.size() + " tokens)");
            return;
          }
          if (args.has("from")) {
            Path output = Paths.get(args.required("output"));
            try {
              byte[] model = Files.readAllBytes(Paths.get(args.required("from")));
              Files.write(output, truncateVocabulary(model, args.getInt("vocab", 1000)));
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
            System.out.println("Wrote " + output.toAbsolutePath());
            return;
          }
          List<Integer> widths = new ArrayList<>();
          for (String w : args.required("layers").split(",")) {
            try {
              widths.add(Integer.parseInt(w.trim()));
            } catch (NumberFormatException e) {
              throw new Args.UsageException("--layers takes whole numbers, not '" + w + "'");
            }
          }
          if (widths.size() < 2) {
            throw new Args.UsageException("--layers needs an input and an output width");
          }
          Path output = Paths.get(args.required("output"));
          try {
            if (output.getParent() != null) {
              Files.createDirectories(output.getParent());
            }
            Files.write(output, mlp(widths, args.getInt("seed", 1)));
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
          System.out.println("Wrote " + output.toAbsolutePath() + " (MLP " + widths + ")");
        });
  }

  /**
   * The sample tokenizer's vocabulary, in id order: BERT's special tokens first ([PAD] = 0), then
   * punctuation, letters and their word pieces, and common English words, about 400 in all, so
   * every id is a row of the sample text model's cut embedding table.
   */
  static final List<String> SAMPLE_VOCABULARY = sampleVocabulary();

  private static List<String> sampleVocabulary() {
    List<String> vocab = new ArrayList<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));
    for (String p : ".,!?;:'\"()-/".split("")) {
      vocab.add(p);
    }
    for (char c = 'a'; c <= 'z'; c++) {
      vocab.add(String.valueOf(c));
      vocab.add("##" + c);
    }
    vocab.addAll(List.of("##s", "##ed", "##ing", "##ly", "##er", "##est", "##n't", "##'s"));
    String words =
        "the a an and or but not no very so too it is was are were be been this that these those"
            + " i you he she we they me my your our their what who how why when where which"
            + " movie film story plot actor actors actress acting scene scenes ending music"
            + " director script character characters cast camera sound effects series show"
            + " good great bad awful terrible boring fun funny love loved hate hated like liked"
            + " best worst better worse amazing excellent wonderful beautiful brilliant perfect"
            + " poor weak dull slow long short old new nice fine ok okay strong simple real"
            + " enjoy enjoyed watch watched watching see saw seen time times minutes hour hours"
            + " one two three first last again never ever always really just only even still"
            + " all some any more most much many little lot well also then than there here"
            + " do did does have has had will would could should can make made get got go went"
            + " think thought feel felt know knew say said want wanted give gave take took"
            + " book price product quality service delivery order ordered item items box"
            + " works worked broke broken buy bought recommend return money worth waste"
            + " day days week year years people thing things way part end life world";
    for (String w : words.split(" ")) {
      if (!vocab.contains(w)) {
        vocab.add(w);
      }
    }
    return List.copyOf(vocab);
  }

  /** The model's bytes. */
  static byte[] mlp(List<Integer> widths, long seed) {
    Random random = new Random(seed);
    GraphProto.Builder graph = GraphProto.newBuilder().setName("mlp");
    graph.addInput(value("features", widths.get(0)));
    String x = "features";
    for (int layer = 0; layer + 1 < widths.size(); layer++) {
      int in = widths.get(layer);
      int out = widths.get(layer + 1);
      float[] w = new float[in * out];
      double std = Math.sqrt(2.0 / in);
      for (int i = 0; i < w.length; i++) {
        w[i] = (float) (random.nextGaussian() * std);
      }
      float[] b = new float[out];
      for (int i = 0; i < out; i++) {
        b[i] = (float) (random.nextGaussian() * 0.01);
      }
      graph.addInitializer(floats("W" + layer, new long[] {in, out}, w));
      graph.addInitializer(floats("B" + layer, new long[] {out}, b));
      boolean last = layer + 2 == widths.size();
      String product = "h" + layer + "_matmul";
      String sum = last ? "logits" : "h" + layer + "_add";
      graph.addNode(node("MatMul", "layer" + layer + "/MatMul", x, "W" + layer, product));
      graph.addNode(node("Add", "layer" + layer + "/Add", product, "B" + layer, sum));
      if (!last) {
        graph.addNode(
            NodeProto.newBuilder()
                .setOpType("Relu")
                .setName("layer" + layer + "/Relu")
                .addInput(sum)
                .addOutput("h" + layer));
        x = "h" + layer;
      }
    }
    graph.addOutput(value("logits", widths.get(widths.size() - 1)));
    return ModelProto.newBuilder()
        .setIrVersion(8)
        .setProducerName("onnx-spark sample-model")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
        .setGraph(graph)
        .build()
        .toByteArray();
  }

  /**
   * {@code model} with every embedding table that a graph input indexes (Gather of an initializer
   * by an input) cut to its first {@code vocab} rows.
   */
  static byte[] truncateVocabulary(byte[] model, int vocab) {
    try {
      ModelProto proto = ModelProto.parseFrom(model);
      GraphProto graph = proto.getGraph();
      java.util.Set<String> inputs = new java.util.HashSet<>();
      graph.getInputList().forEach(i -> inputs.add(i.getName()));
      java.util.Set<String> tables = new java.util.HashSet<>();
      for (NodeProto node : graph.getNodeList()) {
        if (node.getOpType().equals("Gather") && inputs.contains(node.getInput(1))) {
          tables.add(node.getInput(0));
        }
      }
      GraphProto.Builder out = graph.toBuilder().clearInitializer();
      for (TensorProto t : graph.getInitializerList()) {
        if (!tables.contains(t.getName()) || t.getDims(0) <= vocab || !t.hasRawData()) {
          out.addInitializer(t);
          continue;
        }
        long rowBytes = t.getRawData().size() / t.getDims(0);
        out.addInitializer(
            t.toBuilder()
                .setDims(0, vocab)
                .setRawData(t.getRawData().substring(0, (int) (rowBytes * vocab))));
      }
      if (tables.isEmpty()) {
        throw new Args.UsageException("the model has no embedding table indexed by an input");
      }
      return proto.toBuilder().setGraph(out).build().toByteArray();
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new Args.UsageException("not an ONNX model: " + e.getMessage());
    }
  }

  private static NodeProto node(String op, String name, String a, String b, String out) {
    return NodeProto.newBuilder()
        .setOpType(op)
        .setName(name)
        .addInput(a)
        .addInput(b)
        .addOutput(out)
        .build();
  }

  private static TensorProto floats(String name, long[] dims, float[] values) {
    ByteBuffer raw = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    raw.asFloatBuffer().put(values);
    TensorProto.Builder t =
        TensorProto.newBuilder()
            .setName(name)
            .setDataType(TensorProto.DataType.FLOAT_VALUE)
            .setRawData(ByteString.copyFrom(raw.array()));
    for (long d : dims) {
      t.addDims(d);
    }
    return t.build();
  }

  private static ValueInfoProto value(String name, int width) {
    TensorShapeProto shape =
        TensorShapeProto.newBuilder()
            .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("batch"))
            .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(width))
            .build();
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(
            TypeProto.newBuilder()
                .setTensorType(
                    TypeProto.Tensor.newBuilder()
                        .setElemType(TensorProto.DataType.FLOAT_VALUE)
                        .setShape(shape)))
        .build();
  }
}
