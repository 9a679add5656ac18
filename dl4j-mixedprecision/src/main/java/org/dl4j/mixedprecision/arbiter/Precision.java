package org.dl4j.mixedprecision.arbiter;

/** How a candidate of an Arbiter search trains: in plain FP32, or in mixed precision (FP32 parameters, HALF compute per the precision policy). */
public enum Precision {
    /** DL4J's usual FP32 training. */
    FP32,
    /** Mixed precision: {@code MixedPrecision.enable} on the candidate's network. */
    MIXED
}
