package org.dl4j.mixedprecision.samples.benchmark;

import java.util.function.Supplier;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.dl4j.mixedprecision.MixedPrecision;
import org.dl4j.mixedprecision.samples.TrainingMemory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Parts 2 to 4: one whole training iteration ({@code fit} on one minibatch) of the same network in FP32,
 * in pure HALF (DL4J's own {@code convertDataType(HALF)}: HALF parameters, gradients and updater state,
 * no master copy, no loss scaling) and in mixed precision; median time per iteration after warm-up, and
 * training memory counted array by array ({@link TrainingMemory}) after those iterations.
 *
 * <p>Pure HALF training with Adam turns the parameters into NaN in its first step on this backend
 * (epsilon 1e-8 is 0 in FP16), and iterations over NaN values run faster than real ones; so each
 * pure-HALF repetition starts again from the initial parameters and updater state (that copy, one pass
 * over the parameters, is inside its time).
 */
final class IterationBenchmark {

    /**
     * One model at one minibatch size.
     *
     * @param model        the model's name
     * @param batch        the minibatch size
     * @param fp32Millis   median milliseconds per FP32 iteration
     * @param halfMillis   median milliseconds per pure-HALF iteration
     * @param mixedMillis  median milliseconds per mixed-precision iteration
     * @param fp32Bytes    FP32 training memory
     * @param halfBytes    pure-HALF training memory
     * @param mixedBytes   mixed-precision training memory
     */
    record Row(String model, int batch, double fp32Millis, double halfMillis, double mixedMillis, long fp32Bytes,
               long halfBytes, long mixedBytes) {

        /** @return mixed-precision time over pure-HALF time: our overhead on top of DL4J's HALF kernels */
        double mixedOverHalf() {
            return mixedMillis / halfMillis;
        }

        /** @return mixed-precision time over FP32 time */
        double mixedOverFp32() {
            return mixedMillis / fp32Millis;
        }

        /** @return mixed-precision memory over FP32 memory */
        double memoryRatio() {
            return (double) mixedBytes / fp32Bytes;
        }
    }

    private IterationBenchmark() {
    }

    /**
     * @param model       the model's name
     * @param network     a fresh, initialized FP32 network of the model (called once per precision)
     * @param batch       one minibatch (FP32)
     */
    static Row measure(String model, Supplier<Model> network, DataSet batch, int warmups, int repetitions) {
        Measured fp32 = run(network.get(), batch, warmups, repetitions, false);
        Measured half = run(pureHalf(network.get()), batch, warmups, repetitions, true);
        Measured mixed = run(mixed(network.get()), batch, warmups, repetitions, false);
        return new Row(model, batch.numExamples(), fp32.millis, half.millis, mixed.millis, fp32.bytes, half.bytes,
                mixed.bytes);
    }

    private record Measured(double millis, long bytes) {
    }

    private static Measured run(Model network, DataSet batch, int warmups, int repetitions, boolean restart) {
        TrainingMemory.resetWorkspaces();
        INDArray params = network.params().dup();
        INDArray state = updaterState(network).dup();
        double millis = Timing.medianMillis(warmups, repetitions, () -> {
            if (restart) {
                network.params().assign(params);
                updaterState(network).assign(state);
            }
            fit(network, batch);
        });
        TrainingMemory memory = network instanceof MultiLayerNetwork net ? TrainingMemory.of(net)
                : TrainingMemory.of((ComputationGraph) network);
        return new Measured(millis, memory.totalBytes());
    }

    private static INDArray updaterState(Model network) {
        return network instanceof MultiLayerNetwork net ? net.getUpdater().getStateViewArray()
                : ((ComputationGraph) network).getUpdater().getStateViewArray();
    }

    private static void fit(Model network, DataSet batch) {
        if (network instanceof MultiLayerNetwork net) {
            net.fit(batch);
        } else {
            ((ComputationGraph) network).fit(batch);
        }
    }

    private static Model pureHalf(Model network) {
        return network instanceof MultiLayerNetwork net ? net.convertDataType(DataType.HALF)
                : ((ComputationGraph) network).convertDataType(DataType.HALF);
    }

    private static Model mixed(Model network) {
        return network instanceof MultiLayerNetwork net ? MixedPrecision.enable(net)
                : MixedPrecision.enable((ComputationGraph) network);
    }
}
