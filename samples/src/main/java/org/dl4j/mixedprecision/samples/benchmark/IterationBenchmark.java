package org.dl4j.mixedprecision.samples.benchmark;

import java.util.List;
import java.util.function.Supplier;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.dl4j.mixedprecision.MixedPrecision;
import org.dl4j.mixedprecision.MixedPrecisionConfig;
import org.dl4j.mixedprecision.PrecisionPolicy;
import org.dl4j.mixedprecision.samples.TrainingMemory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Parts 2 to 4: one whole training iteration ({@code fit} on one minibatch) of the same network in FP32,
 * in pure HALF (DL4J's own {@code convertDataType(HALF)}: HALF parameters, gradients and updater state,
 * no FP32 copy, no loss scaling) and in mixed precision with every hidden layer computing in HALF
 * ({@code PrecisionPolicy.allHalf()}, so that both HALF runs use the same kernels and the difference is the
 * mixed-precision machinery: casts, unscale, check, FP32 loss and updater); median time per iteration
 * after warm-up, and training memory counted array by array ({@link TrainingMemory}) after two iterations
 * of each network alone, its workspaces freed first.
 *
 * <p>Every repetition of every precision is the first iteration from the same initial parameters and
 * updater state (restored before it, inside its time), and the precisions are timed in turns. Two
 * reasons: pure HALF training with Adam turns the parameters into NaN in its first step on this backend
 * (epsilon 1e-8 is 0 in FP16), and iterations over NaN values run faster than real ones; and ND4J's
 * HALF kernels run at speeds that depend on the values (LeNet at batch 128: about 10% apart between the
 * initial weights and those after a few steps), so only iterations over the same values compare our
 * overhead alone.
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
        List<Model> networks = List.of(network.get(), pureHalf(network.get()), mixed(network.get()));
        Runnable[] iterations = networks.stream().map(net -> firstIteration(net, batch)).toArray(Runnable[]::new);
        double[] millis = Timing.medianMillis(warmups, repetitions, iterations);
        long[] bytes = new long[networks.size()];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = trainingMemory(networks.get(i), iterations[i]);
        }
        return new Row(model, batch.numExamples(), millis[0], millis[1], millis[2], bytes[0], bytes[1], bytes[2]);
    }

    /**
     * @return one training iteration that starts from the network's present parameters and updater state
     *         every time it runs
     */
    private static Runnable firstIteration(Model network, DataSet batch) {
        List<INDArray> state = List.of(network.params(), updaterState(network));
        List<INDArray> initial = state.stream().map(INDArray::dup).toList();
        return () -> {
            for (int i = 0; i < state.size(); i++) {
                state.get(i).assign(initial.get(i));
            }
            fit(network, batch);
        };
    }

    /** @return the network's training memory, its workspaces measured alone over two iterations */
    private static long trainingMemory(Model network, Runnable iteration) {
        TrainingMemory.resetWorkspaces();
        iteration.run();
        iteration.run();
        TrainingMemory memory = network instanceof MultiLayerNetwork net ? TrainingMemory.of(net)
                : TrainingMemory.of((ComputationGraph) network);
        return memory.totalBytes();
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
        MixedPrecisionConfig allHalf = MixedPrecisionConfig.builder().precisionPolicy(PrecisionPolicy.allHalf()).build();
        return network instanceof MultiLayerNetwork net ? MixedPrecision.enable(net, allHalf)
                : MixedPrecision.enable((ComputationGraph) network, allHalf);
    }
}
