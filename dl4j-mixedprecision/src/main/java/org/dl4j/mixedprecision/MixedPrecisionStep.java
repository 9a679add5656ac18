package org.dl4j.mixedprecision;

import java.util.List;
import java.util.function.IntConsumer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One optimizer step of a mixed-precision network, the same for every network kind: unscale the HALF
 * gradient into FP32, skip the step on Inf/NaN or run the FP32 updater on the master weights, refresh
 * the HALF parameters, then adapt the loss scale and hand it to the loss functions. The very first step
 * may calibrate the scale first (see {@link ScaleCalibration}).
 *
 * <p>Skipped steps: the master weights, the FP32 updater state and the updater's own step count stay as
 * they were (the master's DL4J updater is called with the network's iteration count minus the skipped
 * steps, so Adam's bias correction and DL4J's schedules count applied steps only, as in Keras's
 * LossScaleOptimizer), while the network's iteration count, which listeners see, counts every
 * iteration. The direct updates that do not come from the loss (BatchNormalization's running
 * statistics, CenterLossOutputLayer's centers) are still applied where they are finite, as PyTorch
 * updates running statistics in the forward pass.
 *
 * <p>Every skipped step is diagnosed ({@link OverflowDiagnosis}) and the scale's health watched
 * ({@link ScaleHealth}); when training stops on too many consecutive skipped steps, the exception carries
 * the last diagnosis. Applied steps pay for neither.
 */
final class MixedPrecisionStep {

    private final Model master;
    private final Model half;
    private final MasterWeights weights;
    private final LossScaler scaler;
    private final List<ScaledLoss> losses;
    private final OverflowDiagnostics diagnostics = new OverflowDiagnostics();
    private final ScaleHealth health;
    private List<String> overflowParameters = List.of();
    private double lastStepScale;
    private boolean calibrationPending;
    private ScaleCalibration calibration;

    /**
     * @param master  the FP32 master network
     * @param half    the HALF network
     * @param weights the two networks' parameters and the FP32 gradient buffer
     * @param scaler  the loss scale
     * @param losses  the HALF network's scaled losses
     */
    MixedPrecisionStep(Model master, Model half, MasterWeights weights, LossScaler scaler, List<ScaledLoss> losses) {
        this.master = master;
        this.half = half;
        this.weights = weights;
        this.scaler = scaler;
        this.losses = List.copyOf(losses);
        this.lastStepScale = scaler.scale();
        this.calibrationPending = scaler.config().calibratesInitialScale();
        this.health = new ScaleHealth(scaler.config().growthInterval());
        setLossScales();
    }

    /**
     * @param halfGradient  the HALF network's flat, loss-scaled gradient
     * @param iteration     the network's iteration count
     * @param epoch         the network's epoch count
     * @param computeUpdate runs the master network's DL4J updater on the FP32 gradient buffer, leaving
     *                      the update in it, at the iteration count it is given (applied steps only)
     * @throws IllegalStateException when more consecutive steps were skipped than configured
     */
    void run(INDArray halfGradient, int iteration, int epoch, IntConsumer computeUpdate) {
        int minibatch = diagnostics.minibatch(iteration, epoch);
        INDArray gradient = calibrationPending ? calibrate(halfGradient) : halfGradient;
        lastStepScale = scaler.scale();
        long nonFinite = weights.unscale(gradient, lastStepScale);
        if (nonFinite == 0) {
            computeUpdate.accept((int) Math.max(0, iteration - scaler.skippedSteps()));
            weights.applyUpdate();
            master.applyConstraints(iteration, epoch);
            weights.copyToHalf();
        } else {
            List<MasterWeights.Parameter> nonFiniteParameters = weights.nonFiniteParameters();
            overflowParameters = nonFiniteParameters.stream().map(MasterWeights.Parameter::name).toList();
            diagnostics.diagnose(half, nonFiniteParameters, lastStepScale, minibatch, iteration, epoch);
            weights.applyFiniteDirectUpdates();
        }
        scaler.update(nonFinite);
        setLossScales();
        health.observe(lastStepScale, scaler.scale(), nonFinite > 0, iteration, diagnostics.last());
        if (scaler.skipLimitExceeded()) {
            throw new IllegalStateException("Mixed precision: " + scaler.consecutiveSkippedSteps()
                    + " consecutive training steps were skipped because their gradients held Inf or NaN values (in "
                    + String.join(", ", overflowParameters) + "; loss " + half.score() + "; loss scale now "
                    + scaler.scale() + "). Diagnosis of the last one: " + diagnostics.last()
                    + diagnostics.smallBatchNormalizations()
                    + " The master weights are untouched, but the data or the model is broken: check the features"
                    + " and labels for NaN/Inf, lower the learning rate, or raise maxConsecutiveSkippedSteps (now "
                    + scaler.config().maxConsecutiveSkippedSteps() + ") in MixedPrecisionConfig.");
        }
    }

    /**
     * Chooses the scale from a gradient computed at scale 1 and computes the gradient again at that scale,
     * halving it while the gradient overflows (see {@link ScaleCalibration}).
     *
     * @return the gradient for the first step
     */
    private INDArray calibrate(INDArray gradientAtScaleOne) {
        calibrationPending = false;
        MixedPrecisionConfig config = scaler.config();
        double largest = weights.largestLossScaledGradient(gradientAtScaleOne);
        double estimate = ScaleCalibration.estimate(largest, config);
        double scale = estimate;
        INDArray gradient = gradientAtScaleOne;
        int backwardPasses = 0;
        boolean done = scale == 1.0;
        while (!done) {
            scaler.calibrate(scale);
            setLossScales();
            half.computeGradientAndScore(LayerWorkspaceMgr.noWorkspaces());
            gradient = half.gradient().gradient();
            backwardPasses++;
            done = Double.isFinite(weights.largestLossScaledGradient(gradient)) || scale == config.minScale();
            scale = done ? scale : Math.max(config.minScale(), scale * 0.5);
        }
        calibration = new ScaleCalibration(largest, MixedPrecisionConfig.CALIBRATION_HEADROOM, estimate, scale,
                backwardPasses);
        return gradient;
    }

    private void setLossScales() {
        for (ScaledLoss loss : losses) {
            loss.setScale(scaler.scale());
        }
    }

    /** Puts the scaler, the loss functions and the record of the last step back into a saved state. */
    void restore(LossScaleStatus status) {
        scaler.restore(status);
        lastStepScale = status.lastStepScale();
        overflowParameters = status.overflowParameters();
        calibration = status.calibration();
        calibrationPending = scaler.config().calibratesInitialScale() && status.calibration() == null;
        setLossScales();
    }

    /** @return the diagnosis of the most recent skipped step, or null if no step was skipped */
    OverflowDiagnosis lastDiagnosis() {
        return diagnostics.last();
    }

    /** @return the configuration the scaler follows */
    MixedPrecisionConfig config() {
        return scaler.config();
    }

    /** @return a snapshot of the scaler and of the last overflow */
    LossScaleStatus status() {
        return new LossScaleStatus(scaler.scale(), lastStepScale, scaler.cleanSteps(), scaler.skippedSteps(),
                scaler.consecutiveSkippedSteps(), scaler.overflowCount(), overflowParameters, calibration);
    }
}
