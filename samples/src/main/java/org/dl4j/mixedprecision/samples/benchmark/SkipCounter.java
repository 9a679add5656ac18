package org.dl4j.mixedprecision.samples.benchmark;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.dl4j.mixedprecision.MixedPrecision;

/** Counts a mixed-precision network's skipped steps from a given iteration on. */
final class SkipCounter extends BaseTrainingListener {

    private final int from;
    private long skippedBefore = -1;
    private long skippedNow;

    /** @param from the first iteration counted */
    SkipCounter(int from) {
        this.from = from;
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        if (!MixedPrecision.isMixedPrecision(model)) {
            return;
        }
        skippedNow = MixedPrecision.status(model).skippedSteps();
        if (iteration == from - 1) {
            skippedBefore = skippedNow;
        }
    }

    /** @return steps skipped from iteration {@code from} on (0 for a network that is not mixed precision) */
    long skipped() {
        return skippedBefore < 0 ? 0 : skippedNow - skippedBefore;
    }
}
