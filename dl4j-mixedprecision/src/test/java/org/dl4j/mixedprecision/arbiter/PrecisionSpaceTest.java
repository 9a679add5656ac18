package org.dl4j.mixedprecision.arbiter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.deeplearning4j.arbiter.ComputationGraphSpace;
import org.deeplearning4j.arbiter.MultiLayerSpace;
import org.deeplearning4j.arbiter.conf.updater.AdamSpace;
import org.deeplearning4j.arbiter.layers.DenseLayerSpace;
import org.deeplearning4j.arbiter.layers.OutputLayerSpace;
import org.deeplearning4j.arbiter.optimize.api.Candidate;
import org.deeplearning4j.arbiter.optimize.generator.GridSearchCandidateGenerator;
import org.deeplearning4j.arbiter.optimize.generator.RandomSearchGenerator;
import org.deeplearning4j.arbiter.optimize.parameter.FixedValue;
import org.deeplearning4j.arbiter.optimize.parameter.continuous.ContinuousParameterSpace;
import org.deeplearning4j.arbiter.optimize.parameter.discrete.DiscreteParameterSpace;
import org.deeplearning4j.arbiter.optimize.parameter.integer.IntegerParameterSpace;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class PrecisionSpaceTest {

    private static MultiLayerSpace layers() {
        return new MultiLayerSpace.Builder()
                .seed(12345)
                .updater(new AdamSpace(new ContinuousParameterSpace(1e-4, 1e-2), new FixedValue<>(0.9),
                        new FixedValue<>(0.999), new FixedValue<>(1e-8)))
                .addLayer(new DenseLayerSpace.Builder().nIn(4).nOut(new IntegerParameterSpace(8, 64))
                        .activation(Activation.RELU).build())
                .addLayer(new OutputLayerSpace.Builder().nOut(3).activation(Activation.SOFTMAX)
                        .lossFunction(LossFunctions.LossFunction.MCXENT).build())
                .numEpochs(1)
                .build();
    }

    private static MultiLayerPrecisionSpace space() {
        return new MultiLayerPrecisionSpace(layers(), new PrecisionParameterSpace(Precision.FP32, Precision.MIXED),
                new DiscreteParameterSpace<>(256.0, 65536.0), new IntegerParameterSpace(100, 2000));
    }

    private static List<MixedPrecisionDL4JConfiguration> sample(MultiLayerPrecisionSpace space, int count) {
        RandomSearchGenerator generator = new RandomSearchGenerator(space, null);
        generator.setRngSeed(7);
        List<MixedPrecisionDL4JConfiguration> candidates = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Candidate<?> candidate = generator.getCandidate();
            candidates.add(assertInstanceOf(MixedPrecisionDL4JConfiguration.class, candidate.getValue()));
        }
        return candidates;
    }

    @Test
    void randomSearchSamplesBothPrecisionsAndTheScalerSettingsAlongsideTheNetworksHyperparameters() {
        MultiLayerPrecisionSpace space = space();
        assertEquals(5, space.numParameters(), "learning rate, width, precision, initial scale, growth interval");
        Set<Precision> precisions = EnumSet.noneOf(Precision.class);
        Set<Double> scales = new java.util.HashSet<>();
        for (MixedPrecisionDL4JConfiguration candidate : sample(space, 20)) {
            PrecisionSettings settings = candidate.precisionSettings();
            precisions.add(settings.precision());
            scales.add(settings.initialScale());
            assertTrue(settings.growthInterval() >= 100 && settings.growthInterval() <= 2000, settings.toString());
            assertEquals(settings.initialScale(), settings.config().initialScale());
            assertEquals((int) settings.growthInterval(), settings.config().growthInterval());
            double lr = ((Adam) candidate.getMultiLayerConfiguration().getConf(0).getLayer().getUpdaterByParam("W"))
                    .getLearningRate();
            assertTrue(lr >= 1e-4 && lr <= 1e-2, "learning rate " + lr);
            long width = ((FeedForwardLayer) candidate.getMultiLayerConfiguration().getConf(0).getLayer()).getNOut();
            assertTrue(width >= 8 && width <= 64, "width " + width);
        }
        assertEquals(EnumSet.allOf(Precision.class), precisions);
        assertEquals(Set.of(256.0, 65536.0), scales);
    }

    @Test
    void theSpaceSurvivesAJsonRoundTrip() {
        MultiLayerPrecisionSpace space = space();
        String json = space.toJson();
        MultiLayerPrecisionSpace back = MultiLayerPrecisionSpace.fromJson(json);
        assertEquals(json, back.toJson());
        assertEquals(space.numParameters(), back.numParameters());
        Random random = new Random(3);
        for (int i = 0; i < 10; i++) {
            double[] values = new double[space.numParameters()];
            for (int v = 0; v < values.length; v++) {
                values[v] = random.nextDouble();
            }
            MixedPrecisionDL4JConfiguration original = space.getValue(values);
            MixedPrecisionDL4JConfiguration read = back.getValue(values);
            assertEquals(original.precisionSettings(), read.precisionSettings());
            assertInstanceOf(Precision.class, read.precisionSettings().precision());
            assertEquals(original.getMultiLayerConfiguration().toJson(), read.getMultiLayerConfiguration().toJson());
        }
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> MultiLayerPrecisionSpace.fromJson("{\"network\": 3"));
        assertTrue(error.getMessage().startsWith("Not a MultiLayerPrecisionSpace in JSON"), error.getMessage());
    }

    @Test
    void gridSearchTriesEachPrecisionOnceAndUnsetScalerSettingsKeepTheDefaults() {
        MultiLayerSpace fixed = new MultiLayerSpace.Builder()
                .addLayer(new DenseLayerSpace.Builder().nIn(4).nOut(8).build())
                .addLayer(new OutputLayerSpace.Builder().nOut(3).activation(Activation.SOFTMAX)
                        .lossFunction(LossFunctions.LossFunction.MCXENT).build())
                .build();
        MultiLayerPrecisionSpace space = new MultiLayerPrecisionSpace(fixed,
                new PrecisionParameterSpace(Precision.FP32, Precision.MIXED));
        GridSearchCandidateGenerator grid = new GridSearchCandidateGenerator(space, 5,
                GridSearchCandidateGenerator.Mode.Sequential, null);
        List<Precision> tried = new ArrayList<>();
        while (grid.hasMoreCandidates()) {
            PrecisionSettings settings = ((PrecisionCandidate) grid.getCandidate().getValue()).precisionSettings();
            tried.add(settings.precision());
            assertNull(settings.initialScale());
            assertTrue(settings.config().calibratesInitialScale(), "no initial scale searched: calibrated");
        }
        assertEquals(List.of(Precision.FP32, Precision.MIXED), tried);
    }

    @Test
    void aGraphSpaceGivesGraphCandidates() {
        ComputationGraphSpace graph = new ComputationGraphSpace.Builder()
                .addInputs("in")
                .addLayer("dense", new DenseLayerSpace.Builder().nIn(4).nOut(new IntegerParameterSpace(8, 16)).build(), "in")
                .addLayer("out", new OutputLayerSpace.Builder().nOut(3).activation(Activation.SOFTMAX)
                        .lossFunction(LossFunctions.LossFunction.MCXENT).build(), "dense")
                .setOutputs("out")
                .build();
        ComputationGraphPrecisionSpace space = new ComputationGraphPrecisionSpace(graph,
                new PrecisionParameterSpace(Precision.MIXED));
        assertEquals(2, space.numParameters());
        MixedPrecisionGraphConfiguration candidate = space.getValue(new double[] {0.5, 0.5});
        assertEquals(Precision.MIXED, candidate.precisionSettings().precision());
        assertInstanceOf(DenseLayer.class, ((org.deeplearning4j.nn.conf.graph.LayerVertex)
                candidate.getConfiguration().getVertices().get("dense")).getLayerConf().getLayer());
        String json = space.toJson();
        assertEquals(json, ComputationGraphPrecisionSpace.fromJson(json).toJson());
    }

    @Test
    void aPrecisionSpaceNeedsAtLeastOnePrecision() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, PrecisionParameterSpace::new);
        assertEquals("Give at least one precision, e.g. Precision.FP32, Precision.MIXED", error.getMessage());
    }
}
