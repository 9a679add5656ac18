package org.dl4j.mixedprecision;

import java.io.BufferedOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Saves and restores mixed-precision networks with everything needed to resume their training, so that
 * training resumes exactly where it stopped.
 *
 * <p>A saved file is a DL4J model file as {@link ModelSerializer} writes it: the mixed-precision
 * configuration (with the precision policy's choice for each layer and the loss scaler's state), the FP32
 * parameters, the FP32 updater state and the iteration and epoch counts. DL4J's own
 * {@code ModelSerializer.restoreMultiLayerNetwork(file)} restores it too, with this library on the classpath;
 * {@link #writeInferenceModel} writes a plain FP32 or HALF network for programs without it. Restoring gives
 * back a mixed-precision network whose next steps are bit-identical (on the CPU backend, with the same data
 * in the same order) to those of the network that was saved.
 *
 * <pre>{@code
 * MixedPrecisionSerializer.writeModel(net, new File("model.zip"));
 * MultiLayerNetwork resumed = MixedPrecisionSerializer.restoreMultiLayerNetwork(new File("model.zip"));
 * }</pre>
 *
 * <p>Files written by version 0.1 of this library (an FP32 network with a {@code mixedPrecision.json}
 * entry holding the loss scaler's state) restore as mixed-precision networks in the same state, and a
 * plain FP32 DL4J model file restores with the default configuration.
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
     * @throws IOException              if the file cannot be written
     */
    public static void writeModel(Model network, File file) throws IOException {
        write(network, file, UnaryOperator.identity());
    }

    /** {@link #writeModel}, with every byte of the file written through {@code streams}. */
    static void write(Model network, File file, UnaryOperator<OutputStream> streams) throws IOException {
        if (MixedPrecision.isEnabledBySystemProperty() || !Network.isNetwork(network)) {
            MixedPrecision.requireMixedPrecision(network);
        }
        ModelFiles.replace(path(file), stream -> {
            try (OutputStream out = streams.apply(new BufferedOutputStream(stream))) {
                ModelSerializer.writeModel(network, out, true);
            }
        });
    }

    private static Path path(File file) {
        if (file == null) {
            throw new IllegalArgumentException("file must not be null: pass the file to write the model to");
        }
        return file.toPath();
    }

    /**
     * Saves a mixed-precision network for inference only, as a plain DL4J network that programs without
     * this library load with {@code ModelSerializer}: FP32 parameters, or all of them cast to HALF (half the
     * size; DL4J then computes every layer in HALF). No updater state, so it cannot resume training.
     *
     * @param network  a mixed-precision network, or a plain DL4J network; it is left as it was
     * @param file     the file to write; an existing file is replaced only once the new one is complete
     * @param dataType FLOAT or HALF
     * @throws IllegalArgumentException if {@code dataType} is neither FLOAT nor HALF
     * @throws IOException              if the file cannot be written
     */
    public static void writeInferenceModel(Model network, File file, DataType dataType) throws IOException {
        if (dataType != DataType.FLOAT && dataType != DataType.HALF) {
            throw new IllegalArgumentException("Inference models are written in FLOAT or HALF, not " + dataType);
        }
        Network plain = MixedPrecision.isMixedPrecision(network) ? Network.of(network).rebuild(PrecisionWrapping.UNWRAP)
                : Network.of(network);
        Model exported = dataType == DataType.FLOAT ? plain.model() : plain.convertDataType(DataType.HALF);
        ModelFiles.replace(path(file), stream -> {
            try (OutputStream out = new BufferedOutputStream(stream)) {
                ModelSerializer.writeModel(exported, out, false);
            }
        });
    }

    /**
     * Restores a mixed-precision network saved by {@link #writeModel} (or by DL4J's {@code ModelSerializer},
     * {@code CheckpointListener} or early-stopping savers), ready to resume training; see the class comment
     * for older files.
     *
     * @param file the model file to read
     * @return the mixed-precision network, in the state it was saved in
     * @throws IOException naming the file and the problem if it cannot be restored completely
     */
    public static MultiLayerNetwork restoreMultiLayerNetwork(File file) throws IOException {
        return restore(file, json -> MultiLayerConfiguration.fromJson(json).getDataType(),
                () -> ModelSerializer.restoreMultiLayerNetwork(file, true), MixedPrecision::enable);
    }

    /**
     * Restores a mixed-precision graph; see {@link #restoreMultiLayerNetwork(File)}.
     *
     * @param file the model file to read
     * @return the mixed-precision graph, in the state it was saved in
     * @throws IOException naming the file and the problem if it cannot be restored completely
     */
    public static ComputationGraph restoreComputationGraph(File file) throws IOException {
        return restore(file, json -> ComputationGraphConfiguration.fromJson(json).getDataType(),
                () -> ModelSerializer.restoreComputationGraph(file, true), MixedPrecision::enable);
    }

    private static <T extends Model> T restore(File file, Function<String, DataType> storedType, Reading<T> reading,
                                               BiFunction<T, MixedPrecisionConfig, T> enable) throws IOException {
        if (file == null) {
            throw new IllegalArgumentException("file must not be null: pass the model file to restore");
        }
        ModelFiles.Entries entries = ModelFiles.readVerified(file.toPath(), ModelSerializer.CONFIGURATION_JSON,
                SavedState.ENTRY);
        SavedState state = stateIn(file, entries);
        checkFloat(file, parse(file, () -> storedType.apply(json(entries))));
        T network = parse(file, reading);
        boolean mixedFile = MixedPrecision.isMixedPrecision(network);
        checkUpdaterState(file, network, entries, mixedFile || state != null);
        checkCounts(file, Network.of(network).iterationCount(), Network.of(network).epochCount());
        T restored;
        if (mixedFile) {
            restored = network;
        } else if (state == null) {
            log.info("{} is a plain DL4J model file without mixed-precision state: enabling mixed precision with"
                    + " the default configuration", file);
            restored = enable.apply(network, MixedPrecisionConfig.defaults());
        } else {
            restored = fromVersion01(file, network, state, enable);
        }
        return MixedPrecision.isEnabledBySystemProperty() ? restored : disable(restored);
    }

    /** @return a network of a file written by version 0.1, in the state saved with it */
    private static <T extends Model> T fromVersion01(File file, T network, SavedState state,
                                                     BiFunction<T, MixedPrecisionConfig, T> enable) throws IOException {
        checkParameterCount(file, state, network.numParams());
        checkCounts(file, state.iterationCount(), state.epochCount());
        T mixed = enable.apply(network, state.config());
        try {
            for (LossScaler scaler : Network.of(mixed).lossScalers()) {
                scaler.restore(state.status());
            }
        } catch (IllegalArgumentException e) {
            throw new IOException("Cannot restore " + file + ": " + e.getMessage(), e);
        }
        Network.of(mixed).setCounts(state.iterationCount(), state.epochCount());
        return mixed;
    }

    @SuppressWarnings("unchecked")
    private static <T extends Model> T disable(T network) {
        return (T) MixedPrecision.plainCopy(network);
    }

    /**
     * Refuses a mixed-precision file without the updater state its network needs (a file DL4J would restore
     * with a fresh updater: Adam's moments at zero); a plain DL4J file saved without it restores with a
     * warning.
     */
    private static void checkUpdaterState(File file, Model network, ModelFiles.Entries entries, boolean mixedFile)
            throws IOException {
        INDArray state = Network.of(network).updater().getStateViewArray();
        if (state == null || state.length() == 0 || entries.contains(ModelSerializer.UPDATER_BIN)) {
            return;
        }
        if (mixedFile) {
            throw new IOException("Cannot restore " + file + ": its updater state (" + ModelSerializer.UPDATER_BIN
                    + ") is missing, which a mixed-precision model file always holds; the file was damaged or"
                    + " edited. Restore an earlier copy, or load it for inference with"
                    + " ModelSerializer.restoreMultiLayerNetwork(file, false)");
        }
        log.warn("{} holds no updater state ({}): training resumes with a fresh updater ({} values at zero)", file,
                ModelSerializer.UPDATER_BIN, state.length());
    }

    private static void checkCounts(File file, int iterationCount, int epochCount) throws IOException {
        if (iterationCount < 0 || epochCount < 0) {
            throw new IOException("Cannot restore " + file + ": its " + (iterationCount < 0 ? "iterationCount is "
                    + iterationCount : "epochCount is " + epochCount) + ", expected >= 0; training cannot reach this"
                    + " state, the file was edited or damaged");
        }
    }

    /** @return the state of a file written by version 0.1, or null */
    private static SavedState stateIn(File file, ModelFiles.Entries entries) throws IOException {
        byte[] json = entries.get(SavedState.ENTRY);
        if (json == null) {
            return null;
        }
        try {
            return SavedState.fromJson(json);
        } catch (IllegalArgumentException e) {
            throw new IOException("Cannot restore " + file + ": " + e.getMessage(), e);
        }
    }

    private static void checkFloat(File file, DataType stored) throws IOException {
        if (stored != DataType.FLOAT) {
            throw new IOException("Cannot restore " + file + " in mixed precision: its network is " + stored
                    + ", expected FLOAT (a mixed-precision network keeps FLOAT parameters). DL4J's"
                    + " ModelSerializer.restoreMultiLayerNetwork(file, false) loads it as it is, for inference");
        }
    }

    private static void checkParameterCount(File file, SavedState state, long parameters) throws IOException {
        if (state.parameterCount() != parameters) {
            throw new IOException("Cannot restore " + file + ": its mixed-precision state was saved for a network of "
                    + state.parameterCount() + " parameters, but the network in the file has " + parameters
                    + "; the file was put together from two different models");
        }
    }

    private static String json(ModelFiles.Entries entries) {
        return new String(entries.get(ModelSerializer.CONFIGURATION_JSON), StandardCharsets.UTF_8);
    }

    @FunctionalInterface
    private interface Reading<T> {
        T read() throws Exception;
    }

    private static <T> T parse(File file, Reading<T> reading) throws IOException {
        try {
            return reading.read();
        } catch (Exception e) {
            Throwable cause = e;
            while (cause.getCause() != null && cause.getCause() != cause) {
                cause = cause.getCause();
            }
            throw new IOException("Cannot restore " + file + ": DL4J cannot read the network in it (" + cause + ")", e);
        }
    }
}
