package org.dl4j.mixedprecision;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Explains, from one forward pass of a HALF network on its current input, why its steps keep
 * overflowing: the first layer (or vertex) whose activations are Inf or NaN (beyond FP16's range,
 * whatever the loss scale), and the BatchNormalization layers that normalize 2 values per channel or
 * fewer (their HALF gradients are NaN in ND4J). Run once, when training is about to stop, so that the
 * error can name the layers; never on the training path.
 */
final class ForwardOverflow {

    private static final int FEWEST_VALUES_PER_CHANNEL = 3;

    private ForwardOverflow() {
    }

    /** @return sentences naming the layers at fault, or an empty string if the forward pass explains nothing */
    static String explain(Model network) {
        Map<String, Layer> layers = new LinkedHashMap<>();
        Map<String, INDArray> activations = activations(network, layers);
        StringBuilder explanation = new StringBuilder();
        activations.entrySet().stream().filter(entry -> !finite(entry.getValue())).findFirst().ifPresent(entry ->
                explanation.append(" The forward pass itself overflows: the activations of layer \"")
                        .append(entry.getKey()).append("\" are Inf/NaN in HALF, beyond FP16's range of +-65504,")
                        .append(" whatever the loss scale. Keep this network in FP32, or normalize that layer's")
                        .append(" activations (e.g. BatchNormalization)."));
        List<String> smallBatchNormalizations = new ArrayList<>();
        layers.forEach((name, layer) -> {
            INDArray activation = activations.get(name);
            if (layer instanceof BatchNormalization normalization && activation != null && normalization.getNOut() > 0
                    && activation.length() / normalization.getNOut() < FEWEST_VALUES_PER_CHANNEL) {
                smallBatchNormalizations.add(name + "\" (" + activation.length() / normalization.getNOut()
                        + " values per channel");
            }
        });
        if (!smallBatchNormalizations.isEmpty()) {
            explanation.append(" BatchNormalization layer \"").append(String.join("), \"", smallBatchNormalizations))
                    .append(") normalizes too few values: with 1 or 2 values per channel (minibatch x height x")
                    .append(" width), ND4J's HALF batch normalization gives NaN gradients. Use larger minibatches")
                    .append(" or inputs.");
        }
        return explanation.toString();
    }

    /**
     * @param layers filled with the configuration of each layer, by name
     * @return each layer's or vertex's activations for the network's current input, in forward order;
     *         empty if the network holds no input
     */
    private static Map<String, INDArray> activations(Model network, Map<String, Layer> layers) {
        Map<String, INDArray> ordered = new LinkedHashMap<>();
        try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
            if (network instanceof MultiLayerNetwork net) {
                if (net.getInput() == null) {
                    return ordered;
                }
                List<INDArray> activations = net.feedForward(net.getInput().dup(), true);
                for (int i = 1; i < activations.size(); i++) {
                    Layer layer = net.getLayer(i - 1).conf().getLayer();
                    String name = layer.getLayerName() == null ? String.valueOf(i - 1) : layer.getLayerName();
                    layers.put(name, layer);
                    ordered.put(name, activations.get(i));
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
                    ordered.put(name, activations.get(name));
                }
                if (vertices[index].hasLayer()) {
                    layers.put(name, vertices[index].getLayer().conf().getLayer());
                }
            }
            return ordered;
        }
    }

    private static boolean finite(INDArray array) {
        return Double.isFinite(array.castTo(DataType.FLOAT).sumNumber().doubleValue());
    }
}
