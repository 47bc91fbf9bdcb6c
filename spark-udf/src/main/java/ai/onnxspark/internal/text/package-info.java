/**
 * Raw text inputs: a Hugging Face {@code tokenizer.json} read on the driver and shipped with the
 * scoring plan ({@link ai.onnxspark.internal.text.TextTokenizer}), and the executor-side cache of
 * native tokenizers it encodes rows with ({@link ai.onnxspark.internal.text.Tokenizers}).
 */
package ai.onnxspark.internal.text;
