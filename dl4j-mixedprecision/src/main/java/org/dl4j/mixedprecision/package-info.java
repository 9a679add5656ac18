/**
 * Mixed-precision training for Deeplearning4j networks: FP32 parameters, gradients and updater state, HALF
 * compute per layer, dynamic loss scaling with step skipping, inside DL4J's own {@code fit}.
 *
 * <h2>Where to start</h2>
 * <ol>
 *   <li>{@link org.dl4j.mixedprecision.MixedPrecision#enable(org.deeplearning4j.nn.multilayer.MultiLayerNetwork) MixedPrecision.enable}:
 *       the one line, for an initialized {@code MultiLayerNetwork} or {@code ComputationGraph}; or
 *       {@link org.dl4j.mixedprecision.MixedPrecision#configure(org.deeplearning4j.nn.conf.MultiLayerConfiguration) MixedPrecision.configure}
 *       for a configuration you build networks from (Spark, Arbiter, your own code).</li>
 *   <li>{@link org.dl4j.mixedprecision.MixedPrecisionConfig}: the loss scaling settings (defaults as PyTorch's
 *       {@code GradScaler}, with a calibrated first scale) and the
 *       {@link org.dl4j.mixedprecision.PrecisionPolicy} (which layers compute in HALF, which in FP32).</li>
 *   <li>{@link org.dl4j.mixedprecision.MixedPrecision#status MixedPrecision.status} and
 *       {@link org.dl4j.mixedprecision.LossScaleListener}: the loss scale, skipped steps and how the first scale
 *       was chosen ({@link org.dl4j.mixedprecision.LossScaleStatus},
 *       {@link org.dl4j.mixedprecision.ScaleCalibration}).</li>
 *   <li>{@link org.dl4j.mixedprecision.MixedPrecisionSerializer}: saving and resuming bit for bit (DL4J's own
 *       {@code ModelSerializer}, {@code CheckpointListener} and early-stopping savers work too;
 *       {@link org.dl4j.mixedprecision.MixedPrecisionCheckpointListener} saves the counts a resumed run continues
 *       from, {@link org.dl4j.mixedprecision.MixedPrecisionModelSaver} writes early stopping's files through the
 *       serializer), and inference exports.</li>
 *   <li>When training goes wrong:
 *       {@link org.dl4j.mixedprecision.MixedPrecision#enableChecked(org.deeplearning4j.nn.multilayer.MultiLayerNetwork,
 *       org.nd4j.linalg.dataset.DataSet) MixedPrecision.enableChecked} checks mixed precision on one minibatch and falls back to FP32; every
 *       skipped step gets an {@link org.dl4j.mixedprecision.OverflowDiagnosis}.</li>
 *   <li>{@link org.dl4j.mixedprecision.MixedPrecision#disable(org.deeplearning4j.nn.multilayer.MultiLayerNetwork) MixedPrecision.disable}:
 *       back to a plain FP32 DL4J network.</li>
 * </ol>
 * Arbiter searches over precision: {@link org.dl4j.mixedprecision.arbiter}. Spark: the module
 * {@code dl4j-mixedprecision-spark}. The user guide: the project's README and {@code docs/how-it-works.md}.
 *
 * <h2>The classes behind it</h2>
 * {@link org.dl4j.mixedprecision.PrecisionLayer} wraps each hidden layer (it computes in the policy's data type
 * and divides its gradient by the loss scale into the FP32 gradient, counting Inf/NaN),
 * {@link org.dl4j.mixedprecision.LossScaleOutputLayer} each output layer (loss in FP32; it owns the
 * {@link org.dl4j.mixedprecision.LossScaler}), {@link org.dl4j.mixedprecision.PrecisionVertex} each graph vertex
 * with parameters; {@link org.dl4j.mixedprecision.LossScaleUpdater} wraps each parameter's DL4J updater and
 * skips the steps whose gradients hold Inf/NaN.
 */
package org.dl4j.mixedprecision;
