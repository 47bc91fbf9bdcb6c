/**
 * Models as the driver holds them and executors receive them: bytes in memory with their
 * fingerprint ({@link ai.onnxspark.internal.model.ModelBytes}, broadcast), or files on a file
 * system every executor reads ({@link ai.onnxspark.internal.model.ModelFiles}, scanned on the
 * driver without their weights, external-data references checked by {@link
 * ai.onnxspark.internal.model.ExternalData}) and copied once per node ({@link
 * ai.onnxspark.internal.model.NodeCache}); {@link ai.onnxspark.internal.model.ModelShipping} picks
 * the form. No Spark SQL, no native code.
 */
package ai.onnxspark.internal.model;
