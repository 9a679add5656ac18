package org.dl4j.mixedprecision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.schedule.ExponentialSchedule;
import org.nd4j.linalg.schedule.ScheduleType;

/**
 * The calls of DL4J's own API that change a network's training settings during training reach the layers
 * of a mixed-precision network as they reach those of the FP32 network: learning rates and their schedules,
 * layer sizes, transfer learning's fine-tune configuration and nOut replacement. Each of them was silently
 * ignored (or returned null or 0) while the precision wrapper hid the layer from DL4J.
 */
class TrainingSettingsTest {

    private final DataSet data = TestNets.blobs(32, 2);

    /** An MLP trained one step with Sgd (whose update at learning rate 0 is exactly 0; Adam's is not, in FP32 too). */
    private MultiLayerNetwork fp32() {
        MultiLayerNetwork net = TestNets.init(TestNets.mlp(new Sgd(0.1), 1));
        net.fit(data);
        return net;
    }

    @Test
    void setLearningRateReachesEveryLayerAsInFp32() {
        MultiLayerNetwork fp32 = fp32();
        MultiLayerNetwork mixed = MixedPrecision.enable(fp32);
        for (MultiLayerNetwork net : new MultiLayerNetwork[] {fp32, mixed}) {
            net.setLearningRate(0.0);
        }
        for (int layer = 0; layer < fp32.getnLayers(); layer++) {
            assertEquals(0.0, mixed.getLearningRate(layer), "layer " + layer);
        }
        float[] before = TestNets.values(mixed.params());
        mixed.fit(data);
        fp32.fit(data);
        assertArrayEquals(before, TestNets.values(mixed.params()), "a learning rate of 0 leaves every weight as it was");

        ExponentialSchedule schedule = new ExponentialSchedule(ScheduleType.ITERATION, 0.1, 0.9);
        fp32.setLearningRate(schedule);
        mixed.setLearningRate(schedule);
        fp32.setLearningRate(1, 0.05);
        mixed.setLearningRate(1, 0.05);
        for (int layer = 0; layer < fp32.getnLayers(); layer++) {
            assertEquals(fp32.getLearningRate(layer), mixed.getLearningRate(layer), "layer " + layer);
        }
        assertEquals(0.05, mixed.getLearningRate(1));
        mixed.fit(data);
        assertNotEquals(before[0], TestNets.values(mixed.params())[0], "it trains again");
        assertEquals(0, MixedPrecision.status(mixed).skippedSteps());
    }

    @Test
    void aGraphsLearningRatesToo() {
        ComputationGraph fp32 = ComputationGraphTest.init(ComputationGraphTest.twoHeadGraph(new Sgd(0.1), 3));
        ComputationGraph mixed = MixedPrecision.enable(fp32);
        mixed.setLearningRate(0.0);
        mixed.setLearningRate("d1", 0.25);
        assertEquals(0.0, mixed.getLearningRate("d2"));
        assertEquals(0.0, mixed.getLearningRate("cls"));
        assertEquals(0.25, mixed.getLearningRate("d1"));
        MultiDataSet batch = ComputationGraphTest.twoHeadData(16, 4, false);
        float[] d2 = TestNets.values(mixed.getParam("d2_W"));
        float[] d1 = TestNets.values(mixed.getParam("d1_W"));
        mixed.fit(batch);
        assertArrayEquals(d2, TestNets.values(mixed.getParam("d2_W")));
        assertNotEquals(d1[0], TestNets.values(mixed.getParam("d1_W"))[0]);
        assertEquals(fp32.layerSize("d3"), mixed.layerSize("d3"));
        assertEquals(fp32.layerInputSize("d3"), mixed.layerInputSize("d3"));
    }

    @Test
    void layerSizesAreTheWrappedLayers() {
        MultiLayerNetwork fp32 = fp32();
        MultiLayerNetwork mixed = MixedPrecision.enable(fp32);
        for (int layer = 0; layer < fp32.getnLayers(); layer++) {
            assertEquals(fp32.layerSize(layer), mixed.layerSize(layer), "layer " + layer);
            assertEquals(fp32.layerInputSize(layer), mixed.layerInputSize(layer), "layer " + layer);
        }
    }

