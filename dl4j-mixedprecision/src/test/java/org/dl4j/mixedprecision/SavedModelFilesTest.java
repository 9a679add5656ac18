package org.dl4j.mixedprecision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/**
 * The files {@link MixedPrecisionSerializer} writes: plain DL4J reads them, inference exports agree with
 * the trained network, and every broken file is refused with an error that names it and its problem.
 */
class SavedModelFilesTest {

    @TempDir
    Path folder;

    private MultiLayerNetwork mixed;
    private DataSet data;
    private File file;

    @BeforeEach
    void trainAndSave() throws IOException {
        data = TestNets.blobs(64, 8);
        mixed = MixedPrecision.enable((MultiLayerNetwork) ResumeTest.network(false, new Adam(1e-2), true));
        for (DataSet batch : data.batchBy(16)) {
            mixed.fit(batch);
        }
        file = folder.resolve("model.zip").toFile();
        MixedPrecisionSerializer.writeModel(mixed, file);
    }

    @Test
    void dl4jsOwnModelSerializerRestoresTheMixedPrecisionNetwork() throws IOException {
        MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(file, true);

        assertTrue(MixedPrecision.isMixedPrecision(restored));
        ResumeTest.assertSameState(mixed, restored);
        OutputLayer output = (OutputLayer) ((LossScaleOutputLayer) restored.getLayerWiseConfigurations().getConf(2)
                .getLayer()).getUnderlying();
        assertTrue(output.getLossFn() instanceof LossMCXENT, "the user's own loss function");
    }

    /**
     * Files written by version 0.1 (an FP32 network with the scaler's state in {@code mixedPrecision.json}):
     * {@code src/test/resources/version-0.1}, written by that version (see the README there).
     */
    @ParameterizedTest
    @ValueSource(strings = {"mlp.zip", "graph.zip"})
    void aVersion01FileRestoresAsAMixedPrecisionNetworkInItsSavedState(String name) throws IOException {
        File old = version01(name);
        boolean graph = name.startsWith("graph");
        Model fp32 = graph ? ModelSerializer.restoreComputationGraph(old, true) : ModelSerializer.restoreMultiLayerNetwork(old, true);
        SavedState state = SavedState.fromJson(ModelFiles.readVerified(old.toPath(), SavedState.ENTRY).get(SavedState.ENTRY));

        Model restored = graph ? MixedPrecisionSerializer.restoreComputationGraph(old)
                : MixedPrecisionSerializer.restoreMultiLayerNetwork(old);
        assertTrue(MixedPrecision.isMixedPrecision(restored));
        assertArrayEquals(TestNets.values(fp32.params()), TestNets.values(restored.params()), "FP32 parameters");
        assertArrayEquals(TestNets.values(Network.of(fp32).updater().getStateViewArray()),
                TestNets.values(Network.of(restored).updater().getStateViewArray()), "FP32 updater state");
        assertEquals(state.status(), MixedPrecision.status(restored), "loss scaler, with its calibration");
        assertEquals(state.config(), TestNets.lossScalerOf(restored).config(), "loss scaling configuration");
        assertEquals(state.iterationCount(), Network.of(restored).iterationCount());
        assertEquals(5, state.iterationCount(), "five steps were saved");
    }

    @Test
    void aPlainDl4jFileRestoresWithDefaultScaling() throws IOException {
        MultiLayerNetwork fp32 = (MultiLayerNetwork) ResumeTest.network(false, new Adam(1e-2), false);
        fp32.fit(data);
        File plainFile = folder.resolve("plain.zip").toFile();
        ModelSerializer.writeModel(fp32, plainFile, true);

        MultiLayerNetwork restored = MixedPrecisionSerializer.restoreMultiLayerNetwork(plainFile);
        assertTrue(MixedPrecision.isMixedPrecision(restored));
        assertEquals(MixedPrecisionConfig.defaults(), TestNets.lossScalerOf(restored).config());
        assertNull(MixedPrecision.status(restored).calibration(), "calibrated on its first step");
        assertArrayEquals(TestNets.values(fp32.params()), TestNets.values(restored.params()));
        assertArrayEquals(TestNets.values(fp32.getUpdater().getStateViewArray()),
                TestNets.values(restored.getUpdater().getStateViewArray()));
    }

    @Test
    void inferenceExportsLoadInPlainDl4jAndAgreeWithTheTrainedNetwork() throws IOException {
        File fp32File = folder.resolve("fp32.zip").toFile();
        File halfFile = folder.resolve("half.zip").toFile();
        MixedPrecisionSerializer.writeInferenceModel(mixed, fp32File, DataType.FLOAT);
        MixedPrecisionSerializer.writeInferenceModel(mixed, halfFile, DataType.HALF);

        MultiLayerNetwork fp32 = ModelSerializer.restoreMultiLayerNetwork(fp32File);
        MultiLayerNetwork half = ModelSerializer.restoreMultiLayerNetwork(halfFile);
        assertEquals(DataType.FLOAT, fp32.params().dataType());
        assertEquals(DataType.HALF, half.params().dataType());
        INDArray trained = mixed.output(data.getFeatures()).castTo(DataType.FLOAT);
        assertTrue(trained.equalsWithEps(fp32.output(data.getFeatures()), 2e-3), "FP32 export within FP16 tolerance");
        assertTrue(trained.equalsWithEps(half.output(data.getFeatures().castTo(DataType.HALF)).castTo(DataType.FLOAT), 2e-3),
                "HALF export within FP16 tolerance");
        assertTrue(halfFile.length() < fp32File.length(), "HALF " + halfFile.length() + " bytes, FP32 " + fp32File.length());
        assertThrows(IllegalArgumentException.class,
                () -> MixedPrecisionSerializer.writeInferenceModel(mixed, fp32File, DataType.DOUBLE));
    }

