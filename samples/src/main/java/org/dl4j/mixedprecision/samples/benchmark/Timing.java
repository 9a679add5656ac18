package org.dl4j.mixedprecision.samples.benchmark;

import java.util.Arrays;
import org.apache.commons.math3.stat.descriptive.rank.Median;

/**
 * Wall-clock medians of pieces of work that are compared with each other: each is run a few times to warm
 * up, then they are timed in turns (A, B, A, B, ...), so that the machine's drifts (other load, clock
 * changes) fall on all of them alike rather than on whichever ran last.
 */
final class Timing {

    private Timing() {
    }

    /**
     * @param warmups     runs of each piece of work before timing starts (JIT, workspaces, calibration)
     * @param repetitions timed runs of each, {@code >= 1}
     * @param works       the pieces of work
     * @return the median milliseconds of each one's timed runs, in the order given
     */
    static double[] medianMillis(int warmups, int repetitions, Runnable... works) {
        for (int i = 0; i < warmups; i++) {
            for (Runnable work : works) {
                work.run();
            }
        }
        double[][] millis = new double[works.length][repetitions];
        for (int i = 0; i < repetitions; i++) {
            for (int w = 0; w < works.length; w++) {
                long start = System.nanoTime();
                works[w].run();
                millis[w][i] = (System.nanoTime() - start) / 1e6;
            }
        }
        Median median = new Median();
        return Arrays.stream(millis).mapToDouble(median::evaluate).toArray();
    }
}