    @Test
    void transferLearningFineTunesAndResizesTheWrappedLayers() {
        MultiLayerNetwork mixed = MixedPrecision.enable(fp32());
        MultiLayerNetwork frozenRates = new TransferLearning.Builder(mixed)
                .fineTuneConfiguration(new FineTuneConfiguration.Builder().updater(new Sgd(0.0)).build())
                .build();
        assertTrue(MixedPrecision.isMixedPrecision(frozenRates));
        float[] before = TestNets.values(frozenRates.params());
        frozenRates.fit(data);
        assertArrayEquals(before, TestNets.values(frozenRates.params()), "the fine-tune updater (Sgd 0) is used");

        MultiLayerNetwork wider = new TransferLearning.Builder(mixed).nOutReplace(1, 20, WeightInit.XAVIER).build();
        assertEquals(20, wider.layerSize(1));
        assertEquals(20, wider.layerInputSize(2));
        assertTrue(MixedPrecision.isMixedPrecision(wider));
        for (int i = 0; i < 5; i++) {
            wider.fit(data);
        }
        assertEquals(0, wider.params().scan(org.nd4j.linalg.indexing.conditions.Conditions.notFinite()).intValue());
        assertEquals(0, MixedPrecision.status(wider).skippedSteps());
    }

    /**
     * A layer added by transfer learning to a mixed-precision network is a plain FP32 layer: below a
     * loss-scaled output its gradient would be the scaled one, applied as it is. Training refuses it at
     * the first step, naming the way that works.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void aPlainLayerAddedToAMixedPrecisionNetworkIsRefusedAtTheFirstStep(boolean plainOutput) {
        MultiLayerNetwork mixed = MixedPrecision.enable(fp32());
        org.deeplearning4j.nn.conf.layers.Layer output = mixed.getLayerWiseConfigurations().getConf(2).getLayer().clone();
        MultiLayerNetwork added = new TransferLearning.Builder(mixed)
                .fineTuneConfiguration(new FineTuneConfiguration.Builder().build())
                .removeOutputLayer()
                .addLayer(new org.deeplearning4j.nn.conf.layers.DenseLayer.Builder().nIn(32).nOut(32).build())
                .addLayer(plainOutput ? Network.userLayer(output) : output)
                .build();
        float[] before = TestNets.values(added.params());
        IllegalStateException error = assertThrows(IllegalStateException.class, () -> added.fit(data));
        assertTrue(error.getMessage().contains("MixedPrecision.disable"), error.getMessage());
        assertArrayEquals(before, TestNets.values(added.params()), "refused before any update");
    }

    /** A call of DL4J's {@code MultiLayerNetwork} API and a number that shows its effect. */
    private interface Call {
        double run(MultiLayerNetwork net, DataSet data) throws Exception;
    }

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> calls() {
        java.util.Map<String, Call> calls = new java.util.LinkedHashMap<>();
        calls.put("setParams", (net, data) -> {
            net.setParams(net.params().mul(0.5));
            return net.output(data.getFeatures()).sumNumber().doubleValue();
        });
        calls.put("setParam", (net, data) -> {
            net.setParam("0_W", net.getParam("0_W").mul(0.5));
            return net.output(data.getFeatures()).getDouble(0, 0);
        });
        calls.put("score(DataSet)", (net, data) -> net.score(data));
        calls.put("evaluate", (net, data) -> net.evaluate(TestNets.iterator(data, 8)).accuracy());
        calls.put("fit(features, labels)", (net, data) -> {
            net.fit(data.getFeatures(), data.getLabels());
            return net.score(data);
        });
        calls.put("fit(iterator, epochs)", (net, data) -> {
            net.fit(TestNets.iterator(data, 8), 2);
            return net.score(data);
        });
        calls.put("clone, fit", (net, data) -> {
            MultiLayerNetwork clone = net.clone();
            clone.fit(data);
            return clone.score(data);
        });
        calls.put("toComputationGraph, fit", (net, data) -> {
            ComputationGraph graph = net.toComputationGraph();
            graph.fit(data);
            return graph.score(data);
        });
        calls.put("pretrain (no pretrain layers: a no-op)", (net, data) -> {
            net.pretrain(TestNets.iterator(data, 8));
            return net.score(data);
        });
        calls.put("feedForward", (net, data) -> net.feedForward(data.getFeatures(), true).get(2).sumNumber().doubleValue());
        calls.put("computeGradientAndScore", (net, data) -> {
            net.setInput(data.getFeatures());
            net.setLabels(data.getLabels());
            net.computeGradientAndScore();
            return net.gradient().getGradientFor("1_W").norm2Number().doubleValue();
        });
        calls.put("save, load, fit", (net, data) -> {
            java.io.File file = java.io.File.createTempFile("network", ".zip");
            try {
                net.save(file, true);
                MultiLayerNetwork loaded = MultiLayerNetwork.load(file, true);
                loaded.fit(data);
                return loaded.score(data);
            } finally {
                java.nio.file.Files.delete(file.toPath());
            }
        });
        calls.put("setUpdater(null), fit", (net, data) -> {
            net.setUpdater(null);
            net.fit(data);
            return net.score(data);
        });
        calls.put("incrementEpochCount", (net, data) -> {
            net.incrementEpochCount();
            return net.getEpochCount();
        });
        return calls.entrySet().stream().map(e -> org.junit.jupiter.params.provider.Arguments.of(e.getKey(), e.getValue()));
    }