    @Test
    void aTruncatedFileIsRefused() throws IOException {
        byte[] bytes = Files.readAllBytes(file.toPath());
        Files.write(file.toPath(), Arrays.copyOf(bytes, bytes.length / 2));
        assertRefused("truncated or corrupted");
    }

    @Test
    void aCorruptedFileIsRefused() throws IOException {
        byte[] bytes = Files.readAllBytes(file.toPath());
        int middle = bytes.length / 2;
        for (int i = middle; i < middle + 16; i++) {
            bytes[i] ^= 0x5A;
        }
        Files.write(file.toPath(), bytes);
        assertRefused("damaged");
    }

    @Test
    void aStateFromANewerFormatVersionIsRefused() throws IOException {
        file = version01("mlp.zip");
        replaceState(state -> state.replace("\"formatVersion\" : 1", "\"formatVersion\" : 99"));
        assertRefused("format version 99, newer than this dl4j-mixedprecision reads (up to 1)");
    }

    @Test
    void aStateForAnotherNetworkIsRefused() throws IOException {
        file = version01("mlp.zip");
        long parameters = ModelSerializer.restoreMultiLayerNetwork(file, false).numParams();
        replaceState(state -> state.replace("\"parameterCount\" : " + parameters, "\"parameterCount\" : " + (parameters + 5)));
        assertRefused("saved for a network of " + (parameters + 5) + " parameters, but the network in the file has "
                + parameters);
    }

