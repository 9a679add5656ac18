package org.dl4j.mixedprecision;

import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the loss scale of one mixed-precision network for a run that keeps falling, and warns once,
 * with hints, when it does: after {@value #SKIPS_WITHOUT_GROWTH} skipped steps since the scale last grew
 * (or, with a scale that never grows, since the last run of {@code growthInterval} clean steps), or when a
 * backoff takes it below {@value #LOW_SCALE}. The skips of the start, before the first applied
 * step (a fixed initial scale halving its way down), do not count. Costs a few comparisons per step.
 */
final class ScaleHealth {

    /** Skipped steps since the scale last grew (or since the first applied step) that trigger the warning. */
    static final int SKIPS_WITHOUT_GROWTH = 5;
    /** A scale below this after a backoff triggers the warning: the gradients exceed FP16's range unscaled. */
    static final double LOW_SCALE = 1.0;

    private static final Logger log = LoggerFactory.getLogger(ScaleHealth.class);

    private final int growthInterval;
    private boolean stepApplied;
    private int cleanSteps;
    private int skipsWithoutGrowth;
    private boolean warned;

    /** @param growthInterval the configuration's {@link MixedPrecisionConfig#growthInterval()} */
    ScaleHealth(int growthInterval) {
        this.growthInterval = growthInterval;
    }

    /**
     * Records one step.
     *
     * @param before    the loss scale the step used
     * @param after     the loss scale after the step
     * @param skipped   true if the step was skipped
     * @param iteration the network's iteration count
     * @param overflowParameters the parameters whose gradients overflowed in the step
     */
    void observe(double before, double after, boolean skipped, int iteration, List<String> overflowParameters) {
        if (!skipped) {
            stepApplied = true;
            cleanSteps++;
            if (after > before || cleanSteps >= growthInterval) {
                skipsWithoutGrowth = 0;
                cleanSteps = 0;
            }
            return;
        }
        cleanSteps = 0;
        if (!stepApplied) {
            return;
        }
        skipsWithoutGrowth++;
        boolean low = after < before && after < LOW_SCALE;
        if (!warned && (skipsWithoutGrowth >= SKIPS_WITHOUT_GROWTH || low)) {
            warned = true;
            log.warn("{}", warning(after, iteration, overflowParameters));
        }
    }

    private String warning(double scale, int iteration, List<String> overflowParameters) {
        return "Mixed precision: the loss scale keeps falling (iteration " + iteration + "): " + skipsWithoutGrowth
                + " steps skipped since it last grew, now " + scale + ". The gradients overflow FP16 again and again."
                + " Likely causes: a learning rate too high (weights and activations grow until they leave FP16's"
                + " range: lower it, or clip gradients with gradientNormalization), broken data (Inf/NaN or huge"
                + " values in features or labels), or one layer whose values leave FP16's range."
                + " The last skipped step overflowed in " + overflowParameters + "."
                + " (Warned once; a LossScaleListener on the network logs a diagnosis of each skipped step.)";
    }
}
