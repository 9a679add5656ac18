package org.dl4j.mixedprecision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.deeplearning4j.datasets.iterator.utilty.SingletonMultiDataSetIterator;
import org.deeplearning4j.earlystopping.EarlyStoppingConfiguration;
import org.deeplearning4j.earlystopping.EarlyStoppingResult;
import org.deeplearning4j.earlystopping.saver.InMemoryModelSaver;
import org.deeplearning4j.earlystopping.scorecalc.DataSetLossCalculator;
import org.deeplearning4j.earlystopping.termination.MaxEpochsTerminationCondition;
import org.deeplearning4j.earlystopping.trainer.EarlyStoppingGraphTrainer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.L2NormalizeVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.ScaleVertex;
import org.deeplearning4j.nn.conf.graph.ShiftVertex;
import org.deeplearning4j.nn.conf.graph.StackVertex;
import org.deeplearning4j.nn.conf.graph.SubsetVertex;
import org.deeplearning4j.nn.conf.graph.UnstackVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.deeplearning4j.optimize.listeners.CollectScoresListener;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

class ComputationGraphTest {

    /**
     * Two inputs (features and a 4x4 image, whose conv branch reaches the dense layers through a
     * preprocessor), every kind of parameterless vertex, and two outputs: a softmax classifier and a
     * regression head.
     */
    static ComputationGraphConfiguration twoHeadGraph(IUpdater updater, long seed) {
        return new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT).updater(updater)
                .graphBuilder()
                .addInputs("in", "img")
                .setInputTypes(InputType.feedForward(TestNets.FEATURES), InputType.convolutional(4, 4, 1))
                .addLayer("conv", new ConvolutionLayer.Builder(2, 2).nOut(2).activation(Activation.RELU).build(), "img")
                .addLayer("dImg", new DenseLayer.Builder().nOut(16).activation(Activation.TANH).build(), "conv")
                .addLayer("d1", new DenseLayer.Builder().nOut(16).activation(Activation.TANH).build(), "in")
                .addLayer("d2", new DenseLayer.Builder().nOut(16).activation(Activation.RELU).build(), "in")
                .addVertex("merge", new MergeVertex(), "d1", "d2", "dImg")
                .addVertex("sum", new ElementWiseVertex(ElementWiseVertex.Op.Add), "d1", "d2")
                .addVertex("subset", new SubsetVertex(0, 15), "merge")
                .addVertex("scale", new ScaleVertex(0.5), "sum")
                .addVertex("shift", new ShiftVertex(0.1), "scale")
                .addVertex("l2n", new L2NormalizeVertex(), "subset")
                .addVertex("stack", new StackVertex(), "shift", "l2n")
                .addVertex("first", new UnstackVertex(0, 2), "stack")
                .addVertex("second", new UnstackVertex(1, 2), "stack")
                .addVertex("product", new ElementWiseVertex(ElementWiseVertex.Op.Product), "first", "second")
                .addLayer("d3", new DenseLayer.Builder().nOut(16).activation(Activation.TANH).build(), "product", "merge")
                .addLayer("cls", new OutputLayer.Builder(LossFunction.MCXENT).nOut(TestNets.CLASSES)
                        .activation(Activation.SOFTMAX).build(), "d3")
                .addLayer("reg", new OutputLayer.Builder(LossFunction.MSE).nOut(2)
                        .activation(Activation.IDENTITY).build(), "d3")
                .setOutputs("cls", "reg")
                .build();
    }

    /** Features, images, class labels and regression targets; the regression labels of every 4th example masked. */
    static MultiDataSet twoHeadData(int examples, long seed, boolean masked) {
        DataSet blobs = TestNets.blobs(examples, seed);
        INDArray features = blobs.getFeatures();
        INDArray image = features.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 4)).mmul(Nd4j.ones(DataType.FLOAT, 4, 16)).reshape(examples, 1, 4, 4);
        INDArray targets = features.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 2)).mul(0.5);
        INDArray mask = null;
        if (masked) {
            mask = Nd4j.ones(DataType.FLOAT, examples, 1);
            for (int i = 0; i < examples; i += 4) {
                mask.putScalar(i, 0, 0.0);
                targets.putScalar(i, 0, 1000.0); // a masked-out label that would wreck the loss if it counted
            }
        }
        return new MultiDataSet(new INDArray[] {features, image}, new INDArray[] {blobs.getLabels(), targets},
                null, new INDArray[] {null, mask});
    }

    static ComputationGraph init(ComputationGraphConfiguration conf) {
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        return graph;
    }

    @Test
    void oneStepOfATwoHeadGraphMovesEveryParameterAsFp32Does() {
        MultiDataSet batch = twoHeadData(32, 7, true);
        ComputationGraph fp32 = init(twoHeadGraph(new Sgd(0.05), 3));
        INDArray initial = fp32.params().dup();
        ComputationGraph mixed = MixedPrecision.enable(fp32.clone(), MixedPrecisionConfig.builder().initialScale(64).build());
        assertEquals(mixed.getConfiguration(), ComputationGraphConfiguration.fromJson(mixed.getConfiguration().toJson()));

        fp32.fit(batch);
        mixed.fit(batch);
        assertEquals(0, MixedPrecision.status(mixed).skippedSteps());
        assertEquals(fp32.score(), mixed.score(), 0.01 * fp32.score(), "the score is the true total loss of both heads");
        assertTrue(fp32.score() < 50, "the masked-out label does not count: " + fp32.score());
        INDArray fp32Update = fp32.params().sub(initial);
        INDArray mixedUpdate = mixed.params().sub(initial);
        double relativeError = fp32Update.sub(mixedUpdate).norm2Number().doubleValue() / fp32Update.norm2Number().doubleValue();
        System.out.printf("two-head graph: |update| %.5f, relative error of the mixed update %.5f%n",
                fp32Update.norm2Number().doubleValue(), relativeError);
        assertTrue(relativeError < 0.02, "mixed update differs from FP32's by " + relativeError);
    }

    @Test
    void twoHeadGraphReachesFp32LossWherePureHalfFails() {
        MultiDataSet data = twoHeadData(128, 8, true);
        ComputationGraphConfiguration conf = twoHeadGraph(new Adam(1e-2), 4);
        ComputationGraph fp32 = init(conf);
        ComputationGraph mixed = MixedPrecision.enable(init(conf));
        ComputationGraphConfiguration halfConf = conf.clone();
        halfConf.setDataType(DataType.HALF);
        ComputationGraph pureHalf = init(halfConf);
        for (int i = 0; i < 100; i++) {
            fp32.fit(data);
            mixed.fit(data);
            pureHalf.fit(data);
        }
        MultiDataSet heldOut = twoHeadData(256, 99, true);
        double fp32Loss = fp32.score(heldOut);
        double mixedLoss = mixed.score(heldOut);
        double halfLoss = pureHalf.score(heldOut);
        System.out.printf("two-head graph after 100 iterations, held-out loss: fp32 %.5f mixed %.5f pure HALF %.5f; %s%n",
                fp32Loss, mixedLoss, halfLoss, MixedPrecision.status(mixed));
        assertTrue(Double.isNaN(halfLoss) || pureHalf.params().isNaN().any(), "pure HALF should break: " + halfLoss);
        assertEquals(fp32Loss, mixedLoss, 0.01 + 0.1 * fp32Loss);
    }

    @Test
    void everyFitMethodAndEarlyStoppingWork() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(5).dataType(DataType.FLOAT)
                .updater(new Adam(1e-2)).graphBuilder()
                .addInputs("in")
                .addLayer("d", new DenseLayer.Builder().nIn(TestNets.FEATURES).nOut(16).activation(Activation.TANH).build(), "in")
                .addLayer("out", new OutputLayer.Builder(LossFunction.MCXENT).nIn(16).nOut(TestNets.CLASSES)
                        .activation(Activation.SOFTMAX).build(), "d")
                .setOutputs("out")
                .build();
        DataSet data = TestNets.blobs(96, 9);
        ComputationGraph mixed = MixedPrecision.enable(init(conf), MixedPrecisionConfig.builder().initialScale(256).build());
        CollectScoresListener scores = new CollectScoresListener(1);
        mixed.setListeners(scores, new LossScaleListener());

        mixed.fit(data);
        mixed.fit(new MultiDataSet(data.getFeatures(), data.getLabels()));
        mixed.fit(TestNets.iterator(data, 32));
        mixed.fit(new SingletonMultiDataSetIterator(new MultiDataSet(data.getFeatures(), data.getLabels())));
        mixed.fit(TestNets.iterator(data, 32), 2);
        assertEquals(1 + 1 + 3 + 1 + 6, mixed.getIterationCount());
        assertEquals(12, scores.getListScore().size());

        EarlyStoppingConfiguration<ComputationGraph> esConf = new EarlyStoppingConfiguration.Builder<ComputationGraph>()
                .epochTerminationConditions(new MaxEpochsTerminationCondition(3))
                .scoreCalculator(new DataSetLossCalculator(TestNets.iterator(data, 32), true))
                .modelSaver(new InMemoryModelSaver<>())
                .build();
        EarlyStoppingResult<ComputationGraph> result =
                new EarlyStoppingGraphTrainer(esConf, mixed, TestNets.iterator(data, 32)).fit();
        assertEquals(3, result.getTotalEpochs());
        assertTrue(result.getBestModelScore() < scores.getListScore().getDouble(0), "training lowered the loss");
        assertEquals(0, MixedPrecision.status(mixed).skippedSteps());
    }

    @Test
    void frozenVerticesDoNotMoveByASingleUlp() {
        ComputationGraph pretrained = init(twoHeadGraph(new Adam(1e-2), 6));
        ComputationGraph transfer = new TransferLearning.GraphBuilder(pretrained)
                .setFeatureExtractor("merge")
                .removeVertexAndConnections("reg")
                .addLayer("reg2", new OutputLayer.Builder(LossFunction.MSE).nIn(16).nOut(2)
                        .activation(Activation.IDENTITY).build(), "d3")
                .setOutputs("cls", "reg2")
                .build();
        ComputationGraph mixed = MixedPrecision.enable(transfer, MixedPrecisionConfig.builder().initialScale(256).build());
        List<String> frozen = List.of("d1", "d2", "conv", "dImg");
        float[][] before = frozen.stream().map(name -> TestNets.values(mixed.getLayer(name).params())).toArray(float[][]::new);
        float[] trainable = TestNets.values(mixed.getLayer("d3").params());

        for (int i = 0; i < 5; i++) {
            mixed.fit(twoHeadData(32, 10 + i, false));
        }
        for (int i = 0; i < frozen.size(); i++) {
            assertArrayEquals(before[i], TestNets.values(mixed.getLayer(frozen.get(i)).params()), frozen.get(i));
            assertArrayEquals(TestNets.values(transfer.getLayer(frozen.get(i)).params()),
                    TestNets.values(mixed.getLayer(frozen.get(i)).params()), frozen.get(i));
        }
        assertFalse(java.util.Arrays.equals(trainable, TestNets.values(mixed.getLayer("d3").params())), "d3 trains");
    }
}
