package org.dl4j.mixedprecision.arbiter;

import java.util.Objects;
import org.deeplearning4j.arbiter.DL4JConfiguration;

/**
 * A {@link MultiLayerPrecisionSpace} candidate: Arbiter's {@code DL4JConfiguration} (so Arbiter's own
 * savers and tools read it as usual) with the candidate's {@link PrecisionSettings}.
 */
public class MixedPrecisionDL4JConfiguration extends DL4JConfiguration implements PrecisionCandidate {

    private static final long serialVersionUID = 1L;

    /** The candidate's precision settings. */
    private final PrecisionSettings precisionSettings;

    /**
     * @param network  the network's configuration, early stopping and epochs, as Arbiter sampled them
     * @param settings the precision settings
     */
    public MixedPrecisionDL4JConfiguration(DL4JConfiguration network, PrecisionSettings settings) {
        super(network.getMultiLayerConfiguration(), network.getEarlyStoppingConfiguration(), network.getNumEpochs());
        this.precisionSettings = Objects.requireNonNull(settings, "settings");
    }

    @Override
    public PrecisionSettings precisionSettings() {
        return precisionSettings;
    }

    @Override
    public boolean equals(Object o) {
        return super.equals(o) && o instanceof MixedPrecisionDL4JConfiguration other
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
