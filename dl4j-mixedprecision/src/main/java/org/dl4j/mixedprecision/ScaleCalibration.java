package org.dl4j.mixedprecision;

/**
 * How the loss scale of the first step was chosen from the first minibatch.
 *
 * <p>Before the first step, the HALF network's gradient is computed at scale 1 and its largest
 * magnitude measured over the parameters whose gradient the loss scale multiplies (not the direct
 * updates of BatchNormalization's running statistics). The estimate is the largest power of two that
 * keeps that gradient, times {@link MixedPrecisionConfig#CALIBRATION_HEADROOM}, within FP16's maximum of
 * 65504, bounded by the configuration's minimum and maximum scale (a network whose gradients are all zero
 * gets the maximum). The gradient is then computed again at the estimate for the real step. Values
 * inside the backward pass (the gradients of activations) can be larger than any parameter's gradient:
 * if the gradient at the estimate holds an Inf or NaN, the scale is halved and the gradient computed
 * again until it is finite. Calibration thus costs one extra backward pass, once, plus one per halving,
 * and changes no parameter, updater state or counter. If the gradient at scale 1 already holds Inf or
 * NaN, the first step runs at scale 1 and backs off as usual.
 *
 * <p>Anchors (PyTorch, Keras, DeepSpeed, Apex) start at a fixed 2<sup>15</sup> or 2<sup>16</sup> and skip
 * one step per halving: a YOLO head whose largest gradient is about 300 at scale 1 skips about fourteen.
 *
 * @param largestGradient the largest |gradient| at scale 1 (Infinity if it held Inf or NaN)
 * @param headroom        the factor kept between the largest scaled gradient and FP16's maximum
 * @param estimate        the scale estimated from {@code largestGradient}
 * @param scale           the scale of the first step: the estimate, halved until the gradient was finite
 * @param backwardPasses  the extra backward passes calibration took
 */
public record ScaleCalibration(double largestGradient, double headroom, double estimate, double scale,
                               int backwardPasses) {

    /** FP16's largest finite value. */
    static final double FP16_MAX = 65504.0;

    /** @return the scale estimated for a largest gradient measured at scale 1, within the configured bounds */
    static double estimate(double largestGradient, MixedPrecisionConfig config) {
        double scale;
        if (!Double.isFinite(largestGradient)) {
            scale = 1.0;
        } else if (largestGradient == 0.0) {
            scale = config.maxScale();
        } else {
            scale = Math.scalb(1.0, Math.getExponent(FP16_MAX / (MixedPrecisionConfig.CALIBRATION_HEADROOM * largestGradient)));
        }
        return Math.min(config.maxScale(), Math.max(config.minScale(), scale));
    }

    @Override
    public String toString() {
        return "scale " + scale + " from the first minibatch: largest |gradient| " + largestGradient
                + " at scale 1, estimate " + estimate + " (the largest power of two with gradient x scale x " + headroom
                + " <= " + FP16_MAX + ", within the configured bounds)"
                + (scale < estimate ? ", halved until the backward pass stayed finite" : "") + "; " + backwardPasses
                + " extra backward pass" + (backwardPasses == 1 ? "" : "es");
    }
}
