package org.dl4j.mixedprecision.arbiter;

import org.deeplearning4j.arbiter.optimize.parameter.discrete.DiscreteParameterSpace;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * An Arbiter hyperparameter over {@link Precision}s, a {@code DiscreteParameterSpace}: random search
 * draws each value with equal probability, grid search tries each.
 * {@code new PrecisionParameterSpace(Precision.FP32, Precision.MIXED)} puts precision into a search.
 */
public class PrecisionParameterSpace extends DiscreteParameterSpace<Precision> {

    private static final long serialVersionUID = 1L;

    /** @param values the precisions to choose from, at least one */
    public PrecisionParameterSpace(@JsonProperty("values") Precision... values) {
        super(values);
        if (values == null || values.length == 0) {
            throw new IllegalArgumentException("Give at least one precision, e.g. Precision.FP32, Precision.MIXED");
        }
    }

    /**
     * @return the precision for the sampled value; read back from JSON, Arbiter's untyped value list holds
     *         the names, which are turned back into {@link Precision}s here
     */
    @Override
    public Precision getValue(double[] input) {
        Object value = super.getValue(input);
        return value instanceof Precision precision ? precision : Precision.valueOf(value.toString());
    }
}
