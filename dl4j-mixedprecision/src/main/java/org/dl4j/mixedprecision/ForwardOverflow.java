package org.dl4j.mixedprecision;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.dl4j.mixedprecision.Network.LayerActivation;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.conditions.Conditions;

/**
 * One forward pass of a mixed-precision network on its current input, scanned for what makes its steps overflow:
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
                long values = activation.values().length() / normalization.getNOut();
                small.add(activation.name() + "\" (" + values + (values == 1 ? " value" : " values") + " per channel");
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
        INDArray[] features = Network.of(network).features();
        if (features == null || features[0] == null) {
            return List.of();
        }
        try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
            INDArray[] copies = new INDArray[features.length];
            for (int i = 0; i < copies.length; i++) {
                copies[i] = features[i].dup();
            }
            return Network.of(network).activations(copies, true);
        }
    }
}