    /** DL4J calls a user makes during training: on the mixed-precision network they do what they do in FP32. */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.MethodSource("calls")
    void dl4jsCallsDoOnTheMixedNetworkWhatTheyDoInFp32(String name, Call call) throws Exception {
        MultiLayerNetwork fp32 = TestNets.init(TestNets.mlp(new org.nd4j.linalg.learning.config.Adam(1e-2), 1));
        fp32.fit(data);
        MultiLayerNetwork mixed = MixedPrecision.enable(fp32.clone());
        double expected = call.run(fp32, data);
        double actual = call.run(mixed, data);
        assertEquals(expected, actual, 0.01 * Math.max(1, Math.abs(expected)), name);
        assertTrue(MixedPrecision.isMixedPrecision(mixed), name);
        assertEquals(0, MixedPrecision.status(mixed).skippedSteps(), name);
    }

    /** 0.1's master copy is gone: {@code disable} returns an FP32 copy, and neither network moves the other. */
    @Test
    void theFp32CopyFromDisableAndTheMixedNetworkTrainIndependently() {
        MultiLayerNetwork mixed = MixedPrecision.enable(fp32());
        MultiLayerNetwork plain = MixedPrecision.disable(mixed);
        float[] mixedBefore = TestNets.values(mixed.params());
        plain.setParams(plain.params().mul(2));
        plain.fit(data);
        assertArrayEquals(mixedBefore, TestNets.values(mixed.params()), "editing or fitting the copy leaves the mixed network");
        float[] plainAfter = TestNets.values(plain.params());
        mixed.fit(data);
        assertArrayEquals(plainAfter, TestNets.values(plain.params()), "fitting the mixed network leaves the copy");
        assertEquals(2, mixed.getIterationCount());
    }

    @Test
    void enableLeavesItsNetworkAsItWasAndDisableGivesTheStateBackInPlainDl4jClasses() {
        MultiLayerNetwork original = TestNets.init(TestNets.mlp(new org.nd4j.linalg.learning.config.Adam(1e-2), 1));
        float[] before = TestNets.values(original.params());
        MultiLayerNetwork mixed = MixedPrecision.enable(original);
        mixed.fit(data);
        mixed.fit(data);
        assertArrayEquals(before, TestNets.values(original.params()), "enable trains a copy");
        assertEquals(0, original.getIterationCount());

        MultiLayerNetwork plain = MixedPrecision.disable(mixed);
        assertArrayEquals(TestNets.values(mixed.params()), TestNets.values(plain.params()));
        assertArrayEquals(TestNets.values(mixed.getUpdater().getStateViewArray()),
                TestNets.values(plain.getUpdater().getStateViewArray()), "Adam's moments");
        assertEquals(2, plain.getIterationCount());
        assertFalse(MixedPrecision.isMixedPrecision(plain));
        assertFalse(plain.getLayerWiseConfigurations().toJson().contains("org.dl4j.mixedprecision"),
                "no class of this library in the configuration");
        assertTrue(plain.getListeners().stream().noneMatch(l -> l.getClass().getName().startsWith("org.dl4j.mixedprecision")),
                plain.getListeners().toString());
    }

    @Test
    void convertingTheMixedNetworkToHalfIsRefusedNamingTheWay() {
        MultiLayerNetwork mixed = MixedPrecision.enable(fp32());
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> mixed.convertDataType(DataType.HALF));
        assertTrue(error.getMessage().contains("MixedPrecision.disable(network).convertDataType(DataType.HALF)"),
                error.getMessage());
    }
}
