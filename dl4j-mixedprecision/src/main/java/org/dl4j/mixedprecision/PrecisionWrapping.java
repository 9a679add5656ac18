package org.dl4j.mixedprecision;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.L2NormalizeVertex;
import org.deeplearning4j.nn.conf.graph.L2Vertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Makes a network configuration mixed precision: each hidden layer is wrapped in a {@link PrecisionLayer}
 * computing in the type the {@link PrecisionPolicy} gives it, each output layer in a
 * {@link LossScaleOutputLayer} holding a {@link LossScaler}, each graph vertex with parameters in a
 * {@link PrecisionVertex}. Frozen layers stay frozen: the wrapper goes
 * inside them, so DL4J still sees a {@code FrozenLayer} and stops its backward pass there.
 */
final class PrecisionWrapping implements Network.ConfigurationTransform {

    /** Takes the precision wrappers out of a mixed-precision configuration: the FP32 network it was made from. */
    static final Network.ConfigurationTransform UNWRAP = new Unwrapping();

    private final MixedPrecisionConfig config;
    private final PrecisionPolicy policy;

    PrecisionWrapping(MixedPrecisionConfig config) {
        this.config = config;
        this.policy = config.precisionPolicy();
    }

    /** @return a mixed-precision copy of {@code conf}; {@code conf} is left as it was */
    @Override
    public MultiLayerConfiguration apply(MultiLayerConfiguration conf) {
        checkFloat(conf.getDataType());
        MultiLayerConfiguration mixed = MultiLayerConfiguration.fromJson(conf.toJson());
        List<NeuralNetConfiguration> layers = mixed.getConfs();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            NeuralNetConfiguration layerConf = layers.get(i);
            String name = layerConf.getLayer().getLayerName() == null ? String.valueOf(i) : layerConf.getLayer().getLayerName();
            names.add(name);
            layerConf.setLayer(wrap(layerConf.getLayer(), name, i == layers.size() - 1, false));
        }
        checkPolicyNames(names);
        return mixed;
    }

    /** @return a mixed-precision copy of {@code conf}; {@code conf} is left as it was */
    @Override
    public ComputationGraphConfiguration apply(ComputationGraphConfiguration conf) {
        checkFloat(conf.getDataType());
        ComputationGraphConfiguration mixed = ComputationGraphConfiguration.fromJson(conf.toJson());
        List<String> outputs = mixed.getNetworkOutputs();
        Set<String> feedingFloatVertices = new HashSet<>();
        mixed.getVertices().forEach((name, vertex) -> {
            if (vertex instanceof L2Vertex || vertex instanceof L2NormalizeVertex) { // they fail with HALF inputs
                feedingFloatVertices.addAll(mixed.getVertexInputs().get(name));
            }
        });
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, GraphVertex> vertex : mixed.getVertices().entrySet()) {
            if (vertex.getValue() instanceof LayerVertex layerVertex) {
                names.add(vertex.getKey());
                NeuralNetConfiguration layerConf = layerVertex.getLayerConf();
                layerConf.setLayer(wrap(layerConf.getLayer(), vertex.getKey(), outputs.contains(vertex.getKey()),
                        feedingFloatVertices.contains(vertex.getKey())));
            } else if (vertex.getValue() instanceof PrecisionVertex) {
                throw new IllegalArgumentException("Vertex \"" + vertex.getKey() + "\" is already mixed precision:"
                        + " configure the FP32 configuration once");
            } else if (vertex.getValue().numParams(true) > 0) {
                vertex.setValue(new PrecisionVertex(vertex.getValue()));
            }
        }
        checkPolicyNames(names);
        return mixed;
    }

    private Layer wrap(Layer layer, String name, boolean output, boolean feedsFloatVertices) {
        if (layer instanceof FrozenLayer frozen) {
            FrozenLayer wrapped = new FrozenLayer(wrap(frozen.getLayer(), name, output, feedsFloatVertices));
            wrapped.setLayerName(frozen.getLayerName());
            return wrapped;
        }
        if (layer instanceof FrozenLayerWithBackprop frozen) {
            frozen.setUnderlying(wrap(frozen.getUnderlying(), name, output, feedsFloatVertices));
            return frozen;
        }
        if (layer instanceof PrecisionLayer) {
            throw new IllegalArgumentException("Layer \"" + name + "\" is already mixed precision: configure the FP32"
                    + " configuration once");
        }
        if (!output) {
            return new PrecisionLayer(layer, policy.computeTypeOf(layer, feedsFloatVertices));
        }
        if (!LossLayers.isScalable(layer)) {
            throw new IllegalArgumentException("Layer \"" + name + "\" (" + layer.getClass().getSimpleName() + ") is an"
                    + " output of the network but has no loss mixed precision can scale. Supported output layers:"
                    + " OutputLayer, RnnOutputLayer, CenterLossOutputLayer, LossLayer, CnnLossLayer, RnnLossLayer,"
                    + " Cnn3DLossLayer, Yolo2OutputLayer");
        }
        return new LossScaleOutputLayer(layer, new LossScaler(config));
    }

    /** Refuses a policy that names a layer the network does not have: a misspelt name would leave it in HALF. */
    private void checkPolicyNames(List<String> layerNames) {
        for (String named : policy.layerNames()) {
            if (!layerNames.contains(named)) {
                throw new IllegalArgumentException("The precision policy names layer \"" + named + "\", which the network"
                        + " does not have (its layers: " + String.join(", ", layerNames) + "): correct the name in"
                        + " withLayer(...), as set with .name(...) or as the graph's vertex name");
            }
        }
    }

    private static void checkFloat(DataType type) {
        if (type != DataType.FLOAT) {
            throw new IllegalArgumentException("The configuration's data type is " + type + ", expected FLOAT: a"
                    + " mixed-precision network keeps FLOAT parameters and computes in HALF where its precision"
                    + " policy says so. Build it with .dataType(DataType.FLOAT)");
        }
    }

    /** The transform behind {@link #UNWRAP}. */
    private static final class Unwrapping implements Network.ConfigurationTransform {

        @Override
        public MultiLayerConfiguration apply(MultiLayerConfiguration conf) {
            MultiLayerConfiguration plain = conf.clone();
            plain.getConfs().forEach(layerConf -> layerConf.setLayer(unwrap(layerConf.getLayer())));
            return plain;
        }

        @Override
        public ComputationGraphConfiguration apply(ComputationGraphConfiguration conf) {
            ComputationGraphConfiguration plain = conf.clone();
            plain.getVertices().replaceAll((name, vertex) -> {
                if (vertex instanceof LayerVertex layerVertex) {
                    layerVertex.getLayerConf().setLayer(unwrap(layerVertex.getLayerConf().getLayer()));
                }
                return vertex instanceof PrecisionVertex precision ? precision.getUnderlying() : vertex;
            });
            return plain;
        }

        private static Layer unwrap(Layer layer) {
            if (layer instanceof FrozenLayer frozen) {
                FrozenLayer unwrapped = new FrozenLayer(unwrap(frozen.getLayer()));
                unwrapped.setLayerName(frozen.getLayerName());
                return unwrapped;
            }
            if (layer instanceof FrozenLayerWithBackprop frozen) {
                frozen.setUnderlying(unwrap(frozen.getUnderlying()));
                return frozen;
            }
            return layer instanceof PrecisionLayer precision ? precision.getUnderlying() : layer;
        }
    }
}
