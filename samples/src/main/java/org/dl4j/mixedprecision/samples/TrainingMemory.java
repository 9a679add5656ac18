package org.dl4j.mixedprecision.samples;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.Updater;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.wrapper.BaseWrapperLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.updater.graph.ComputationGraphUpdater;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Training memory of a network, counted array by array: parameters, gradients, the HALF copies of both
 * that the layers computing in HALF hold (mixed precision only), updater state, and the workspaces of the
 * current thread (activations and working memory, at their allocated size). ND4J's own allocation
 * counters read 0 on the CPU backend, hence this method.
 *
 * @param parameterBytes    the network's parameters
 * @param gradientBytes     the network's gradient array
 * @param halfCopyBytes     the HALF parameters and gradients of the layers computing in HALF (0 for a plain network)
 * @param updaterStateBytes the updater's state
 * @param workspaceBytes    the current thread's workspaces
 */
public record TrainingMemory(long parameterBytes, long gradientBytes, long halfCopyBytes, long updaterStateBytes,
                             long workspaceBytes) {

    /** Frees the current thread's workspaces, so that the next measurement counts one network only. */
    public static void resetWorkspaces() {
        Nd4j.getWorkspaceManager().destroyAllWorkspacesForCurrentThread();
    }

    /** @return the memory of a network trained on the current thread since {@link #resetWorkspaces()} */
    public static TrainingMemory of(MultiLayerNetwork network) {
        Updater updater = network.getUpdater(false);
        return of(network, network.getLayers(), updater == null ? null : updater.getStateViewArray());
    }

    /** @return the memory of a graph trained on the current thread since {@link #resetWorkspaces()} */
    public static TrainingMemory of(ComputationGraph graph) {
        ComputationGraphUpdater updater = graph.getUpdater(false);
        return of(graph, graph.getLayers(), updater == null ? null : updater.getStateViewArray());
    }

    private static TrainingMemory of(Model network, Layer[] layers, INDArray updaterState) {
        long halfCopies = 0;
        for (Layer layer : layers) {
            Layer inner = layer;
            while (inner instanceof BaseWrapperLayer wrapper) {
                inner = wrapper.getUnderlying();
            }
            if (inner != layer && inner.params() != null && inner.params().dataType() == DataType.HALF) {
                halfCopies += bytes(inner.params()) + bytes(inner.getGradientsViewArray());
            }
        }
        long workspaces = 0;
        for (MemoryWorkspace workspace : Nd4j.getWorkspaceManager().getAllWorkspacesForCurrentThread()) {
            workspaces += workspace.getCurrentSize();
        }
        return new TrainingMemory(bytes(network.params()), bytes(network.getGradientsViewArray()), halfCopies,
                bytes(updaterState), workspaces);
    }

    /** @return the sum of all parts */
    public long totalBytes() {
        return parameterBytes + gradientBytes + halfCopyBytes + updaterStateBytes + workspaceBytes;
    }

    private static long bytes(INDArray array) {
        return array == null ? 0 : array.length() * array.dataType().width();
    }
}
