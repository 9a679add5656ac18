/**
 * Mixed-precision training for Deeplearning4j networks.
 *
 * <p>Entry point: {@link org.dl4j.mixedprecision.MixedPrecision#enable}, configured by
 * {@link org.dl4j.mixedprecision.MixedPrecisionConfig}. The network it returns computes in HALF and
 * keeps FP32 master weights and updater state in its {@link org.dl4j.mixedprecision.MixedPrecisionUpdater};
 * {@link org.dl4j.mixedprecision.ScaledLossFunction} computes each output layer's loss in FP32 and scales
 * its gradient; {@link org.dl4j.mixedprecision.LossScaleListener} and
 * {@link org.dl4j.mixedprecision.LossScaleStatus} report the loss scale.
 */
package org.dl4j.mixedprecision;
