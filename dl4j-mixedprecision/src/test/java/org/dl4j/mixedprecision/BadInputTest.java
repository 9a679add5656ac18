package org.dl4j.mixedprecision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.api.OptimizationAlgorithm;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import java.util.Map;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffOutputLayer;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.deeplearning4j.nn.conf.layers.OutputLayer;

class BadInputTest {

    @Test
    void uninitializedNetworkIsRejected() {
        MultiLayerNetwork net = new MultiLayerNetwork(TestNets.mlp(new Adam(1e-3), 1));
        assertMessage(assertThrows(IllegalArgumentException.class, () -> MixedPrecision.enable(net)),
                "not initialized", "call network.init()");
    }

    @Test
    void halfNetworkIsRejected() {
        MultiLayerNetwork half = TestNets.init(TestNets.mlp(new Adam(1e-3), 1)).convertDataType(DataType.HALF);
        assertMessage(assertThrows(IllegalArgumentException.class, () -> MixedPrecision.enable(half)),
                "data type is HALF, expected FLOAT", "convertDataType(DataType.FLOAT)");
        MultiLayerNetwork mixed = MixedPrecision.enable(TestNets.init(TestNets.mlp(new Adam(1e-3), 1)));
        assertMessage(assertThrows(IllegalArgumentException.class, () -> MixedPrecision.enable(mixed)),
                "already mixed precision", "call it once");
    }

    @Test
    void doubleNetworkIsRejected() {
        MultiLayerNetwork fp64 = TestNets.init(TestNets.mlp(new Adam(1e-3), 1)).convertDataType(DataType.DOUBLE);
        assertMessage(assertThrows(IllegalArgumentException.class, () -> MixedPrecision.enable(fp64)),
                "DOUBLE", "convertDataType(DataType.FLOAT)");
    }

    @ParameterizedTest
    @EnumSource(value = OptimizationAlgorithm.class, names = {"LBFGS", "CONJUGATE_GRADIENT", "LINE_GRADIENT_DESCENT"})
    void lineSearchOptimizersAreRejected(OptimizationAlgorithm algorithm) {
        MultiLayerConfiguration conf = TestNets.mlp(new Sgd(0.1), 1);
        conf.getConfs().forEach(c -> c.setOptimizationAlgo(algorithm));
        MultiLayerNetwork net = TestNets.init(conf);
        assertEquals(algorithm, net.conf().getOptimizationAlgo());
        assertMessage(assertThrows(IllegalArgumentException.class, () -> MixedPrecision.enable(net)),
                algorithm.name(), "STOCHASTIC_GRADIENT_DESCENT");
    }

