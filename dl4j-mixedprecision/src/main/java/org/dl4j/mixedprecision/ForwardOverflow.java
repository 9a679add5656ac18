package org.dl4j.mixedprecision;

import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Finds where a HALF network's forward pass first leaves FP16's range: the first layer or vertex, in
 * order, whose activations for the network's current input hold an Inf or NaN. Run once, when training
 * is about to stop, so that the error can name the layer; never on the training path.
 */
final class ForwardOverflow {

    private ForwardOverflow() {
    }

    /** @return the name of the first layer or vertex with non-finite activations, or null if none (or no input) */
    static String firstLayer(Model network) {
        return network instanceof MultiLayerNetwork net ? firstLayer(net) : firstVertex((ComputationGraph) network);
    }

    private static String firstLayer(MultiLayerNetwork network) {
        INDArray input = network.getInput();
        if (input == null) {
            return null;
        }
        try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
            List<INDArray> activations = network.feedForward(input.dup(), true);
            for (int i = 1; i < activations.size(); i++) {
                if (!finite(activations.get(i))) {
                    return network.getLayer(i - 1).conf().getLayer().getLayerName();
                }
            }
        }
        return null;
    }

    private static String firstVertex(ComputationGraph graph) {
        INDArray[] inputs = graph.getInputs();
        if (inputs == null) {
            return null;
        }
        try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
            INDArray[] copies = new INDArray[inputs.length];
            for (int i = 0; i < inputs.length; i++) {
                copies[i] = inputs[i].dup();
            }
            Map<String, INDArray> activations = graph.feedForward(copies, true);
            GraphVertex[] vertices = graph.getVertices();
            for (int index : graph.topologicalSortOrder()) {
                INDArray activation = activations.get(vertices[index].getVertexName());
                if (activation != null && !finite(activation)) {
                    return vertices[index].getVertexName();
                }
            }
        }
        return null;
    }

    private static boolean finite(INDArray array) {
        return Double.isFinite(array.castTo(DataType.FLOAT).sumNumber().doubleValue());
    }
}
