package org.dl4j.mixedprecision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.AttentionVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Deconvolution2D;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.RecurrentAttentionLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.SelfAttentionLayer;
import org.deeplearning4j.nn.conf.layers.variational.VariationalAutoencoder;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.wrapper.BaseWrapperLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Layers that fail or are inaccurate in HALF on ND4J train like FP32 under the default policy, which keeps
 * them in FLOAT; what the policy cannot handle yet is refused with a message naming the fix.
 */
class PolicyLayersTest {

    @TempDir
    Path folder;

    /**
     * @param layer       the index of the layer that failed in HALF before the precision policy
     * @param computeType what the default policy computes it in now
     */
    record Case(String name, MultiLayerConfiguration conf, DataSet data, int layer, DataType computeType) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** Layers that broke mixed precision before the precision policy: NaN or a dtype exception in HALF. */
    static Stream<Case> layersThatFailedInHalf() {
        Nd4j.getRandom().setSeed(23);
        NeuralNetConfiguration.Builder base = new NeuralNetConfiguration.Builder().seed(23).dataType(DataType.FLOAT)
                .updater(new Adam(0.01));
        MultiLayerConfiguration deconvolution = base.clone().list()
                .layer(new Deconvolution2D.Builder(2, 2).stride(2, 2).nOut(3).activation(Activation.RELU).build())
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build())
                .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(2).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(6, 6, 2))
                .build();
        DataSet images = new DataSet(Nd4j.rand(DataType.FLOAT, 16, 2, 6, 6),
                Nd4j.eye(2).repeat(0, 8).reshape(16, 2).castTo(DataType.FLOAT));
        MultiLayerConfiguration attention = base.clone().list()
                .layer(new DenseLayer.Builder().nOut(8).activation(Activation.TANH).build())
                .layer(new SelfAttentionLayer.Builder().nOut(8).nHeads(2).projectInput(true).build())
                .layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(2).activation(Activation.IDENTITY).build())
                .setInputType(InputType.recurrent(4, 5))
                .build();
        DataSet sequences = new DataSet(Nd4j.randn(DataType.FLOAT, 8, 4, 5), Nd4j.randn(DataType.FLOAT, 8, 2, 5));
        MultiLayerConfiguration recurrentAttention = base.clone().list()
                .layer(new DenseLayer.Builder().nOut(8).activation(Activation.TANH).build())
                .layer(new RecurrentAttentionLayer.Builder().nOut(8).nHeads(2).projectInput(true)
                        .activation(Activation.TANH).build())
                .layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(2).activation(Activation.IDENTITY).build())
                .setInputType(InputType.recurrent(4, 5))
                .build();
        // Deconvolution2D threw "mmulMxM expects all data types to be the same" when its input stayed FLOAT;
        // the precision wrapper casts it, and the layer survey found it accurate in HALF
        return Stream.of(new Case("Deconvolution2D", deconvolution, images, 0, DataType.HALF),
                new Case("SelfAttentionLayer", attention, sequences, 1, DataType.FLOAT),
                new Case("RecurrentAttentionLayer", recurrentAttention, sequences, 1, DataType.FLOAT));
    }

    @ParameterizedTest
    @MethodSource("layersThatFailedInHalf")
    void trainLikeFp32UnderTheDefaultPolicy(Case c) {
        MultiLayerNetwork fp32 = TestNets.init(c.conf());
        MultiLayerNetwork mixed = TestNets.init(MixedPrecision.configure(c.conf()));
        mixed.setParams(fp32.params());
        double initial = fp32.score(c.data());
        for (int i = 0; i < 15; i++) {
            fp32.fit(c.data());
            mixed.fit(c.data());
        }
        double fp32Loss = fp32.score(c.data());
        double mixedLoss = mixed.score(c.data());
        assertTrue(fp32Loss < initial, c + " FP32 learned: " + initial + " -> " + fp32Loss);
        assertEquals(fp32Loss, mixedLoss, 0.05 * fp32Loss, c + ": FP32 " + fp32Loss + ", mixed " + mixedLoss);
        assertEquals(c.computeType(), ((BaseWrapperLayer) mixed.getLayer(c.layer())).getUnderlying().params().dataType());
    }

    @Test
    void aPolicyNamingALayerTheNetworkDoesNotHaveIsRefused() {
        // a misspelt name used to be ignored: the layer the user meant to keep in FP32 computed in HALF
        MixedPrecisionConfig misspelt = MixedPrecisionConfig.builder()
                .precisionPolicy(PrecisionPolicy.mixedFloat16().withLayer("layer1", DataType.FLOAT).withLayer("layr1",
                        DataType.FLOAT)).build();
        MultiLayerNetwork net = TestNets.init(TestNets.mlp(new Adam(1e-2), 1));
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> MixedPrecision.enable(net, misspelt));
        assertEquals("The precision policy names layer \"layr1\", which the network does not have (its layers: layer0,"
                + " layer1, layer2): correct the name in withLayer(...), as set with .name(...) or as the"
                + " graph's vertex name", refused.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MixedPrecision.configure(
                ComputationGraphTest.twoHeadGraph(new Adam(1e-2), 1), misspelt));
        assertThrows(IllegalArgumentException.class, () -> MixedPrecision.configure(ComputationGraphTest.twoHeadGraph(
                new Adam(1e-2), 1), MixedPrecisionConfig.builder().precisionPolicy(PrecisionPolicy.mixedFloat16()
                .withLayer("merge", DataType.FLOAT)).build()), "a vertex without a layer");

        MultiLayerNetwork named = MixedPrecision.enable(net, MixedPrecisionConfig.builder()
                .precisionPolicy(PrecisionPolicy.mixedFloat16().withLayer("layer1", DataType.FLOAT)).build());
        assertEquals(DataType.FLOAT, ((BaseWrapperLayer) named.getLayer("layer1")).getUnderlying().params().dataType());
        assertEquals(DataType.HALF, ((BaseWrapperLayer) named.getLayer("layer0")).getUnderlying().params().dataType());
    }

    @Test
    void anAttentionVertexTrainsLikeFp32AndSkipsWithTheNetwork() throws Exception {
        // enable() failed with an NPE on a graph with an AttentionVertex before the precision wrappers
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(5).dataType(DataType.FLOAT)
                .updater(new Adam(0.01)).weightDecay(1e-3).graphBuilder()
                .addInputs("in")
                .addLayer("lstm", new LSTM.Builder().nIn(4).nOut(6).activation(Activation.TANH).build(), "in")
                .addVertex("att", new AttentionVertex.Builder().nInKeys(6).nInQueries(6).nInValues(6).nOut(6)
                        .nHeads(2).projectInput(true).build(), "lstm", "lstm", "lstm")
                .addLayer("out", new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(6).nOut(2)
                        .activation(Activation.IDENTITY).build(), "att")
                .setOutputs("out")
                .setInputTypes(InputType.recurrent(4, 5))
                .build();
        DataSet data = new DataSet(Nd4j.randn(DataType.FLOAT, 8, 4, 5), Nd4j.randn(DataType.FLOAT, 8, 2, 5));
        ComputationGraph fp32 = new ComputationGraph(conf);
        fp32.init();
        // DL4J's own clone() of this FP32 graph fails: AttentionVertex.clone() drops its updater
        ComputationGraph copy = new ComputationGraph(ComputationGraphConfiguration.fromJson(conf.toJson()));
        copy.init(fp32.params().dup(), false);
        ComputationGraph mixed = MixedPrecision.enable(copy, MixedPrecisionConfig.builder().initialScale(1024).build());
        assertInstanceOf(PrecisionVertex.class, mixed.getConfiguration().getVertices().get("att"));
        for (ComputationGraph graph : new ComputationGraph[] {fp32, mixed}) {
            graph.setInputs(data.getFeatures());
            graph.setLabels(data.getLabels());
            graph.computeGradientAndScore();
        }
        TestNets.assertGradientsWithin(0.05, fp32, mixed);
        double initial = fp32.score(data);
        for (int i = 0; i < 15; i++) {
            fp32.fit(data);
            mixed.fit(data);
        }
        assertEquals(0, MixedPrecision.status(mixed).skippedSteps());
        assertTrue(fp32.score(data) < initial, "FP32 learns");
        assertEquals(fp32.score(data), mixed.score(data), 0.05 * fp32.score(data));

        INDArray before = mixed.params().dup();
        INDArray state = mixed.getUpdater().getStateViewArray().dup();
        DataSet poisoned = data.copy();
        poisoned.getFeatures().putScalar(0, 0, 0, Double.NaN);
        mixed.fit(poisoned);
        assertEquals(1, MixedPrecision.status(mixed).skippedSteps());
        assertArrayEquals(TestNets.values(before), TestNets.values(mixed.params()), "a skipped step moves no weight,"
                + " the vertex's included, weight decay included");
        assertArrayEquals(TestNets.values(state), TestNets.values(mixed.getUpdater().getStateViewArray()));

        File file = folder.resolve("attention.zip").toFile();
        MixedPrecisionSerializer.writeModel(mixed, file);
        ComputationGraph restored = MixedPrecisionSerializer.restoreComputationGraph(file);
        assertArrayEquals(TestNets.values(mixed.output(data.getFeatures())[0]),
                TestNets.values(restored.output(data.getFeatures())[0]));
        ComputationGraph cloned = mixed.clone();
        assertArrayEquals(TestNets.values(mixed.output(data.getFeatures())[0]),
                TestNets.values(cloned.output(data.getFeatures())[0]), "the clone of the mixed-precision graph");
        ComputationGraph plain = MixedPrecision.disable(mixed);
        assertInstanceOf(AttentionVertex.class, plain.getConfiguration().getVertices().get("att"));
    }

    @Test
    void pretrainingIsRefusedWithTheFix() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).list()
                .layer(new VariationalAutoencoder.Builder().nIn(TestNets.FEATURES).nOut(2).encoderLayerSizes(4)
                        .decoderLayerSizes(4).build())
                .layer(new OutputLayer.Builder().nIn(2).nOut(TestNets.CLASSES).activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = TestNets.init(MixedPrecision.configure(conf));
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> net.pretrainLayer(0, TestNets.blobs(8, 1).getFeatures()));
        assertTrue(e.getMessage().contains("pretrain the FP32 network first"), e.getMessage());
    }

    @Test
    void transferLearningFreezesLayersOfAMixedNetwork() {
        MultiLayerNetwork net = TestNets.init(MixedPrecision.configure(TestNets.mlp(new Adam(0.01), 29)));
        DataSet data = TestNets.blobs(32, 29);
        net.fit(data);
        MultiLayerNetwork tuned = new TransferLearning.Builder(net)
                .fineTuneConfiguration(new FineTuneConfiguration.Builder().updater(new Adam(0.001)).build())
                .setFeatureExtractor(0)
                .build();
        float[] frozen = TestNets.values(tuned.getParam("0_W"));
        float[] trained = TestNets.values(tuned.getParam("1_W"));
        for (int i = 0; i < 3; i++) {
            tuned.fit(data);
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(frozen, TestNets.values(tuned.getParam("0_W")));
        assertTrue(!java.util.Arrays.equals(trained, TestNets.values(tuned.getParam("1_W"))), "layer 1 trains");
        assertTrue(ForwardOverflow.finite(tuned.params()));
    }
}
