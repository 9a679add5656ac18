package org.dl4j.mixedprecision;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** Small networks and synthetic data shared by the tests. */
final class TestNets {

    static final int FEATURES = 8;
    static final int CLASSES = 3;

    private TestNets() {
    }

    /** A list builder for an MLP with two hidden layers; callers add their own output layer. */
    static NeuralNetConfiguration.ListBuilder mlpLayers(IUpdater updater, long seed) {
        return new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .updater(updater)
                .list()
                .layer(new DenseLayer.Builder().nIn(FEATURES).nOut(32).activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().nIn(32).nOut(32).activation(Activation.TANH).build());
    }

    /** An MLP classifier: 8 -> 32 relu -> 32 tanh -> 3 softmax with cross-entropy. */
    static MultiLayerConfiguration mlp(IUpdater updater, long seed) {
        return mlpLayers(updater, seed)
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(32).nOut(CLASSES)
                        .activation(Activation.SOFTMAX).build())
                .build();
    }

    static MultiLayerNetwork init(MultiLayerConfiguration conf) {
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    /** Three Gaussian blobs in 8 dimensions, one-hot labels; the same for the same seed. */
    static DataSet blobs(int examples, long seed) {
        Random random = new Random(seed);
        float[][] features = new float[examples][FEATURES];
        float[][] labels = new float[examples][CLASSES];
        for (int i = 0; i < examples; i++) {
            int c = i % CLASSES;
            for (int f = 0; f < FEATURES; f++) {
                features[i][f] = (float) (random.nextGaussian() + (f % CLASSES == c ? 0.6 : -0.2));
            }
            labels[i][c] = 1f;
        }
        return new DataSet(Nd4j.create(features), Nd4j.create(labels));
    }

    static DataSetIterator iterator(DataSet data, int batchSize) {
        List<DataSet> list = new ArrayList<>(data.asList());
        return new ListDataSetIterator<>(list, batchSize);
    }

    /** @return the loss scaler of a mixed-precision network (held by its output layer) */
    static LossScaler lossScalerOf(Model net) {
        return MixedPrecision.lossScalerOf(net);
    }

    /**
     * Asserts that every parameter's gradient of {@code mixed} (after {@code computeGradientAndScore}) is within
     * a relative L2 error of {@code tolerance} of {@code fp32}'s.
     */
    static void assertGradientsWithin(double tolerance, Model fp32, Model mixed) {
        fp32.gradient().gradientForVariable().forEach((key, expected) -> {
            INDArray actual = mixed.gradient().getGradientFor(key);
            double error = expected.sub(actual).norm2Number().doubleValue() / expected.norm2Number().doubleValue();
            org.junit.jupiter.api.Assertions.assertTrue(error < tolerance,
                    key + ": the mixed-precision gradient differs from FP32's by " + error);
        });
    }

    /** @return a copy of the array's values as FP32, for bit-exact comparisons */
    static float[] values(INDArray array) {
        return array.castTo(DataType.FLOAT).dup().data().asFloat();
    }
}
