package org.dl4j.mixedprecision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** What the diagnosis of skipped steps and the scale-health warning find, log and leave alone. */
class OverflowDiagnosisTest {

    @Test
    void aLayerWithHugeWeightsIsDiagnosedAsTheForwardOverflowOfThatLayerAndLoggedOnce() {
        MultiLayerNetwork fp32 = TestNets.init(regression(new Sgd(1e-3), 1));
        fp32.getLayer(3).getParam("W").muli(1e5); // layer 3's outputs reach ~1e5 > 65504
        MultiLayerNetwork mixed = MixedPrecision.enable(fp32);
        LossScaleListener listener = listener(mixed);
        DataSet batch = regressionBatch(16);

        try (LogCapture log = new LogCapture()) {
            for (int i = 0; i < 3; i++) {
                mixed.fit(batch);
            }
            OverflowDiagnosis diagnosis = listener.lastDiagnosis();
            assertNotNull(diagnosis);
            assertEquals(OverflowDiagnosis.Pass.FORWARD, diagnosis.pass());
            assertEquals(3, diagnosis.layerIndex());
            assertEquals("big", diagnosis.layerName());
            assertFalse(diagnosis.badInput());
            assertEquals(2, diagnosis.iteration());
            assertEquals(1, log.warnings("forward activations of layer 3 (\"big\")").size(), log.warnings().toString());
            assertEquals(1, log.warnings().size(), "nothing else: " + log.warnings());
        }
    }

    @Test
    void aMinibatchWithNanFeaturesIsDiagnosedAsBadInputWithItsIndexInTheEpoch() {
        MultiLayerNetwork mixed = MixedPrecision.enable(TestNets.init(TestNets.mlp(new Adam(1e-3), 2)));
        LossScaleListener listener = listener(mixed);
        List<DataSet> batches = TestNets.blobs(6 * 8, 3).batchBy(8);
        batches.get(2).getFeatures().putScalar(1, 3, Double.NaN);
        batches.get(4).getLabels().putScalar(0, 0, Double.POSITIVE_INFINITY);

        try (LogCapture log = new LogCapture()) {
            mixed.fit(TestNets.iterator(DataSet.merge(batches), 8));
            OverflowDiagnosis diagnosis = listener.lastDiagnosis();
            assertTrue(diagnosis.labelsNonFinite() && !diagnosis.featuresNonFinite(), diagnosis.toString());
            assertEquals(4, diagnosis.minibatch());
            assertEquals(0, diagnosis.epoch());
            List<String> features = log.warnings("Minibatch 2 of epoch 0");
            assertEquals(1, features.size(), log.warnings().toString());
            assertTrue(features.get(0).contains("the minibatch's features already hold Inf/NaN"), features.get(0));
            assertEquals(1, log.warnings("Minibatch 4 of epoch 0 (iteration 4, loss scale").size());

            mixed.fit(TestNets.iterator(DataSet.merge(batches), 8));
            assertEquals(4, listener.lastDiagnosis().minibatch(), "counted from the start of the epoch");
            assertEquals(1, listener.lastDiagnosis().epoch());
            assertEquals(10, listener.lastDiagnosis().iteration());
            assertEquals(2, log.warnings().size(), "each cause logged once: " + log.warnings());
            assertEquals(4, MixedPrecision.status(mixed).skippedSteps());
        }
    }

    @Test
    void aGraphWithInfLabelsIsDiagnosedAsBadLabels() {
        ComputationGraph mixed = MixedPrecision.enable(
                ComputationGraphTest.init(ComputationGraphTest.twoHeadGraph(new Adam(1e-3), 3)));
        MultiDataSet batch = ComputationGraphTest.twoHeadData(16, 4, false);
        batch.getLabels(1).putScalar(3, 1, Double.POSITIVE_INFINITY);
        mixed.fit(batch);
        OverflowDiagnosis diagnosis = listener(mixed).lastDiagnosis();
        assertTrue(diagnosis.labelsNonFinite() && !diagnosis.featuresNonFinite(), String.valueOf(diagnosis));
        assertEquals(OverflowDiagnosis.Pass.BACKWARD, diagnosis.pass());
        assertEquals("reg", diagnosis.layerName(), "the regression head's gradient overflows first: " + diagnosis);
    }

    @Test
    void aHealthyRunDiagnosesAndLogsNothing() {
        MultiLayerNetwork mixed = MixedPrecision.enable(TestNets.init(TestNets.mlp(new Adam(1e-2), 4)));
        try (LogCapture log = new LogCapture()) {
            for (int epoch = 0; epoch < 5; epoch++) {
                mixed.fit(TestNets.iterator(TestNets.blobs(64, 5), 16));
            }
            assertEquals(0, MixedPrecision.status(mixed).skippedSteps());
            assertNull(listener(mixed).lastDiagnosis());
            assertEquals(List.of(), log.warnings());
        }
    }

    @Test
    void aTooHighLearningRateWarnsThatTheScaleKeepsFallingAndStopsWithTheDiagnosis() {
        MultiLayerNetwork mixed = MixedPrecision.enable(TestNets.init(regression(new Sgd(3.0), 5)));
        DataSet batch = regressionBatch(32);
        try (LogCapture log = new LogCapture()) {
            IllegalStateException stop = assertThrows(IllegalStateException.class, () -> {
                for (int i = 0; i < 500; i++) {
                    mixed.fit(batch);
                }
            });
            List<String> warnings = log.warnings("the loss scale keeps falling");
            assertEquals(1, warnings.size(), log.warnings().toString());
            assertTrue(warnings.get(0).contains("a learning rate too high"), warnings.get(0));
            assertTrue(stop.getMessage().contains("LossScaleListener"), stop.getMessage());
            assertTrue(listener(mixed).lastDiagnosis().toString().startsWith("Minibatch"), stop.getMessage());
        }
    }

    @Test
    void aHealthyLearningRateDoesNotWarn() {
        MultiLayerNetwork mixed = MixedPrecision.enable(TestNets.init(regression(new Sgd(1e-2), 5)));
        DataSet batch = regressionBatch(32);
        try (LogCapture log = new LogCapture()) {
            for (int i = 0; i < 100; i++) {
                mixed.fit(batch);
            }
            assertEquals(List.of(), log.warnings());
        }
    }

    /** A regression MLP of five layers: 8 -> 16 tanh -> 16 tanh -> 16 tanh -> 16 identity ("big") -> 2 MSE. */
    private static MultiLayerConfiguration regression(org.nd4j.linalg.learning.config.IUpdater updater, long seed) {
        return new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT).updater(updater).list()
                .layer(new DenseLayer.Builder().nIn(TestNets.FEATURES).nOut(16).activation(Activation.TANH).build())
                .layer(new DenseLayer.Builder().nIn(16).nOut(16).activation(Activation.TANH).build())
                .layer(new DenseLayer.Builder().nIn(16).nOut(16).activation(Activation.TANH).build())
                .layer(new DenseLayer.Builder().nIn(16).nOut(16).activation(Activation.IDENTITY).name("big").build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(16).nOut(2)
                        .activation(Activation.IDENTITY).build())
                .build();
    }

    private static DataSet regressionBatch(int examples) {
        DataSet blobs = TestNets.blobs(examples, 6);
        return new DataSet(blobs.getFeatures(), Nd4j.randn(DataType.FLOAT, examples, 2).muli(3));
    }

    private static LossScaleListener listener(Model mixed) {
        return (LossScaleListener) Network.of(mixed).listeners().stream().filter(l -> l instanceof LossScaleListener)
                .findFirst().orElseThrow();
    }
}
