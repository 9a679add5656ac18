package org.dl4j.mixedprecision.arbiter;

import org.deeplearning4j.arbiter.ComputationGraphSpace;
import org.deeplearning4j.arbiter.GraphConfiguration;
import org.deeplearning4j.arbiter.optimize.api.ParameterSpace;

/**
 * A {@code ComputationGraphSpace} search with precision (and optionally loss scaling) as hyperparameters;
 * its candidates are {@link MixedPrecisionGraphConfiguration}s.
 *
 * <pre>{@code
 * ComputationGraphSpace graph = new ComputationGraphSpace.Builder()...build();
 * ComputationGraphPrecisionSpace space = new ComputationGraphPrecisionSpace(graph,
 *         new PrecisionParameterSpace(Precision.FP32, Precision.MIXED));
 * CandidateGenerator generator = new RandomSearchGenerator(space, null);
 * }</pre>
 */
public class ComputationGraphPrecisionSpace extends PrecisionSpace<ComputationGraphSpace, MixedPrecisionGraphConfiguration> {

    private static final long serialVersionUID = 1L;

    /** For JSON deserialization only. */
    @SuppressWarnings("unused")
    private ComputationGraphPrecisionSpace() {
    }

    /**
     * A search over precision only, with the default loss scaling settings.
     *
     * @param network   the network's space
     * @param precision the precisions, e.g. {@code new PrecisionParameterSpace(Precision.FP32, Precision.MIXED)}
     * @see #ComputationGraphPrecisionSpace(ComputationGraphSpace, ParameterSpace, ParameterSpace, ParameterSpace)
     */
    public ComputationGraphPrecisionSpace(ComputationGraphSpace network, ParameterSpace<Precision> precision) {
        this(network, precision, null, null);
    }

    /**
     * @param network        the network's space
     * @param precision      the precisions, e.g. {@code new PrecisionParameterSpace(Precision.FP32, Precision.MIXED)}
     * @param initialScale   initial loss scales, or null to calibrate the scale on the first minibatch
     * @param growthInterval growth intervals, or null for the default
     */
    public ComputationGraphPrecisionSpace(ComputationGraphSpace network, ParameterSpace<Precision> precision,
                                    ParameterSpace<Double> initialScale, ParameterSpace<Integer> growthInterval) {
        super(network, precision, initialScale, growthInterval);
    }

    @Override
    MixedPrecisionGraphConfiguration combine(Object networkValue, PrecisionSettings settings) {
        return new MixedPrecisionGraphConfiguration((GraphConfiguration) networkValue, settings);
    }

    /**
     * @param json a space as {@link #toJson()} wrote it
     * @return the space read back from {@link #toJson()}
     */
    public static ComputationGraphPrecisionSpace fromJson(String json) {
        return fromJson(json, ComputationGraphPrecisionSpace.class);
    }
}
