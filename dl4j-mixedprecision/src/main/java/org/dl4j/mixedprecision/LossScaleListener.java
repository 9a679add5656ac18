package org.dl4j.mixedprecision;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports the loss scaling of a mixed-precision network: logs the calibrated initial scale, every
 * skipped step (with the parameters whose gradient overflowed) and every growth of the scale at INFO, and
 * keeps the status after the last iteration readable with {@link #lastStatus()} and the diagnosis of the
 * last skipped step with {@link #lastDiagnosis()}. Each skipped step is diagnosed with one extra forward
 * pass on the minibatch the network still holds ({@link OverflowDiagnosis}), each distinct cause logged once.
 *
 * <p>{@link MixedPrecision#enable} adds one to the network's listeners; add it again if you replace
 * them with {@code setListeners(...)}. Training does not depend on it: the layers and the
 * {@link LossScaleUpdater} unscale, check, skip and adapt the scale whether or not this listener is
 * attached (and warn when the scale keeps falling). On a network that is not mixed precision it does nothing.
 */
public class LossScaleListener extends BaseTrainingListener {

    private static final Logger log = LoggerFactory.getLogger(LossScaleListener.class);

    private volatile LossScaleStatus lastStatus;
    private volatile OverflowDiagnosis lastDiagnosis;
    private final OverflowDiagnostics diagnostics = new OverflowDiagnostics();

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        if (!MixedPrecision.isMixedPrecision(model)) {
            return;
        }
        LossScaleStatus status = MixedPrecision.status(model);
        int minibatch = diagnostics.minibatch(iteration, epoch);
        boolean calibrated = status.calibration() != null && (lastStatus == null || lastStatus.calibration() == null);
        if (calibrated) {
            log.info("Iteration {}: loss scale calibrated on the first minibatch: {}", iteration, status.calibration());
        }
        if (status.lastStepSkipped()) {
            diagnostics.diagnose(model, status.overflowParameters(), status.lastStepScale(), minibatch, iteration, epoch);
            log.info("Iteration {}: step skipped, Inf/NaN gradient in {}; loss scale {} -> {}", iteration,
                    status.overflowParameters(), status.lastStepScale(), status.scale());
        } else if (status.scale() != status.lastStepScale() && !calibrated) {
            log.info("Iteration {}: loss scale {} -> {} after a run of clean steps", iteration,
                    status.lastStepScale(), status.scale());
        }
        lastStatus = status;
        lastDiagnosis = diagnostics.last();
    }

    /** @return the loss scaling status after the last iteration seen, or null before the first */
    public LossScaleStatus lastStatus() {
        return lastStatus;
    }

    /**
     * @return where the Inf/NaN of the most recent skipped step came from, as of the last iteration seen;
     *         null if no step was skipped
     */
    public OverflowDiagnosis lastDiagnosis() {
        return lastDiagnosis;
    }
}
