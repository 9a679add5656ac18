package org.dl4j.mixedprecision;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.Trainable;
import org.deeplearning4j.nn.api.Updater;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The one place where a {@link MultiLayerNetwork} and a {@link ComputationGraph} differ for this library:
 * their configuration, counts, updater state and how a network of the same kind is rebuilt from a changed
 * configuration.
 */
abstract sealed class Network permits Network.MultiLayer, Network.Graph {

    /**
     * @return the adapter of {@code model}
     * @throws IllegalArgumentException if it is neither a {@code MultiLayerNetwork} nor a {@code ComputationGraph}
     */
    static Network of(Model model) {
        if (model instanceof MultiLayerNetwork net) {
            return new MultiLayer(net);
        } else if (model instanceof ComputationGraph graph) {
            return new Graph(graph);
        }
        throw new IllegalArgumentException("Expected a MultiLayerNetwork or a ComputationGraph, got "
                + (model == null ? "null" : model.getClass().getName()));
    }

    /** @return the network */
    abstract Model model();

    /** @return true once {@code init()} was called */
    abstract boolean initialized();

    /** @return the network-wide configuration (optimization algorithm, ...) */
    abstract NeuralNetConfiguration defaultConfiguration();

    /** @return the configuration of every layer, in the order of the network's layers */
    abstract List<org.deeplearning4j.nn.conf.layers.Layer> layerConfigurations();

    /** @return the runtime layers */
    abstract Layer[] layers();

    abstract int iterationCount();

    abstract int epochCount();

    abstract void setCounts(int iterationCount, int epochCount);

    /** @return the network's updater, created if it has none yet */
    abstract Updater updater();

    /** @return the features of the last minibatch the network was given, or null */
    abstract INDArray[] features();

    /** @return the labels of the last minibatch the network was given, or null */
    abstract INDArray[] labels();

    /** Gives the network a minibatch, for {@code computeGradientAndScore}; masks may be null. */
    abstract void setMinibatch(INDArray[] features, INDArray[] labels, INDArray[] featuresMasks, INDArray[] labelsMasks);

    /** @return the network's outputs for {@code features}, in inference mode; masks may be null */
    abstract INDArray[] output(INDArray[] features, INDArray[] featuresMasks, INDArray[] labelsMasks);

    /**
     * @return the activations of every layer (or non-input vertex) for {@code features}, in forward order
     */
    abstract List<LayerActivation> activations(INDArray[] features, boolean training);

    /**
     * @return the first layer (or vertex), as "layer 2 (\"name\")", whose forward pass on {@code features}
     *         throws, running the network layer by layer; null if none does
     */
    abstract String failingLayer(INDArray[] features);

    /** @return each layer (or vertex) with parameters, by the prefix DL4J gives its gradient keys ("0", "dense") */
    abstract Map<String, Trainable> trainables();

    /** @return a copy of the network with every array in {@code type}, as DL4J's {@code convertDataType} makes it */
    abstract Model convertDataType(DataType type);

    /** Clears the activations, inputs and labels the layers hold. */
    abstract void clearLayersStates();

    /**
     * @return a new network of the same kind built from {@code transform} of this one's configuration, with
     *         copies of this one's parameters and updater state, its counts and its listeners
     */
    final Network rebuild(ConfigurationTransform transform) {
        Network rebuilt = build(transform);
        INDArray state = updater().getStateViewArray();
        if (state != null && state.length() > 0) {
            rebuilt.updater().getStateViewArray().assign(state);
        }
        rebuilt.setCounts(iterationCount(), epochCount());
        return rebuilt;
    }

    abstract Network build(ConfigurationTransform transform);

    abstract Collection<TrainingListener> listeners();

    abstract void setListeners(Collection<TrainingListener> listeners);

    /** @return true if the model is a {@code MultiLayerNetwork} or a {@code ComputationGraph} */
    static boolean isNetwork(Model model) {
        return model instanceof MultiLayerNetwork || model instanceof ComputationGraph;
    }

    /**
     * The activations of one layer or vertex.
     *
     * @param index  the layer's index in a MultiLayerNetwork, or the vertex index in a ComputationGraph
     * @param name   the layer's or vertex's name
     * @param conf   the layer's configuration as the user configured it, or null for a vertex without a layer
     * @param values its activations
     */
    record LayerActivation(int index, String name, org.deeplearning4j.nn.conf.layers.Layer conf, INDArray values) {
    }

    /** @return the loss scalers of the network's output layers; empty if it is not mixed precision */
    final List<LossScaler> lossScalers() {
        List<LossScaler> scalers = new ArrayList<>();
        for (org.deeplearning4j.nn.conf.layers.Layer layer : layerConfigurations()) {
            if (unwrapFrozen(layer) instanceof LossScaleOutputLayer output) {
                scalers.add(output.getLossScaler());
            }
        }
        return scalers;
    }

