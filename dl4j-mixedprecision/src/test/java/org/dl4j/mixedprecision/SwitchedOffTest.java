package org.dl4j.mixedprecision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;

/**
 * With {@code -Ddl4j.mixedprecision.enabled=false} ("compare with FP32 without touching code"), every call of
 * the library works on the plain network {@code enable} returns, through training, status and saving.
 */
class SwitchedOffTest {

    @TempDir
    Path folder;

    @BeforeEach
    void switchOff() {
        System.setProperty(MixedPrecision.ENABLED_PROPERTY, "false");
    }

    @AfterEach
    void switchOn() {
        System.clearProperty(MixedPrecision.ENABLED_PROPERTY);
    }

    @Test
    void aProgramWrittenForMixedPrecisionTrainsReportsSavesAndResumesInFp32() throws IOException {
        DataSet data = TestNets.blobs(32, 3);
        MultiLayerNetwork fp32 = TestNets.init(TestNets.mlp(new Adam(1e-2), 1));
        MultiLayerNetwork net = MixedPrecision.enableChecked(fp32, data, MixedPrecisionConfig.defaults());
        assertSame(fp32, net);
        net = MixedPrecision.enable(net);
        net.fit(data);

        LossScaleStatus status = MixedPrecision.status(net);
        assertEquals(1.0, status.scale());
        assertEquals(0, status.skippedSteps());
        File file = folder.resolve("model.zip").toFile();
        MixedPrecisionSerializer.writeModel(net, file);
        MixedPrecisionSerializer.writeInferenceModel(net, folder.resolve("inference.zip").toFile(),
                org.nd4j.linalg.api.buffer.DataType.HALF);
        MultiLayerNetwork restored = MixedPrecisionSerializer.restoreMultiLayerNetwork(file);

        assertFalse(MixedPrecision.isMixedPrecision(restored));
        assertEquals(net.params(), restored.params());
        assertEquals(net.getUpdater().getStateViewArray(), restored.getUpdater().getStateViewArray());
        assertEquals(1, restored.getIterationCount());
        assertSame(restored, MixedPrecision.disable(restored));

        // what dl4j-mixedprecision-spark does after each averaging round; it threw "Not a mixed-precision network"
        MixedPrecision.combineWorkerStates(net, java.util.List.of(MixedPrecision.status(net), MixedPrecision.status(net)));
        assertEquals(status, MixedPrecision.status(net));
    }

    @Test
    void aMixedPrecisionFileRestoresAsItsFp32Network() throws IOException {
        switchOn();
        MultiLayerNetwork mixed = MixedPrecision.enable(TestNets.init(TestNets.mlp(new Adam(1e-2), 1)));
        mixed.fit(TestNets.blobs(32, 3));
        File file = folder.resolve("mixed.zip").toFile();
        MixedPrecisionSerializer.writeModel(mixed, file);
        switchOff();

        MultiLayerNetwork restored = MixedPrecisionSerializer.restoreMultiLayerNetwork(file);

        assertFalse(MixedPrecision.isMixedPrecision(restored));
        assertEquals(mixed.params(), restored.params());
        assertEquals(mixed.getUpdater().getStateViewArray(), restored.getUpdater().getStateViewArray());
    }
}
