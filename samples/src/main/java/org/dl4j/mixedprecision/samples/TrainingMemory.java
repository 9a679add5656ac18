package org.dl4j.mixedprecision.samples;

import org.deeplearning4j.nn.api.Updater;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.dl4j.mixedprecision.MixedPrecision;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Training memory of a network, counted array by array: parameters, gradients, the FP32 master copy
 * (mixed precision only: master parameters and FP32 gradient buffer), updater state, and the
 * workspaces of the current thread (activations and working memory, at their allocated size).
 * ND4J's own allocation counters read 0 on the CPU backend, hence this method.
 *
 * @param parameterBytes    the network's parameters
 * @param gradientBytes     the network's gradient array
 * @param masterBytes       the FP32 master parameters and gradient buffer (0 for a plain network)
 * @param updaterStateBytes the updater's state (FP32 for mixed precision)
 * @param workspaceBytes    the current thread's workspaces
 */
public record TrainingMemory(long parameterBytes, long gradientBytes, long masterBytes, long updaterStateBytes,
                             long workspaceBytes) {

    /** Frees the current thread's workspaces, so that the next measurement counts one network only. */
    public static void resetWorkspaces() {
        Nd4j.getWorkspaceManager().destroyAllWorkspacesForCurrentThread();
    }

    /** @return the memory of a network trained on the current thread since {@link #resetWorkspaces()} */
    public static TrainingMemory of(MultiLayerNetwork network) {
        long master = 0;
        if (MixedPrecision.isMixedPrecision(network)) {
            MultiLayerNetwork fp32 = MixedPrecision.master(network);
            master = bytes(fp32.params()) + bytes(fp32.getFlattenedGradients());
        }
        Updater updater = network.getUpdater(false);
        long workspaces = 0;
        for (MemoryWorkspace workspace : Nd4j.getWorkspaceManager().getAllWorkspacesForCurrentThread()) {
            workspaces += workspace.getCurrentSize();
        }
        return new TrainingMemory(bytes(network.params()), bytes(network.getFlattenedGradients()), master,
                updater == null ? 0 : bytes(updater.getStateViewArray()), workspaces);
    }

    /** @return the sum of all parts */
    public long totalBytes() {
        return parameterBytes + gradientBytes + masterBytes + updaterStateBytes + workspaceBytes;
    }

    private static long bytes(INDArray array) {
        return array == null ? 0 : array.length() * array.dataType().width();
    }
}
