package org.dl4j.mixedprecision;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.api.layers.LayerConstraint;
import org.deeplearning4j.nn.api.layers.RecurrentLayer;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.dropout.IDropout;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional;
import org.deeplearning4j.nn.conf.layers.wrapper.BaseWrapperLayer;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.nn.conf.weightnoise.IWeightNoise;
import org.deeplearning4j.nn.weights.IWeightInit;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.nn.weights.WeightInitIdentity;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.shade.jackson.annotation.JsonIgnoreProperties;
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
 * <p>To DL4J's own calls that change a network's training settings ({@code setLearningRate},
 * {@code getLearningRate}, {@code layerSize}, transfer learning's {@code FineTuneConfiguration},
 * {@code nOutReplace} and {@code nInReplace}) it is the layer it wraps: it is a {@code FeedForwardLayer}
 * whose training settings (updater, learning rate, regularization, weight initialization, activation,
 * dropout, constraints, nIn/nOut, ...) are those of the wrapped layer, read and written there. Where the
 * wrapped layer is not a {@code BaseLayer} (a pooling layer, {@code Bidirectional}) DL4J does not change
 * those settings on a plain network either, and the wrapper keeps them to itself, unused.
 *
 * <p>Its class name and its fields {@code underlying} and {@code computeType} are part of the network's
 * JSON configuration.
 */
@JsonIgnoreProperties(value = {"activationFn", "weightInitFn", "biasInit", "gainInit", "regularization",
        "regularizationBias", "iUpdater", "iupdater", "biasUpdater", "weightNoise", "gradientNormalization",
        "gradientNormalizationThreshold", "nIn", "nOut", "nin", "nout", "timeDistributedFormat", "iDropout", "idropout",
        "constraints"}, allowSetters = false) // the wrapped layer's own, saved with it
public class PrecisionLayer extends FeedForwardLayer {

    private static final long serialVersionUID = 1L;

    /** The layer configuration this layer wraps. */
    @JsonProperty
    private Layer underlying;
    /** The data type the layer computes in: HALF or FLOAT. */
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
        this.underlying = Objects.requireNonNull(underlying, "underlying");
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

    /** @return the layer configuration it computes */
    public Layer getUnderlying() {
        return underlying;
    }

