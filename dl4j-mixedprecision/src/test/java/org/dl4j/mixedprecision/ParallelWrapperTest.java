package org.dl4j.mixedprecision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.parallelism.ParallelWrapper;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.indexing.conditions.Conditions;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;

/**
 * DL4J's ParallelWrapper trains a mixed-precision network on 2 workers as it trains the FP32 one: every
 * worker computes in mixed precision with its own loss scaler (a worker's overflowing step is skipped on that
 * worker only), averaging combines FP32 parameters and updater state, and the user's network is still a
 * mixed-precision network that trains on and resumes.
 */
class ParallelWrapperTest {

    @TempDir
    Path folder;

    static Stream<Arguments> setups() {
        List<Arguments> setups = new ArrayList<>();
        for (boolean graph : new boolean[] {false, true}) {
            setups.add(Arguments.of(graph, ParallelWrapper.TrainingMode.AVERAGING, 1, true, new Adam(1e-2)));
            setups.add(Arguments.of(graph, ParallelWrapper.TrainingMode.AVERAGING, 3, false, new Nesterovs(0.05)));
            setups.add(Arguments.of(graph, ParallelWrapper.TrainingMode.SHARED_GRADIENTS, 1, true, new Adam(1e-2)));
        }
        return setups.stream();
    }

    @ParameterizedTest(name = "graph={0} {1} frequency={2} averageUpdaters={3} {4}")
    @MethodSource("setups")
    void trainsLikeFp32AndStaysMixedPrecision(boolean graph, ParallelWrapper.TrainingMode mode, int frequency,
                                              boolean averageUpdaters, IUpdater updater) throws Exception {
        DataSet train = TestNets.blobs(1024, 11);
        DataSet test = TestNets.blobs(256, 12);
        Model fp32 = network(graph, updater);
        Model mixed = graph ? MixedPrecision.enable(((ComputationGraph) fp32).clone())
                : MixedPrecision.enable(((MultiLayerNetwork) fp32).clone());
        WorkerSteps steps = new WorkerSteps();

        fit(fp32, train, mode, frequency, averageUpdaters, null);
        fit(mixed, train, mode, frequency, averageUpdaters, steps);

        assertTrue(MixedPrecision.isMixedPrecision(mixed));
        assertEquals(0, mixed.params().scan(Conditions.notFinite()).intValue());
        assertEquals(2, steps.workers(), "both workers trained: " + steps);
        steps.forEach((worker, status) -> assertTrue(status.applied > 0, "worker " + worker + ": " + status));
        double fp32Accuracy = accuracy(fp32, test);
        double mixedAccuracy = accuracy(mixed, test);
        System.out.printf("%s %s f=%d avgUpd=%s %s: accuracy fp32 %.4f mixed %.4f, worker steps %s%n",
                graph ? "graph" : "mln", mode, frequency, averageUpdaters, updater.getClass().getSimpleName(),
                fp32Accuracy, mixedAccuracy, steps);
        assertEquals(fp32Accuracy, mixedAccuracy, 0.02, "within 2 points of FP32 on the same engine");

        File file = folder.resolve("parallel.zip").toFile();
        MixedPrecisionSerializer.writeModel(mixed, file);
        Model resumed = graph ? MixedPrecisionSerializer.restoreComputationGraph(file)
                : MixedPrecisionSerializer.restoreMultiLayerNetwork(file);
        assertTrue(MixedPrecision.isMixedPrecision(resumed));
        fit(resumed, train, mode, frequency, averageUpdaters, new WorkerSteps());
        fit(mixed, train, mode, frequency, averageUpdaters, new WorkerSteps());
        assertEquals(0, mixed.params().scan(Conditions.notFinite()).intValue(), "a second fit trains on");
        assertTrue(accuracy(resumed, test) >= mixedAccuracy - 0.02);
    }

