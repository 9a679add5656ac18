package org.dl4j.mixedprecision;

/**
 * Where the Inf/NaN of a skipped mixed-precision step came from: the first layer, in the order the
 * values were computed, whose forward activations or backward gradients hold Inf or NaN, and whether
 * the minibatch itself already did. Every skipped step is diagnosed (one extra forward pass, on skipped
 * steps only; healthy steps cost nothing); read the latest diagnosis from
 * {@link LossScaleListener#lastDiagnosis()}. Each distinct cause is logged once: bad input and forward
 * overflows at WARN, backward overflows (routine for dynamic loss scaling, which then backs off) at INFO.
 *
 * @param pass              where the Inf/NaN appeared first: the forward activations or the backward gradients
 * @param layerIndex        that layer's index (in a MultiLayerNetwork), or its vertex index (in a
 *                          ComputationGraph)
 * @param layerName         that layer's name
 * @param parameter         for {@link Pass#BACKWARD}, the parameter key ("W", "b", ...) whose gradient
 *                          overflowed nearest the output (where the backward pass starts); null for
 *                          {@link Pass#FORWARD}
 * @param featuresNonFinite true if the minibatch's features already held Inf or NaN
 * @param labelsNonFinite   true if the minibatch's labels already held Inf or NaN
 * @param minibatch         the minibatch's index in its epoch (0 for the first, counted from the first step
 *                          this network object took in the epoch)
 * @param epoch             the epoch count
 * @param iteration         the network's iteration count at the skipped step
 * @param scale             the loss scale the skipped step used
 */
public record OverflowDiagnosis(Pass pass, int layerIndex, String layerName, String parameter,
                                boolean featuresNonFinite, boolean labelsNonFinite, int minibatch, int epoch,
                                int iteration, double scale) {

    /** The pass of a training step in which Inf or NaN appeared first. */
    public enum Pass {
        /** The layer's activations (its output in the forward pass) hold Inf or NaN. */
        FORWARD,
        /** The forward pass is finite; the layer's parameter gradient holds Inf or NaN. */
        BACKWARD
    }

    /** @return true if the minibatch's features or labels already held Inf or NaN */
    public boolean badInput() {
        return featuresNonFinite || labelsNonFinite;
    }

    /** @return what identifies the cause, without the minibatch: the same cause is logged once */
    String cause() {
        if (badInput()) {
            return "input features=" + featuresNonFinite + " labels=" + labelsNonFinite;
        }
        return pass + " " + layerIndex + " " + parameter;
    }

    /** @return the layer as "layer 3 (\"dense3\")" */
    private String layer() {
        return "layer " + layerIndex + " (\"" + layerName + "\")";
    }

    /** @return what was found and what to do about it, in sentences */
    @Override
    public String toString() {
        String where = "Minibatch " + minibatch + " of epoch " + epoch + " (iteration " + iteration + ", loss scale "
                + scale + "): ";
        String found = pass == Pass.FORWARD
                ? "Inf/NaN first appears in the forward activations of " + layer()
                : "the forward pass is finite; Inf/NaN first appears in the backward pass, in the gradient of"
                        + " parameter \"" + parameter + "\" of " + layer();
        if (badInput()) {
            String what = featuresNonFinite && labelsNonFinite ? "features and labels"
                    : featuresNonFinite ? "features" : "labels";
            return where + "the minibatch's " + what + " already hold Inf/NaN (" + found + "). Fix the data: look"
                    + " for missing values or divisions by zero in preprocessing and normalization, or drop those"
                    + " examples.";
        }
        if (pass == Pass.FORWARD) {
            return where + found + ": the activations of layer \"" + layerName + "\" are Inf/NaN in HALF, beyond"
                    + " FP16's range of +-65504, whatever the loss scale. Keep this layer in FP32"
                    + " (PrecisionPolicy.mixedFloat16().withLayer(\"" + layerName + "\", DataType.FLOAT)), or normalize"
                    + " that layer's activations (e.g. BatchNormalization), or lower the learning rate if its"
                    + " weights grew during training.";
        }
        return where + found + ". Once in a while this is routine: the loss scale backs off and training goes on."
                + " If it repeats at low loss scales, the gradients themselves exceed FP16's range: lower the"
                + " learning rate or clip gradients (gradientNormalization).";
    }
}