    @Test
    void outputLayerWhoseLossCannotBeScaledIsRejectedByName() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).list()
                .layer(new DenseLayer.Builder().nIn(4).nOut(3).build())
                .layer(new SquaredErrorSameDiffOutputLayer())
                .setInputType(InputType.feedForward(4))
                .build();
        MultiLayerNetwork net = TestNets.init(conf);
        assertMessage(assertThrows(IllegalArgumentException.class, () -> MixedPrecision.enable(net)),
                "Layer \"layer1\" (SquaredErrorSameDiffOutputLayer)", "has no loss mixed precision can scale",
                "Supported output layers");
    }

    /** A SameDiff output layer: its loss is a SameDiff graph, which mixed precision cannot scale. */
    static final class SquaredErrorSameDiffOutputLayer extends SameDiffOutputLayer {
        @Override
        public SDVariable defineLayer(SameDiff sameDiff, SDVariable layerInput, SDVariable labels,
                                      Map<String, SDVariable> paramTable) {
            sameDiff.identity("out", layerInput);
            SDVariable diff = layerInput.sub(labels);
            return diff.mul(diff).sum();
        }

        @Override
        public String activationsVertexName() {
            return "out";
        }

        @Override
        public void defineParameters(SDLayerParams params) {
        }

        @Override
        public void initializeParameters(Map<String, INDArray> params) {
        }

        @Override
        public InputType getOutputType(int layerIndex, InputType inputType) {
            return inputType;
        }
    }

    /**
     * The extreme scales the builder allows: the smallest flushes small gradients to zero but its reciprocal
     * keeps every unscaled gradient finite, so no step turns a weight into NaN while counting as clean; the
     * largest overflows and every step is skipped with the weights untouched.
     */
    @Test
    void theExtremeAllowedScalesNeverTurnWeightsIntoNaN() {
        DataSet data = TestNets.blobs(16, 4);
        MultiLayerNetwork smallest = MixedPrecision.enable(TestNets.init(TestNets.mlp(new Sgd(0.1), 1)),
                MixedPrecisionConfig.builder().staticScale(MixedPrecisionConfig.SMALLEST_SCALE).build());
        for (int i = 0; i < 5; i++) {
            smallest.fit(data);
        }
        assertEquals(0, smallest.params().scan(org.nd4j.linalg.indexing.conditions.Conditions.notFinite()).intValue());
        assertEquals(0, MixedPrecision.status(smallest).skippedSteps());

        MultiLayerNetwork largest = MixedPrecision.enable(TestNets.init(TestNets.mlp(new Sgd(0.1), 1)),
                MixedPrecisionConfig.builder().staticScale(MixedPrecisionConfig.LARGEST_SCALE).build());
        float[] before = TestNets.values(largest.params());
        for (int i = 0; i < 5; i++) {
            largest.fit(data);
        }
        assertArrayEquals(before, TestNets.values(largest.params()), "every step overflowed and was skipped");
        assertEquals(5, MixedPrecision.status(largest).skippedSteps());
    }

    @Test
    void invalidSystemPropertyIsRejected() {
        System.setProperty(MixedPrecision.ENABLED_PROPERTY, "maybe");
        try {
            MultiLayerNetwork net = TestNets.init(TestNets.mlp(new Adam(1e-3), 1));
            assertMessage(assertThrows(IllegalArgumentException.class, () -> MixedPrecision.enable(net)),
                    MixedPrecision.ENABLED_PROPERTY, "\"maybe\"");
        } finally {
            System.clearProperty(MixedPrecision.ENABLED_PROPERTY);
        }
    }

    @Test
    void systemPropertyTurnsMixedPrecisionOff() {
        System.setProperty(MixedPrecision.ENABLED_PROPERTY, "false");
        try {
            MultiLayerNetwork net = TestNets.init(TestNets.mlp(new Adam(1e-3), 1));
            assertSame(net, MixedPrecision.enable(net));
            assertEquals(DataType.FLOAT, net.params().dataType());
        } finally {
            System.clearProperty(MixedPrecision.ENABLED_PROPERTY);
        }
    }

    @Test
    void nanFeaturesSkipStepsNeverTouchTheWeightsThenStopTraining() {
        MultiLayerNetwork mixed = MixedPrecision.enable(TestNets.init(TestNets.mlp(new Adam(1e-2), 1)),
                MixedPrecisionConfig.builder().initialScale(1024).maxConsecutiveSkippedSteps(3).build());
        DataSet clean = TestNets.blobs(32, 5);
        mixed.fit(clean);
        assertEquals(0, MixedPrecision.status(mixed).skippedSteps());
        DataSet poisoned = clean.copy();
        poisoned.getFeatures().putScalar(4, 2, Double.NaN);
        float[] before = TestNets.values(mixed.params());

        for (int i = 0; i < 3; i++) {
            mixed.fit(poisoned);
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> mixed.fit(poisoned));
        assertMessage(e, "4 consecutive training steps were skipped", "gradients held Inf or NaN", "layer0_W",
                "check the features and labels", "maxConsecutiveSkippedSteps (now 3)");
        assertArrayEquals(before, TestNets.values(mixed.params()));
        assertEquals(4, MixedPrecision.status(mixed).skippedSteps());

        mixed.fit(clean);
        assertEquals(0, MixedPrecision.status(mixed).consecutiveSkippedSteps(), "clean data trains again");
    }

    @Test
    void aForwardPassBeyondFp16RangeStopsTrainingNamingTheLayer() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.FLOAT)
                .updater(new Sgd(1e-3)).list()
                .layer(new DenseLayer.Builder().nIn(TestNets.FEATURES).nOut(8).activation(Activation.TANH).build())
                .layer(new DenseLayer.Builder().nIn(8).nOut(8).activation(Activation.IDENTITY).name("huge").build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(8).nOut(2)
                        .activation(Activation.IDENTITY).build())
                .build();
        MultiLayerNetwork fp32 = TestNets.init(conf);
        fp32.getLayer(1).getParam("W").muli(1e5); // outputs of "huge" reach ~1e5 > 65504
        MultiLayerNetwork mixed = MixedPrecision.enable(fp32,
                MixedPrecisionConfig.builder().initialScale(1).maxConsecutiveSkippedSteps(2).build());
        DataSet batch = new DataSet(TestNets.blobs(16, 1).getFeatures(), Nd4j.zeros(DataType.FLOAT, 16, 2));
        float[] before = TestNets.values(mixed.params());

        mixed.fit(batch);
        mixed.fit(batch);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> mixed.fit(batch));
        assertMessage(e, "3 consecutive training steps were skipped", "LossScaleListener");
        OverflowDiagnosis diagnosis = ((LossScaleListener) mixed.getListeners().stream()
                .filter(listener -> listener instanceof LossScaleListener).findFirst().orElseThrow()).lastDiagnosis();
        assertMessage(diagnosis.toString(), "layer \"huge\" are Inf/NaN in HALF", "65504",
                "Keep this layer in FP32 (PrecisionPolicy.mixedFloat16().withLayer(\"huge\", DataType.FLOAT))");
        assertArrayEquals(before, TestNets.values(mixed.params()));
    }

    @Test
    void aBatchNormalizationOfTooFewValuesIsNamedInTheDiagnosis() {
        // A 4x4 image, a 3x3 convolution and a 2x2 pooling leave 1x1 maps: with a minibatch of 1 the
        // BatchNormalization layer normalizes one value per channel.
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(4).dataType(DataType.FLOAT)
                .updater(new Adam(1e-3)).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.IDENTITY).build())
                .layer(new SubsamplingLayer.Builder(2, 2).stride(2, 2).build())
                .layer(new BatchNormalization.Builder().name("bn").build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(2).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(4, 4, 1))
                .build();
        DataSet one = new DataSet(Nd4j.rand(DataType.FLOAT, 1, 1, 4, 4), Nd4j.create(new float[][] {{1, 0}}));
        MultiLayerNetwork mixed = MixedPrecision.enable(TestNets.init(conf),
                MixedPrecisionConfig.builder().initialScale(1).build());
        mixed.fit(one);
        assertEquals(0, MixedPrecision.status(mixed).skippedSteps(), "the default policy keeps BatchNormalization in FP32");

        MultiLayerNetwork allHalf = MixedPrecision.enable(TestNets.init(conf), MixedPrecisionConfig.builder()
                .initialScale(1).precisionPolicy(PrecisionPolicy.allHalf()).build());
        try (LogCapture log = new LogCapture()) {
            allHalf.fit(one);
            assertEquals(1, MixedPrecision.status(allHalf).skippedSteps());
            assertMessage(log.text(), "BatchNormalization layer \"bn\" (1 value per channel)",
                    "Use larger minibatches");
        }
    }

    @Test
    void statusOfAPlainNetworkIsRejected() {
        MultiLayerNetwork net = TestNets.init(TestNets.mlp(new Adam(1e-3), 1));
        assertMessage(assertThrows(IllegalArgumentException.class, () -> MixedPrecision.status(net)),
                "Not a mixed-precision network", "MixedPrecision.enable");
    }

    private static void assertMessage(Exception e, String... fragments) {
        assertMessage(e.getMessage(), fragments);
    }

    private static void assertMessage(String message, String... fragments) {
        for (String fragment : fragments) {
            assertTrue(message.contains(fragment), () -> "'" + message + "' should contain '" + fragment + "'");
        }
    }
}
