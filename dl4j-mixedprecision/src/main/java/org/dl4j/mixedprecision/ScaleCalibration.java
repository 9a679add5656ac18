package org.dl4j.mixedprecision;

/**
 * How the loss scale was chosen from the first minibatch.
 *
 * <p>The first step of a calibrating configuration is an ordinary training step at scale 1 that also
 * measures the largest gradient magnitude over the parameters whose gradient the loss scale multiplies (not
 * the direct updates of BatchNormalization's running statistics). The scale of the following steps is the
 * largest power of two that keeps that gradient, times {@link MixedPrecisionConfig#CALIBRATION_HEADROOM},
 * within FP16's maximum of 65504, bounded by the configuration's minimum and maximum scale (a network whose
 * gradients are all zero gets the maximum). It costs no extra pass; the price is that the first step's HALF
 * gradients are unscaled, so values below FP16's subnormal range are lost in that step. If the first step
 * overflows even at scale 1, it is skipped and the next clean step calibrates.
 *
 * <p>Anchors (PyTorch, Keras, DeepSpeed, Apex) start at a fixed 2<sup>15</sup> or 2<sup>16</sup> and skip
 * one step per halving: a YOLO head whose largest gradient is about 300 at scale 1 skips about fourteen.
 *
 * @param largestGradient the largest |gradient| at scale 1
 * @param headroom        the factor kept between the largest scaled gradient and FP16's maximum
 * @param scale           the scale chosen from {@code largestGradient}
 */
public record ScaleCalibration(double largestGradient, double headroom, double scale) {

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
                + " at scale 1 (the largest power of two with gradient x scale x " + headroom + " <= " + FP16_MAX
                + ", within the configured bounds)";
    }
}
