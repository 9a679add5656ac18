package org.dl4j.mixedprecision;

import java.util.List;
import java.util.function.Supplier;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One optimizer step of a mixed-precision network, the same for every network kind: unscale the HALF
 * gradient into FP32, skip the step on Inf/NaN or run the FP32 updater on the master weights, refresh
 * the HALF parameters, then adapt the loss scale and hand it to the loss functions.
 */
final class MixedPrecisionStep {

    private final MasterWeights weights;
    private final LossScaler scaler;
    private final List<ScaledLoss> losses;
    private List<String> overflowParameters = List.of();
    private double lastStepScale;

    MixedPrecisionStep(MasterWeights weights, LossScaler scaler, List<ScaledLoss> losses) {
        this.weights = weights;
        this.scaler = scaler;
        this.losses = List.copyOf(losses);
        this.lastStepScale = scaler.scale();
        losses.forEach(loss -> loss.setScale(scaler.scale()));
    }

    /**
     * @param halfGradient     the HALF network's flat, loss-scaled gradient
     * @param loss             the HALF network's loss for this step, for the error message
     * @param computeUpdate    turns the FP32 gradient buffer into the update, with the master network's
     *                         own DL4J updater
     * @param applyConstraints applies the master network's parameter constraints to the master weights
     * @param overflowingLayer names the first layer whose HALF activations are Inf/NaN (or null); asked
     *                         only when training is about to stop
     * @throws IllegalStateException when more consecutive steps were skipped than configured
     */
    void run(INDArray halfGradient, double loss, Runnable computeUpdate, Runnable applyConstraints,
             Supplier<String> overflowingLayer) {
        lastStepScale = scaler.scale();
        long nonFinite = weights.unscale(halfGradient, lastStepScale);
        if (nonFinite == 0) {
            computeUpdate.run();
            weights.applyUpdate();
            applyConstraints.run();
            weights.copyToHalf();
        } else {
            overflowParameters = weights.nonFiniteParameters();
        }
        scaler.update(nonFinite);
        for (ScaledLoss scaledLoss : losses) {
            scaledLoss.setScale(scaler.scale());
        }
        if (scaler.skipLimitExceeded()) {
            String layer = overflowingLayer.get();
            String forward = layer == null ? "" : " The forward pass itself overflows: the activations of layer \""
                    + layer + "\" are Inf/NaN in HALF, beyond FP16's range of +-65504, whatever the loss scale."
                    + " Keep this network in FP32, or normalize that layer's activations (e.g. BatchNormalization).";
            throw new IllegalStateException("Mixed precision: " + scaler.consecutiveSkippedSteps()
                    + " consecutive training steps were skipped because their gradients held Inf or NaN values (in "
                    + String.join(", ", overflowParameters) + "; loss " + loss + "; loss scale now " + scaler.scale()
                    + ")." + forward
                    + " The master weights are untouched, but the data or the model is broken: check the features"
                    + " and labels for NaN/Inf, lower the learning rate, or raise maxConsecutiveSkippedSteps (now "
                    + scaler.config().maxConsecutiveSkippedSteps() + ") in MixedPrecisionConfig.");
        }
    }

    /** Puts the scaler, the loss functions and the record of the last step back into a saved state. */
    void restore(LossScaleStatus status) {
        scaler.restore(status);
        lastStepScale = status.lastStepScale();
        overflowParameters = status.overflowParameters();
        losses.forEach(loss -> loss.setScale(scaler.scale()));
    }

    /** @return the configuration the scaler follows */
    MixedPrecisionConfig config() {
        return scaler.config();
    }

    /** @return a snapshot of the scaler and of the last overflow */
    LossScaleStatus status() {
        return new LossScaleStatus(scaler.scale(), lastStepScale, scaler.cleanSteps(), scaler.skippedSteps(),
                scaler.consecutiveSkippedSteps(), scaler.overflowCount(), overflowParameters);
    }
}
