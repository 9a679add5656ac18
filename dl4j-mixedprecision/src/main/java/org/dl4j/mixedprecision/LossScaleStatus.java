package org.dl4j.mixedprecision;

import java.util.List;

/**
 * A snapshot of a mixed-precision network's loss scaling, as left by its last training step. Read it
 * with {@link MixedPrecision#status(org.deeplearning4j.nn.api.Model)} or from a {@link LossScaleListener}.
 *
 * @param scale                   the loss scale the next step uses
 * @param lastStepScale           the loss scale the most recent step used (equal to {@code scale} unless
 *                                that step changed it; the initial scale before the first step)
 * @param cleanSteps              consecutive applied steps since the scale last changed or overflowed
 * @param skippedSteps            steps skipped since training began
 * @param consecutiveSkippedSteps steps skipped in a row, up to the last one (0 when it was applied)
 * @param overflowCount           gradient values found Inf or NaN since training began
 * @param overflowParameters      the parameters ("layer_param") whose gradient held Inf or NaN in the
 *                                most recent skipped step; empty if none was skipped
 * @param calibration             how the first step's scale was calibrated, or null if it was not (a fixed
 *                                initial scale, or before the first step)
 */
public record LossScaleStatus(double scale, double lastStepScale, int cleanSteps, long skippedSteps, int consecutiveSkippedSteps,
                              long overflowCount, List<String> overflowParameters, ScaleCalibration calibration) {

    /**
     * Makes the parameter list unmodifiable.
     *
     * @param scale                   the loss scale the next step uses
     * @param lastStepScale           the loss scale the most recent step used
     * @param cleanSteps              consecutive applied steps since the scale last changed or overflowed
     * @param skippedSteps            steps skipped since training began
     * @param consecutiveSkippedSteps steps skipped in a row, up to the last one (0 when it was applied)
     * @param overflowCount           gradient values found Inf or NaN since training began
     * @param overflowParameters      the parameters whose gradient held Inf or NaN in the most recent skipped
     *                                step; copied, and must not be null
     * @param calibration             how the first step's scale was calibrated, or null if it was not
     */
    public LossScaleStatus {
        overflowParameters = List.copyOf(overflowParameters);
    }

    /** @return true if the most recent step was skipped */
    public boolean lastStepSkipped() {
        return consecutiveSkippedSteps > 0;
    }
}
