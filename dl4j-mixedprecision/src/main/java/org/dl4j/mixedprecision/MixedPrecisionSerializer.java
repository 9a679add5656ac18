package org.dl4j.mixedprecision;

import java.io.BufferedOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.buffer.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Saves and restores mixed-precision networks, the way DL4J's {@link ModelSerializer} does for plain
 * ones, so that training resumes exactly where it stopped.
 *
 * <p>A saved file is a normal DL4J model file: the FP32 configuration, the FP32 master parameters and
 * the FP32 updater state, with the iteration and epoch counts, which plain DL4J loads as an FP32
 * network ({@code ModelSerializer.restoreMultiLayerNetwork(file)}). One more zip entry,
 * {@code mixedPrecision.json}, holds the loss scaling configuration, the scaler's state (scale, clean
 * steps, skipped steps, overflow counts) and a format version. Restoring gives back a mixed-precision
 * network whose next steps are bit-identical (on the CPU backend, with the same data in the same
 * order) to those of the network that was saved.
 *
 * <pre>{@code
 * MixedPrecisionSerializer.writeModel(net, new File("model.zip"));
 * MultiLayerNetwork resumed = MixedPrecisionSerializer.restoreMultiLayerNetwork(new File("model.zip"));
 * }</pre>
 *
 * <p>Files are written to a temporary file in the same folder and moved into place once complete, so a
 * save that fails part-way never damages the file it was replacing. Restoring checks the whole file
 * first and throws an {@link IOException} naming the file and the problem (truncated or corrupted, a
 * newer format version, a state that does not fit the network); it never returns a partly restored
 * network. {@link MixedPrecisionCheckpointListener} and {@link MixedPrecisionModelSaver} write the same
 * files for DL4J's {@code CheckpointListener} and early stopping.
 */
public final class MixedPrecisionSerializer {

    private static final Logger log = LoggerFactory.getLogger(MixedPrecisionSerializer.class);

    private MixedPrecisionSerializer() {
    }

    /**
     * Saves a mixed-precision network with everything needed to resume its training.
     *
     * @param network a network returned by {@link MixedPrecision#enable}
     * @param file    the file to write; an existing file is replaced only once the new one is complete
     * @throws IllegalArgumentException if the network is not mixed precision (use DL4J's
     *                                  {@code ModelSerializer} for plain networks)
     */
    public static void writeModel(Model network, File file) throws IOException {
        write(network, file, UnaryOperator.identity());
    }

    /** {@link #writeModel}, with every byte of DL4J's part of the file written through {@code streams}. */
    static void write(Model network, File file, UnaryOperator<OutputStream> streams) throws IOException {
        Model master = masterForSaving(network);
        byte[] state = stateOf(network, iterationCount(network), epochCount(network)).toJson();
        ModelFiles.replace(file.toPath(), temporary -> {
            try (OutputStream out = streams.apply(new BufferedOutputStream(Files.newOutputStream(temporary)))) {
                ModelSerializer.writeModel(master, out, true);
            }
            ModelFiles.putEntry(temporary, SavedState.ENTRY, state);
        });
    }

    /**
     * Adds a mixed-precision network's state (loss scaler, configuration, counts) to a model file that
     * DL4J's {@code ModelSerializer} wrote from {@link #masterForSaving}{@code (network)}; the file is
     * replaced in one move.
     *
     * @throws IllegalArgumentException if the network is not mixed precision
     */
    public static void addState(Model network, File file) throws IOException {
        addState(stateOf(network, iterationCount(network), epochCount(network)), file.toPath());
    }

    /** {@link #addState(Model, File)} with the state given. */
    static void addState(SavedState savedState, Path file) throws IOException {
        byte[] state = savedState.toJson();
        ModelFiles.replace(file, temporary -> {
            Files.copy(file, temporary, StandardCopyOption.REPLACE_EXISTING);
            ModelFiles.putEntry(temporary, SavedState.ENTRY, state);
        });
    }