    /** @return {@code layer} without the {@code FrozenLayer} or {@code FrozenLayerWithBackprop} around it */
    static org.deeplearning4j.nn.conf.layers.Layer unwrapFrozen(org.deeplearning4j.nn.conf.layers.Layer layer) {
        if (layer instanceof FrozenLayer frozen) {
            return frozen.getLayer();
        }
        if (layer instanceof FrozenLayerWithBackprop frozen) {
            return frozen.getUnderlying();
        }
        return layer;
    }

    /** @return the layer a DL4J user configured: without frozen and precision wrappers */
    static org.deeplearning4j.nn.conf.layers.Layer userLayer(org.deeplearning4j.nn.conf.layers.Layer layer) {
        org.deeplearning4j.nn.conf.layers.Layer unwrapped = unwrapFrozen(layer);
        return unwrapped instanceof PrecisionLayer precision ? precision.getUnderlying() : unwrapped;
    }

    /** A change of configuration that applies to both network kinds. */
    interface ConfigurationTransform {
        MultiLayerConfiguration apply(MultiLayerConfiguration conf);

        ComputationGraphConfiguration apply(ComputationGraphConfiguration conf);
    }

    /** The adapter of a {@link MultiLayerNetwork}. */
    static final class MultiLayer extends Network {
        private final MultiLayerNetwork net;

        MultiLayer(MultiLayerNetwork net) {
            this.net = Objects.requireNonNull(net);
        }

        @Override
        MultiLayerNetwork model() {
            return net;
        }

        @Override
        boolean initialized() {
            return net.isInitCalled();
        }

        @Override
        NeuralNetConfiguration defaultConfiguration() {
            return net.conf();
        }

        @Override
        List<org.deeplearning4j.nn.conf.layers.Layer> layerConfigurations() {
            return net.getLayerWiseConfigurations().getConfs().stream().map(NeuralNetConfiguration::getLayer).toList();
        }

        @Override
        Layer[] layers() {
            return net.getLayers();
        }

        @Override
        int iterationCount() {
            return net.getIterationCount();
        }

        @Override
        int epochCount() {
            return net.getEpochCount();
        }

        @Override
        void setCounts(int iterationCount, int epochCount) {
            net.getLayerWiseConfigurations().setIterationCount(iterationCount);
            net.getLayerWiseConfigurations().setEpochCount(epochCount);
        }

        @Override
        Updater updater() {
            return net.getUpdater(true);
        }

        @Override
        INDArray[] features() {
            return net.getInput() == null ? null : new INDArray[] {net.getInput()};
        }

        @Override
        INDArray[] labels() {
            return net.getLabels() == null ? null : new INDArray[] {net.getLabels()};
        }

        @Override
        void setMinibatch(INDArray[] features, INDArray[] labels, INDArray[] featuresMasks, INDArray[] labelsMasks) {
            net.setInput(features[0]);
            net.setLabels(labels[0]);
            net.setLayerMaskArrays(first(featuresMasks), first(labelsMasks));
        }

        @Override
        INDArray[] output(INDArray[] features, INDArray[] featuresMasks, INDArray[] labelsMasks) {
            return new INDArray[] {net.output(features[0], false, first(featuresMasks), first(labelsMasks))};
        }

        @Override
        List<LayerActivation> activations(INDArray[] features, boolean training) {
            List<INDArray> activations = net.feedForward(features[0], training);
            List<LayerActivation> ordered = new ArrayList<>();
            for (int i = 1; i < activations.size(); i++) {
                org.deeplearning4j.nn.conf.layers.Layer layer = userLayer(net.getLayer(i - 1).conf().getLayer());
                String name = layer.getLayerName() == null ? String.valueOf(i - 1) : layer.getLayerName();
                ordered.add(new LayerActivation(i - 1, name, layer, activations.get(i)));
            }
            return ordered;
        }

        @Override
        String failingLayer(INDArray[] features) {
            for (int i = 0; i < net.getnLayers(); i++) {
                try {
                    net.feedForwardToLayer(i, features[0], false);
                } catch (RuntimeException e) {
                    return "layer " + i + " (\"" + net.getLayer(i).conf().getLayer().getLayerName() + "\")";
                }
            }
            return null;
        }

        @Override
        Map<String, Trainable> trainables() {
            Map<String, Trainable> trainables = new LinkedHashMap<>();
            for (Layer layer : net.getLayers()) {
                trainables.put(String.valueOf(layer.getIndex()), layer);
            }
            return trainables;
        }

        @Override
        Model convertDataType(DataType type) {
            return net.convertDataType(type);
        }

        @Override
        void clearLayersStates() {
            net.clearLayersStates();
        }

        @Override
        Network build(ConfigurationTransform transform) {
            MultiLayerNetwork built = new MultiLayerNetwork(transform.apply(net.getLayerWiseConfigurations()));
            built.init(net.params().dup(), false);
            built.setListeners(net.getListeners());
            return new MultiLayer(built);
        }

        @Override
        Collection<TrainingListener> listeners() {
            return net.getListeners();
        }

