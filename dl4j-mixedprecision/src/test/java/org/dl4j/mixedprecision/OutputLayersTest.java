package org.dl4j.mixedprecision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.stream.Stream;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.CenterLossOutputLayer;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.RnnLossLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * Every {@code ILossFunction}-based output layer: from identical weights, one mixed-precision step
 * moves every parameter as FP32 training does (within FP16 tolerance), and a short run lowers the loss.
 */
class OutputLayersTest {

    private static final int BATCH = 16;

    static Stream<Arguments> outputLayers() {
        return Stream.of(
                Arguments.of("OutputLayer (MSE)", dense(new OutputLayer.Builder(LossFunction.MSE).nIn(16).nOut(3)
                        .activation(Activation.IDENTITY).build()), features2d(), regression()),
                Arguments.of("LossLayer (MCXENT)", denseTo3(new LossLayer.Builder(LossFunction.MCXENT)
                        .activation(Activation.SOFTMAX).build()), features2d(), classes()),
                Arguments.of("CenterLossOutputLayer", dense(new CenterLossOutputLayer.Builder(LossFunction.MCXENT)
                        .nIn(16).nOut(3).activation(Activation.SOFTMAX).alpha(0.1).lambda(0.5).build()),
                        features2d(), classes()),
                Arguments.of("RnnOutputLayer", rnn(new RnnOutputLayer.Builder(LossFunction.MCXENT).nIn(8).nOut(3)
                        .activation(Activation.SOFTMAX).build()), features3d(), sequenceClasses()),
                Arguments.of("RnnLossLayer", rnnTo3(new RnnLossLayer.Builder(LossFunction.MCXENT)
                        .activation(Activation.SOFTMAX).build()), features3d(), sequenceClasses()),
                Arguments.of("CnnLossLayer", cnn(new CnnLossLayer.Builder(LossFunction.XENT)
                        .activation(Activation.SIGMOID).build()), features4d(), pixelMasks()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("outputLayers")
    void oneStepMovesEveryParameterAsFp32Does(String name, MultiLayerConfiguration conf, INDArray features,
                                              INDArray labels) {
        DataSet batch = new DataSet(features, labels);
        MultiLayerNetwork fp32 = TestNets.init(conf);
        INDArray initial = fp32.params().dup();
        MultiLayerNetwork mixed = MixedPrecision.enable(fp32.clone(),
                MixedPrecisionConfig.builder().initialScale(64).build());
        assertInstanceOf(LossScaleOutputLayer.class,
                mixed.getLayerWiseConfigurations().getConf(mixed.getnLayers() - 1).getLayer());

        MultiLayerConfiguration halfConf = mixed.getLayerWiseConfigurations();
        assertEquals(halfConf, MultiLayerConfiguration.fromJson(halfConf.toJson()), "the HALF configuration survives JSON");

        fp32.fit(batch);
        mixed.fit(batch);
        assertEquals(0, MixedPrecision.status(mixed).skippedSteps(), name + " skipped its first step");
        INDArray fp32Update = fp32.params().sub(initial);
        INDArray mixedUpdate = mixed.params().sub(initial);
        double relativeError = fp32Update.sub(mixedUpdate).norm2Number().doubleValue()
                / fp32Update.norm2Number().doubleValue();
        System.out.printf("%s: |update| %.5f, relative error of the mixed update %.5f%n", name,
                fp32Update.norm2Number().doubleValue(), relativeError);
        assertTrue(relativeError < 0.02, name + ": mixed update differs from FP32's by " + relativeError);

        double before = mixed.score(batch);
        for (int i = 0; i < 20; i++) {
            mixed.fit(batch);
        }
        double after = mixed.score(batch);
        assertTrue(Double.isFinite(after) && after < before, name + ": loss " + before + " -> " + after);
    }

    private static NeuralNetConfiguration.ListBuilder base() {
        return new NeuralNetConfiguration.Builder().seed(17).dataType(DataType.FLOAT).updater(new Sgd(0.1)).list();
    }

    private static MultiLayerConfiguration dense(BaseOutputLayer output) {
        return base().layer(new DenseLayer.Builder().nIn(8).nOut(16).activation(Activation.TANH).build())
                .layer(output).build();
    }

    private static MultiLayerConfiguration denseTo3(org.deeplearning4j.nn.conf.layers.Layer output) {
        return base().layer(new DenseLayer.Builder().nIn(8).nOut(16).activation(Activation.TANH).build())
                .layer(new DenseLayer.Builder().nIn(16).nOut(3).activation(Activation.IDENTITY).build())
                .layer(output).build();
    }

    private static MultiLayerConfiguration rnn(org.deeplearning4j.nn.conf.layers.Layer output) {
        return base().layer(new LSTM.Builder().nIn(4).nOut(8).activation(Activation.TANH).build())
                .layer(output).build();
    }

    private static MultiLayerConfiguration rnnTo3(org.deeplearning4j.nn.conf.layers.Layer output) {
        return base().layer(new LSTM.Builder().nIn(4).nOut(3).activation(Activation.TANH).build())
                .layer(output).build();
    }

    private static MultiLayerConfiguration cnn(org.deeplearning4j.nn.conf.layers.Layer output) {
        return base().layer(new ConvolutionLayer.Builder(3, 3).nOut(4).padding(1, 1).activation(Activation.RELU).build())
                .layer(new ConvolutionLayer.Builder(1, 1).nOut(1).activation(Activation.IDENTITY).build())
                .layer(output)
                .setInputType(InputType.convolutional(6, 6, 2)).build();
    }

    private static INDArray features2d() {
        return TestNets.blobs(BATCH, 31).getFeatures();
    }

    private static INDArray classes() {
        return TestNets.blobs(BATCH, 31).getLabels();
    }

    private static INDArray regression() {
        return TestNets.blobs(BATCH, 31).getLabels().mul(2).subi(0.5);
    }

    private static INDArray features3d() {
        return Nd4j.getRandomFactory().getNewRandomInstance(3).nextGaussian(new long[] {BATCH, 4, 5}).castTo(DataType.FLOAT);
    }

    private static INDArray sequenceClasses() {
        Random random = new Random(4);
        INDArray labels = Nd4j.zeros(DataType.FLOAT, BATCH, 3, 5);
        for (int i = 0; i < BATCH; i++) {
            for (int t = 0; t < 5; t++) {
                labels.putScalar(i, random.nextInt(3), t, 1.0);
            }
        }
        return labels;
    }

    private static INDArray features4d() {
        return Nd4j.getRandomFactory().getNewRandomInstance(5).nextGaussian(new long[] {BATCH, 2, 6, 6}).castTo(DataType.FLOAT);
    }

    private static INDArray pixelMasks() {
        return features4d().get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 1)).gt(0).castTo(DataType.FLOAT);
    }
}
