package org.dl4j.mixedprecision.arbiter;

import java.io.Serializable;
import java.util.Objects;
import org.dl4j.mixedprecision.MixedPrecisionConfig;

/**
 * The precision and loss-scaling settings of one candidate of an Arbiter search, as sampled from a
 * {@link PrecisionSpace}.
 *
 * @param precision      FP32 or mixed precision
 * @param initialScale   a fixed initial loss scale, or null for the default (calibrated on the first minibatch)
 * @param growthInterval the clean steps before the scale grows, or null for the default
 * @serial exclude
 */
public record PrecisionSettings(Precision precision, Double initialScale, Integer growthInterval) implements Serializable {

    /** FP32, what a candidate without precision settings trains in. */
    public static final PrecisionSettings FP32 = new PrecisionSettings(Precision.FP32, null, null);

    /**
     * Checks that the precision is given.
     *
     * @param precision      FP32 or mixed precision; not null
     * @param initialScale   a fixed initial loss scale, or null for the default (calibrated on the first minibatch)
     * @param growthInterval the clean steps before the scale grows, or null for the default
     */
    public PrecisionSettings {
        Objects.requireNonNull(precision, "precision");
    }

    /** @return true for mixed precision */
    public boolean isMixed() {
        return precision == Precision.MIXED;
    }

    /** @return the mixed-precision configuration: the defaults with this candidate's scaler settings */
    public MixedPrecisionConfig config() {
        MixedPrecisionConfig.Builder config = MixedPrecisionConfig.builder();
        if (initialScale != null) {
            config.initialScale(initialScale);
        }
        if (growthInterval != null) {
            config.growthInterval(growthInterval);
        }
        return config.build();
    }
}
