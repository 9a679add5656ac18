package org.dl4j.mixedprecision.arbiter;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
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
        List<Long> sorted = new ArrayList<>(nanos.size() > 1 ? nanos.subList(1, nanos.size()) : nanos);
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2) / 1e6;
    }
}
