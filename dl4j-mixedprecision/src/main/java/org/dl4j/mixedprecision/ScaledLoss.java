package org.dl4j.mixedprecision;

/**
 * A loss of a HALF network computed in FP32 whose gradient is multiplied by the loss scale: a
 * {@link ScaledLossFunction} or a {@link ScaledYolo2OutputLayer}. The {@link MixedPrecisionStep} hands
 * each one the current scale after every step.
 */
interface ScaledLoss {

    /** @return the factor the gradient is multiplied by */
    double getScale();

    /** @param scale the factor the gradient is multiplied by from now on */
    void setScale(double scale);
}