    /**
     * Saves a network for inference only, without updater state, as plain DL4J writes it: in FLOAT
     * (the master weights, for machines without fast FP16) or in HALF (half the size).
     *
     * @param network  a mixed-precision network
     * @param file     the file to write; replaced only once the new one is complete
     * @param dataType {@code DataType.FLOAT} or {@code DataType.HALF}
     */
    public static void writeInferenceModel(Model network, File file, DataType dataType) throws IOException {
        Model master = masterForSaving(network);
        Model exported;
        if (dataType == DataType.FLOAT) {
            exported = master;
        } else if (dataType == DataType.HALF) {
            exported = master instanceof MultiLayerNetwork net
                    ? net.convertDataType(DataType.HALF) : ((ComputationGraph) master).convertDataType(DataType.HALF);
        } else {
            throw new IllegalArgumentException("Inference models are written in FLOAT or HALF, not " + dataType);
        }
        ModelFiles.replace(file.toPath(), temporary -> {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(temporary))) {
                ModelSerializer.writeModel(exported, out, false);
            }
        });
    }

    /**
     * Restores a mixed-precision {@link MultiLayerNetwork} saved by {@link #writeModel}. A plain DL4J
     * model file (no mixed-precision state) is restored with its updater state and mixed precision is
     * enabled on it with the default configuration.
     *
     * @throws IOException naming the file and the problem if it cannot be restored exactly
     */
    public static MultiLayerNetwork restoreMultiLayerNetwork(File file) throws IOException {
        return restore(file, json -> MultiLayerConfiguration.fromJson(json).getDataType(),
                () -> ModelSerializer.restoreMultiLayerNetwork(file, true), MixedPrecision::enable);
    }

    /**
     * Restores a mixed-precision {@link ComputationGraph}; see {@link #restoreMultiLayerNetwork(File)}.
     *
     * @throws IOException naming the file and the problem if it cannot be restored exactly
     */
    public static ComputationGraph restoreComputationGraph(File file) throws IOException {
        return restore(file, json -> ComputationGraphConfiguration.fromJson(json).getDataType(),
                () -> ModelSerializer.restoreComputationGraph(file, true), MixedPrecision::enable);
    }

    /**
     * @param storedType reads the data type from the file's configuration JSON
     * @param master     DL4J's restore of the FP32 network with its updater state
     * @param enable     {@code MixedPrecision.enable} for the network kind
     */
    private static <T extends Model> T restore(File file, Function<String, DataType> storedType, Reading<T> master,
                                               BiFunction<T, MixedPrecisionConfig, T> enable) throws IOException {
        Map<String, byte[]> entries = ModelFiles.readVerified(file.toPath(), ModelSerializer.CONFIGURATION_JSON,
                SavedState.ENTRY);
        SavedState state = stateIn(file, entries);
        checkFloat(file, parse(file, () -> storedType.apply(json(entries))));
        T network = parse(file, master);
        checkParameterCount(file, state, network.numParams());
        return resume(enable.apply(network, configOf(state)), state);
    }

    /**
     * For tools that save networks with DL4J's {@code ModelSerializer} themselves (Arbiter's
     * {@code FileModelSaver}, your own savers): hand them this, then call {@link #addState(Model, File)} on
     * the file they wrote, and {@link #restoreMultiLayerNetwork} / {@link #restoreComputationGraph} restore
     * the mixed-precision network from it.
     *
     * @return the FP32 master of a mixed-precision network, its iteration and epoch counts brought up to
     *         those of the network, ready for DL4J's {@code ModelSerializer}
     * @throws IllegalArgumentException if the network is not mixed precision
     */
    public static Model masterForSaving(Model network) {
        Model master = MixedPrecision.requireMixedPrecision(network).master();
        setCounts(master, iterationCount(network), epochCount(network));
        return master;
    }

    /**
     * @param iterationCount the number of iterations whose updates the parameters hold
     * @param epochCount     the number of epochs completed
     * @return the state to save with a mixed-precision network
     */
    static SavedState stateOf(Model network, int iterationCount, int epochCount) {
        MasterUpdater updater = MixedPrecision.requireMixedPrecision(network);
        return SavedState.of(network.numParams(), iterationCount, epochCount, updater.config(), updater.status());
    }

    /** @return the network's iteration count */
    static int iterationCount(Model network) {
        return network instanceof MultiLayerNetwork net ? net.getIterationCount()
                : ((ComputationGraph) network).getIterationCount();
    }

    /** @return the network's epoch count */
    static int epochCount(Model network) {
        return network instanceof MultiLayerNetwork net ? net.getEpochCount()
                : ((ComputationGraph) network).getEpochCount();
    }

    private static void setCounts(Model network, int iterationCount, int epochCount) {
        if (network instanceof MultiLayerNetwork net) {
            net.getLayerWiseConfigurations().setIterationCount(iterationCount);
            net.getLayerWiseConfigurations().setEpochCount(epochCount);
        } else {
            ((ComputationGraph) network).getConfiguration().setIterationCount(iterationCount);
            ((ComputationGraph) network).getConfiguration().setEpochCount(epochCount);
        }
    }

    private static <T extends Model> T resume(T network, SavedState state) {
        if (state != null && MixedPrecision.isMixedPrecision(network)) {
            MixedPrecision.requireMixedPrecision(network).restore(state.status());
            setCounts(network, state.iterationCount(), state.epochCount());
        }
        return network;
    }

    private static MixedPrecisionConfig configOf(SavedState state) {
        return state == null ? MixedPrecisionConfig.defaults() : state.config();
    }

    /** @return the saved state, or null (logged) for a plain DL4J model file */
    private static SavedState stateIn(File file, Map<String, byte[]> entries) throws IOException {
        byte[] json = entries.get(SavedState.ENTRY);
        if (json == null) {
            log.info("{} is a plain DL4J model file without mixed-precision state: enabling mixed precision with"
                    + " the default loss scaling", file);
            return null;
        }
        try {
            return SavedState.fromJson(json);
        } catch (IllegalArgumentException e) {
            throw new IOException("Cannot restore " + file + ": " + e.getMessage(), e);
        }
    }

    private static void checkFloat(File file, DataType stored) throws IOException {
        if (stored == DataType.HALF) {
            throw new IOException("Cannot restore " + file + ": it holds the HALF working copy of a mixed-precision"
                    + " network, as DL4J's ModelSerializer, CheckpointListener or early-stopping savers write it when"
                    + " given the mixed-precision network itself; the FP32 master weights and the loss scaler's"
                    + " state are not in it. Save with MixedPrecisionSerializer.writeModel, MixedPrecisionModelSaver"
                    + " or MixedPrecisionCheckpointListener (MixedPrecision.enable wraps the CheckpointListeners it"
                    + " finds). DL4J's ModelSerializer.restoreMultiLayerNetwork(file, false) still loads the HALF"
                    + " network for inference");
        }
        if (stored != DataType.FLOAT) {
            throw new IOException("Cannot restore " + file + " in mixed precision: its network is " + stored
                    + ", expected FLOAT");
        }
    }

    private static void checkParameterCount(File file, SavedState state, long parameters) throws IOException {
        if (state != null && state.parameterCount() != parameters) {
            throw new IOException("Cannot restore " + file + ": its mixed-precision state was saved for a network of "
                    + state.parameterCount() + " parameters, but the network in the file has " + parameters
                    + "; the file was put together from two different models");
        }
    }

    private static String json(Map<String, byte[]> entries) {
        return new String(entries.get(ModelSerializer.CONFIGURATION_JSON), StandardCharsets.UTF_8);
    }

    /** DL4J's reading steps, whose failures (often unchecked exceptions) are reported with the file. */
    @FunctionalInterface
    private interface Reading<T> {
        T read() throws Exception;
    }

    private static <T> T parse(File file, Reading<T> reading) throws IOException {
        try {
            return reading.read();
        } catch (Exception e) {
            throw new IOException("Cannot restore " + file + ": DL4J cannot read the network in it (" + e + ")", e);
        }
    }
}
