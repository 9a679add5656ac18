package org.dl4j.mixedprecision;

import java.util.Collection;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.CenterLossOutputLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.params.CenterLossParamInitializer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

/**
 * The configuration that takes the place of a {@link CenterLossOutputLayer} in a mixed-precision
 * network. DL4J's center-loss layer adds its intra-class term, {@code lambda * (input - center)}, to
 * the gradient it passes back without going through the loss function, so the
 * {@link ScaledLossFunction} cannot scale it; this layer's runtime scales that term too. Everything
 * else, JSON included, is the DL4J layer's.
 */
public class ScaledCenterLossOutputLayer extends CenterLossOutputLayer {

    private static final long serialVersionUID = 1L;

    /** For JSON deserialization; use {@link #copyOf}. */
    public ScaledCenterLossOutputLayer() {
    }

    /** @return a copy of the layer's configuration, every field included, as this class */
    static ScaledCenterLossOutputLayer copyOf(CenterLossOutputLayer layer) {
        ObjectMapper mapper = NeuralNetConfiguration.mapper();
        ObjectNode json = mapper.valueToTree(layer);
        json.put("@class", ScaledCenterLossOutputLayer.class.getName());
        try {
            return (ScaledCenterLossOutputLayer) mapper.treeToValue(json,
                    org.deeplearning4j.nn.conf.layers.Layer.class);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("Cannot copy the configuration of " + layer, e);
        }
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
                             int layerIndex, INDArray layerParamsView, boolean initializeParams,
                             DataType networkDataType) {
        return RuntimeLayers.wire(new Runtime(conf, networkDataType), initializer(), conf, trainingListeners,
                layerIndex, layerParamsView, initializeParams);
    }

    /** DL4J's center-loss layer with its intra-class gradient term multiplied by the loss scale. */
    static final class Runtime extends org.deeplearning4j.nn.layers.training.CenterLossOutputLayer {

        private static final long serialVersionUID = 1L;

        Runtime(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
            Pair<Gradient, INDArray> result = super.backpropGradient(epsilon, workspaceMgr);
            double scale = ((ScaledLossFunction) layerConf().getLossFn()).getScale();
            if (scale != 1.0) {
                // DL4J added lambda * (input - center) once; add (scale - 1) times more.
                INDArray centers = getParam(CenterLossParamInitializer.CENTER_KEY);
                INDArray centersForExamples = labels.castTo(centers.dataType()).mmul(centers);
                result.getSecond().addi(input.sub(centersForExamples).muli(layerConf().getLambda() * (scale - 1)));
            }
            return result;
        }
    }
}
