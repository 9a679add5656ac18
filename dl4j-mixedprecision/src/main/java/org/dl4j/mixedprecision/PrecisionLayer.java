package org.dl4j.mixedprecision;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.api.layers.RecurrentLayer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional;
import org.deeplearning4j.nn.conf.layers.wrapper.BaseWrapperLayer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * A hidden layer of a mixed-precision network: the layer configuration it wraps, computed in the data type
 * a {@link PrecisionPolicy} gave it (HALF or FLOAT), while its parameters, gradients and updater state stay
 * FLOAT in the network. {@link MixedPrecision#configure} wraps every hidden layer in one, as DL4J's
 * {@code FrozenLayerWithBackprop} wraps a layer, so the network's parameter layout, updater state layout,
 * JSON, {@code clone()} and model files are those of an FP32 network.
 *
 * <p>In HALF, the layer runs on a HALF copy of its parameters (refreshed from the FLOAT parameters before
 * each forward pass) and its HALF parameter gradient is copied into the network's FLOAT gradient, divided
 * by the loss scale on the way; Inf and NaN values are counted for the network's step (see
 * {@link LossScaleUpdater}). In FLOAT, the layer runs on the network's own arrays and its gradient is
 * divided in place. The loss scale is set by the network's {@link LossScaleOutputLayer}s.
 *
 * <p>Its class name and its field {@code computeType} are part of the network's JSON configuration.
 */
public class PrecisionLayer extends BaseWrapperLayer {

    private static final long serialVersionUID = 1L;

    @JsonProperty
    private DataType computeType;

    /** For JSON deserialization only. */
    protected PrecisionLayer() {
    }

    /**
     * @param underlying  the layer configuration to compute
     * @param computeType HALF or FLOAT
     */
    public PrecisionLayer(Layer underlying, DataType computeType) {
        super(Objects.requireNonNull(underlying, "underlying"));
        if (computeType != DataType.HALF && computeType != DataType.FLOAT) {
            throw new IllegalArgumentException("A layer computes in HALF or FLOAT, got " + computeType);
        }
        this.computeType = computeType;
        setLayerName(underlying.getLayerName());
    }

    @Override
    public ParamInitializer initializer() {
        return PrecisionParamInitializer.INSTANCE;
    }

    /** @return the data type the layer computes in: HALF or FLOAT */
    public DataType getComputeType() {
        return computeType;
    }

    @Override
    public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners,
                                                       int layerIndex, INDArray paramsView, boolean initializeParams,
                                                       DataType networkDataType) {
        if (networkDataType != DataType.FLOAT) {
            throw new IllegalArgumentException("A mixed-precision network's data type must be FLOAT (its parameters,"
                    + " gradients and updater state), got " + networkDataType + ": build the configuration with"
                    + " .dataType(DataType.FLOAT); the precision policy decides what computes in HALF");
        }
        Map<String, INDArray> paramTable = initializer().init(conf, paramsView, initializeParams);
        NeuralNetConfiguration innerConf = conf.clone();
        innerConf.setLayer(getUnderlying());
        INDArray innerParams = paramsView;
        if (computeType == DataType.HALF && paramsView != null && paramsView.length() > 0) {
            innerParams = Nd4j.createUninitializedDetached(DataType.HALF, paramsView.shape());
        }
        org.deeplearning4j.nn.api.Layer inner = getUnderlying().instantiate(innerConf, listeners, layerIndex, innerParams,
                false, computeType);
        List<String> variables = inner.conf().variables(true);
        conf.clearVariables();
        for (String variable : variables) {
            conf.variables(false).add(variable);
        }
        return instance(inner, conf, paramsView, paramTable);
    }

    /** @return the runtime layer wrapping {@code inner} */
    org.deeplearning4j.nn.api.Layer instance(org.deeplearning4j.nn.api.Layer inner, NeuralNetConfiguration conf,
                                             INDArray paramsView, Map<String, INDArray> paramTable) {
        return inner instanceof RecurrentLayer recurrent
                ? new RecurrentPrecisionLayerInstance(recurrent, conf, computeType, paramsView, paramTable)
                : new PrecisionLayerInstance(inner, conf, computeType, paramsView, paramTable);
    }

    /**
     * Wraps the layer's updater in a {@link LossScaleUpdater}, so that a step the network skips leaves the
     * updater state untouched.
     */
    @Override
    public IUpdater getUpdaterByParam(String paramName) {
        Layer trained = getUnderlying();
        while (trained instanceof BaseWrapperLayer wrapper) { // LastTimeStep, ...: DL4J's base does not delegate this
            trained = wrapper.getUnderlying();
        }
        IUpdater updater = trained.getUpdaterByParam(paramName);
        Layer configuredLayer = trained instanceof Bidirectional bidirectional ? bidirectional.getFwd() : trained;
        IUpdater configured = configuredLayer instanceof BaseLayer base ? base.getIUpdater() : null;
        boolean directUpdate = updater instanceof NoOp && !(configured instanceof NoOp);
        return new LossScaleUpdater(updater, directUpdate);
    }

    /** Wraps weight decay (applied after the updater) so that it does not move weights on a skipped step. */
    @Override
    public List<Regularization> getRegularizationByParam(String paramName) {
        return SkippedStepRegularization.wrapPostUpdater(getUnderlying().getRegularizationByParam(paramName));
    }

    @Override
    public PrecisionLayer clone() {
        PrecisionLayer clone = (PrecisionLayer) super.clone();
        clone.setUnderlying(getUnderlying().clone());
        return clone;
    }

    @Override
    public boolean equals(Object o) {
        return super.equals(o) && o instanceof PrecisionLayer other && computeType == other.computeType;
    }

    @Override
    public int hashCode() {
        return 31 * super.hashCode() + Objects.hashCode(computeType);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "(" + computeType + ", " + getUnderlying() + ")";
    }
}