    @Test
    void anInvalidStateIsRefused() throws IOException {
        file = version01("mlp.zip");
        replaceState(state -> state.replace("\"scaling\" : \"DYNAMIC\"", "\"scaling\" : \"SOMETIMES\""));
        assertRefused("unknown scaling \"SOMETIMES\"");
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"scale\" : -128.0", "\"scale\" : 0.0", "\"scale\" : 1.0E-320", "\"scale\" : \"Infinity\"",
            "\"scale\" : 1.0E30", "\"skippedSteps\" : -1", "\"consecutiveSkippedSteps\" : 7",
            "\"cleanSteps\" : 2000", "\"overflowCount\" : -5", "\"iterationCount\" : -3", "\"epochCount\" : -1"})
    void aStateTrainingCannotReachIsRefused(String edit) throws IOException {
        String field = edit.substring(1, edit.indexOf('"', 1));
        replaceEntry(ModelSerializer.CONFIGURATION_JSON, json -> json.replaceFirst( // the last: the network's own count
                "(?s)(.*)\"" + field + "\" : [^,\\n]+", "$1" + java.util.regex.Matcher.quoteReplacement(edit)));
        IOException error = assertThrows(IOException.class, () -> MixedPrecisionSerializer.restoreMultiLayerNetwork(file));
        assertTrue(error.getMessage().startsWith("Cannot restore " + file), error.getMessage());
        assertTrue(error.getMessage().contains(field + " is " + edit.substring(edit.indexOf(": ") + 2).replace("\"", "")),
                error.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"scale\" : -128.0", "\"scale\" : \"Infinity\"", "\"skippedSteps\" : -1",
            "\"iterationCount\" : -3"})
    void aVersion01StateTrainingCannotReachIsRefused(String edit) throws IOException {
        file = version01("mlp.zip");
        String field = edit.substring(1, edit.indexOf('"', 1));
        replaceState(state -> state.replaceFirst("\"" + field + "\" : [^,\\n]+", java.util.regex.Matcher.quoteReplacement(edit)));
        assertRefused(field + " is " + edit.substring(edit.indexOf(": ") + 2).replace("\"", ""));
    }

    @Test
    void aFileWithoutItsUpdaterStateIsRefused() throws IOException {
        try (var zip = java.nio.file.FileSystems.newFileSystem(file.toPath())) {
            Files.delete(zip.getPath(ModelSerializer.UPDATER_BIN));
        }
        assertRefused("updaterState.bin");
    }

    @Test
    void anEntryNameChangedInOneOfTheZipsTwoDirectoriesIsRefused() throws IOException {
        flipNameBit(ModelSerializer.UPDATER_BIN, 1); // the local header: DL4J reads those, ZipFile the central directory
        assertRefused("entry names differ");
    }

    @Test
    void anEntryDl4jDoesNotWriteIsRefused() throws IOException {
        file = version01("mlp.zip");
        flipNameBit(SavedState.ENTRY, 2); // local header and central directory alike: the state is no longer found
        assertRefused("ixedPrecision.json");
        assertRefused("not an entry DL4J or dl4j-mixedprecision writes");
    }

    @Test
    void aHalfNetworkIsRefused() throws IOException {
        ModelSerializer.writeModel(TestNets.init(TestNets.mlp(new Adam(1e-2), 1)).convertDataType(DataType.HALF), file, true);
        assertRefused("its network is HALF, expected FLOAT");
    }

    @Test
    void aGraphFileIsNotRestoredAsAMultiLayerNetwork() throws IOException {
        ComputationGraph graph = MixedPrecision.enable((ComputationGraph) ResumeTest.network(true, new Adam(1e-2), false));
        MixedPrecisionSerializer.writeModel(graph, file);
        IOException error = assertThrows(IOException.class, () -> MixedPrecisionSerializer.restoreMultiLayerNetwork(file));
        assertTrue(error.getMessage().startsWith("Cannot restore " + file), error.getMessage());
        assertTrue(MixedPrecision.isMixedPrecision(MixedPrecisionSerializer.restoreComputationGraph(file)));
    }

    @Test
    void aSaveThatFailsPartWayLeavesThePreviousFileIntact() throws IOException {
        byte[] before = Files.readAllBytes(file.toPath());
        for (DataSet batch : data.batchBy(16)) {
            mixed.fit(batch);
        }
        IOException diskFull = assertThrows(IOException.class,
                () -> MixedPrecisionSerializer.write(mixed, file, out -> new FailingAfter(out, 4096)));

        assertEquals("No space left on device", diskFull.getMessage());
        assertArrayEquals(before, Files.readAllBytes(file.toPath()), "the previous file is untouched");
        try (var entries = Files.list(folder)) {
            assertEquals(List.of(file.toPath()), entries.toList(), "no temporary file left behind");
        }
        assertEquals(4, MixedPrecisionSerializer.restoreMultiLayerNetwork(file).getIterationCount(),
                "the previous file still restores");
    }

    @Test
    void onlyMixedPrecisionNetworksAreWritten() {
        MultiLayerNetwork fp32 = (MultiLayerNetwork) ResumeTest.network(false, new Adam(1e-2), false);
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> MixedPrecisionSerializer.writeModel(fp32, file));
        assertTrue(error.getMessage().contains("Not a mixed-precision network"), error.getMessage());
    }

    /** @return a copy, in the test's folder, of a file written by version 0.1 */
    private File version01(String name) throws IOException {
        Path copy = folder.resolve("version-0.1-" + name);
        try (var in = getClass().getResourceAsStream("/version-0.1/" + name)) {
            Files.copy(Objects.requireNonNull(in, name), copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        return copy.toFile();
    }

    /** Flips the lowest bit of the first letter of an entry's name in its first {@code occurrences} occurrences in the file. */
    private void flipNameBit(String name, int occurrences) throws IOException {
        byte[] bytes = Files.readAllBytes(file.toPath());
        byte[] pattern = name.getBytes(StandardCharsets.UTF_8);
        int flipped = 0;
        for (int i = 0; i + pattern.length <= bytes.length && flipped < occurrences; i++) {
            if (Arrays.equals(bytes, i, i + pattern.length, pattern, 0, pattern.length)) {
                bytes[i] ^= 1;
                flipped++;
            }
        }
        assertEquals(occurrences, flipped, name);
        Files.write(file.toPath(), bytes);
    }

    private void replaceEntry(String entry, UnaryOperator<String> edit) throws IOException {
        byte[] content = ModelFiles.readVerified(file.toPath(), entry).get(entry);
        String edited = edit.apply(new String(content, StandardCharsets.UTF_8));
        assertFalse(edited.equals(new String(content, StandardCharsets.UTF_8)), "the edit applies to: " + edited);
        try (var zip = java.nio.file.FileSystems.newFileSystem(file.toPath())) {
            Files.write(zip.getPath(entry), edited.getBytes(StandardCharsets.UTF_8));
        }
    }

    private void replaceState(UnaryOperator<String> edit) throws IOException {
        replaceEntry(SavedState.ENTRY, edit);
    }

    private void assertRefused(String problem) {
        IOException error = assertThrows(IOException.class, () -> MixedPrecisionSerializer.restoreMultiLayerNetwork(file));
        assertTrue(error.getMessage().startsWith("Cannot restore " + file), error.getMessage());
        assertTrue(error.getMessage().contains(problem), error.getMessage());
    }

    /** A stream that fails like a full disk once it has written a number of bytes. */
    private static final class FailingAfter extends FilterOutputStream {
        private long left;

        FailingAfter(OutputStream out, long bytes) {
            super(out);
            this.left = bytes;
        }

        @Override
        public void write(int b) throws IOException {
            if (--left < 0) {
                throw new IOException("No space left on device");
            }
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            for (int i = 0; i < len; i++) {
                write(b[off + i]);
            }
        }
    }
}
