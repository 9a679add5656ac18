package org.dl4j.mixedprecision.arbiter;

import java.io.Serializable;

/**
 * What one candidate of an Arbiter search did, recorded by {@link MixedPrecisionTaskCreator} for
 * every candidate, failed ones included; also the {@code modelSpecificResults} of a completed
 * candidate's {@code OptimizationResult} (Arbiter's {@code FileModelSaver} keeps it in
 * {@code additionalResults.bin}).
 *
 * @param index          the candidate's index
 * @param settings       its precision settings
 * @param score          its score, or NaN when it failed
 * @param iterations     iterations trained
 * @param msPerIteration median wall-clock milliseconds per iteration (NaN before the first iteration)
 * @param skippedSteps   steps skipped on overflow (0 for FP32)
 * @param finalLossScale the loss scale at the end (1 for FP32)
 * @param failure        why the candidate failed, or null when it completed
 * @serial exclude
 */
public record CandidateReport(int index, PrecisionSettings settings, double score, int iterations, double msPerIteration,
                              long skippedSteps, double finalLossScale, String failure) implements Serializable {

    /** @return true when the candidate completed with a finite score */
    public boolean completed() {
        return failure == null;
    }
}
