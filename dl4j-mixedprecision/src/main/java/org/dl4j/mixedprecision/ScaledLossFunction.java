package org.dl4j.mixedprecision;

import java.util.Objects;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * Wraps an output layer's {@link ILossFunction} so that a HALF network computes its loss in FP32 and
 * hands back a loss-scaled gradient.
 *
 * <p>Labels, pre-activations and mask are cast to FLOAT, the wrapped loss function computes the score
 * and the gradient there (softmax and cross-entropy in HALF would give log(0)), the gradient is
 * multiplied by the current loss scale and cast back to the layer's data type. Scores are never
 * scaled, so the network reports its true loss. {@link MixedPrecision#enable} installs this wrapper in
 * every loss-bearing layer of the HALF network, and the {@link MixedPrecisionUpdater} keeps its scale
 * current. The class name and its two fields ({@code lossFunction}, {@code scale}) are part of the
 * network's JSON configuration.
 */
public final class ScaledLossFunction implements ILossFunction, ScaledLoss {

    private static final long serialVersionUID = 1L;

    private ILossFunction lossFunction;
    private double scale;

    /** For JSON deserialization only. */
    @SuppressWarnings("unused")
    private ScaledLossFunction() {
    }

    /**
     * @param lossFunction the loss function to compute in FP32
     * @param scale        the factor the gradient is multiplied by
     */
    public ScaledLossFunction(ILossFunction lossFunction, double scale) {
        this.lossFunction = Objects.requireNonNull(lossFunction, "lossFunction");
        this.scale = scale;
    }

    /** @return the wrapped loss function */
    public ILossFunction getLossFunction() {
        return lossFunction;
    }

    @Override
    public double getScale() {
        return scale;
    }

    @Override
    public void setScale(double scale) {
        this.scale = scale;
    }

    @Override
    public double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
                               boolean average) {
        return lossFunction.computeScore(fp32(labels), fp32(preOutput), activationFn, fp32(mask), average);
    }

    @Override
    public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        INDArray scores = lossFunction.computeScoreArray(fp32(labels), fp32(preOutput), activationFn, fp32(mask));
        return scores.castTo(preOutput.dataType());
    }

    @Override
    public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        INDArray gradient = lossFunction.computeGradient(fp32(labels), fp32(preOutput), activationFn, fp32(mask));
        return scaled(gradient, preOutput.dataType());
    }

    @Override
    public Pair<Double, INDArray> computeGradientAndScore(INDArray labels, INDArray preOutput, IActivation activationFn,
                                                          INDArray mask, boolean average) {
        Pair<Double, INDArray> result = lossFunction.computeGradientAndScore(fp32(labels), fp32(preOutput),
                activationFn, fp32(mask), average);
        return new Pair<>(result.getFirst(), scaled(result.getSecond(), preOutput.dataType()));
    }

    private INDArray scaled(INDArray fp32Gradient, DataType layerType) {
        if (scale != 1.0) {
            fp32Gradient.muli(scale);
        }
        return fp32Gradient.castTo(layerType);
    }

    private static INDArray fp32(INDArray array) {
        return array == null ? null : array.castTo(DataType.FLOAT);
    }

    @Override
    public String name() {
        return "ScaledLossFunction(" + lossFunction.name() + ")";
    }

    @Override
    public String toString() {
        return "ScaledLossFunction(lossFunction=" + lossFunction + ", scale=" + scale + ")";
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof ScaledLossFunction)) {
            return false;
        }
        ScaledLossFunction other = (ScaledLossFunction) o;
        return scale == other.scale && Objects.equals(lossFunction, other.lossFunction);
    }

    @Override
    public int hashCode() {
        return Objects.hash(lossFunction, scale);
    }
}
