package org.dl4j.mixedprecision;

import java.util.Map;
import java.util.Objects;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * An output layer of a mixed-precision network and the owner of its loss scale. The output layer it wraps
 * computes in FLOAT (the loss, softmax and their gradients); the gradient it passes down to the hidden
 * layers is multiplied by the loss scale, so that small gradients survive in HALF. Its own parameter
 * gradients are not scaled.
 *
 * <p>The {@link LossScaler} lives here, in the network's configuration: DL4J's {@code clone()}, JSON and
 * model files carry it with the network, and every copy of the network adapts its own scale. A graph with
 * several outputs holds one scaler per output; all of them see the same steps and stay equal.
 *
 * <p>Its class name and its field {@code lossScaler} are part of the network's JSON configuration.
 */
public final class LossScaleOutputLayer extends PrecisionLayer {

    private static final long serialVersionUID = 1L;

    /** The network's loss scale, in its current state. */
    @JsonProperty
    private LossScaler lossScaler;

    /** For JSON deserialization only. */
    @SuppressWarnings("unused")
    private LossScaleOutputLayer() {
    }

    /**
     * @param underlying an output layer configuration (a loss-bearing layer such as {@code OutputLayer},
     *                   {@code LossLayer} or {@code Yolo2OutputLayer})
     * @param lossScaler the loss scale of the network, in its initial state
     */
    public LossScaleOutputLayer(Layer underlying, LossScaler lossScaler) {
        super(underlying, DataType.FLOAT);
        this.lossScaler = Objects.requireNonNull(lossScaler, "lossScaler");
    }

    /** @return the network's loss scale, in its current state */
    public LossScaler getLossScaler() {
        return lossScaler;
    }

    @Override
    org.deeplearning4j.nn.api.Layer instance(org.deeplearning4j.nn.api.Layer inner, NeuralNetConfiguration conf,
                                             INDArray paramsView, Map<String, INDArray> paramTable) {
        return new LossScaleOutputLayerInstance(inner, conf, paramsView, paramTable, lossScaler);
    }

    @Override
    public LossScaleOutputLayer clone() {
        LossScaleOutputLayer clone = (LossScaleOutputLayer) super.clone();
        clone.lossScaler = lossScaler.copy();
        return clone;
    }

    @Override
    public boolean equals(Object o) {
        return super.equals(o) && o instanceof LossScaleOutputLayer other && lossScaler.equals(other.lossScaler);
    }

    @Override
    public int hashCode() {
        return 31 * super.hashCode() + lossScaler.hashCode();
    }
}