        @Override
        void setListeners(Collection<TrainingListener> listeners) {
            net.setListeners(listeners);
        }
    }

    /** The adapter of a {@link ComputationGraph}. */
    static final class Graph extends Network {

        private static final Field GRAPH_LABELS = graphLabelsField();
        private final ComputationGraph graph;

        Graph(ComputationGraph graph) {
            this.graph = Objects.requireNonNull(graph);
        }

        @Override
        ComputationGraph model() {
            return graph;
        }

        @Override
        boolean initialized() {
            return graph.getVertices() != null;
        }

        @Override
        NeuralNetConfiguration defaultConfiguration() {
            return graph.getConfiguration().getDefaultConfiguration();
        }

        @Override
        List<org.deeplearning4j.nn.conf.layers.Layer> layerConfigurations() {
            List<org.deeplearning4j.nn.conf.layers.Layer> layers = new ArrayList<>();
            graph.getConfiguration().getVertices().values().forEach(vertex -> {
                if (vertex instanceof LayerVertex layerVertex) {
                    layers.add(layerVertex.getLayerConf().getLayer());
                }
            });
            return layers;
        }

        @Override
        Layer[] layers() {
            return graph.getLayers();
        }

        @Override
        int iterationCount() {
            return graph.getIterationCount();
        }

        @Override
        int epochCount() {
            return graph.getEpochCount();
        }

        @Override
        void setCounts(int iterationCount, int epochCount) {
            graph.getConfiguration().setIterationCount(iterationCount);
            graph.getConfiguration().setEpochCount(epochCount);
        }

        @Override
        Updater updater() {
            return graph.getUpdater(true);
        }

        @Override
        INDArray[] features() {
            return graph.getInputs();
        }

        /** A ComputationGraph has no getter for its labels, and its output layers drop theirs: read its field. */
        @Override
        INDArray[] labels() {
            try {
                return (INDArray[]) GRAPH_LABELS.get(graph);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException("Cannot read the labels of a ComputationGraph", e);
            }
        }

        @Override
        void setMinibatch(INDArray[] features, INDArray[] labels, INDArray[] featuresMasks, INDArray[] labelsMasks) {
            graph.setInputs(features);
            graph.setLabels(labels);
            graph.setLayerMaskArrays(featuresMasks, labelsMasks);
        }

        @Override
        INDArray[] output(INDArray[] features, INDArray[] featuresMasks, INDArray[] labelsMasks) {
            return graph.output(false, features, featuresMasks, labelsMasks);
        }

        @Override
        List<LayerActivation> activations(INDArray[] features, boolean training) {
            Map<String, INDArray> activations = graph.feedForward(features, training);
            GraphVertex[] vertices = graph.getVertices();
            List<LayerActivation> ordered = new ArrayList<>();
            for (int index : graph.topologicalSortOrder()) {
                GraphVertex vertex = vertices[index];
                INDArray values = activations.get(vertex.getVertexName());
                if (!vertex.isInputVertex() && values != null) {
                    ordered.add(new LayerActivation(index, vertex.getVertexName(),
                            vertex.hasLayer() ? userLayer(vertex.getLayer().conf().getLayer()) : null, values));
                }
            }
            return ordered;
        }

        @Override
        String failingLayer(INDArray[] features) {
            for (int index : graph.topologicalSortOrder()) {
                try {
                    graph.feedForward(features, index, false);
                } catch (RuntimeException e) {
                    return "vertex " + index + " (\"" + graph.getVertices()[index].getVertexName() + "\")";
                }
            }
            return null;
        }

        @Override
        Map<String, Trainable> trainables() {
            Map<String, Trainable> trainables = new LinkedHashMap<>();
            for (GraphVertex vertex : graph.getVertices()) {
                if (vertex.hasLayer()) {
                    trainables.put(vertex.getVertexName(), vertex);
                }
            }
            return trainables;
        }

        @Override
        Model convertDataType(DataType type) {
            return graph.convertDataType(type);
        }

        @Override
        void clearLayersStates() {
            graph.clearLayersStates();
        }

        @Override
        Network build(ConfigurationTransform transform) {
            ComputationGraph built = new ComputationGraph(transform.apply(graph.getConfiguration()));
            built.init(graph.params().dup(), false);
            built.setListeners(graph.getListeners());
            return new Graph(built);
        }

        @Override
        Collection<TrainingListener> listeners() {
            return graph.getListeners();
        }

        @Override
        void setListeners(Collection<TrainingListener> listeners) {
            graph.setListeners(listeners);
        }
    }

    private static INDArray first(INDArray[] arrays) {
        return arrays == null ? null : arrays[0];
    }

    private static Field graphLabelsField() {
        try {
            Field field = ComputationGraph.class.getDeclaredField("labels");
            field.setAccessible(true);
            return field;
        } catch (NoSuchFieldException e) {
            throw new IllegalStateException("This DL4J version's ComputationGraph has no labels field", e);
        }
    }
}
