package org.dl4j.mixedprecision;

import java.io.File;
import java.io.IOException;
import java.io.Serializable;
import org.deeplearning4j.earlystopping.EarlyStoppingModelSaver;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * Early stopping's model saver for mixed-precision networks, in place of DL4J's
 * {@code LocalFileModelSaver} ({@link #forNetworks}) and {@code LocalFileGraphSaver}
 * ({@link #forGraphs}): the same folder layout and file names ({@code bestModel.bin} and
 * {@code latestModel.bin}, or {@code bestGraph.bin} and {@code latestGraph.bin}), written by
 * {@link MixedPrecisionSerializer}. {@code getBestModel()} gives back the mixed-precision network with its
 * loss scaling state; DL4J's own savers load the same files as FP32 networks.
 *
 * <pre>{@code
 * EarlyStoppingConfiguration<MultiLayerNetwork> es = new EarlyStoppingConfiguration.Builder<MultiLayerNetwork>()
 *         .modelSaver(MixedPrecisionModelSaver.forNetworks(dir))
 *         ...
 * }</pre>
 *
 * @param <T> {@code MultiLayerNetwork} or {@code ComputationGraph}
 */
public final class MixedPrecisionModelSaver<T extends Model> implements EarlyStoppingModelSaver<T> {

    private static final long serialVersionUID = 1L;

    /** Reads one kind of network back from a file. */
    @FunctionalInterface
    private interface Restorer<T> extends Serializable {
        T restore(File file) throws IOException;
    }

    /** The directory the files are written to. */
    private final File directory;
    /** The name of the best model's file: {@code bestModel.bin} or {@code bestGraph.bin}. */
    private final String bestFile;
    /** The name of the latest model's file: {@code latestModel.bin} or {@code latestGraph.bin}. */
    private final String latestFile;
    /** Reads a saved network back from its file. */
    private final Restorer<T> restorer;

    private MixedPrecisionModelSaver(File directory, String kind, Restorer<T> restorer) {
        if (directory == null || !directory.isDirectory()) {
            throw new IllegalArgumentException("Not a directory: " + directory + ": create it first");
        }
        this.directory = directory;
        this.bestFile = "best" + kind + ".bin";
        this.latestFile = "latest" + kind + ".bin";
        this.restorer = restorer;
    }

    /**
     * @param directory an existing directory to save the models in
     * @return a saver of mixed-precision {@code MultiLayerNetwork}s in an existing directory
     * @throws IllegalArgumentException if {@code directory} is not an existing directory
     */
    public static MixedPrecisionModelSaver<MultiLayerNetwork> forNetworks(File directory) {
        return new MixedPrecisionModelSaver<>(directory, "Model", MixedPrecisionSerializer::restoreMultiLayerNetwork);
    }

    /**
     * @param directory an existing directory to save the graphs in
     * @return a saver of mixed-precision {@code ComputationGraph}s in an existing directory
     * @throws IllegalArgumentException if {@code directory} is not an existing directory
     */
    public static MixedPrecisionModelSaver<ComputationGraph> forGraphs(File directory) {
        return new MixedPrecisionModelSaver<>(directory, "Graph", MixedPrecisionSerializer::restoreComputationGraph);
    }

    @Override
    public void saveBestModel(T network, double score) throws IOException {
        MixedPrecisionSerializer.writeModel(network, new File(directory, bestFile));
    }

    @Override
    public void saveLatestModel(T network, double score) throws IOException {
        MixedPrecisionSerializer.writeModel(network, new File(directory, latestFile));
    }

    @Override
    public T getBestModel() throws IOException {
        return restorer.restore(new File(directory, bestFile));
    }

    @Override
    public T getLatestModel() throws IOException {
        return restorer.restore(new File(directory, latestFile));
    }

    @Override
    public String toString() {
        return "MixedPrecisionModelSaver(" + directory + ")";
    }
}
