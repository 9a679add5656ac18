package org.dl4j.mixedprecision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * What a skipped step changes, against hand-computed values: not the FP32 updater's step count (Adam's
 * bias correction counts applied steps), but the network's iteration count and BatchNormalization's
 * running statistics.
 */
class SkippedStepTest {

    private static final double LEARNING_RATE = 1e-3;

    @Test
    void adamsBiasCorrectionCountsAppliedStepsOnly() {
        MultiLayerNetwork mixed = MixedPrecision.enable(TestNets.init(TestNets.mlp(new Adam(LEARNING_RATE), 7)),
                MixedPrecisionConfig.builder().initialScale(1024).build());
        DataSet clean = TestNets.blobs(16, 1);
        DataSet broken = new DataSet(clean.getFeatures().dup().putScalar(0, 0, Double.NaN), clean.getLabels());
        INDArray before = mixed.params().dup();

        mixed.fit(broken);
        assertEquals(1, MixedPrecision.status(mixed).skippedSteps());
        assertArrayEquals(TestNets.values(before), TestNets.values(mixed.params()));
        mixed.fit(clean);

        // Adam's first step, t = 1: m = (1 - b1) g, v = (1 - b2) g^2, and the bias-corrected step
        // lr * sqrt(1 - b2) / (1 - b1) * m / (sqrt(v) + eps) is lr * sign(g) wherever |g| >> eps. Had the
        // skipped step counted (t = 2), it would be lr * sqrt(1 + b2) / (1 + b1) = 0.744 lr.
        INDArray step = before.sub(mixed.params());
        long movedCount = step.neq(0).castTo(DataType.INT).sumNumber().longValue();
        assertTrue(movedCount > step.length() / 2, movedCount + " of " + step.length() + " parameters moved");
        double meanStep = Transforms.abs(step).sumNumber().doubleValue() / movedCount;
        assertEquals(LEARNING_RATE, meanStep, 0.01 * LEARNING_RATE, "the mean |step| of Adam's first applied step");
        assertEquals(2, mixed.getIterationCount(), "the network counts every iteration");
    }

    @Test
    void batchNormalizationRunningStatisticsAdvanceOnASkippedStep() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(12).dataType(DataType.FLOAT).updater(new Adam(LEARNING_RATE))
                .list()
                .layer(new DenseLayer.Builder().nIn(TestNets.FEATURES).nOut(6).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().nOut(6).decay(0.9).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(6).nOut(TestNets.CLASSES)
                        .activation(Activation.SOFTMAX).build())
                .build();
        // A fixed scale of 2^24 overflows every loss gradient in FP16; the statistics come from the forward pass.
        MultiLayerNetwork mixed = MixedPrecision.enable(TestNets.init(conf),
                MixedPrecisionConfig.builder().staticScale(0x1p24).build());
        MultiLayerNetwork master = mixed;
        DataSet batch = TestNets.blobs(32, 3);
        INDArray denseWeights = master.getLayer(0).getParam(DefaultParamInitializer.WEIGHT_KEY).dup();
        INDArray adamState = master.getUpdater().getStateViewArray().dup();
        INDArray runningMean = master.getLayer(1).getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN).dup();
        INDArray batchMean = master.feedForwardToLayer(0, batch.getFeatures(), false).get(1).mean(0);

        mixed.fit(batch);

        assertEquals(1, MixedPrecision.status(mixed).skippedSteps());
        assertArrayEquals(TestNets.values(denseWeights),
                TestNets.values(master.getLayer(0).getParam(DefaultParamInitializer.WEIGHT_KEY)), "weights kept");
        assertArrayEquals(TestNets.values(adamState), TestNets.values(master.getUpdater().getStateViewArray()),
                "Adam's state kept");
        INDArray expectedMean = runningMean.mul(0.9).addi(batchMean.reshape(runningMean.shape()).mul(0.1));
        INDArray actualMean = master.getLayer(1).getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN);
        assertTrue(expectedMean.equalsWithEps(actualMean, 2e-3), "running mean " + actualMean + ", expected "
                + expectedMean + " (0.9 x old + 0.1 x the batch mean)");
    }
}
