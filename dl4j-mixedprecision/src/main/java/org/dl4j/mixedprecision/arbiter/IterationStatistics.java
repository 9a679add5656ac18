package org.dl4j.mixedprecision.arbiter;

import java.util.ArrayList;
import java.util.List;
import org.apache.commons.math3.stat.descriptive.rank.Median;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;

/** Counts a candidate's iterations and times them, for its {@link CandidateReport}. */
final class IterationStatistics extends BaseTrainingListener {

    private final List<Long> nanos = new ArrayList<>();
    private long last = System.nanoTime();

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        long now = System.nanoTime();
        nanos.add(now - last);
        last = now;
    }

    /** @return the iterations trained */
    int iterations() {
        return nanos.size();
    }

    /** @return the median milliseconds per iteration, the first (warm-up) left out when there are more; NaN if none */
    double medianMillis() {
        List<Long> timed = nanos.size() > 1 ? nanos.subList(1, nanos.size()) : nanos;
        return new Median().evaluate(timed.stream().mapToDouble(n -> n / 1e6).toArray());
    }
}
