package org.dl4j.mixedprecision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.wrapper.BaseWrapperLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Mixed precision as a property of the network ({@link MixedPrecision#configure}): FLOAT parameters,
 * gradients and updater state, each layer computing in the type its policy gives it, and every DL4J
 * mechanism that copies or saves the network keeping it mixed precision.
 */
class NetworkPrecisionTest {

    private static final MixedPrecisionConfig SCALE_1024 = MixedPrecisionConfig.builder().initialScale(1024).build();

    @TempDir
    Path folder;

    private static MultiLayerNetwork mixed(MultiLayerConfiguration conf) {
        return TestNets.init(MixedPrecision.configure(conf, SCALE_1024));
    }

    private static DataType computeTypeOf(Layer layer) {
        return ((BaseWrapperLayer) layer).getUnderlying().params().dataType();
    }

    @Test
    void hiddenLayersComputeInHalfWhileTheNetworkStaysFloat() {
        MultiLayerNetwork net = mixed(TestNets.mlp(new Adam(0.01), 1));
        net.fit(TestNets.blobs(32, 1));
        assertEquals(DataType.FLOAT, net.params().dataType());
        assertEquals(DataType.FLOAT, net.getGradientsViewArray().dataType());
        assertEquals(DataType.FLOAT, net.getUpdater().getStateViewArray().dataType());
        assertEquals(DataType.HALF, computeTypeOf(net.getLayer(0)));
        assertEquals(DataType.HALF, computeTypeOf(net.getLayer(1)));
        assertEquals(DataType.FLOAT, computeTypeOf(net.getLayer(2)), "output layers compute in FLOAT");
        assertEquals(DataType.FLOAT, net.output(TestNets.blobs(4, 2).getFeatures()).dataType());
    }

    @Test
    void trainsAsCloseToFp32AsHalfAllows() {
        MultiLayerNetwork fp32 = TestNets.init(TestNets.mlp(new Adam(0.01), 3));
        MultiLayerNetwork mixed = TestNets.init(MixedPrecision.configure(TestNets.mlp(new Adam(0.01), 3)));
        mixed.setParams(fp32.params());
        DataSet data = TestNets.blobs(96, 3);
        double initial = fp32.score(data);
        for (int epoch = 0; epoch < 20; epoch++) {
            fp32.fit(TestNets.iterator(data, 32));
            mixed.fit(TestNets.iterator(data, 32));
        }
        double fp32Loss = fp32.score(data);
        double mixedLoss = mixed.score(data);
        assertTrue(fp32Loss < 0.5 * initial, "FP32 learned: " + initial + " -> " + fp32Loss);
        assertEquals(fp32Loss, mixedLoss, 0.05 * fp32Loss + 0.01, "FP32 " + fp32Loss + ", mixed " + mixedLoss);
        assertEquals(0, TestNets.lossScalerOf(mixed).skippedSteps());
        assertFalse(TestNets.lossScalerOf(mixed).calibrating(), "the first step calibrated the scale");
        assertTrue(TestNets.lossScalerOf(mixed).scale() > 1, "calibrated scale " + TestNets.lossScalerOf(mixed).scale());
    }

    @Test
    void aCloneIsMixedPrecisionAndTrainsExactlyAsTheOriginal() {
        MultiLayerNetwork net = mixed(TestNets.mlp(new Adam(0.01), 5));
        DataSet data = TestNets.blobs(32, 5);
        net.fit(data);
        MultiLayerNetwork clone = net.clone();
        assertInstanceOf(PrecisionLayerInstance.class, clone.getLayer(0));
        assertEquals(TestNets.lossScalerOf(net), TestNets.lossScalerOf(clone));
        for (int i = 0; i < 3; i++) {
            net.fit(data);
            clone.fit(data);
        }
        assertArrayEquals(TestNets.values(net.params()), TestNets.values(clone.params()));
        assertArrayEquals(TestNets.values(net.getUpdater().getStateViewArray()),
                TestNets.values(clone.getUpdater().getStateViewArray()));
        clone.fit(data);
        assertEquals(4, TestNets.lossScalerOf(net).cleanSteps());
        assertEquals(5, TestNets.lossScalerOf(clone).cleanSteps(), "the clone's loss scale is its own");
    }

    @Test
    void setParamsIsWhatTheNetworkComputesWithAndWhatASaveWrites() throws Exception {
        MultiLayerNetwork net = mixed(TestNets.mlp(new Sgd(0.1), 7));
        DataSet data = TestNets.blobs(16, 7);
        net.fit(data);
        MultiLayerNetwork other = mixed(TestNets.mlp(new Sgd(0.1), 8));
        INDArray params = other.params().dup();
        net.setParams(params);
        assertArrayEquals(TestNets.values(other.output(data.getFeatures())), TestNets.values(net.output(data.getFeatures())));
        MultiLayerNetwork initialized = new MultiLayerNetwork(net.getLayerWiseConfigurations().clone());
        initialized.init(params, true);
        assertArrayEquals(TestNets.values(other.output(data.getFeatures())),
                TestNets.values(initialized.output(data.getFeatures())), "init(params, clone)");
        net.setParam("0_W", other.getParam("0_W").mul(2));
        assertArrayEquals(TestNets.values(other.getParam("0_W").mul(2)), TestNets.values(net.getParam("0_W")));
        assertNotEquals(other.output(data.getFeatures()), net.output(data.getFeatures()));

        File file = folder.resolve("net.zip").toFile();
        ModelSerializer.writeModel(net, file, true);
        MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(file, true);
        assertArrayEquals(TestNets.values(net.params()), TestNets.values(restored.params()));
        assertInstanceOf(PrecisionLayerInstance.class, restored.getLayer(0));
    }

    @Test
    void aSavedNetworkResumesBitForBit() throws Exception {
        MultiLayerNetwork net = mixed(TestNets.mlp(new Adam(0.01), 9));
        DataSet data = TestNets.blobs(32, 9);
        net.fit(data);
        net.fit(data);
        File file = folder.resolve("resume.zip").toFile();
        ModelSerializer.writeModel(net, file, true);
        MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(file, true);
        assertEquals(TestNets.lossScalerOf(net), TestNets.lossScalerOf(restored));
        for (int i = 0; i < 3; i++) {
            net.fit(data);
            restored.fit(data);
        }
        assertArrayEquals(TestNets.values(net.params()), TestNets.values(restored.params()));
        assertArrayEquals(TestNets.values(net.getUpdater().getStateViewArray()),
                TestNets.values(restored.getUpdater().getStateViewArray()));
        assertEquals(TestNets.lossScalerOf(net), TestNets.lossScalerOf(restored));
    }

    @Test
    void clearKeepsTrainingInMixedPrecision() {
        MultiLayerNetwork net = mixed(TestNets.mlp(new Adam(0.01), 11));
        DataSet data = TestNets.blobs(32, 11);
        net.fit(data);
        double before = net.score(data);
        net.clear();
        for (int i = 0; i < 10; i++) {
            net.fit(data);
        }
        assertTrue(ForwardOverflow.finite(net.params()));
        assertTrue(net.score(data) < before, before + " -> " + net.score(data));
        assertEquals(DataType.HALF, computeTypeOf(net.getLayer(0)));
    }

    @Test
    void anOverflowingStepLeavesWeightsAndUpdaterStateUntouched() {
        MultiLayerConfiguration conf = TestNets.mlpLayers(new Adam(0.01), 13)
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(32).nOut(TestNets.CLASSES)
                        .activation(Activation.SOFTMAX).weightDecay(0.01).build())
                .build();
        MultiLayerNetwork net = mixed(conf);
        DataSet data = TestNets.blobs(32, 13);
        net.fit(data);
        float[] params = TestNets.values(net.params());
        float[] state = TestNets.values(net.getUpdater().getStateViewArray());
        double scale = TestNets.lossScalerOf(net).scale();
        DataSet broken = data.copy();
        broken.getFeatures().putScalar(0, 0, 60000f);   // 60000 x the weights overflows HALF
        broken.getFeatures().putScalar(1, 1, Float.NaN);
        net.fit(broken);
        assertArrayEquals(params, TestNets.values(net.params()), "weights (with weight decay) untouched");
        assertArrayEquals(state, TestNets.values(net.getUpdater().getStateViewArray()), "Adam's state untouched");
        assertEquals(1, TestNets.lossScalerOf(net).skippedSteps());
        assertEquals(scale * 0.5, TestNets.lossScalerOf(net).scale());
        assertEquals(2, net.getIterationCount());

        MultiLayerNetwork reference = mixed(conf);
        reference.fit(data);
        reference.fit(data);
        net.fit(data);
        assertArrayEquals(TestNets.values(reference.params()), TestNets.values(net.params()),
                "the step after a skipped one is the step that would have come (Adam counts applied steps)");
    }

    @Test
    void batchNormalizationStatisticsMatchFp32() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(17).dataType(DataType.FLOAT).updater(new Adam(0.01)).list()
                .layer(new BatchNormalization.Builder().build())
                .layer(new ConvolutionLayer.Builder(1, 1).nOut(4).activation(Activation.RELU).build())
                .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(2).activation(Activation.IDENTITY).build())
                .setInputType(InputType.convolutional(24, 24, 8))
                .build();
        MultiLayerNetwork fp32 = TestNets.init(conf);
        MultiLayerNetwork mixed = mixed(conf);
        mixed.setParams(fp32.params());
        assertEquals(DataType.FLOAT, computeTypeOf(mixed.getLayer(0)));
        assertEquals(DataType.HALF, computeTypeOf(mixed.getLayer(1)));
        Nd4j.getRandom().setSeed(17);
        INDArray features = Nd4j.randn(DataType.FLOAT, 64, 8, 24, 24).muli(0.5).addi(1.5);
        DataSet data = new DataSet(features, Nd4j.rand(DataType.FLOAT, 64, 2));
        for (int i = 0; i < 10; i++) {
            fp32.fit(data);
            mixed.fit(data);
        }
        INDArray fp32Mean = fp32.getParam("0_mean");
        INDArray fp32Variance = variance(fp32.getParam("0_log10stdev"));
        INDArray mixedMean = mixed.getParam("0_mean");
        INDArray mixedVariance = variance(mixed.getParam("0_log10stdev"));
        for (int c = 0; c < 8; c++) {
            assertEquals(fp32Mean.getDouble(c), mixedMean.getDouble(c), 0.01 * Math.abs(fp32Mean.getDouble(c)), "mean " + c);
            assertEquals(fp32Variance.getDouble(c), mixedVariance.getDouble(c), 0.01 * fp32Variance.getDouble(c),
                    "variance " + c);
        }
        assertTrue(fp32Mean.getDouble(0) > 0.5, "the running mean moved towards 1.5: " + fp32Mean);
        assertEquals(0, TestNets.lossScalerOf(mixed).skippedSteps());
    }

    /** BatchNormalization keeps log10 of the standard deviation: variance = (10^x)^2. */
    private static INDArray variance(INDArray log10Stdev) {
        INDArray variance = log10Stdev.castTo(DataType.DOUBLE).dup();
        for (int i = 0; i < variance.length(); i++) {
            variance.putScalar(i, Math.pow(10, 2 * variance.getDouble(i)));
        }
        return variance;
    }

    @Test
    void aDenseBatchNormalizationNetKeepsItsLossScale() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(31).dataType(DataType.FLOAT).updater(new Adam(0.005)).list()
                .layer(new DenseLayer.Builder().nIn(TestNets.FEATURES).nOut(64).activation(Activation.RELU).build())
                .layer(new BatchNormalization.Builder().build())
                .layer(new DenseLayer.Builder().nOut(64).activation(Activation.RELU).build())
                .layer(new BatchNormalization.Builder().build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(TestNets.CLASSES)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.feedForward(TestNets.FEATURES))
                .build();
        MultiLayerConfiguration mixedConf = MixedPrecision.configure(conf);
        assertEquals(mixedConf, MultiLayerConfiguration.fromJson(mixedConf.toJson()), "JSON round trip");
        MultiLayerNetwork net = TestNets.init(mixedConf);
        DataSet data = TestNets.blobs(512, 31);
        for (int epoch = 0; epoch < 25; epoch++) {
            net.fit(TestNets.iterator(data, 64));
        }
        LossScaler scaler = TestNets.lossScalerOf(net);
        assertEquals(200, net.getIterationCount());
        assertEquals(0, scaler.skippedSteps(), scaler.toString());
        assertTrue(scaler.scale() >= 1, scaler.toString());
    }

    @Test
    void aGraphWithTwoOutputsTrainsInMixedPrecision() throws Exception {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(19).dataType(DataType.FLOAT).updater(new Adam(0.01)).graphBuilder()
                .addInputs("in")
                .addLayer("hidden", new DenseLayer.Builder().nIn(TestNets.FEATURES).nOut(16).activation(Activation.RELU).build(), "in")
                .addLayer("class", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(16).nOut(TestNets.CLASSES)
                        .activation(Activation.SOFTMAX).build(), "hidden")
                .addLayer("value", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(16).nOut(1)
                        .activation(Activation.IDENTITY).build(), "hidden")
                .setOutputs("class", "value")
                .build();
        ComputationGraph fp32 = new ComputationGraph(conf);
        fp32.init();
        ComputationGraph graph = new ComputationGraph(MixedPrecision.configure(conf));
        graph.init();
        graph.setParams(fp32.params());
        DataSet blobs = TestNets.blobs(64, 19);
        MultiDataSet data = new MultiDataSet(new INDArray[]{blobs.getFeatures()},
                new INDArray[]{blobs.getLabels(), blobs.getFeatures().sum(true, 1)});
        double initial = fp32.score(data);
        for (int i = 0; i < 30; i++) {
            fp32.fit(data);
            graph.fit(data);
        }
        assertEquals(DataType.HALF, computeTypeOf(graph.getLayer("hidden")));
        assertEquals(fp32.score(data), graph.score(data), 0.05 * fp32.score(data) + 0.01);
        assertTrue(graph.score(data) < 0.5 * initial);
        File file = folder.resolve("graph.zip").toFile();
        ModelSerializer.writeModel(graph, file, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(file, true);
        restored.fit(data);
        graph.fit(data);
        assertArrayEquals(TestNets.values(graph.params()), TestNets.values(restored.params()));
    }

    @Test
    void layersThatListTheirBiasAfterTheirWeightsAreUnscaledCompletely() {
        // DepthwiseConvolution2D's initializer lists its weights first, though its bias comes first in memory;
        // SeparableConvolution2D's the same. A conversion that walked the parts in list order left the
        // weights' gradient multiplied by the loss scale.
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(4).dataType(DataType.FLOAT)
                .updater(new Sgd(0.1)).list()
                .layer(new DepthwiseConvolution2D.Builder(3, 3).depthMultiplier(2).activation(Activation.RELU).build())
                .layer(new SeparableConvolution2D.Builder(3, 3).nOut(3).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(TestNets.CLASSES)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(10, 10, 2))
                .build();
        DataSet batch = new DataSet(Nd4j.rand(DataType.FLOAT, 8, 2, 10, 10), TestNets.blobs(8, 1).getLabels());
        MultiLayerNetwork fp32 = TestNets.init(conf);
        MultiLayerNetwork mixed = MixedPrecision.enable(fp32.clone(), SCALE_1024);
        for (MultiLayerNetwork net : new MultiLayerNetwork[] {fp32, mixed}) {
            net.setInput(batch.getFeatures());
            net.setLabels(batch.getLabels());
            net.computeGradientAndScore();
        }
        TestNets.assertGradientsWithin(0.05, fp32, mixed);
    }
}
