package org.dl4j.mixedprecision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.impl.LossMSE;

/** The first step's loss scale, calibrated on the first minibatch instead of a fixed 65536. */
class ScaleCalibrationTest {

    @Test
    void aYoloHeadStartsWithoutOverflowWhereTheFixedStartSkipsAndLearnsAsWell() {
        DataSet data = Yolo2OutputLayerTest.boxes(64, 2);
        ComputationGraph fp32 = new ComputationGraph(Yolo2OutputLayerTest.detector(new Adam(5e-3)));
        fp32.init();
        ComputationGraph calibrated = MixedPrecision.enable(fp32.clone());
        ComputationGraph fixed65536 = MixedPrecision.enable(fp32.clone(),
                MixedPrecisionConfig.builder().initialScale(65536).build());
        // The fixed start the YOLO tests use, chosen by hand to fit these gradients.
        ComputationGraph wellChosen = MixedPrecision.enable(fp32.clone(),
                MixedPrecisionConfig.builder().initialScale(2).build());
        for (int i = 0; i < 20; i++) {
            calibrated.fit(data);
            fixed65536.fit(data);
            wellChosen.fit(data);
        }
        LossScaleStatus status = MixedPrecision.status(calibrated);
        System.out.printf("YOLO, 20 iterations: calibrated loss %.3f (%s), fixed 65536 %.3f (%d skipped),"
                        + " fixed 2 %.3f%n", calibrated.score(data), status, fixed65536.score(data),
                MixedPrecision.status(fixed65536).skippedSteps(), wellChosen.score(data));

        assertNotNull(status.calibration());
        assertTrue(status.calibration().largestGradient() > 100, "YOLO's gradients are large: " + status.calibration());
        assertTrue(status.skippedSteps() <= 1, "at most one backoff after the calibrated start: " + status);
        assertTrue(MixedPrecision.status(fixed65536).skippedSteps() >= 8, "the fixed start halves its way down");
        assertTrue(calibrated.score(data) <= 1.05 * wellChosen.score(data),
                "no worse than a well-chosen fixed scale: " + calibrated.score(data) + " vs " + wellChosen.score(data));
    }

    @Test
    void tinyGradientsCalibrateToTheLargestPowerOfTwoWithinTheMaximumScale() {
        MultiLayerNetwork fp32 = tinyGradientRegression();
        DataSet batch = regressionBatch();
        MultiLayerNetwork reference = fp32.clone();
        reference.setInput(batch.getFeatures());
        reference.setLabels(batch.getLabels());
        reference.computeGradientAndScore();
        double largest = 0;
        for (int i = 0; i < reference.getnLayers() - 1; i++) { // the loss-scaled gradients: the hidden layers'
            largest = Math.max(largest, reference.getLayer(i).getGradientsViewArray().amaxNumber().doubleValue());
        }
        double unbounded = Math.scalb(1.0, Math.getExponent(65504 / (8 * largest)));
        assertTrue(unbounded > 0x1p24, "the gradients are tiny: " + largest);

        MultiLayerNetwork bounded = MixedPrecision.enable(fp32.clone());
        bounded.fit(batch);
        ScaleCalibration calibration = MixedPrecision.status(bounded).calibration();
        assertEquals(largest, calibration.largestGradient(), 0.02 * largest, "measured at scale 1, as in FP32");
        assertEquals(0x1p24, calibration.scale(), "bounded by the default maximum scale");

        MultiLayerNetwork lowerMaximum = MixedPrecision.enable(fp32.clone(), MixedPrecisionConfig.builder().maxScale(0x1p20).build());
        lowerMaximum.fit(batch);
        assertEquals(0x1p20, MixedPrecision.status(lowerMaximum).calibration().scale());
        assertEquals(0, MixedPrecision.status(lowerMaximum).skippedSteps());
    }

    @Test
    void theCalibrationStepIsAnOrdinaryStepAtScaleOne() {
        MultiLayerNetwork fp32 = TestNets.init(TestNets.mlp(new Adam(1e-2), 3));
        DataSet batch = TestNets.blobs(16, 5);
        MultiLayerNetwork calibrated = MixedPrecision.enable(fp32.clone());
        MultiLayerNetwork scaleOne = MixedPrecision.enable(fp32.clone(), MixedPrecisionConfig.builder().initialScale(1).build());
        calibrated.fit(batch);
        scaleOne.fit(batch);

        assertArrayEquals(TestNets.values(scaleOne.params()), TestNets.values(calibrated.params()));
        assertArrayEquals(TestNets.values(scaleOne.getUpdater().getStateViewArray()),
                TestNets.values(calibrated.getUpdater().getStateViewArray()));
        assertEquals(1, calibrated.getIterationCount());
        LossScaleStatus status = MixedPrecision.status(calibrated);
        assertEquals(0, status.skippedSteps());
        assertEquals(1.0, status.lastStepScale());
        assertEquals(ScaleCalibration.estimate(status.calibration().largestGradient(), MixedPrecisionConfig.defaults()),
                status.scale(), "the next step runs at the calibrated scale");
        assertTrue(status.scale() > 1, status.toString());
    }

    /** A regression whose squared error is weighted by 1e-5: every gradient is tiny. */
    private static MultiLayerNetwork tinyGradientRegression() {
        MultiLayerConfiguration conf = TestNets.mlpLayers(new Adam(1e-3), 4)
                .layer(new OutputLayer.Builder(new LossMSE(Nd4j.create(new float[] {1e-5f, 1e-5f}))).nIn(32).nOut(2)
                        .activation(Activation.IDENTITY).build())
                .build();
        return TestNets.init(conf);
    }

    private static DataSet regressionBatch() {
        DataSet blobs = TestNets.blobs(16, 6);
        return new DataSet(blobs.getFeatures(), Nd4j.randn(DataType.FLOAT, 16, 2));
    }
}
