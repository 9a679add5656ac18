package org.dl4j.mixedprecision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.deeplearning4j.earlystopping.EarlyStoppingConfiguration;
import org.deeplearning4j.earlystopping.EarlyStoppingResult;
import org.deeplearning4j.earlystopping.saver.InMemoryModelSaver;
import org.deeplearning4j.earlystopping.scorecalc.DataSetLossCalculator;
import org.deeplearning4j.earlystopping.termination.MaxEpochsTerminationCondition;
import org.deeplearning4j.earlystopping.trainer.EarlyStoppingTrainer;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.distribution.NormalDistribution;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.deeplearning4j.optimize.listeners.CollectScoresListener;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class MixedPrecisionTrainingTest {

    @Test
    void mixedPrecisionReachesFp32LossWherePureHalfFails() {
        DataSet data = TestNets.blobs(256, 1);
        MultiLayerConfiguration conf = TestNets.mlp(new Adam(1e-2), 42);

        MultiLayerNetwork fp32 = TestNets.init(conf);
        MultiLayerNetwork mixed = MixedPrecision.enable(TestNets.init(conf));
        MultiLayerConfiguration halfConf = conf.clone();
        halfConf.setDataType(DataType.HALF);
        MultiLayerNetwork pureHalf = TestNets.init(halfConf);

        fp32.fit(TestNets.iterator(data, 32), 10);
        mixed.fit(TestNets.iterator(data, 32), 10);
        pureHalf.fit(TestNets.iterator(data, 32), 10);

        double fp32Loss = fp32.score(data);
        double mixedLoss = mixed.score(data);
        double halfLoss = pureHalf.score(data);
        System.out.printf("loss after 80 iterations: fp32 %.5f mixed %.5f pure HALF %.5f; %s%n", fp32Loss, mixedLoss,
                halfLoss, MixedPrecision.status(mixed));
        assertTrue(Double.isNaN(halfLoss) || pureHalf.params().isNaN().any(),
                "pure HALF with Adam's default epsilon should break: " + halfLoss);
        assertEquals(fp32Loss, mixedLoss, 0.1 * fp32Loss);
        assertEquals(80, mixed.getIterationCount());
        assertEquals(10, mixed.getEpochCount());
        assertEquals(DataType.FLOAT, mixed.params().dataType(), "the network keeps FP32 parameters");
    }

    @Test
    void reportedScoreIsTheTrueUnscaledLoss() {
        DataSet batch = TestNets.blobs(32, 2);
        MultiLayerNetwork fp32 = TestNets.init(TestNets.mlp(new Adam(1e-3), 5));
        MultiLayerNetwork mixed = MixedPrecision.enable(fp32.clone());
        CollectScoresListener fp32Scores = new CollectScoresListener(1);
        CollectScoresListener mixedScores = new CollectScoresListener(1);
        fp32.setListeners(fp32Scores);
        mixed.setListeners(mixedScores, new LossScaleListener());

        fp32.fit(batch);
        mixed.fit(batch);
        double expected = fp32Scores.getListScore().getDouble(0);
        double actual = mixedScores.getListScore().getDouble(0);
        assertEquals(expected, actual, 0.01 * expected, "the first score is computed from identical weights");
        assertTrue(expected > 0.5, "an untrained classifier's loss: " + expected);
    }

    @Test
    void reportedScoreIncludesRegularizationComputedInFp32() {
        // 1000 x 1000 weights drawn with standard deviation 0.5: their L1 norm (about 400,000) and sum of
        // squares (about 250,000) are beyond FP16's 65504, so a HALF penalty would make the score Infinity.
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(3).dataType(DataType.FLOAT).updater(new Adam(1e-3))
                .l1(1e-5).l2(1e-5)
                .list()
                .layer(new DenseLayer.Builder().nIn(TestNets.FEATURES).nOut(1000).activation(Activation.TANH).build())
                .layer(new DenseLayer.Builder().nIn(1000).nOut(1000).activation(Activation.TANH)
                        .weightInit(new NormalDistribution(0, 0.5)).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(1000).nOut(TestNets.CLASSES)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork fp32 = TestNets.init(conf);
        MultiLayerNetwork mixed = MixedPrecision.enable(fp32.clone());
        DataSet batch = TestNets.blobs(32, 2);
        double penalty = fp32.calcRegularizationScore(true);
        assertTrue(penalty > 4, "L1 + L2 penalty of the FP32 network: " + penalty);

        assertEquals(penalty, mixed.calcRegularizationScore(true), 1e-3 * penalty);
        assertEquals(fp32.score(batch), mixed.score(batch), 1e-3 * fp32.score(batch));
        fp32.fit(batch);
        mixed.fit(batch);
        assertEquals(fp32.score(), mixed.score(), 1e-3 * fp32.score(), "the score fit reports");
    }

    @Test
    void everyFitMethodEarlyStoppingAndListenersWork() {
        DataSet data = TestNets.blobs(96, 3);
        MultiLayerNetwork mixed = MixedPrecision.enable(TestNets.init(TestNets.mlp(new Nesterovs(0.05, 0.9), 9)),
                MixedPrecisionConfig.builder().initialScale(256).build());
        LossScaleListener scaleListener = new LossScaleListener();
        CollectScoresListener scores = new CollectScoresListener(1);
        mixed.setListeners(scores, scaleListener);

        mixed.fit(data);
        mixed.fit(data.getFeatures(), data.getLabels());
        mixed.fit(TestNets.iterator(data, 32));
        mixed.fit(TestNets.iterator(data, 32), 2);
        assertEquals(2 + 3 + 6, mixed.getIterationCount());
        assertEquals(11, scores.getListScore().size());
        assertNotNull(scaleListener.lastStatus());
        assertEquals(256.0, scaleListener.lastStatus().scale());

        EarlyStoppingConfiguration<MultiLayerNetwork> esConf = new EarlyStoppingConfiguration.Builder<MultiLayerNetwork>()
                .epochTerminationConditions(new MaxEpochsTerminationCondition(3))
                .scoreCalculator(new DataSetLossCalculator(TestNets.iterator(data, 32), true))
                .modelSaver(new InMemoryModelSaver<>())
                .build();
        EarlyStoppingResult<MultiLayerNetwork> result =
                new EarlyStoppingTrainer(esConf, mixed, TestNets.iterator(data, 32)).fit();
        assertEquals(3, result.getTotalEpochs());
        assertTrue(Double.isFinite(result.getBestModelScore()));
        assertTrue(result.getBestModelScore() < scores.getListScore().getDouble(0), "training lowered the loss");
        assertEquals(11 + 9, mixed.getIterationCount());
    }

    @Test
    void batchNormRunningStatisticsMatchFp32() {
        // Learning rate 0: FP32 and mixed precision see the same weights, so only the running statistics move.
        assertRunningStatisticsMatch(batchNormNet(new Sgd(0.0)), 0.005);
    }

    @Test
    void batchNormRunningStatisticsMatchFp32WhileTraining() {
        assertRunningStatisticsMatch(batchNormNet(new Adam(1e-3)), 0.02);
    }

    private static MultiLayerConfiguration batchNormNet(IUpdater updater) {
        return new NeuralNetConfiguration.Builder()
                .seed(12).dataType(DataType.FLOAT).updater(updater)
                .list()
                .layer(new DenseLayer.Builder().nIn(TestNets.FEATURES).nOut(16).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().nOut(16).build())
                .layer(new DenseLayer.Builder().nIn(16).nOut(16).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(16).nOut(TestNets.CLASSES)
                        .activation(Activation.SOFTMAX).build())
                .build();
    }

    private static void assertRunningStatisticsMatch(MultiLayerConfiguration conf, double relativeTolerance) {
        DataSet data = TestNets.blobs(256, 4);
        data.getFeatures().muli(3).addi(2);
        MultiLayerNetwork fp32 = TestNets.init(conf);
        MultiLayerNetwork mixed = MixedPrecision.enable(TestNets.init(conf),
                MixedPrecisionConfig.builder().initialScale(1024).build());
        fp32.fit(TestNets.iterator(data, 32), 5);
        mixed.fit(TestNets.iterator(data, 32), 5);
        assertEquals(0, MixedPrecision.status(mixed).skippedSteps());

        MultiLayerNetwork master = mixed;
        for (String param : List.of("mean", "log10stdev")) {
            INDArray expected = fp32.getLayer(1).getParam(param);
            INDArray actual = master.getLayer(1).getParam(param);
            double maxAbs = expected.amaxNumber().doubleValue();
            double diff = expected.sub(actual).amaxNumber().doubleValue();
            System.out.printf("BN %s: max |fp32| %.4f, max |fp32 - mixed| %.5f%n", param, maxAbs, diff);
            assertTrue(diff <= relativeTolerance * maxAbs, param + " differs by " + diff + " (max " + maxAbs + ")");
        }
        assertTrue(fp32.getLayer(1).getParam("mean").amaxNumber().doubleValue() > 0.5,
                "the running mean moved far from its initial 0");
    }

    @Test
    void frozenLayersDoNotMoveByASingleUlp() {
        MultiLayerNetwork pretrained = TestNets.init(TestNets.mlp(new Adam(1e-2), 21));
        MultiLayerNetwork transfer = new TransferLearning.Builder(pretrained).setFeatureExtractor(1).build();
        MultiLayerNetwork mixed = MixedPrecision.enable(transfer);
        float[] frozenHalf = TestNets.values(mixed.getLayer(0).params().dup());
        float[] frozenHalf1 = TestNets.values(mixed.getLayer(1).params().dup());
        float[] trainable = TestNets.values(mixed.getLayer(2).params().dup());

        mixed.fit(TestNets.iterator(TestNets.blobs(128, 6), 32), 2);

        assertArrayEquals(frozenHalf, TestNets.values(mixed.getLayer(0).params()));
        assertArrayEquals(frozenHalf1, TestNets.values(mixed.getLayer(1).params()));
        assertArrayEquals(TestNets.values(transfer.getLayer(0).params()),
                TestNets.values(mixed.getLayer(0).params()));
        assertFalse(java.util.Arrays.equals(trainable, TestNets.values(mixed.getLayer(2).params())),
                "the output layer trains");
    }
}
