package org.dl4j.mixedprecision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.parallelism.ParallelInference;
import org.deeplearning4j.parallelism.inference.InferenceMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;

/**
 * DL4J's {@code ParallelInference} serves a mixed-precision network: its workers (copies of the network)
 * compute in mixed precision and give the outputs the network itself gives.
 */
class ParallelInferenceTest {

    @ParameterizedTest
    @EnumSource(value = InferenceMode.class, names = {"SEQUENTIAL", "BATCHED"})
    void workersGiveTheOutputsOfTheTrainedNetwork(InferenceMode mode) {
        DataSet data = TestNets.blobs(32, 3);
        MultiLayerNetwork net = MixedPrecision.enable(TestNets.init(TestNets.mlp(new Adam(1e-2), 5)));
        net.fit(TestNets.iterator(data, 16), 2);
        ComputationGraph graph = MixedPrecision.enable(ComputationGraphTest.init(ComputationGraphTest.twoHeadGraph(new Adam(1e-3), 3)));
        graph.fit(ComputationGraphTest.twoHeadData(16, 4, false));

        assertServedLikeTheNetwork(net, mode, new INDArray[] {data.getFeatures()},
                new INDArray[] {net.output(data.getFeatures())});
        INDArray[] graphFeatures = ComputationGraphTest.twoHeadData(16, 5, false).getFeatures();
        assertServedLikeTheNetwork(graph, mode, graphFeatures, graph.output(graphFeatures));
    }

    private static void assertServedLikeTheNetwork(Model network, InferenceMode mode, INDArray[] features,
                                                   INDArray[] expected) {
        ParallelInference inference = new ParallelInference.Builder(network).workers(2).inferenceMode(mode)
                .batchLimit(8).build();
        try {
            INDArray[] served = inference.output(features);
            assertTrue(MixedPrecision.isMixedPrecision(network));
            for (int i = 0; i < expected.length; i++) {
                assertArrayEquals(TestNets.values(expected[i]), TestNets.values(served[i]), "output " + i);
            }
        } finally {
            inference.shutdown();
        }
    }
}
