package org.dl4j.mixedprecision.arbiter;

import java.util.Objects;
import org.deeplearning4j.arbiter.GraphConfiguration;

/**
 * A {@link ComputationGraphPrecisionSpace} candidate: Arbiter's {@code GraphConfiguration} (so Arbiter's own
 * savers and tools read it as usual) with the candidate's {@link PrecisionSettings}.
 */
public class MixedPrecisionGraphConfiguration extends GraphConfiguration implements PrecisionCandidate {

    private static final long serialVersionUID = 1L;

    /** The candidate's precision settings. */
    private final PrecisionSettings precisionSettings;

    /**
     * @param network  the network's configuration, early stopping and epochs, as Arbiter sampled them
     * @param settings the precision settings
     */
    public MixedPrecisionGraphConfiguration(GraphConfiguration network, PrecisionSettings settings) {
        super(network.getConfiguration(), network.getEarlyStoppingConfiguration(), network.getNumEpochs());
        this.precisionSettings = Objects.requireNonNull(settings, "settings");
    }

    @Override
    public PrecisionSettings precisionSettings() {
        return precisionSettings;
    }

    @Override
    public boolean equals(Object o) {
        return super.equals(o) && o instanceof MixedPrecisionGraphConfiguration other
                && precisionSettings.equals(other.precisionSettings);
    }

    @Override
    public int hashCode() {
        return 31 * super.hashCode() + precisionSettings.hashCode();
    }

    @Override
    public String toString() {
        return precisionSettings + " " + super.toString();
    }
}
