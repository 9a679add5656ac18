package org.dl4j.mixedprecision;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.OptimizationAlgorithm;
import org.deeplearning4j.nn.api.Updater;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.ConvexOptimizer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.optimize.listeners.CheckpointListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns an FP32 DL4J network into a mixed-precision one: the one line a DL4J program adds.
 *
 * <pre>{@code
 * MultiLayerNetwork net = new MultiLayerNetwork(conf);   // or a ComputationGraph
 * net.init();
 * net = MixedPrecision.enable(net);                     // the one line
 * net.setListeners(new ScoreIterationListener(10), new LossScaleListener());
 * net.fit(trainIterator, 5);
 * }</pre>
 *
 * <p>Like DL4J's {@code convertDataType}, {@code enable} returns a new network; the one passed in is
 * left as it was. The new network's parameters, activations and gradients are HALF. An FP32 master
 * copy of the network (see {@link #master(MultiLayerNetwork)}) receives the updates through its own
 * DL4J updater, whose state is FP32; the loss of every output layer is computed in FP32 and its
 * gradient multiplied by a dynamic loss scale (see {@link MixedPrecisionConfig}). Training goes through
 * the usual {@code fit(...)} methods, listeners and early stopping.
 *
 * <p>{@link #enableChecked(MultiLayerNetwork, DataSet)} does the same after a self-check on one
 * minibatch, and returns the FP32 network if mixed precision does not work for it.
 *
 * <p>Setting the system property {@value #ENABLED_PROPERTY} to {@code false} turns mixed precision off
 * without a code change: {@code enable} then returns the network it was given, unchanged.
 */
public final class MixedPrecision {

    /** System property that, set to {@code false}, makes {@code enable} a pass-through. */
    public static final String ENABLED_PROPERTY = "dl4j.mixedprecision.enabled";

    private static final Logger log = LoggerFactory.getLogger(MixedPrecision.class);

    private MixedPrecision() {
    }

    /**
     * Enables mixed precision with the default configuration (PyTorch GradScaler's defaults).
     *
     * @see #enable(MultiLayerNetwork, MixedPrecisionConfig)
     */
    public static MultiLayerNetwork enable(MultiLayerNetwork network) {
        return enable(network, MixedPrecisionConfig.defaults());
    }

    /**
     * Returns a mixed-precision copy of an initialized FP32 network, ready for {@code fit(...)}. Its
     * parameters, updater state, iteration and epoch counts and listeners are those of the network
     * given; a {@link LossScaleListener} is added to the listeners, and each {@code CheckpointListener}
     * is wrapped in a {@link MixedPrecisionCheckpointListener} so that checkpoints can resume training.
     *
     * @param network an initialized FP32 network trained with stochastic gradient descent
     * @param config  the loss scaling settings
     * @return the mixed-precision network, or {@code network} itself if {@value #ENABLED_PROPERTY} is false
     * @throws IllegalArgumentException if the network is not initialized, not FP32, uses a line-search
     *                                  optimizer, or has an output layer whose loss cannot be scaled
     */
    public static MultiLayerNetwork enable(MultiLayerNetwork network, MixedPrecisionConfig config) {
        if (!shouldEnable(network, config)) {
            return network;
        }
        checkSupported(network.isInitCalled() ? network.params() : null, network.conf(), network.getLayers());
        MultiLayerNetwork master = network.clone();
        MultiLayerConfiguration halfConf = MultiLayerConfiguration.fromJson(master.getLayerWiseConfigurations().toJson());
        halfConf.setDataType(DataType.HALF);
        LossScaler scaler = new LossScaler(config);
        List<ScaledLoss> losses = prepareHalfLayers(halfConf.getConfs(), scaler);

        MultiLayerNetwork half = new MultiLayerNetwork(halfConf);
        half.init(master.params().castTo(DataType.HALF), false);
        half.initGradientsView();
        master.initGradientsView();
        MixedPrecisionUpdater updater = new MixedPrecisionUpdater(master, half, scaler, losses);
        half.setUpdater(updater);
        master.setUpdater(updater);
        finish(half, half.getLayers(), half.getOptimizer(), network.getListeners(), config);
        return half;
    }

    /**
     * Enables mixed precision with the default configuration (PyTorch GradScaler's defaults).
     *
     * @see #enable(ComputationGraph, MixedPrecisionConfig)
     */
    public static ComputationGraph enable(ComputationGraph graph) {
        return enable(graph, MixedPrecisionConfig.defaults());
    }

    /**
     * Returns a mixed-precision copy of an initialized FP32 graph, ready for {@code fit(...)}, as
     * {@link #enable(MultiLayerNetwork, MixedPrecisionConfig)} does for a {@code MultiLayerNetwork}. All
     * outputs of the graph share one loss scale.
     *
     * @return the mixed-precision graph, or {@code graph} itself if {@value #ENABLED_PROPERTY} is false
     * @throws IllegalArgumentException as for a {@code MultiLayerNetwork}
     */
    public static ComputationGraph enable(ComputationGraph graph, MixedPrecisionConfig config) {
        if (!shouldEnable(graph, config)) {
            return graph;
        }
        checkSupported(graph.getVertices() == null ? null : graph.params(), graph.conf(), graph.getLayers());
        ComputationGraph master = graph.clone();
        ComputationGraphConfiguration halfConf = ComputationGraphConfiguration.fromJson(master.getConfiguration().toJson());
        halfConf.setDataType(DataType.HALF);
        List<NeuralNetConfiguration> layerConfs = new ArrayList<>();
        halfConf.getVertices().values().stream()
                .filter(vertex -> vertex instanceof LayerVertex)
                .forEach(vertex -> layerConfs.add(((LayerVertex) vertex).getLayerConf()));
        LossScaler scaler = new LossScaler(config);
        List<ScaledLoss> losses = prepareHalfLayers(layerConfs, scaler);

        ComputationGraph half = new ComputationGraph(halfConf);
        half.init(master.params().castTo(DataType.HALF), false);
        half.initGradientsView();
        master.initGradientsView();
        MixedPrecisionGraphUpdater updater = new MixedPrecisionGraphUpdater(master, half, scaler, losses);
        half.setUpdater(updater);
        master.setUpdater(updater);
        finish(half, half.getLayers(), half.getOptimizer(), graph.getListeners(), config);
        return half;
    }

    /**
     * Makes a network configuration mixed precision, as Keras's {@code mixed_float16} policy does: the
     * network built from it keeps FLOAT parameters, gradients and updater state, and each layer computes in
     * the data type {@link PrecisionPolicy#mixedFloat16()} gives it, with the loss scale of the default
     * {@link MixedPrecisionConfig}. Every DL4J mechanism that copies, saves or rebuilds a network from its
     * configuration ({@code clone()}, {@code ModelSerializer}, ...) keeps it mixed precision.
     *
     * <pre>{@code
     * MultiLayerNetwork net = new MultiLayerNetwork(MixedPrecision.configure(conf));
     * net.init();
     * net.fit(trainIterator, 5);
     * }</pre>
     *
     * @param conf an FP32 configuration; it is left as it was
     * @return the mixed-precision configuration, or a copy of {@code conf} if {@value #ENABLED_PROPERTY} is false
     * @throws IllegalArgumentException if the configuration is not FLOAT, an output layer has no loss that
     *                                  can be scaled, or a graph vertex that is not a layer has parameters
     */
    public static MultiLayerConfiguration configure(MultiLayerConfiguration conf) {
        return configure(conf, MixedPrecisionConfig.defaults(), PrecisionPolicy.mixedFloat16());
    }

    /**
     * Like {@link #configure(MultiLayerConfiguration)}, with the given loss scaling and precision policy.
     */
    public static MultiLayerConfiguration configure(MultiLayerConfiguration conf, MixedPrecisionConfig config,
                                                    PrecisionPolicy policy) {
        if (!shouldEnable(conf, config)) {
            return conf.clone();
        }
        return new PrecisionWrapping(config, policy).wrap(conf);
    }

    /** Makes a graph configuration mixed precision; see {@link #configure(MultiLayerConfiguration)}. */
    public static ComputationGraphConfiguration configure(ComputationGraphConfiguration conf) {
        return configure(conf, MixedPrecisionConfig.defaults(), PrecisionPolicy.mixedFloat16());
    }

    /**
     * Like {@link #configure(ComputationGraphConfiguration)}, with the given loss scaling and precision policy.
     */
    public static ComputationGraphConfiguration configure(ComputationGraphConfiguration conf,
                                                          MixedPrecisionConfig config, PrecisionPolicy policy) {
        if (!shouldEnable(conf, config)) {
            return conf.clone();
        }
        return new PrecisionWrapping(config, policy).wrap(conf);
    }

    /**
     * Enables mixed precision with the default configuration, after a self-check on one minibatch.
     *
     * @see #enableChecked(MultiLayerNetwork, DataSet, MixedPrecisionConfig)
     */
    public static MultiLayerNetwork enableChecked(MultiLayerNetwork network, DataSet batch) {
        return enableChecked(network, batch, MixedPrecisionConfig.defaults());
    }

    /**
     * Like {@link #enable(MultiLayerNetwork, MixedPrecisionConfig)}, but first checks on one minibatch of
     * the user's data that mixed precision works for this network on this backend: the HALF network's
     * outputs must match the FP32 network's, one HALF backward pass must give a finite gradient pointing
     * the same way as FP32's, and every op must run in HALF. If a check fails, it logs one WARN naming
     * the check and returns {@code network} itself, to train in FP32. On a backend where HALF is slower
     * (ND4J's CPU backend), it warns once with the measured slowdown and the memory mixed precision saves.
     * {@link MixedPrecisionConfig.Builder#selfCheck(boolean) selfCheck(false)} skips the check.
     *
     * <pre>{@code
     * DataSet first = trainIterator.next();
     * trainIterator.reset();
     * net = MixedPrecision.enableChecked(net, first);   // mixed precision, or FP32 if the check failed
     * }</pre>
     *
     * @param network an initialized FP32 network, as for {@code enable}; it is left as it was
     * @param batch   one minibatch of training data, with labels; it is left as it was
     * @return the mixed-precision network, or {@code network} itself if the check failed or
     *         {@value #ENABLED_PROPERTY} is false
     * @throws IllegalArgumentException as {@code enable} does, or if the self-check is on and the batch is
     *                                  null or has no labels
     */
    public static MultiLayerNetwork enableChecked(MultiLayerNetwork network, DataSet batch,
                                                  MixedPrecisionConfig config) {
        if (!shouldEnable(network, config)) {
            return network;
        }
        if (!config.selfCheck()) {
            return enable(network, config);
        }
        SelfCheck.Batch checked = SelfCheck.Batch.of(batch);
        MultiLayerNetwork mixed = enable(network, config);
        return SelfCheck.run(mixed, checked).passed() ? mixed : network;
    }

    /**
     * Enables mixed precision with the default configuration, after a self-check on one minibatch.
     *
     * @see #enableChecked(ComputationGraph, MultiDataSet, MixedPrecisionConfig)
     */
    public static ComputationGraph enableChecked(ComputationGraph graph, MultiDataSet batch) {
        return enableChecked(graph, batch, MixedPrecisionConfig.defaults());
    }

    /**
     * Like {@link #enableChecked(MultiLayerNetwork, DataSet, MixedPrecisionConfig)}, for a graph: returns
     * the mixed-precision graph, or {@code graph} itself if the self-check failed.
     */
    public static ComputationGraph enableChecked(ComputationGraph graph, MultiDataSet batch,
                                                 MixedPrecisionConfig config) {
        if (!shouldEnable(graph, config)) {
            return graph;
        }
        if (!config.selfCheck()) {
            return enable(graph, config);
        }
        SelfCheck.Batch checked = SelfCheck.Batch.of(batch);
        ComputationGraph mixed = enable(graph, config);
        return SelfCheck.run(mixed, checked).passed() ? mixed : graph;
    }

    /**
     * @return the loss scaling state of a mixed-precision network after its last step
     * @throws IllegalArgumentException if the model is not a mixed-precision network
     */
    public static LossScaleStatus status(Model model) {
        return requireMixedPrecision(model).status();
    }

    /**
     * The FP32 master copy of a mixed-precision network: its parameters receive the updates and its
     * updater holds the FP32 state. Use it to read (evaluate in FP32, count memory, export); fitting it
     * directly would leave the HALF network behind.
     *
     * @throws IllegalArgumentException if the network is not a mixed-precision network
     */
    public static MultiLayerNetwork master(MultiLayerNetwork network) {
        return (MultiLayerNetwork) requireMixedPrecision(network).master();
    }

    /**
     * The FP32 master copy of a mixed-precision graph; see {@link #master(MultiLayerNetwork)}.
     *
     * @throws IllegalArgumentException if the graph is not a mixed-precision graph
     */
    public static ComputationGraph master(ComputationGraph graph) {
        return (ComputationGraph) requireMixedPrecision(graph).master();
    }

    /** @return true if the model is a network returned by {@code enable} */
    public static boolean isMixedPrecision(Model model) {
        return updaterOf(model) != null;
    }

    /** @return true unless the system property {@value #ENABLED_PROPERTY} turns mixed precision off */
    public static boolean isEnabledBySystemProperty() {
        String value = System.getProperty(ENABLED_PROPERTY, "true").trim();
        if (value.equalsIgnoreCase("true")) {
            return true;
        } else if (value.equalsIgnoreCase("false")) {
            return false;
        }
        throw new IllegalArgumentException("System property " + ENABLED_PROPERTY + " must be true or false, got \""
                + value + "\"");
    }

    /** @return the updater of a mixed-precision network, or null for any other model */
    static MasterUpdater updaterOf(Model model) {
        Object updater = null;
        if (model instanceof MultiLayerNetwork) {
            updater = ((MultiLayerNetwork) model).getUpdater(false);
        } else if (model instanceof ComputationGraph) {
            updater = ((ComputationGraph) model).getUpdater(false);
        }
        return updater instanceof MasterUpdater ? (MasterUpdater) updater : null;
    }

    /** @return the state array of an updater, or null if there is no updater or it has no state */
    static INDArray updaterStateOf(Updater updater) {
        return updater == null ? null : updater.getStateViewArray();
    }

    static MasterUpdater requireMixedPrecision(Model model) {
        MasterUpdater updater = updaterOf(model);
        if (updater == null) {
            throw new IllegalArgumentException("Not a mixed-precision network: "
                    + (model == null ? "null" : model.getClass().getSimpleName())
                    + ". Create one with MixedPrecision.enable(network)");
        }
        return updater;
    }

    private static boolean shouldEnable(Object network, MixedPrecisionConfig config) {
        if (network == null || config == null) {
            throw new IllegalArgumentException("network and config must not be null");
        }
        if (!isEnabledBySystemProperty()) {
            log.info("Mixed precision is off (-D{}=false): the network trains in its own data type", ENABLED_PROPERTY);
            return false;
        }
        return true;
    }

    /**
     * Strips constraints (they act on the FP32 master, whose values the HALF parameters copy) and
     * wraps every loss in a {@link ScaledLossFunction}.
     */
    private static List<ScaledLoss> prepareHalfLayers(List<NeuralNetConfiguration> layerConfs, LossScaler scaler) {
        for (NeuralNetConfiguration layerConf : layerConfs) {
            layerConf.getLayer().setConstraints(null);
        }
        return LossLayers.wrapAll(layerConfs, scaler.scale());
    }

    private static void finish(Model half, Layer[] layers, ConvexOptimizer optimizer,
                               Collection<TrainingListener> listeners, MixedPrecisionConfig config) {
        Fp32ScoreRegularization.wrapAll(layers);
        NoOpStepFunction.installIn(optimizer);
        List<TrainingListener> all = new ArrayList<>();
        for (TrainingListener listener : listeners) {
            all.add(listener instanceof CheckpointListener checkpoints
                    ? new MixedPrecisionCheckpointListener(checkpoints) : listener);
        }
        all.add(new LossScaleListener());
        half.setListeners(all);
        log.info("Mixed precision enabled for a {}: HALF parameters and activations, FP32 master weights and updater"
                + " state; {}", half.getClass().getSimpleName(), config);
    }

    /** @param params the network's parameters, or null if it is not initialized */
    private static void checkSupported(INDArray params, NeuralNetConfiguration conf, Layer[] layers) {
        if (params == null) {
            throw new IllegalArgumentException("The network is not initialized: call network.init() before"
                    + " MixedPrecision.enable(network)");
        }
        DataType type = params.dataType();
        if (type == DataType.HALF) {
            throw new IllegalArgumentException("The network is already HALF (if it is already mixed precision:"
                    + " MixedPrecision.enable returns a new network, call it once). Pass the FP32 network:"
                    + " MixedPrecision.enable makes the HALF copy and keeps FP32 master weights");
        }
        if (type != DataType.FLOAT) {
            throw new IllegalArgumentException("The network's data type is " + type + ", expected FLOAT: call"
                    + " network.convertDataType(DataType.FLOAT) first, or build it with .dataType(DataType.FLOAT)");
        }
        OptimizationAlgorithm algorithm = conf.getOptimizationAlgo();
        if (algorithm != OptimizationAlgorithm.STOCHASTIC_GRADIENT_DESCENT) {
            throw new IllegalArgumentException("Mixed precision supports STOCHASTIC_GRADIENT_DESCENT only, the network uses "
                    + algorithm + ": line-search optimizers cannot skip overflowing steps. Use"
                    + " .optimizationAlgo(OptimizationAlgorithm.STOCHASTIC_GRADIENT_DESCENT) with any IUpdater");
        }
        for (Layer layer : layers) {
            org.deeplearning4j.nn.conf.layers.Layer layerConf = layer.conf().getLayer();
            if (layer instanceof IOutputLayer && !LossLayers.isScalable(layerConf)) {
                throw new IllegalArgumentException("Layer \"" + layerConf.getLayerName() + "\" ("
                        + layerConf.getClass().getSimpleName() + ") is an output layer whose loss mixed precision"
                        + " cannot scale. Supported output layers: OutputLayer, RnnOutputLayer, CenterLossOutputLayer,"
                        + " LossLayer, CnnLossLayer, RnnLossLayer, Cnn3DLossLayer, Yolo2OutputLayer");
            }
        }
    }
}
