package org.dl4j.mixedprecision.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.deeplearning4j.core.storage.StatsStorageRouter;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.dl4j.mixedprecision.MixedPrecision;

/**
 * Mixed precision on dl4j-spark: the one line that brings each averaging round's loss scale back from the
 * workers to the driver's network. Without it the workers still compute in mixed precision and skip their
 * overflowing steps, but dl4j-spark returns only parameters and updater state, so every round starts again
 * from the driver's initial scale.
 *
 * <pre>{@code
 * SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(sc, MixedPrecision.configure(conf), trainingMaster);
 * MixedPrecisionSpark.setListeners(sparkNet);        // instead of sparkNet.setListeners(...), with yours
 * sparkNet.fit(trainData);
 * }</pre>
 */
public final class MixedPrecisionSpark {

    private MixedPrecisionSpark() {
    }

    /**
     * Sets the listeners of a Spark network, as {@code sparkNet.setListeners(listeners)} does, adding what
     * brings the loss scale back from the workers after each averaging round.
     *
     * @param sparkNet  a Spark network of a mixed-precision configuration
     * @param listeners your listeners, which the workers run as usual
     */
    public static void setListeners(SparkDl4jMultiLayer sparkNet, TrainingListener... listeners) {
        setListeners(sparkNet, null, listeners);
    }

    /**
     * As {@link #setListeners(SparkDl4jMultiLayer, TrainingListener...)}, with your own stats storage (DL4J's
     * UI), which receives every update but the loss scale reports.
     *
     * @param sparkNet     a Spark network of a mixed-precision configuration
     * @param statsStorage your stats storage (DL4J's UI), or null for none
     * @param listeners    your listeners, which the workers run as usual
     */
    public static void setListeners(SparkDl4jMultiLayer sparkNet, StatsStorageRouter statsStorage,
                                    TrainingListener... listeners) {
        MixedPrecision.status(sparkNet.getNetwork()); // refuses a network that is not mixed precision
        sparkNet.setListeners(new LossScaleCollector(sparkNet.getNetwork(), statsStorage), withReporter(listeners));
    }

    /**
     * As {@link #setListeners(SparkDl4jMultiLayer, TrainingListener...)}, for a graph.
     *
     * @param sparkGraph a Spark graph of a mixed-precision configuration
     * @param listeners  your listeners, which the workers run as usual
     */
    public static void setListeners(SparkComputationGraph sparkGraph, TrainingListener... listeners) {
        setListeners(sparkGraph, null, listeners);
    }

    /**
     * As {@link #setListeners(SparkDl4jMultiLayer, StatsStorageRouter, TrainingListener...)}, for a graph.
     *
     * @param sparkGraph   a Spark graph of a mixed-precision configuration
     * @param statsStorage your stats storage (DL4J's UI), or null for none
     * @param listeners    your listeners, which the workers run as usual
     */
    public static void setListeners(SparkComputationGraph sparkGraph, StatsStorageRouter statsStorage,
                                    TrainingListener... listeners) {
        MixedPrecision.status(sparkGraph.getNetwork());
        sparkGraph.setListeners(new LossScaleCollector(sparkGraph.getNetwork(), statsStorage), withReporter(listeners));
    }

    private static List<TrainingListener> withReporter(TrainingListener... listeners) {
        List<TrainingListener> all = new ArrayList<>(Arrays.asList(listeners));
        all.add(new LossScaleReporter(UUID.randomUUID().toString()));
        return all;
    }
}
