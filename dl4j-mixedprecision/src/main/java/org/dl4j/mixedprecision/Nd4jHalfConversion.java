package org.dl4j.mixedprecision;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.conditions.Conditions;

/**
 * {@link HalfConversion} with ND4J ops, for every backend: a type-converting assign, one sum as the
 * Inf/NaN check, and an in-place multiplication of the loss-scaled parts by the scale's reciprocal.
 */
final class Nd4jHalfConversion implements HalfConversion {

    @Override
    public long toFloat(INDArray half, INDArray fp32, List<INDArray> divided, double divisor) {
        fp32.assign(half);
        // One reduction pass: finite FP16 values cannot sum to Inf in FP32.
        if (!Double.isFinite(fp32.sumNumber().doubleValue())) {
            return fp32.scan(Conditions.notFinite()).longValue();
        }
        if (divisor != 1.0) {
            for (INDArray part : divided) {
                part.muli(1.0 / divisor);
            }
        }
        return 0;
    }

    @Override
    public void toHalf(INDArray fp32, INDArray half) {
        half.assign(fp32);
    }
}
