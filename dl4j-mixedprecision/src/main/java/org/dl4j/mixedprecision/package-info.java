/**
 * Mixed-precision training for Deeplearning4j networks.
 *
 * <p>Entry point: {@link org.dl4j.mixedprecision.MixedPrecision#enable}, for a {@code MultiLayerNetwork}
 * or a {@code ComputationGraph}, configured by {@link org.dl4j.mixedprecision.MixedPrecisionConfig}. The
 * network it returns computes in HALF; its updater ({@link org.dl4j.mixedprecision.MixedPrecisionUpdater}
 * or {@link org.dl4j.mixedprecision.MixedPrecisionGraphUpdater}) is DL4J's own updater of an FP32 master
 * copy, which receives every update. {@link org.dl4j.mixedprecision.ScaledLossFunction},
 * {@link org.dl4j.mixedprecision.ScaledCenterLossOutputLayer} and
 * {@link org.dl4j.mixedprecision.ScaledYolo2OutputLayer} compute output losses in FP32 and scale their
 * gradients, and {@link org.dl4j.mixedprecision.Fp32ScoreRegularization} their regularization scores;
 * {@link org.dl4j.mixedprecision.LossScaleListener} and {@link org.dl4j.mixedprecision.LossScaleStatus}
 * report the loss scale and how its start was calibrated ({@link org.dl4j.mixedprecision.ScaleCalibration}).
 *
 * <p>When training goes wrong: {@link org.dl4j.mixedprecision.MixedPrecision#enableChecked} runs a self-check
 * on one minibatch before training ({@code SelfCheck}) and falls back to FP32 if mixed precision does not work
 * for the network; every skipped step gets an {@link org.dl4j.mixedprecision.OverflowDiagnosis} (bad input,
 * or the first layer whose activations or gradients overflow), logged once per cause; {@code ScaleHealth}
 * warns once when the loss scale keeps falling.
 *
 * <p>Saving: {@link org.dl4j.mixedprecision.MixedPrecisionSerializer} writes and restores DL4J model files
 * with the mixed-precision state; {@link org.dl4j.mixedprecision.MixedPrecisionCheckpointListener} and
 * {@link org.dl4j.mixedprecision.MixedPrecisionModelSaver} do the same for DL4J's checkpoints and early
 * stopping.
 */
package org.dl4j.mixedprecision;
