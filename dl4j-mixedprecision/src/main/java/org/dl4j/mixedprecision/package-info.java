/**
 * Mixed-precision training for Deeplearning4j networks.
 *
 * <p>Entry point: {@link org.dl4j.mixedprecision.MixedPrecision#enable}, for a {@code MultiLayerNetwork}
 * or a {@code ComputationGraph}, or {@link org.dl4j.mixedprecision.MixedPrecision#configure} for their
 * configurations, with a {@link org.dl4j.mixedprecision.MixedPrecisionConfig} (loss scaling) and its
 * {@link org.dl4j.mixedprecision.PrecisionPolicy} (which layer computes in HALF, which in FP32). The network
 * keeps FP32 parameters, gradients and updater state: {@link org.dl4j.mixedprecision.PrecisionLayer} wraps
 * each hidden layer, {@link org.dl4j.mixedprecision.LossScaleOutputLayer} each output layer (it owns the
 * {@link org.dl4j.mixedprecision.LossScaler}), {@link org.dl4j.mixedprecision.PrecisionVertex} each graph
 * vertex with parameters; {@code LossScaleUpdater} skips steps whose gradients hold Inf/NaN.
 * {@link org.dl4j.mixedprecision.LossScaleListener} and {@link org.dl4j.mixedprecision.LossScaleStatus}
 * report the loss scale and how its start was calibrated ({@link org.dl4j.mixedprecision.ScaleCalibration}).
 *
 * <p>When training goes wrong: {@link org.dl4j.mixedprecision.MixedPrecision#enableChecked} runs a self-check
 * on one minibatch before training ({@code SelfCheck}) and falls back to FP32 if mixed precision does not work
 * for the network; every skipped step gets an {@link org.dl4j.mixedprecision.OverflowDiagnosis} (bad input,
 * or the first layer whose activations or gradients overflow), logged once per cause by the listener;
 * {@code ScaleHealth} warns once when the loss scale keeps falling.
 *
 * <p>Saving: DL4J's own {@code ModelSerializer}, {@code CheckpointListener} and early-stopping savers keep the
 * network mixed precision; {@link org.dl4j.mixedprecision.MixedPrecisionSerializer} adds atomic writes,
 * verified restores, inference exports and files of version 0.1;
 * {@link org.dl4j.mixedprecision.MixedPrecisionCheckpointListener} and
 * {@link org.dl4j.mixedprecision.MixedPrecisionModelSaver} use it for checkpoints and early stopping.
 */
package org.dl4j.mixedprecision;
