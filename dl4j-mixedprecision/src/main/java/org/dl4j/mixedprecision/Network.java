package org.dl4j.mixedprecision;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.Updater;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.TrainingListener;
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
}