    /** @param underlying the layer configuration to compute */
    public void setUnderlying(Layer underlying) {
        this.underlying = Objects.requireNonNull(underlying, "underlying");
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
                    + " .dataType(DataType.FLOAT); the precision policy decides what computes in HALF. For a network"
                    + " computing wholly in HALF (inference), use MixedPrecision.disable(network).convertDataType(DataType.HALF)");
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
        Layer trained = underlying;
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
        return SkippedStepRegularization.wrapPostUpdater(underlying.getRegularizationByParam(paramName));
    }

    @Override
    public PrecisionLayer clone() {
        PrecisionLayer clone = (PrecisionLayer) super.clone();
        clone.underlying = underlying.clone();
        return clone;
    }

    @Override
    public boolean equals(Object o) {
        return o != null && o.getClass() == getClass() && o instanceof PrecisionLayer other
                && underlying.equals(other.underlying) && computeType == other.computeType;
    }

    @Override
    public int hashCode() {
        return 31 * underlying.hashCode() + Objects.hashCode(computeType);
    }

    // What every wrapper layer delegates (as DL4J's BaseWrapperLayer does).

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        return underlying.getOutputType(layerIndex, inputType);
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        underlying.setNIn(inputType, override);
    }

    @Override
    public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
        return underlying.getPreProcessorForInputType(inputType);
    }

    @Override
    public boolean isPretrainParam(String paramName) {
        return underlying.isPretrainParam(paramName);
    }

    @Override
    public LayerMemoryReport getMemoryReport(InputType inputType) {
        return underlying.getMemoryReport(inputType);
    }

    @Override
    public GradientNormalization getGradientNormalization() {
        return underlying.getGradientNormalization();
    }

    @Override
    public double getGradientNormalizationThreshold() {
        return underlying.getGradientNormalizationThreshold();
    }

    @Override
    public void setLayerName(String layerName) {
        super.setLayerName(layerName);
        if (underlying != null) { // null during JSON deserialization
            underlying.setLayerName(layerName);
        }
    }

    @Override
    public IDropout getIDropout() {
        return underlying == null ? super.getIDropout() : underlying.getIDropout();
    }

    @Override
    public void setIDropout(IDropout dropout) {
        underlying.setIDropout(dropout);
    }

    @Override
    public List<LayerConstraint> getConstraints() {
        return underlying == null ? super.getConstraints() : underlying.getConstraints();
    }

    @Override
    public void setConstraints(List<LayerConstraint> constraints) {
        underlying.setConstraints(constraints);
    }

    @Override
    public void resetLayerDefaultConfig() {
        underlying.resetLayerDefaultConfig();
    }

    // The training settings of the wrapped BaseLayer, for DL4J's setLearningRate, FineTuneConfiguration, ...

    /** @return the wrapped layer if it is a {@code BaseLayer}, else null: the wrapper keeps the settings, unused */
    private BaseLayer settings() {
        return underlying instanceof BaseLayer base ? base : null;
    }

    /**
     * A wrapped layer that is no {@code BaseLayer} has none of these settings; the wrapper, which is one,
     * reports a value anyway: DL4J's JSON deserializers take a {@code BaseLayer} without an updater, weight
     * init, activation or regularization for a legacy file and fail on the wrapper's JSON.
     */
    private static <T> T orUnused(T own, T placeholder) {
        return own != null ? own : placeholder;
    }

    @Override
    public IUpdater getIUpdater() {
        return settings() == null ? orUnused(super.getIUpdater(), new NoOp()) : settings().getIUpdater();
    }

    @Override
    public void setIUpdater(IUpdater updater) {
        if (settings() == null) {
            super.setIUpdater(updater);
        } else {
            settings().setIUpdater(updater);
        }
    }

    @Override
    public IUpdater getBiasUpdater() {
        return settings() == null ? super.getBiasUpdater() : settings().getBiasUpdater();
    }

    @Override
    public void setBiasUpdater(IUpdater updater) {
        if (settings() == null) {
            super.setBiasUpdater(updater);
        } else {
            settings().setBiasUpdater(updater);
        }
    }

    @Override
    public IActivation getActivationFn() {
        return settings() == null ? orUnused(super.getActivationFn(), new ActivationIdentity())
                : settings().getActivationFn();
    }

    @Override
    public void setActivationFn(IActivation activation) {
        if (settings() == null) {
            super.setActivationFn(activation);
        } else {
            settings().setActivationFn(activation);
        }
    }

    @Override
    public IWeightInit getWeightInitFn() {
        return settings() == null ? orUnused(super.getWeightInitFn(), new WeightInitIdentity())
                : settings().getWeightInitFn();
    }

    @Override
    public void setWeightInitFn(IWeightInit weightInit) {
        if (settings() == null) {
            super.setWeightInitFn(weightInit);
        } else {
            settings().setWeightInitFn(weightInit);
        }
    }

    @Override
    public double getBiasInit() {
        return settings() == null ? super.getBiasInit() : settings().getBiasInit();
    }

    @Override
    public void setBiasInit(double biasInit) {
        if (settings() == null) {
            super.setBiasInit(biasInit);
        } else {
            settings().setBiasInit(biasInit);
        }
    }

    @Override
    public double getGainInit() {
        return settings() == null ? super.getGainInit() : settings().getGainInit();
    }

    @Override
    public void setGainInit(double gainInit) {
        if (settings() == null) {
            super.setGainInit(gainInit);
        } else {
            settings().setGainInit(gainInit);
        }
    }

    @Override
    public List<Regularization> getRegularization() {
        return settings() == null ? orUnused(super.getRegularization(), new ArrayList<>())
                : settings().getRegularization();
    }

    @Override
    public void setRegularization(List<Regularization> regularization) {
        if (settings() == null) {
            super.setRegularization(regularization);
        } else {
            settings().setRegularization(regularization);
        }
    }

    @Override
    public List<Regularization> getRegularizationBias() {
        return settings() == null ? orUnused(super.getRegularizationBias(), new ArrayList<>())
                : settings().getRegularizationBias();
    }

    @Override
    public void setRegularizationBias(List<Regularization> regularization) {
        if (settings() == null) {
            super.setRegularizationBias(regularization);
        } else {
            settings().setRegularizationBias(regularization);
        }
    }

    @Override
    public IWeightNoise getWeightNoise() {
        return settings() == null ? super.getWeightNoise() : settings().getWeightNoise();
    }

    @Override
    public void setWeightNoise(IWeightNoise weightNoise) {
        if (settings() == null) {
            super.setWeightNoise(weightNoise);
        } else {
            settings().setWeightNoise(weightNoise);
        }
    }

    @Override
    public void setGradientNormalization(GradientNormalization normalization) {
        if (settings() == null) {
            super.setGradientNormalization(normalization);
        } else {
            settings().setGradientNormalization(normalization);
        }
    }

    @Override
    public void setGradientNormalizationThreshold(double threshold) {
        if (settings() == null) {
            super.setGradientNormalizationThreshold(threshold);
        } else {
            settings().setGradientNormalizationThreshold(threshold);
        }
    }

    // The sizes of the wrapped FeedForwardLayer, for DL4J's layerSize, nOutReplace and nInReplace.

    @Override
    public long getNIn() {
        return underlying instanceof FeedForwardLayer layer ? layer.getNIn() : super.getNIn();
    }

    /** Sets the wrapped layer's nIn; a layer without one (a pooling layer) ignores it, as DL4J skips it. */
    @Override
    public void setNIn(long nIn) {
        if (underlying instanceof FeedForwardLayer layer) {
            layer.setNIn(nIn);
        }
    }

    @Override
    public long getNOut() {
        return underlying instanceof FeedForwardLayer layer ? layer.getNOut() : super.getNOut();
    }

    /** @throws IllegalArgumentException if the wrapped layer has no nOut (DL4J refuses nOutReplace there too) */
    @Override
    public void setNOut(long nOut) {
        if (!(underlying instanceof FeedForwardLayer layer)) {
            throw new IllegalArgumentException("Layer \"" + getLayerName() + "\" (" + underlying.getClass().getSimpleName()
                    + ") has no nOut to set: only FeedForward layers (dense, convolution, recurrent, output) have one");
        }
        layer.setNOut(nOut);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "(" + computeType + ", " + getUnderlying() + ")";
    }
}