    /**
     * Workers that start at a scale that overflows skip their own steps and back off on their own; the other
     * worker's updates still reach the average, and no NaN reaches the FP32 parameters.
     */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.EnumSource(value = ParallelWrapper.TrainingMode.class,
            names = {"AVERAGING", "SHARED_GRADIENTS"})
    void workersSkipTheirOverflowingStepsAndBackOff(ParallelWrapper.TrainingMode mode) throws Exception {
        DataSet train = TestNets.blobs(1024, 11);
        MultiLayerNetwork fp32 = TestNets.init(TestNets.mlp(new Adam(1e-2), 7));
        MultiLayerNetwork mixed = MixedPrecision.enable(fp32.clone(),
                MixedPrecisionConfig.builder().initialScale(0x1p24).build());
        WorkerSteps steps = new WorkerSteps();
        fit(fp32, train, mode, 1, true, null);
        fit(mixed, train, mode, 1, true, steps);
        System.out.printf("overflowing start, %s: accuracy fp32 %.4f mixed %.4f, worker steps %s, user's network %s%n",
                mode, accuracy(fp32, TestNets.blobs(256, 12)), accuracy(mixed, TestNets.blobs(256, 12)), steps,
                MixedPrecision.status(mixed));
        assertEquals(2, steps.workers(), steps.toString());
        steps.forEach((worker, counts) -> assertTrue(counts.skipped() > 0 && counts.scale() < 0x1p24,
                "worker " + worker + " skipped and backed off: " + counts));
        assertEquals(0, mixed.params().scan(Conditions.notFinite()).intValue());
    }

    /**
     * One {@code ParallelWrapper.fit}. The network's updater is created first, on this thread: DL4J's
     * {@code ParallelWrapper} drops it at the end of each fit ({@code DefaultTrainer.run} calls
     * {@code clear()} on the user's network, in FP32 too), and a worker that recreates it while the first worker
     * holds the network's lock waiting for it in SHARED_GRADIENTS mode deadlocks.
     */
    private static void fit(Model model, DataSet data, ParallelWrapper.TrainingMode mode, int frequency,
                            boolean averageUpdaters, WorkerSteps steps) throws Exception {
        Network.of(model).updater();
        ParallelWrapper.Builder<Model> builder = new ParallelWrapper.Builder<>(model).workers(2).prefetchBuffer(2)
                .trainingMode(mode).averagingFrequency(frequency).averageUpdaters(averageUpdaters);
        try (ParallelWrapper wrapper = builder.build()) {
            if (steps != null) {
                wrapper.setListeners(steps);
            }
            wrapper.fit(TestNets.iterator(data, 16));
        }
    }

    private static Model network(boolean graph, IUpdater updater) {
        MultiLayerNetwork net = TestNets.init(TestNets.mlp(updater, 7));
        return graph ? net.toComputationGraph() : net;
    }

    private static double accuracy(Model model, DataSet test) {
        return model instanceof ComputationGraph graph ? graph.evaluate(TestNets.iterator(test, 32)).accuracy()
                : ((MultiLayerNetwork) model).evaluate(TestNets.iterator(test, 32)).accuracy();
    }

    /** Applied and skipped steps of each worker's network, as its loss scaler counts them. */
    private static final class WorkerSteps extends BaseTrainingListener {
        private final Map<Model, Counts> byWorker = Collections.synchronizedMap(new IdentityHashMap<>());

        record Counts(long applied, long skipped, double scale) {
        }

        @Override
        public void iterationDone(Model model, int iteration, int epoch) {
            LossScaleStatus status = MixedPrecision.status(model);
            byWorker.merge(model, new Counts(status.lastStepSkipped() ? 0 : 1, status.lastStepSkipped() ? 1 : 0,
                    status.scale()), (a, b) -> new Counts(a.applied + b.applied, a.skipped + b.skipped, b.scale));
        }

        int workers() {
            return byWorker.size();
        }

        void forEach(java.util.function.BiConsumer<Integer, Counts> action) {
            int worker = 0;
            synchronized (byWorker) {
                for (Counts counts : byWorker.values()) {
                    action.accept(worker++, counts);
                }
            }
        }

        @Override
        public String toString() {
            synchronized (byWorker) {
                return byWorker.values().toString();
            }
        }
    }
}
