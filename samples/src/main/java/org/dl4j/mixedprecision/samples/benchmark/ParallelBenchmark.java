package org.dl4j.mixedprecision.samples.benchmark;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.parallelism.ParallelWrapper;
import org.dl4j.mixedprecision.MixedPrecision;
import org.dl4j.mixedprecision.samples.TrainingMemory;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Part 7: DL4J's {@code ParallelWrapper} with 2 workers averaging after every iteration, FP32 against mixed
 * precision (the default policy): median milliseconds per iteration (one {@code fit} over 2 x
 * {@value #ITERATIONS} minibatches, with the wrapper's start and stop, divided by {@value #ITERATIONS}) and the
 * training memory of one worker's network (the largest over the workers, counted after an iteration in an
 * untimed run).
 */
final class ParallelBenchmark {

    static final int WORKERS = 2;
    static final int ITERATIONS = 4;

    /**
     * One model at one minibatch size per worker.
     *
     * @param model       the model's name
     * @param batch       the minibatch size of each worker
     * @param fp32Millis  median milliseconds per FP32 iteration (the workers in parallel)
     * @param mixedMillis median milliseconds per mixed-precision iteration
     * @param fp32Bytes   one FP32 worker's training memory
     * @param mixedBytes  one mixed-precision worker's training memory
     */
    record Row(String model, int batch, double fp32Millis, double mixedMillis, long fp32Bytes, long mixedBytes) {

        /** @return mixed-precision time over FP32 time */
        double mixedOverFp32() {
            return mixedMillis / fp32Millis;
        }

        /** @return mixed-precision memory over FP32 memory */
        double memoryRatio() {
            return (double) mixedBytes / fp32Bytes;
        }
    }

    private ParallelBenchmark() {
    }

    /**
     * @param model   the model's name
     * @param network a fresh, initialized FP32 network of the model (called twice)
     * @param batch   one minibatch (FP32), which every worker trains on
     */
    static Row measure(String model, Supplier<Model> network, DataSet batch, int warmups, int repetitions) {
        Model fp32 = network.get();
        Model base = network.get();
        Model mixed = base instanceof MultiLayerNetwork net ? MixedPrecision.enable(net)
                : MixedPrecision.enable((ComputationGraph) base);
        double[] millis = Timing.medianMillis(warmups, repetitions, () -> fit(fp32, batch, null),
                () -> fit(mixed, batch, null));
        return new Row(model, batch.numExamples(), millis[0] / ITERATIONS, millis[1] / ITERATIONS,
                workerMemory(fp32, batch), workerMemory(mixed, batch));
    }

    private static long workerMemory(Model network, DataSet batch) {
        AtomicLong largest = new AtomicLong();
        fit(network, batch, new BaseTrainingListener() {
            @Override
            public void iterationDone(Model worker, int iteration, int epoch) {
                long bytes = worker instanceof MultiLayerNetwork net ? TrainingMemory.of(net).totalBytes()
                        : TrainingMemory.of((ComputationGraph) worker).totalBytes();
                largest.accumulateAndGet(bytes, Math::max);
            }
        });
        return largest.get();
    }

    /**
     * One {@code ParallelWrapper.fit}. The network's updater is created first: DL4J drops it at the end of each
     * fit, and workers recreating it concurrently can deadlock (see docs/distributed.md).
     */
    private static void fit(Model network, DataSet batch, TrainingListener listener) {
        if (network instanceof MultiLayerNetwork net) {
            net.getUpdater();
        } else {
            ((ComputationGraph) network).getUpdater();
        }
        // copies: ParallelWrapper's workers take over (and release) the arrays of the minibatches they train on
        List<DataSet> batches = IntStream.range(0, WORKERS * ITERATIONS).mapToObj(i -> batch.copy()).toList();
        try (ParallelWrapper wrapper = new ParallelWrapper.Builder<>(network).workers(WORKERS).prefetchBuffer(2)
                .averagingFrequency(1).build()) {
            if (listener != null) {
                wrapper.setListeners(listener);
            }
            wrapper.fit(new ExistingDataSetIterator(batches));
        } catch (Exception e) {
            throw new IllegalStateException("ParallelWrapper failed: " + e.getMessage(), e);
        }
    }
}
