package org.dl4j.mixedprecision.samples.benchmark;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.dl4j.mixedprecision.MixedPrecision;
import org.dl4j.mixedprecision.samples.IterationTimes;
import org.dl4j.mixedprecision.samples.MnistLeNet;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Parts 5 and 6: LeNet-5 ({@link MnistLeNet#lenet}) trained on real MNIST in FP32, pure HALF and mixed
 * precision, once per seed (the seed of the weights; the data order is fixed), scored on the test digits;
 * the mixed runs also record their loss scale per iteration and their skipped steps.
 */
final class AccuracyBenchmark {

    /** Steps skipped before this iteration are the scale finding its level; the fraction counts those after. */
    static final int SETTLING_ITERATIONS = 100;

    /**
     * One run.
     *
     * @param precision        "fp32", "half" or "mixed"
     * @param seed             the weights' seed
     * @param accuracy         test accuracy, NaN when the network diverged (NaN predictions)
     * @param iterations       iterations trained
     * @param skippedAfterSettling steps skipped after the first {@value #SETTLING_ITERATIONS} iterations (mixed)
     * @param scales           the loss scale after every iteration (mixed; empty otherwise)
     */
    record Run(String precision, long seed, double accuracy, int iterations, long skippedAfterSettling,
               List<Double> scales) {
    }

    private AccuracyBenchmark() {
    }

    /** @return one run per precision and seed, precisions in the order fp32, half, mixed */
    static List<Run> measure(DataSet train, DataSet test, int batch, int epochs, List<Long> seeds) {
        List<Run> runs = new ArrayList<>();
        for (String precision : List.of("fp32", "half", "mixed")) {
            for (long seed : seeds) {
                runs.add(train(precision, seed, train, test, batch, epochs));
            }
        }
        return runs;
    }

    private static Run train(String precision, long seed, DataSet train, DataSet test, int batch, int epochs) {
        MultiLayerNetwork net = new MultiLayerNetwork(MnistLeNet.lenet(seed));
        net.init();
        net = switch (precision) {
            case "half" -> net.convertDataType(DataType.HALF);
            case "mixed" -> MixedPrecision.enable(net);
            default -> net;
        };
        IterationTimes times = new IterationTimes();
        SkipCounter skips = new SkipCounter(SETTLING_ITERATIONS);
        net.addListeners(times, skips);
        net.fit(new ExistingDataSetIterator(train.batchBy(batch)), epochs);
        double accuracy = accuracy(net, test, batch);
        return new Run(precision, seed, accuracy, times.scores().size(), skips.skipped(), times.scales());
    }

    /** @return the test accuracy, or NaN when the network's predictions hold NaN (it diverged) */
    private static double accuracy(MultiLayerNetwork net, DataSet test, int batch) {
        try {
            return net.evaluate(new ExistingDataSetIterator(test.batchBy(batch))).accuracy();
        } catch (IllegalStateException e) {
            if (e.getMessage() != null && e.getMessage().contains("NaN")) {
                return Double.NaN;
            }
            throw e;
        }
    }
}
