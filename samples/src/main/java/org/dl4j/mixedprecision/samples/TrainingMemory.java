package org.dl4j.mixedprecision.samples;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.Updater;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.updater.graph.ComputationGraphUpdater;
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
        MultiLayerNetwork master = MixedPrecision.isMixedPrecision(network) ? MixedPrecision.master(network) : null;
        Updater updater = network.getUpdater(false);
        return of(network, master, updater == null ? null : updater.getStateViewArray());
    }

    /** @return the memory of a graph trained on the current thread since {@link #resetWorkspaces()} */
    public static TrainingMemory of(ComputationGraph graph) {
        ComputationGraph master = MixedPrecision.isMixedPrecision(graph) ? MixedPrecision.master(graph) : null;
        ComputationGraphUpdater updater = graph.getUpdater(false);
        return of(graph, master, updater == null ? null : updater.getStateViewArray());
    }

    private static TrainingMemory of(Model network, Model master, INDArray updaterState) {
        long masterBytes = master == null ? 0 : bytes(master.params()) + bytes(master.getGradientsViewArray());
        long workspaces = 0;
        for (MemoryWorkspace workspace : Nd4j.getWorkspaceManager().getAllWorkspacesForCurrentThread()) {
            workspaces += workspace.getCurrentSize();
        }
        return new TrainingMemory(bytes(network.params()), bytes(network.getGradientsViewArray()), masterBytes,
                bytes(updaterState), workspaces);
    }

    /** @return the sum of all parts */
    public long totalBytes() {
        return parameterBytes + gradientBytes + masterBytes + updaterStateBytes + workspaceBytes;
    }

    private static long bytes(INDArray array) {
        return array == null ? 0 : array.length() * array.dataType().width();
    }
}
