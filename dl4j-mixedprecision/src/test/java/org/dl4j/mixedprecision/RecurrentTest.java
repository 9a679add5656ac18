package org.dl4j.mixedprecision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.stream.Stream;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.BackpropType;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.rnn.LastTimeStepVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional;
import org.deeplearning4j.nn.conf.layers.recurrent.LastTimeStep;
import org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * Recurrent networks with feature and label masks and truncated BPTT, as {@code MultiLayerNetwork}
 * and {@code ComputationGraph}: from identical weights, one {@code fit} moves every parameter as FP32
 * training does, within FP16 tolerance.
 */
class RecurrentTest {

    private static final int BATCH = 8;
    private static final int IN = 4;
    private static final int STEPS = 7;
    private static final int CLASSES = 3;

    static Stream<Arguments> networks() {
        return Stream.of(
                Arguments.of("LSTM + RnnOutputLayer, masks", mln(new LSTM.Builder().nIn(IN).nOut(8).build(), false), perStepData()),
                Arguments.of("SimpleRnn + RnnOutputLayer, masks", mln(new SimpleRnn.Builder().nIn(IN).nOut(8).build(), false), perStepData()),
                Arguments.of("Bidirectional LSTM, masks", mln(new Bidirectional(Bidirectional.Mode.ADD,
                        new LSTM.Builder().nIn(IN).nOut(8).build()), false), perStepData()),
                Arguments.of("LSTM, truncated BPTT", mln(new LSTM.Builder().nIn(IN).nOut(8).build(), true), perStepData()),
                Arguments.of("LastTimeStep(LSTM) + OutputLayer, feature mask", lastTimeStepMln(), lastStepData()),
                Arguments.of("graph: LSTM + LastTimeStepVertex, feature mask", lastTimeStepGraph(), lastStepData()),
                Arguments.of("graph: LSTM + RnnOutputLayer, truncated BPTT", tbpttGraph(), perStepData()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("networks")
    void oneFitMovesEveryParameterAsFp32Does(String name, Model fp32, DataSet data) {
        INDArray initial = fp32.params().dup();
        MixedPrecisionConfig config = MixedPrecisionConfig.builder().initialScale(64).build();
        Model mixed;
        Model master;
        if (fp32 instanceof MultiLayerNetwork) {
            MultiLayerNetwork net = MixedPrecision.enable(((MultiLayerNetwork) fp32).clone(), config);
            mixed = net;
            master = net;
            ((MultiLayerNetwork) fp32).fit(data);
            net.fit(data);
        } else {
            ComputationGraph graph = MixedPrecision.enable(((ComputationGraph) fp32).clone(), config);
            mixed = graph;
            master = graph;
            ((ComputationGraph) fp32).fit(data);
            graph.fit(data);
        }
        assertEquals(0, MixedPrecision.status(mixed).skippedSteps(), name);
        INDArray fp32Update = fp32.params().sub(initial);
        INDArray mixedUpdate = master.params().sub(initial);
        double relativeError = fp32Update.sub(mixedUpdate).norm2Number().doubleValue() / fp32Update.norm2Number().doubleValue();
        System.out.printf("%s: |update| %.5f, relative error of the mixed update %.5f%n", name,
                fp32Update.norm2Number().doubleValue(), relativeError);
        assertTrue(relativeError < 0.02, name + ": mixed update differs from FP32's by " + relativeError);
    }

    /**
     * Under truncated BPTT one fit is several steps (here 3 segments of 3, 3 and 1 time steps). The
     * calibrated start is the first segment's own step at scale 1, with no extra pass that would advance
     * the RNN state: that step is the one of an unscaled network, and the later segments continue from the
     * same state at the calibrated scale.
     */
    @org.junit.jupiter.api.Test
    void theCalibratedStartUnderTruncatedBpttIsTheFirstSegmentsOwnStep() {
        MultiLayerNetwork fp32 = mln(new LSTM.Builder().nIn(IN).nOut(8).build(), true);
        DataSet data = perStepData();
        DataSet firstSegment = new DataSet(
                data.getFeatures().get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, 3)).dup(),
                data.getLabels().get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, 3)).dup(),
                data.getFeaturesMaskArray().get(NDArrayIndex.all(), NDArrayIndex.interval(0, 3)).dup(),
                data.getLabelsMaskArray().get(NDArrayIndex.all(), NDArrayIndex.interval(0, 3)).dup());
        MultiLayerNetwork calibrated = MixedPrecision.enable(fp32.clone());
        MultiLayerNetwork unscaled = MixedPrecision.enable(fp32.clone(), MixedPrecisionConfig.builder().noScaling().build());
        calibrated.fit(firstSegment);
        unscaled.fit(firstSegment);
        org.junit.jupiter.api.Assertions.assertArrayEquals(TestNets.values(unscaled.params()),
                TestNets.values(calibrated.params()), "the calibration step is an ordinary step at scale 1");
        LossScaleStatus afterFirst = MixedPrecision.status(calibrated);
        assertTrue(afterFirst.calibration() != null && afterFirst.scale() > 1, afterFirst.toString());

