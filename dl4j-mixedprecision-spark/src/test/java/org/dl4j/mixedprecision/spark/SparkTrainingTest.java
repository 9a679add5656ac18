package org.dl4j.mixedprecision.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.api.TrainingMaster;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.dl4j.mixedprecision.LossScaleStatus;
import org.dl4j.mixedprecision.MixedPrecision;
import org.dl4j.mixedprecision.MixedPrecisionConfig;
import org.dl4j.mixedprecision.MixedPrecisionSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.conditions.Conditions;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * dl4j-spark's parameter averaging trains a mixed-precision network in Spark's {@code local[2]} mode as it
 * trains the FP32 one: each worker computes in mixed precision on its own copy of the network (its own loss
 * scaler, as on a cluster), the averaged parameters stay finite, the accuracy matches FP32's, and the driver's
 * network saves and resumes as a mixed-precision network; with {@link MixedPrecisionSpark#setListeners} each
 * round's loss scale and skip counts come back to the driver's network.
 */
class SparkTrainingTest {

    private static final int FEATURES = 8;
    private static final int CLASSES = 3;
    /** What the workers' listener saw, by worker network (identity); the test JVM is Spark's executor here. */
    private static final Map<Integer, WorkerRecord> WORKERS = new ConcurrentHashMap<>();

    private static JavaSparkContext spark;

    @TempDir
    Path folder;

    @BeforeAll
    static void startSpark() {
        spark = new JavaSparkContext(new SparkConf().setMaster("local[2]").setAppName("SparkTrainingTest")
                .set("spark.driver.host", "localhost").set("spark.ui.enabled", "false"));
    }

    @AfterAll
    static void stopSpark() {
        spark.close();
    }

    @ParameterizedTest(name = "graph={0}")
    @ValueSource(booleans = {false, true})
    void parameterAveragingTrainsLikeFp32OnWorkersOwnCopies(boolean graph) throws Exception {
        JavaRDD<DataSet> train = spark.parallelize(batches(64, 1), 2);
        List<DataSet> test = batches(64, 2);

        Model fp32 = fit(graph, null, train, 3, false);
        WORKERS.clear();
        Model mixed = fit(graph, MixedPrecisionConfig.defaults(), train, 3, true);

        assertTrue(MixedPrecision.isMixedPrecision(mixed));
        assertEquals(0, mixed.params().scan(Conditions.notFinite()).intValue());
        assertTrue(WORKERS.size() >= 2, "each round's workers build their own network: " + WORKERS.keySet());
        Object driverScaler = scalerIdentity(mixed);
        for (WorkerRecord worker : WORKERS.values()) {
            assertTrue(worker.mixed, "every worker trains a mixed-precision network");
            assertFalse(worker.scalerIdentity == System.identityHashCode(driverScaler),
                    "a worker's loss scaler is its own copy, not the driver's");
            assertTrue(worker.applied > 0, worker.toString());
        }
        double fp32Accuracy = accuracy(fp32, test);
        double mixedAccuracy = accuracy(mixed, test);
        System.out.printf("spark %s: accuracy fp32 %.4f mixed %.4f; driver %s; workers %s%n", graph ? "graph" : "mln",
                fp32Accuracy, mixedAccuracy, MixedPrecision.status(mixed), WORKERS.values());
        // A MultiLayerNetwork trains the same on every run here; a ComputationGraph does not, in FP32 either
        // (five runs of this FP32 graph: 0.8867 to 0.9248), so its comparison allows for that spread.
        assertEquals(fp32Accuracy, mixedAccuracy, graph ? 0.05 : 0.02, "close to FP32 on the same engine");
        LossScaleStatus driver = MixedPrecision.status(mixed);
        assertTrue(driver.calibration() != null && driver.scale() > 1, "the workers' calibration came back: " + driver);
        assertEquals(WORKERS.values().stream().mapToLong(worker -> worker.skipped).sum(), driver.skippedSteps());

        File file = folder.resolve("spark.zip").toFile();
        MixedPrecisionSerializer.writeModel(mixed, file);
        Model resumed = graph ? MixedPrecisionSerializer.restoreComputationGraph(file)
                : MixedPrecisionSerializer.restoreMultiLayerNetwork(file);
        assertTrue(MixedPrecision.isMixedPrecision(resumed));
        assertEquals(mixed.params(), resumed.params());
    }

    /**
     * A start that overflows (a fixed scale of 2^24): without the loss scale coming back, every averaging
     * round's workers start from it again and skip steps again; with {@link MixedPrecisionSpark#setListeners}
     * the driver's network takes the smallest scale its workers ended with, and later rounds start from it.
     */
    @org.junit.jupiter.api.Test
    void theLossScaleComesBackFromTheWorkersAfterEachRound() {
        JavaRDD<DataSet> train = spark.parallelize(batches(64, 1), 2);
        MixedPrecisionConfig overflowing = MixedPrecisionConfig.builder().initialScale(0x1p24).build();

        WORKERS.clear();
        Model forgotten = fit(false, overflowing, train, 1, false);
        long skippedWithout = WORKERS.values().stream().mapToLong(worker -> worker.skipped).sum();
        int workersWithout = WORKERS.size();
        assertEquals(0x1p24, MixedPrecision.status(forgotten).scale(), "the driver never learns");

        WORKERS.clear();
        Model collected = fit(false, overflowing, train, 1, true);
        long skippedWith = WORKERS.values().stream().mapToLong(worker -> worker.skipped).sum();
        LossScaleStatus driver = MixedPrecision.status(collected);
        double lastRoundLowest = WORKERS.values().stream().mapToDouble(worker -> worker.scale).min().orElseThrow();
        System.out.printf("overflowing start on spark: skipped worker steps %d of %d without, %d of %d with the scale"
                + " coming back; driver %s%n", skippedWithout, workersWithout * 4, skippedWith, WORKERS.size() * 4, driver);
        assertTrue(skippedWithout >= workersWithout, "every round's workers skip again: " + skippedWithout);
        assertTrue(skippedWith < skippedWithout / 2, skippedWith + " vs " + skippedWithout);
        assertTrue(driver.scale() < 0x1p24 && driver.scale() <= lastRoundLowest * 2, driver.toString());
        assertEquals(skippedWith, driver.skippedSteps(), "the workers' skipped steps add up on the driver");
        assertEquals(0, collected.params().scan(Conditions.notFinite()).intValue());
    }

    /**
     * Without {@link MixedPrecisionSpark#setListeners} nothing comes back, and nothing goes unprotected: with the
     * default settings every round's workers calibrate their scale on their own first minibatch (no skipped step),
     * unscale, check and skip on their own, and the driver's network stays uncalibrated.
     */
    @org.junit.jupiter.api.Test
    void withoutTheScaleComingBackEveryRoundsWorkersCalibrateAgain() {
        JavaRDD<DataSet> train = spark.parallelize(batches(64, 1), 2);
        WORKERS.clear();
        Model forgotten = fit(false, MixedPrecisionConfig.defaults(), train, 1, false);

        assertTrue(WORKERS.size() >= 2 * 8, "8 rounds of 2 workers, each its own network: " + WORKERS.size());
        for (WorkerRecord worker : WORKERS.values()) {
            assertTrue(worker.mixed && worker.calibrated && worker.applied > 0 && worker.skipped == 0, worker.toString());
        }
        LossScaleStatus driver = MixedPrecision.status(forgotten);
        assertEquals(null, driver.calibration(), "nothing came back to the driver: " + driver);
        assertEquals(0, driver.skippedSteps());
        assertEquals(0, forgotten.params().scan(Conditions.notFinite()).intValue());
    }

    /**
     * Trains a new network on Spark, 2 workers averaging every 4 minibatches, and returns the driver's network.
     *
     * @param config  the mixed-precision settings, or null for FP32
     * @param collect true to bring the loss scale back with {@link MixedPrecisionSpark#setListeners}
     */
    private static Model fit(boolean graph, MixedPrecisionConfig config, JavaRDD<DataSet> data, int epochs,
                             boolean collect) {
        boolean mixedPrecision = config != null;
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.FLOAT)
                .updater(new Adam(1e-2)).list()
                .layer(new DenseLayer.Builder().nIn(FEATURES).nOut(32).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(32).nOut(CLASSES)
                        .activation(Activation.SOFTMAX).build())
                .build();
        // Direct, no repartitioning: each round's split is the same for every run (the default export to files
        // hands workers their minibatches in an order that varies from run to run)
        TrainingMaster<?, ?> master = new ParameterAveragingTrainingMaster.Builder(2, 16).batchSizePerWorker(16)
                .averagingFrequency(4).rngSeed(5).rddTrainingApproach(RDDTrainingApproach.Direct)
                .repartionData(Repartition.Never).build();
        if (graph) {
            MultiLayerNetwork template = new MultiLayerNetwork(conf);
            template.init();
            ComputationGraph fp32Graph = template.toComputationGraph();
            SparkComputationGraph net = new SparkComputationGraph(spark, mixedPrecision
                    ? MixedPrecision.configure(fp32Graph.getConfiguration(), config) : fp32Graph.getConfiguration(), master);
            if (collect) {
                MixedPrecisionSpark.setListeners(net, new WorkerListener());
            } else {
                net.setListeners(new WorkerListener());
            }
            for (int epoch = 0; epoch < epochs; epoch++) {
                net.fit(data);
            }
            return net.getNetwork();
        }
        SparkDl4jMultiLayer net = new SparkDl4jMultiLayer(spark, mixedPrecision ? MixedPrecision.configure(conf, config)
                : conf, master);
        if (collect) {
            MixedPrecisionSpark.setListeners(net, new WorkerListener());
        } else {
            net.setListeners(new WorkerListener());
        }
        for (int epoch = 0; epoch < epochs; epoch++) {
            net.fit(data);
        }
        return net.getNetwork();
    }

    /** Minibatches of 16 points of 8 features, labelled by the sign of two of them. */
    private static List<DataSet> batches(int count, long seed) {
        Random random = new Random(seed);
        List<DataSet> batches = new ArrayList<>();
        for (int b = 0; b < count; b++) {
            INDArray features = Nd4j.zeros(DataType.FLOAT, 16, FEATURES);
            INDArray labels = Nd4j.zeros(DataType.FLOAT, 16, CLASSES);
            for (int row = 0; row < 16; row++) {
                for (int column = 0; column < FEATURES; column++) {
                    features.putScalar(row, column, random.nextGaussian());
                }
                int label = features.getDouble(row, 0) > 0.5 ? 0 : features.getDouble(row, 1) > 0 ? 1 : 2;
                labels.putScalar(row, label, 1.0);
            }
            batches.add(new DataSet(features, labels));
        }
        return batches;
    }

    private static double accuracy(Model model, List<DataSet> test) {
        org.nd4j.linalg.dataset.api.iterator.DataSetIterator iterator =
                new org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator<>(test, 16);
        return model instanceof ComputationGraph graph ? graph.evaluate(iterator).accuracy()
                : ((MultiLayerNetwork) model).evaluate(iterator).accuracy();
    }

    private static Object scalerIdentity(Model model) {
        org.deeplearning4j.nn.conf.layers.Layer output = model instanceof ComputationGraph graph
                ? ((org.deeplearning4j.nn.conf.graph.LayerVertex) graph.getConfiguration().getVertices()
                        .get(graph.getConfiguration().getNetworkOutputs().get(0))).getLayerConf().getLayer()
                : ((MultiLayerNetwork) model).getLayerWiseConfigurations().getConf(1).getLayer();
        return ((org.dl4j.mixedprecision.LossScaleOutputLayer) output).getLossScaler();
    }

    /** What one worker's network did: applied and skipped steps as its own loss scaler counts them. */
    private static final class WorkerRecord {
        final boolean mixed;
        final int scalerIdentity;
        volatile long applied;
        volatile long skipped;
        volatile double scale;
        volatile boolean calibrated;

        WorkerRecord(boolean mixed, int scalerIdentity) {
            this.mixed = mixed;
            this.scalerIdentity = scalerIdentity;
        }

        @Override
        public String toString() {
            return "worker(applied=" + applied + ", skipped=" + skipped + ", scale=" + scale + ", calibrated="
                    + calibrated + ")";
        }
    }

    /** Runs on the workers (serialized to them by dl4j-spark) and records each worker network's steps. */
    private static final class WorkerListener extends BaseTrainingListener implements Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public void iterationDone(Model model, int iteration, int epoch) {
            boolean mixed = MixedPrecision.isMixedPrecision(model);
            WorkerRecord record = WORKERS.computeIfAbsent(System.identityHashCode(model),
                    key -> new WorkerRecord(mixed, mixed ? System.identityHashCode(scalerIdentity(model)) : 0));
            if (mixed) {
                LossScaleStatus status = MixedPrecision.status(model);
                if (status.lastStepSkipped()) {
                    record.skipped++;
                } else {
                    record.applied++;
                }
                record.scale = status.scale();
                record.calibrated = status.calibration() != null;
            }
        }
    }
}
