package org.dl4j.mixedprecision.arbiter;

/** A candidate of a {@link PrecisionSpace} search: Arbiter's network configuration plus its precision settings. */
public interface PrecisionCandidate {

    /** @return how this candidate trains */
    PrecisionSettings precisionSettings();
}