        MultiLayerNetwork whole = MixedPrecision.enable(fp32.clone());
        INDArray initial = fp32.params().dup();
        whole.fit(data);
        fp32.fit(data);
        LossScaleStatus status = MixedPrecision.status(whole);
        assertEquals(3, whole.getIterationCount(), "three segments, three steps");
        assertEquals(0, status.skippedSteps());
        assertEquals(afterFirst.scale(), status.scale(), "calibrated on the first segment, as when it is fitted alone");
        INDArray fp32Update = fp32.params().sub(initial);
        double relativeError = fp32Update.sub(whole.params().sub(initial)).norm2Number().doubleValue()
                / fp32Update.norm2Number().doubleValue();
        assertTrue(relativeError < 0.02, "mixed update differs from FP32's by " + relativeError);
    }

    private static NeuralNetConfiguration.Builder base() {
        return new NeuralNetConfiguration.Builder().seed(31).dataType(DataType.FLOAT).updater(new Sgd(0.1));
    }

    private static MultiLayerNetwork mln(org.deeplearning4j.nn.conf.layers.Layer recurrent, boolean tbptt) {
        NeuralNetConfiguration.ListBuilder list = base().list()
                .layer(recurrent)
                .layer(new RnnOutputLayer.Builder(LossFunction.MCXENT).nIn(8).nOut(CLASSES).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.recurrent(IN, STEPS));
        if (tbptt) {
            list.backpropType(BackpropType.TruncatedBPTT).tBPTTForwardLength(3).tBPTTBackwardLength(3);
        }
        MultiLayerNetwork net = new MultiLayerNetwork(list.build());
        net.init();
        return net;
    }

    private static MultiLayerNetwork lastTimeStepMln() {
        MultiLayerNetwork net = new MultiLayerNetwork(base().list()
                .layer(new LastTimeStep(new LSTM.Builder().nIn(IN).nOut(8).build()))
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nIn(8).nOut(CLASSES).activation(Activation.SOFTMAX).build())
                .build());
        net.init();
        return net;
    }

    private static ComputationGraph lastTimeStepGraph() {
        ComputationGraph graph = new ComputationGraph(base().graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.recurrent(IN))
                .addLayer("lstm", new LSTM.Builder().nOut(8).build(), "in")
                .addVertex("last", new LastTimeStepVertex("in"), "lstm")
                .addLayer("dense", new DenseLayer.Builder().nOut(8).activation(Activation.TANH).build(), "last")
                .addLayer("out", new OutputLayer.Builder(LossFunction.MCXENT).nOut(CLASSES).activation(Activation.SOFTMAX).build(), "dense")
                .setOutputs("out")
                .build());
        graph.init();
        return graph;
    }

    private static ComputationGraph tbpttGraph() {
        ComputationGraph graph = new ComputationGraph(base().graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.recurrent(IN))
                .addLayer("lstm", new LSTM.Builder().nOut(8).build(), "in")
                .addLayer("out", new RnnOutputLayer.Builder(LossFunction.MCXENT).nOut(CLASSES).activation(Activation.SOFTMAX).build(), "lstm")
                .setOutputs("out")
                .backpropType(BackpropType.TruncatedBPTT).tBPTTForwardLength(3).tBPTTBackwardLength(3)
                .build());
        graph.init();
        return graph;
    }

    /** Sequences of lengths 3 to 7 (feature and label masks), a class at every step. */
    private static DataSet perStepData() {
        Random random = new Random(5);
        INDArray features = Nd4j.getRandomFactory().getNewRandomInstance(6).nextGaussian(new long[] {BATCH, IN, STEPS}).castTo(DataType.FLOAT);
        INDArray labels = Nd4j.zeros(DataType.FLOAT, BATCH, CLASSES, STEPS);
        INDArray mask = masks();
        for (int i = 0; i < BATCH; i++) {
            for (int t = 0; t < STEPS; t++) {
                labels.putScalar(i, random.nextInt(CLASSES), t, 1.0);
            }
        }
        return new DataSet(features, labels, mask, mask.dup());
    }

    /** Sequences of lengths 3 to 7 (feature mask), one class per sequence. */
    private static DataSet lastStepData() {
        Random random = new Random(7);
        INDArray features = Nd4j.getRandomFactory().getNewRandomInstance(8).nextGaussian(new long[] {BATCH, IN, STEPS}).castTo(DataType.FLOAT);
        INDArray labels = Nd4j.zeros(DataType.FLOAT, BATCH, CLASSES);
        for (int i = 0; i < BATCH; i++) {
            labels.putScalar(i, random.nextInt(CLASSES), 1.0);
        }
        return new DataSet(features, labels, masks(), null);
    }

    private static INDArray masks() {
        INDArray mask = Nd4j.zeros(DataType.FLOAT, BATCH, STEPS);
        for (int i = 0; i < BATCH; i++) {
            int length = 3 + i % (STEPS - 2);
            for (int t = 0; t < length; t++) {
                mask.putScalar(i, t, 1.0);
            }
        }
        return mask;
    }
}
