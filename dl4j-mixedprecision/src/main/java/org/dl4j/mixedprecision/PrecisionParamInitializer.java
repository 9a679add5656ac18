package org.dl4j.mixedprecision;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional;
import org.deeplearning4j.nn.params.BidirectionalParamInitializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The parameters of a {@link PrecisionLayer}: exactly those of the layer it wraps, in the same order.
 * Unlike DL4J's {@code WrapperLayerParamInitializer}, it counts parameters with the wrapped initializer's
 * {@code numParams(NeuralNetConfiguration)}, which is what DL4J's networks call (for a
 * {@code VariationalAutoencoder} the two counts differ).
 */
final class PrecisionParamInitializer implements ParamInitializer {

    static final PrecisionParamInitializer INSTANCE = new PrecisionParamInitializer();

    private PrecisionParamInitializer() {
    }

    @Override
    public long numParams(NeuralNetConfiguration conf) {
        return withInner(conf, inner -> inner.getLayer().initializer().numParams(inner));
    }

    @Override
    public long numParams(Layer layer) {
        Layer inner = inner(layer);
        return inner.initializer().numParams(inner);
    }

    @Override
    public List<String> paramKeys(Layer layer) {
        Layer inner = inner(layer);
        return inner.initializer().paramKeys(inner);
    }

    @Override
    public List<String> weightKeys(Layer layer) {
        Layer inner = inner(layer);
        return inner.initializer().weightKeys(inner);
    }

    @Override
    public List<String> biasKeys(Layer layer) {
        Layer inner = inner(layer);
        return inner.initializer().biasKeys(inner);
    }

    @Override
    public boolean isWeightParam(Layer layer, String key) {
        Layer inner = inner(layer);
        return inner.initializer().isWeightParam(inner, key);
    }

    @Override
    public boolean isBiasParam(Layer layer, String key) {
        Layer inner = inner(layer);
        return inner.initializer().isBiasParam(inner, key);
    }

    @Override
    public Map<String, INDArray> init(NeuralNetConfiguration conf, INDArray paramsView, boolean initializeParams) {
        return withInner(conf, inner -> inner.getLayer().initializer().init(inner, paramsView, initializeParams));
    }

    @Override
    public Map<String, INDArray> getGradientsFromFlattened(NeuralNetConfiguration conf, INDArray gradientView) {
        if (inner(conf.getLayer()) instanceof Bidirectional bidirectional) {
            return bidirectionalGradients(conf, bidirectional, gradientView);
        }
        return withInner(conf, inner -> inner.getLayer().initializer().getGradientsFromFlattened(inner, gradientView));
    }

    /**
     * DL4J's {@code BidirectionalParamInitializer.getGradientsFromFlattened} hands the {@code Bidirectional}
     * configuration to the wrapped layer's initializer, which expects its own (a ClassCastException for an
     * LSTM); DL4J's own Bidirectional layer never calls it. This does what it means: the first half of the
     * gradient is the forward layer's, the second the backward layer's, with their key prefixes.
     */
    private static Map<String, INDArray> bidirectionalGradients(NeuralNetConfiguration conf, Bidirectional bidirectional,
                                                                INDArray gradientView) {
        long half = gradientView.length() / 2;
        INDArray flat = gradientView.reshape(gradientView.length());
        Map<String, INDArray> gradients = new LinkedHashMap<>();
        NeuralNetConfiguration forwardConf = conf.clone();
        forwardConf.setLayer(bidirectional.getFwd());
        forwardConf.getLayer().initializer().getGradientsFromFlattened(forwardConf, flat.get(NDArrayIndex.interval(0, half)))
                .forEach((key, view) -> gradients.put(BidirectionalParamInitializer.FORWARD_PREFIX + key, view));
        NeuralNetConfiguration backwardConf = conf.clone();
        backwardConf.setLayer(bidirectional.getBwd());
        backwardConf.getLayer().initializer()
                .getGradientsFromFlattened(backwardConf, flat.get(NDArrayIndex.interval(half, 2 * half)))
                .forEach((key, view) -> gradients.put(BidirectionalParamInitializer.BACKWARD_PREFIX + key, view));
        return gradients;
    }

    /** Runs {@code action} on {@code conf} with its layer replaced by the wrapped layer, then puts it back. */
    private static <T> T withInner(NeuralNetConfiguration conf, Function<NeuralNetConfiguration, T> action) {
        Layer wrapper = conf.getLayer();
        conf.setLayer(inner(wrapper));
        try {
            return action.apply(conf);
        } finally {
            conf.setLayer(wrapper);
        }
    }

    private static Layer inner(Layer layer) {
        return layer instanceof PrecisionLayer precision ? precision.getUnderlying() : layer;
    }
}
