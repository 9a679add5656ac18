package org.dl4j.mixedprecision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import org.deeplearning4j.earlystopping.EarlyStoppingConfiguration;
import org.deeplearning4j.earlystopping.EarlyStoppingModelSaver;
import org.deeplearning4j.earlystopping.EarlyStoppingResult;
import org.deeplearning4j.earlystopping.saver.InMemoryModelSaver;
import org.deeplearning4j.earlystopping.saver.LocalFileModelSaver;
import org.deeplearning4j.earlystopping.scorecalc.DataSetLossCalculator;
import org.deeplearning4j.earlystopping.termination.MaxEpochsTerminationCondition;
import org.deeplearning4j.earlystopping.trainer.EarlyStoppingTrainer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.listeners.CheckpointListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;

/**
 * DL4J's own ways of saving a network during training (checkpoints, early stopping's model savers) keep a
 * network made with {@link MixedPrecision#configure} mixed precision, with its loss scale, and training
 * resumes from what they saved exactly as it would have gone on.
 */
class NetworkPrecisionSavingTest {

    @TempDir
    Path folder;

    private static MultiLayerNetwork mixed(long seed) {
        return TestNets.init(MixedPrecision.configure(TestNets.mlp(new Adam(0.01), seed)));
    }

    @Test
    void aCheckpointResumesBitForBit() throws Exception {
        MultiLayerNetwork net = mixed(41);
        DataSet data = TestNets.blobs(32, 41);
        File checkpoints = Files.createDirectories(folder.resolve("checkpoints")).toFile();
        net.setListeners(new CheckpointListener.Builder(checkpoints).saveEveryNIterations(1).keepLast(1).build());
        for (int i = 0; i < 4; i++) {
            net.fit(data);
        }
        MultiLayerNetwork restored = CheckpointListener.loadLastCheckpointMLN(checkpoints);
        assertInstanceOf(PrecisionLayerInstance.class, restored.getLayer(0));
        assertEquals(TestNets.lossScalerOf(net), TestNets.lossScalerOf(restored));
        // DL4J's CheckpointListener saves in iterationDone, before the network counts the iteration (in FP32 too)
        assertEquals(net.getIterationCount() - 1, restored.getIterationCount());
        restored.setIterationCount(net.getIterationCount());
        net.setListeners();
        for (int i = 0; i < 2; i++) {
            net.fit(data);
            restored.fit(data);
        }
        assertArrayEquals(TestNets.values(net.params()), TestNets.values(restored.params()));
        assertArrayEquals(TestNets.values(net.getUpdater().getStateViewArray()),
                TestNets.values(restored.getUpdater().getStateViewArray()));
    }

    @Test
    void earlyStoppingInMemoryKeepsTheBestMixedNetwork() {
        checkEarlyStopping(new InMemoryModelSaver<>());
    }

    @Test
    void earlyStoppingToFilesKeepsTheBestMixedNetwork() {
        checkEarlyStopping(new LocalFileModelSaver(folder.resolve("best").toString()));
    }

    private void checkEarlyStopping(EarlyStoppingModelSaver<MultiLayerNetwork> saver) {
        DataSet data = TestNets.blobs(64, 43);
        EarlyStoppingConfiguration<MultiLayerNetwork> conf = new EarlyStoppingConfiguration.Builder<MultiLayerNetwork>()
                .epochTerminationConditions(new MaxEpochsTerminationCondition(3))
                .scoreCalculator(new DataSetLossCalculator(TestNets.iterator(data, 32), true))
                .modelSaver(saver)
                .build();
        MultiLayerNetwork net = mixed(43);
        EarlyStoppingResult<MultiLayerNetwork> result = new EarlyStoppingTrainer(conf, net, TestNets.iterator(data, 16)).fit();
        MultiLayerNetwork best = result.getBestModel();
        assertInstanceOf(PrecisionLayerInstance.class, best.getLayer(0));
        long stepsBefore = TestNets.lossScalerOf(best).cleanSteps();
        assertTrue(stepsBefore > 0, TestNets.lossScalerOf(best).toString());
        best.fit(data);
        assertEquals(stepsBefore + 1, TestNets.lossScalerOf(best).cleanSteps());
        assertTrue(ForwardOverflow.finite(best.params()));
    }
}
