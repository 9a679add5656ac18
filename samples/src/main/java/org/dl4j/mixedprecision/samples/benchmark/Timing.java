package org.dl4j.mixedprecision.samples.benchmark;

import java.util.Arrays;

/** Wall-clock medians: a piece of work run a few times to warm up, then timed repetition by repetition. */
final class Timing {

    private Timing() {
    }

    /**
     * @param warmups     runs before timing starts (JIT, workspaces, calibration)
     * @param repetitions timed runs, {@code >= 1}
     * @param work        the work
     * @return the median milliseconds of the timed runs
     */
    static double medianMillis(int warmups, int repetitions, Runnable work) {
        for (int i = 0; i < warmups; i++) {
            work.run();
        }
        double[] millis = new double[repetitions];
        for (int i = 0; i < repetitions; i++) {
            long start = System.nanoTime();
            work.run();
            millis[i] = (System.nanoTime() - start) / 1e6;
        }
        Arrays.sort(millis);
        return repetitions % 2 == 1 ? millis[repetitions / 2]
                : (millis[repetitions / 2 - 1] + millis[repetitions / 2]) / 2;
    }
}
