package org.dl4j.mixedprecision.arbiter;

import org.deeplearning4j.arbiter.DL4JConfiguration;
import org.deeplearning4j.arbiter.MultiLayerSpace;
import org.deeplearning4j.arbiter.optimize.api.ParameterSpace;

/**
 * A {@code MultiLayerSpace} search with precision (and optionally loss scaling) as hyperparameters;
 * its candidates are {@link MixedPrecisionDL4JConfiguration}s.
 *
 * <pre>{@code
 * MultiLayerSpace layers = new MultiLayerSpace.Builder()...build();
 * MultiLayerPrecisionSpace space = new MultiLayerPrecisionSpace(layers,
 *         new PrecisionParameterSpace(Precision.FP32, Precision.MIXED));
 * CandidateGenerator generator = new RandomSearchGenerator(space, null);
 * }</pre>
 */
public class MultiLayerPrecisionSpace extends PrecisionSpace<MultiLayerSpace, MixedPrecisionDL4JConfiguration> {

    private static final long serialVersionUID = 1L;

    /** For JSON deserialization only. */
    @SuppressWarnings("unused")
    private MultiLayerPrecisionSpace() {
    }

    /**
     * A search over precision only, with the default loss scaling settings.
     *
     * @param network   the network's space
     * @param precision the precisions, e.g. {@code new PrecisionParameterSpace(Precision.FP32, Precision.MIXED)}
     * @see #MultiLayerPrecisionSpace(MultiLayerSpace, ParameterSpace, ParameterSpace, ParameterSpace)
     */
    public MultiLayerPrecisionSpace(MultiLayerSpace network, ParameterSpace<Precision> precision) {
        this(network, precision, null, null);
    }

    /**
     * @param network        the network's space
     * @param precision      the precisions, e.g. {@code new PrecisionParameterSpace(Precision.FP32, Precision.MIXED)}
     * @param initialScale   initial loss scales, or null to calibrate the scale on the first minibatch
     * @param growthInterval growth intervals, or null for the default
     */
    public MultiLayerPrecisionSpace(MultiLayerSpace network, ParameterSpace<Precision> precision,
                                    ParameterSpace<Double> initialScale, ParameterSpace<Integer> growthInterval) {
        super(network, precision, initialScale, growthInterval);
    }

    @Override
    MixedPrecisionDL4JConfiguration combine(Object networkValue, PrecisionSettings settings) {
        return new MixedPrecisionDL4JConfiguration((DL4JConfiguration) networkValue, settings);
    }

    /**
     * @param json a space as {@link #toJson()} wrote it
     * @return the space read back from {@link #toJson()}
     */
    public static MultiLayerPrecisionSpace fromJson(String json) {
        return fromJson(json, MultiLayerPrecisionSpace.class);
    }
}
