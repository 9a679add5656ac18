package org.dl4j.mixedprecision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The update path allocates no parameter-sized array per step: unscaling, the Inf/NaN check, the FP32
 * updater and the write-back to HALF all work in buffers allocated when mixed precision was enabled.
 * Measured in a workspace opened around the steps: ND4J places every array created while it is open
 * in it, so its offset counts the bytes the steps allocated (0 on the CPU backend; one FP32 copy of the
 * parameters per step shows as 20 MB here).
 */
class UpdateAllocationTest {

    private static final int SIDE = 500;
    private static final int STEPS = 20;
    /** Large enough to hold a parameter-sized array for every step. */
    private static final WorkspaceConfiguration WORKSPACE = WorkspaceConfiguration.builder()
            .initialSize(64L << 20).policyAllocation(AllocationPolicy.STRICT).policyLearning(LearningPolicy.NONE)
            .policySpill(SpillPolicy.EXTERNAL).build();

    @Test
    void updateStepsAllocateNoParameterSizedArrays() {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(1)
                .dataType(DataType.FLOAT).updater(new Adam(1e-3)).list()
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(SIDE).nOut(SIDE)
                        .activation(Activation.IDENTITY).build())
                .build());
        net.init();
        MultiLayerNetwork mixed = MixedPrecision.enable(net, MixedPrecisionConfig.builder().initialScale(1024).build());
        mixed.setInput(Nd4j.rand(DataType.FLOAT, 4, SIDE));
        mixed.setLabels(Nd4j.rand(DataType.FLOAT, 4, SIDE));
        mixed.computeGradientAndScore();
        Gradient gradient = mixed.gradient();
        for (int i = 0; i < 3; i++) {
            step(mixed, gradient, i);
        }

        long allocated;
        try (MemoryWorkspace workspace = Nd4j.getWorkspaceManager().getAndActivateWorkspace(WORKSPACE, "update-allocations")) {
            for (int i = 3; i < 3 + STEPS; i++) {
                step(mixed, gradient, i);
            }
            allocated = workspace.getPrimaryOffset();
        }

        long halfParameterBytes = mixed.numParams() * 2;
        assertTrue(allocated < halfParameterBytes, STEPS + " steps allocated " + allocated
                + " bytes, more than one HALF parameter array (" + halfParameterBytes + " bytes)");
        assertEquals(0, MixedPrecision.status(mixed).skippedSteps(), "every step was applied");
    }

    private static void step(MultiLayerNetwork net, Gradient gradient, int iteration) {
        net.getUpdater().update(net, gradient, iteration, 0, 4, LayerWorkspaceMgr.noWorkspaces());
    }
}
