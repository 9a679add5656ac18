package org.dl4j.mixedprecision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLambdaLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** The self-check of {@link MixedPrecision#enableChecked}: when it passes, when it falls back to FP32, and the switch. */
class SelfCheckTest {

    @Test
    void aHealthyNetworkPassesAndTrainsExactlyAsIfUnchecked() {
        MultiLayerNetwork fp32 = TestNets.init(TestNets.mlp(new Adam(1e-2), 1));
        float[] before = TestNets.values(fp32.params());
        List<DataSet> batches = TestNets.blobs(48, 2).batchBy(16);

        MultiLayerNetwork checked = MixedPrecision.enableChecked(fp32, batches.get(0));
        MultiLayerNetwork unchecked = MixedPrecision.enable(fp32);
        assertTrue(MixedPrecision.isMixedPrecision(checked));
        assertArrayEquals(before, TestNets.values(fp32.params()), "the FP32 network is left as it was");
        for (DataSet batch : batches) {
            checked.fit(batch);
            unchecked.fit(batch);
        }
        assertArrayEquals(TestNets.values(unchecked.params()), TestNets.values(checked.params()));
        assertEquals(MixedPrecision.status(unchecked), MixedPrecision.status(checked));

        SelfCheck.Result result = SelfCheck.run(fp32, MixedPrecision.enable(fp32), SelfCheck.Batch.of(batches.get(0)));
        assertTrue(result.passed(), result.toString());
        assertTrue(result.outputError() < SelfCheck.MAX_OUTPUT_ERROR / 5, result.toString());
        assertTrue(result.gradientCosine() > 0.999, result.toString());
        assertTrue(result.memorySaving() < 0, "a batch of 16 through a 1.5k-parameter MLP: the FP32 master costs"
                + " more than the HALF activations save: " + result);
    }

    @Test
    void aConvolutionalNetworkPassesAndSavesMemoryAtAUsefulMinibatchSize() {
        MultiLayerNetwork fp32 = TestNets.init(new NeuralNetConfiguration.Builder().seed(5).dataType(DataType.FLOAT)
                .updater(new Adam(1e-3)).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(16).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(2, 2).stride(2, 2).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(TestNets.CLASSES)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(16, 16, 1))
                .build());
        DataSet batch = new DataSet(Nd4j.rand(DataType.FLOAT, 32, 1, 16, 16),
                TestNets.blobs(32, 1).getLabels());

        SelfCheck.Result result = SelfCheck.run(fp32, MixedPrecision.enable(fp32), SelfCheck.Batch.of(batch));
        assertTrue(result.passed(), result.toString());
        // FP32: 4 x (2 x 2,515 parameters + 5,030 Adam values + 125,536 activations) bytes; mixed precision
        // holds the activations in 2 bytes, the parameters and gradients in 2 + 4 bytes each.
        assertEquals(0.4444, result.memorySaving(), 1e-4, result.toString());
    }

    /**
     * The FP32 and the mixed-precision backward pass draw their own dropout masks: the check compares
     * them with dropout and weight noise off (both networks alike), and BatchNormalization computes in FLOAT
     * under the default policy.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"Dropout", "SpatialDropout", "AlphaDropout",
            "DropConnect", "BatchNormalization"})
    void networksWithDropoutOrBatchNormalizationPass(String regularizer) {
        NeuralNetConfiguration.ListBuilder layers = new NeuralNetConfiguration.Builder().seed(5)
                .dataType(DataType.FLOAT).updater(new Adam(1e-3)).list();
        ConvolutionLayer.Builder convolution = new ConvolutionLayer.Builder(3, 3).nOut(8).activation(Activation.RELU);
        switch (regularizer) {
            case "Dropout" -> convolution.dropOut(new org.deeplearning4j.nn.conf.dropout.Dropout(0.5));
            case "SpatialDropout" -> convolution.dropOut(new org.deeplearning4j.nn.conf.dropout.SpatialDropout(0.5));
            case "AlphaDropout" -> convolution.dropOut(new org.deeplearning4j.nn.conf.dropout.AlphaDropout(0.5));
            case "DropConnect" -> convolution.weightNoise(new org.deeplearning4j.nn.conf.weightnoise.DropConnect(0.5));
            default -> { }
        }
        layers.layer(convolution.build());
        if (regularizer.equals("BatchNormalization")) {
            layers.layer(new org.deeplearning4j.nn.conf.layers.BatchNormalization.Builder().build());
        }
        DenseLayer.Builder dense = new DenseLayer.Builder().nOut(16).activation(Activation.RELU);
        if (regularizer.equals("Dropout")) {
            dense.dropOut(0.8);
        }
        MultiLayerNetwork fp32 = TestNets.init(layers
                .layer(new SubsamplingLayer.Builder(2, 2).stride(2, 2).build())
                .layer(dense.build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(TestNets.CLASSES)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(12, 12, 1))
                .build());
        DataSet batch = new DataSet(Nd4j.rand(DataType.FLOAT, 16, 1, 12, 12), TestNets.blobs(16, 1).getLabels());

        for (int seed = 0; seed < 3; seed++) {
            Nd4j.getRandom().setSeed(seed);
            SelfCheck.Result result = SelfCheck.run(fp32, MixedPrecision.enable(fp32), SelfCheck.Batch.of(batch));
            assertTrue(result.passed(), result.toString());
            assertTrue(result.gradientCosine() > 0.999, result.toString());
        }
        assertNotSame(fp32, MixedPrecision.enableChecked(fp32, batch));
        MultiLayerNetwork mixed = MixedPrecision.enable(fp32);
        mixed.fit(batch);
        assertEquals(fp32.getLayerWiseConfigurations().getConf(0).getLayer().getIDropout(),
                Network.userLayer(mixed.getLayerWiseConfigurations().getConf(0).getLayer()).getIDropout(),
                "the network trains with its dropout");
    }

    @Test
    void aHealthyGraphPasses() {
        ComputationGraph fp32 = ComputationGraphTest.init(ComputationGraphTest.twoHeadGraph(new Adam(1e-2), 3));
        MultiDataSet batch = ComputationGraphTest.twoHeadData(32, 4, true);
        try (LogCapture log = new LogCapture()) {
            ComputationGraph checked = MixedPrecision.enableChecked(fp32, batch);
            assertTrue(MixedPrecision.isMixedPrecision(checked));
            assertEquals(List.of(), log.warnings("self-check failed"));
            List<String> enabled = log.lines("Mixed precision enabled");
            assertEquals(1, enabled.size(), log.text());
            assertTrue(enabled.get(0).contains("ComputationGraph after its self-check passed (output error"), enabled.get(0));
            assertFalse(enabled.get(0).contains("selfCheck"), enabled.get(0));
        }
        try (LogCapture log = new LogCapture()) {
            MixedPrecision.enable(fp32);
            assertEquals(1, log.lines("Mixed precision enabled for a ComputationGraph without a self-check"
                    + " (MixedPrecision.enable)").size(), log.text());
        }
    }

    @Test
    void anOpWithoutAHalfKernelFallsBackToFp32NamingTheLayer() {
        MultiLayerNetwork fp32 = TestNets.init(new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.FLOAT)
                .updater(new Adam(1e-3)).list()
                .layer(new DenseLayer.Builder().nOut(8).activation(Activation.TANH).build())
                .layer(new Fp32OnlyLayer())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(TestNets.CLASSES)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.feedForward(TestNets.FEATURES))
                .build());
        try (LogCapture log = new LogCapture()) {
            assertSame(fp32, MixedPrecision.enableChecked(fp32, TestNets.blobs(16, 1)));
            List<String> warnings = log.warnings("self-check failed");
            assertEquals(1, warnings.size(), log.warnings().toString());
            assertEquals(List.of(), log.lines("Mixed precision enabled"), "one line for what happened: the fallback");
            for (String fragment : List.of("forward check", "layer 1 (\"layer1\")", "no HALF kernel", "withLayer(name, DataType.FLOAT)",
                    "selfCheck(false)", "MixedPrecision.enable(network)")) {
                assertTrue(warnings.get(0).contains(fragment), warnings.get(0) + " should contain " + fragment);
            }
        }
    }

    @Test
    void outputsBeyondFp16ResolutionFallBackToFp32AndTheSwitchForcesMixedPrecision() {
        MultiLayerNetwork fp32 = TestNets.init(tinyInputRegression());
        DataSet blobs = TestNets.blobs(16, 1);
        DataSet tiny = new DataSet(blobs.getFeatures().mul(1e-9), blobs.getLabels()); // below FP16's 6e-8
        try (LogCapture log = new LogCapture()) {
            assertSame(fp32, MixedPrecision.enableChecked(fp32, tiny));
            List<String> warnings = log.warnings("self-check failed");
            assertEquals(1, warnings.size(), log.warnings().toString());
            assertTrue(warnings.get(0).contains("forward check: the HALF outputs deviate from FP32's by a relative"
                    + " error of 1.00, above the threshold 0.05"), warnings.get(0));

            MultiLayerNetwork forced = MixedPrecision.enableChecked(fp32, tiny,
                    MixedPrecisionConfig.builder().selfCheck(false).build());
            assertNotSame(fp32, forced);
            assertTrue(MixedPrecision.isMixedPrecision(forced));
            assertEquals(1, log.warnings("self-check failed").size(), "no check, no second warning");
        }
    }

    @Test
    void theSwitchIsPartOfTheConfiguration() {
        assertTrue(MixedPrecisionConfig.defaults().selfCheck());
        MixedPrecisionConfig off = MixedPrecisionConfig.builder().selfCheck(false).build();
        assertFalse(off.selfCheck());
        assertFalse(off.equals(MixedPrecisionConfig.defaults()));
        assertTrue(off.toString().contains("selfCheck=false"));

        MultiLayerConfiguration saved = MultiLayerConfiguration.fromJson(
                MixedPrecision.configure(TestNets.mlp(new Adam(1e-3), 1), off).toJson());
        assertEquals(off, TestNets.lossScalerOf(TestNets.init(saved)).config(), "saved with the network");
    }

    @Test
    void aMissingBatchIsRejectedWithWhatToPass() {
        MultiLayerNetwork fp32 = TestNets.init(TestNets.mlp(new Adam(1e-3), 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MixedPrecision.enableChecked(fp32, null));
        assertTrue(e.getMessage().contains("trainIterator.next()"), e.getMessage());
        DataSet unlabeled = new DataSet(TestNets.blobs(4, 1).getFeatures(), null);
        e = assertThrows(IllegalArgumentException.class, () -> MixedPrecision.enableChecked(fp32, unlabeled));
        assertTrue(e.getMessage().contains("has no labels"), e.getMessage());
        assertTrue(MixedPrecision.isMixedPrecision(MixedPrecision.enableChecked(fp32, null,
                MixedPrecisionConfig.builder().selfCheck(false).build())), "no check, no batch needed");
    }

    /** A linear regression: its outputs are as small as its inputs. */
    private static MultiLayerConfiguration tinyInputRegression() {
        return new NeuralNetConfiguration.Builder().seed(2).dataType(DataType.FLOAT).updater(new Adam(1e-3)).list()
                .layer(new DenseLayer.Builder().nIn(TestNets.FEATURES).nOut(8).activation(Activation.IDENTITY).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(8).nOut(TestNets.CLASSES)
                        .activation(Activation.IDENTITY).build())
                .build();
    }

    /** Stands for an op that the backend runs in FP32 only: building it for HALF throws, as ND4J does. */
    static final class Fp32OnlyLayer extends SameDiffLambdaLayer {
        @Override
        public SDVariable defineLayer(SameDiff sameDiff, SDVariable layerInput) {
            if (layerInput.dataType() == DataType.HALF) {
                throw new UnsupportedOperationException("op \"fp32_only\" has no HALF kernel on this backend");
            }
            return layerInput.mul(1.0);
        }

        @Override
        public InputType getOutputType(int layerIndex, InputType inputType) {
            return inputType;
        }
    }
}
