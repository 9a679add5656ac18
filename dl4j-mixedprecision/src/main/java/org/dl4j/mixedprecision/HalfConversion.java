package org.dl4j.mixedprecision;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Copies values between a layer's FP32 parameters and gradients and the HALF copies it computes with, the
 * two conversions of every mixed-precision step: the FP32 parameters into the HALF ones before the forward
 * pass (rounded to the nearest HALF value, ties to even, as ND4J rounds) and the loss-scaled HALF gradient
 * into the FP32 gradient (divided by the loss scale, counting Inf and NaN on the way).
 *
 * <p>Both implementations give bit-identical results. {@link Nd4jHalfConversion} uses ND4J ops and runs on
 * every backend; {@link CpuHalfConversion}, chosen on ND4J's CPU backend, does each conversion in one pass
 * over the arrays' memory, several times faster than libnd4j's own FP16 conversion there.
 */
interface HalfConversion {

    /** @return the fastest conversion for the ND4J backend in use */
    static HalfConversion forBackend() {
        return Nd4j.getEnvironment().isCPU()
                ? new CpuHalfConversion(Nd4j.getEnvironment().maxMasterThreads())
                : new Nd4jHalfConversion();
    }

    /**
     * Copies a HALF vector into an FP32 vector of the same length, dividing the parts of it listed in
     * {@code divided} by {@code divisor}: they are multiplied by its FP32 reciprocal, which is an exact
     * division for the power-of-two scales of dynamic loss scaling and within one FP32 rounding of it
     * otherwise.
     *
     * @param half    the HALF source
     * @param fp32    the FP32 target
     * @param divided views of {@code fp32}, in order and not overlapping, whose values are divided
     * @param divisor what they are divided by
     * @return how many values of {@code half} are Inf or NaN; when positive, the contents of {@code fp32}
     *         are unspecified beyond holding Inf or NaN at those positions
     */
    long toFloat(INDArray half, INDArray fp32, List<INDArray> divided, double divisor);

    /** Copies an FP32 vector into a HALF vector of the same length, rounding to nearest, ties to even. */
    void toHalf(INDArray fp32, INDArray half);
}
