package org.dl4j.mixedprecision;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.conditions.Conditions;

/**
 * One forward pass of a HALF network on its current input, scanned for what makes its steps overflow:
 * the first layer (or vertex) whose activations are Inf or NaN (beyond FP16's range, whatever the loss
 * scale), and the BatchNormalization layers that normalize 2 values per channel or fewer (their HALF
 * gradients are NaN in ND4J). Run only after a step was skipped, never on a healthy step.
 */
final class ForwardOverflow {

    private static final int FEWEST_VALUES_PER_CHANNEL = 3;

    private final List<LayerActivation> activations;

    private ForwardOverflow(List<LayerActivation> activations) {
        this.activations = activations;
    }

    /** Runs one forward pass (training mode) of the network on a copy of its current input. */
    static ForwardOverflow of(Model network) {
        return new ForwardOverflow(activations(network));
    }

    /** @return the first layer, in forward order, whose activations hold Inf or NaN */
    Optional<LayerActivation> firstNonFinite() {
        return activations.stream().filter(activation -> !finite(activation.values())).findFirst();
    }

    /** @return a sentence naming the BatchNormalization layers that normalize too few values, or "" */
    String smallBatchNormalizations() {
        List<String> small = new ArrayList<>();
        for (LayerActivation activation : activations) {
            if (activation.conf() instanceof BatchNormalization normalization && normalization.getNOut() > 0
                    && activation.values().length() / normalization.getNOut() < FEWEST_VALUES_PER_CHANNEL) {
                small.add(activation.name() + "\" (" + activation.values().length() / normalization.getNOut()
                        + " values per channel");
            }
        }
        if (small.isEmpty()) {
            return "";
        }
        return " BatchNormalization layer \"" + String.join("), \"", small) + ") normalizes too few values: with 1 or"
                + " 2 values per channel (minibatch x height x width), ND4J's HALF batch normalization gives NaN"
                + " gradients. Use larger minibatches or inputs.";
    }

    /** @return true if the array holds no Inf or NaN */
    /** @return the index of the layer or vertex named {@code name}, or -1 if the forward pass has none */
    int indexOf(String name) {
        return activations.stream().filter(activation -> activation.name().equals(name))
                .mapToInt(LayerActivation::index).findFirst().orElse(-1);
    }

    static boolean finite(INDArray array) {
        return array == null || array.scan(Conditions.notFinite()).longValue() == 0;
    }

    /**
     * @return each layer's or vertex's activations for the network's current input, in forward order;
     *         empty if the network holds no input
     */
    private static List<LayerActivation> activations(Model network) {
        List<LayerActivation> ordered = new ArrayList<>();
        try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
            if (network instanceof MultiLayerNetwork net) {
                if (net.getInput() == null) {
                    return ordered;
                }
                List<INDArray> activations = net.feedForward(net.getInput().dup(), true);
                for (int i = 1; i < activations.size(); i++) {
                    Layer layer = Network.userLayer(net.getLayer(i - 1).conf().getLayer());
                    ordered.add(new LayerActivation(i - 1, layerName(layer, i - 1), layer, activations.get(i)));
                }
                return ordered;
            }
            ComputationGraph graph = (ComputationGraph) network;
            if (graph.getInputs() == null) {
                return ordered;
            }
            INDArray[] copies = new INDArray[graph.getInputs().length];
            for (int i = 0; i < copies.length; i++) {
                copies[i] = graph.getInputs()[i].dup();
            }
            Map<String, INDArray> activations = graph.feedForward(copies, true);
            GraphVertex[] vertices = graph.getVertices();
            for (int index : graph.topologicalSortOrder()) {
                String name = vertices[index].getVertexName();
                if (activations.get(name) != null) {
                    ordered.add(new LayerActivation(index, name,
                            vertices[index].hasLayer() ? Network.userLayer(vertices[index].getLayer().conf().getLayer()) : null,
                            activations.get(name)));
                }
            }
            return ordered;
        }
    }

    /** @return the layer's configured name, or its index if it has none */
    private static String layerName(Layer layer, int index) {
        return layer.getLayerName() == null ? String.valueOf(index) : layer.getLayerName();
    }

    /**
     * The activations of one layer or vertex.
     *
     * @param index  the layer's index in a MultiLayerNetwork, or the vertex index in a ComputationGraph
     * @param name   the layer's or vertex's name
     * @param conf   the layer's configuration, or null for a vertex without a layer
     * @param values its activations
     */
    record LayerActivation(int index, String name, Layer conf, INDArray values) {
    }
}
