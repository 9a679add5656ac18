package org.dl4j.mixedprecision.samples;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.commons.math3.stat.descriptive.rank.Median;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.dl4j.mixedprecision.MixedPrecision;

/**
 * Records the wall-clock time between consecutive iterations, the score of each and, for a
 * mixed-precision network, its loss scale: for a median time per iteration, a loss curve and a loss-scale
 * curve.
 */
public final class IterationTimes extends BaseTrainingListener {

    private final List<Long> nanos = new ArrayList<>();
    private final List<Double> scores = new ArrayList<>();
    private final List<Double> scales = new ArrayList<>();
    private long last = System.nanoTime();

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        long now = System.nanoTime();
        nanos.add(now - last);
        scores.add(model.score());
        if (MixedPrecision.isMixedPrecision(model)) {
            scales.add(MixedPrecision.status(model).scale());
        }
        last = now;
    }

    /** Starts timing now (call right before fit, so set-up is not counted in the first iteration). */
    public void start() {
        last = System.nanoTime();
    }

    /** @return the median milliseconds per iteration, the first one (warm-up) excluded when there are more */
    public double medianMillis() {
        List<Long> timed = nanos.size() > 1 ? nanos.subList(1, nanos.size()) : nanos;
        return new Median().evaluate(timed.stream().mapToDouble(n -> n / 1e6).toArray());
    }

    /** @return the score of every iteration, in order */
    public List<Double> scores() {
        return Collections.unmodifiableList(scores);
    }

    /** @return the loss scale after every iteration, in order (empty for a network that is not mixed precision) */
    public List<Double> scales() {
        return Collections.unmodifiableList(scales);
    }
}
