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
 * Makes an FP32 DL4J network mixed precision: the one line a DL4J program adds.
 *
 * <pre>{@code
 * MultiLayerNetwork net = new MultiLayerNetwork(conf);   // or a ComputationGraph
 * net.init();
 * net = MixedPrecision.enable(net);                     // the one line
 * net.fit(trainIterator, 5);
 * }</pre>
 *
 * <p>Mixed precision is a property of the network, as Keras's {@code mixed_float16} policy makes it: each
 * hidden layer is wrapped in a {@link PrecisionLayer} that computes in the data type the
 * {@link PrecisionPolicy} gives it (HALF, or FLOAT for what is inaccurate in HALF), and each output layer in
 * a {@link LossScaleOutputLayer} that computes the loss in FLOAT and owns the dynamic {@link LossScaler}.
 * As DL4J sees it the network stays FP32: its parameters, gradients and updater state are FLOAT, so
 * {@code clone()}, {@code ModelSerializer}, {@code CheckpointListener}, early stopping, transfer learning and
 * ParallelWrapper copy, save and rebuild it without losing anything. The loss gradient is multiplied by the
 * loss scale; each layer divides its gradient by it and counts Inf/NaN values; a step with any is skipped
 * by every layer's updater ({@link LossScaleUpdater}), leaving weights and updater state untouched.
 *
 * <p>Like DL4J's {@code convertDataType}, {@code enable} returns a new network; the one passed in is left
 * as it was. {@link #configure(MultiLayerConfiguration)} makes a configuration mixed precision instead, for
 * networks built from it. {@link #enableChecked(MultiLayerNetwork, DataSet)} runs a self-check on one
 * minibatch first and returns the FP32 network if mixed precision does not work for it.
 *
 * <p>Setting the system property {@value #ENABLED_PROPERTY} to {@code false} turns mixed precision off
 * without a code change: {@code enable} then returns the network it was given, unchanged.
 */
public final class MixedPrecision {

    /** System property that, set to {@code false}, makes {@code enable} a pass-through. */
    public static final String ENABLED_PROPERTY = "dl4j.mixedprecision.enabled";

    private static final Logger log = LoggerFactory.getLogger(MixedPrecision.class);
    private static final String NOT_CHECKED = "without a self-check (MixedPrecision.enable)";
    private static final String SELF_CHECK_OFF = "without a self-check (selfCheck(false))";

    private MixedPrecision() {
    }

    /**
     * Enables mixed precision with the default configuration (PyTorch GradScaler's defaults, the
     * {@link PrecisionPolicy#mixedFloat16()} policy).
     *
     * @param network an initialized FP32 network trained with stochastic gradient descent
     * @return the mixed-precision network, or {@code network} itself if {@value #ENABLED_PROPERTY} is false
     * @see #enable(MultiLayerNetwork, MixedPrecisionConfig)
     */
    public static MultiLayerNetwork enable(MultiLayerNetwork network) {
        return enable(network, MixedPrecisionConfig.defaults());
    }

    /**
     * Returns a mixed-precision copy of an initialized FP32 network, ready for {@code fit(...)}: the network
     * of {@link #configure(MultiLayerConfiguration, MixedPrecisionConfig)}, with copies of the parameters and
     * updater state of the network given, its iteration and epoch counts and its listeners. A
     * {@link LossScaleListener} is added to the listeners, and each {@code CheckpointListener} is wrapped in
     * a {@link MixedPrecisionCheckpointListener} so that checkpoints resume exactly.
     *
     * @param network an initialized FP32 network trained with stochastic gradient descent
     * @param config  the loss scaling settings and precision policy
     * @return the mixed-precision network, or {@code network} itself if {@value #ENABLED_PROPERTY} is false
     * @throws IllegalArgumentException if the network is not initialized, not FP32, already mixed precision,
     *                                  uses a line-search optimizer, or has an output layer whose loss cannot
     *                                  be scaled
     */
    public static MultiLayerNetwork enable(MultiLayerNetwork network, MixedPrecisionConfig config) {
        return shouldEnable(network, config) ? (MultiLayerNetwork) logged(mixedCopy(network, config), config, NOT_CHECKED)
                : network;
    }

    /**
     * Enables mixed precision with the default configuration (PyTorch GradScaler's defaults, the
     * {@link PrecisionPolicy#mixedFloat16()} policy).
     *
     * @param graph an initialized FP32 graph trained with stochastic gradient descent
     * @return the mixed-precision graph, or {@code graph} itself if {@value #ENABLED_PROPERTY} is false
     * @see #enable(ComputationGraph, MixedPrecisionConfig)
     */
    public static ComputationGraph enable(ComputationGraph graph) {
        return enable(graph, MixedPrecisionConfig.defaults());
    }

    /**
     * Returns a mixed-precision copy of an initialized FP32 graph, ready for {@code fit(...)}, as
     * {@link #enable(MultiLayerNetwork, MixedPrecisionConfig)} does for a {@code MultiLayerNetwork}. Each
     * output of the graph holds a loss scaler; all of them see the same steps and keep the same scale.
     *
     * @param graph  an initialized FP32 graph trained with stochastic gradient descent
     * @param config the loss scaling settings and precision policy
     * @return the mixed-precision graph, or {@code graph} itself if {@value #ENABLED_PROPERTY} is false
     * @throws IllegalArgumentException as for a {@code MultiLayerNetwork}
     */
    public static ComputationGraph enable(ComputationGraph graph, MixedPrecisionConfig config) {
        return shouldEnable(graph, config) ? (ComputationGraph) logged(mixedCopy(graph, config), config, NOT_CHECKED)
                : graph;
    }

    /**
     * Makes a network configuration mixed precision, with the default {@link MixedPrecisionConfig} (and so
     * the {@link PrecisionPolicy#mixedFloat16()} policy): the network built from it keeps FLOAT parameters,
     * gradients and updater state, and each layer computes in the data type the policy gives it.
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
        return configure(conf, MixedPrecisionConfig.defaults());
    }

    /**
     * Like {@link #configure(MultiLayerConfiguration)}, with the given loss scaling and precision policy.
     *
     * @param conf   an FP32 configuration; it is left as it was
     * @param config the loss scaling settings and precision policy
     * @return the mixed-precision configuration, or a copy of {@code conf} if {@value #ENABLED_PROPERTY} is false
     */
    public static MultiLayerConfiguration configure(MultiLayerConfiguration conf, MixedPrecisionConfig config) {
        return shouldEnable(conf, config) ? new PrecisionWrapping(config).apply(conf) : conf.clone();
    }

    /**
     * Makes a graph configuration mixed precision; see {@link #configure(MultiLayerConfiguration)}.
     *
     * @param conf an FP32 graph configuration; it is left as it was
     * @return the mixed-precision configuration, or a copy of {@code conf} if {@value #ENABLED_PROPERTY} is false
     */
    public static ComputationGraphConfiguration configure(ComputationGraphConfiguration conf) {
        return configure(conf, MixedPrecisionConfig.defaults());
    }

    /**
     * Like {@link #configure(ComputationGraphConfiguration)}, with the given loss scaling and precision policy.
     *
     * @param conf   an FP32 graph configuration; it is left as it was
     * @param config the loss scaling settings and precision policy
     * @return the mixed-precision configuration, or a copy of {@code conf} if {@value #ENABLED_PROPERTY} is false
     */
    public static ComputationGraphConfiguration configure(ComputationGraphConfiguration conf,
                                                          MixedPrecisionConfig config) {
        return shouldEnable(conf, config) ? new PrecisionWrapping(config).apply(conf) : conf.clone();
    }

    /**
     * Returns a plain FP32 DL4J copy of a mixed-precision network: the same parameters, updater state,
     * counts and listeners, without any class of this library. For exporting to programs without it, or to
     * go on training in FP32. A network that is not mixed precision is returned as it is.
     *
     * @param network a mixed-precision network; it is left as it was
     * @return the plain FP32 copy, or {@code network} itself if it is not mixed precision
     */
    public static MultiLayerNetwork disable(MultiLayerNetwork network) {
        return (MultiLayerNetwork) plainCopy(network);
    }

    /**
     * Returns a plain FP32 DL4J copy of a mixed-precision graph; see {@link #disable(MultiLayerNetwork)}.
     *
     * @param graph a mixed-precision graph; it is left as it was
     * @return the plain FP32 copy, or {@code graph} itself if it is not mixed precision
     */
    public static ComputationGraph disable(ComputationGraph graph) {
        return (ComputationGraph) plainCopy(graph);
    }

    /**
     * Enables mixed precision with the default configuration, after a self-check on one minibatch.
     *
     * @param network an initialized FP32 network, as for {@code enable}; it is left as it was
     * @param batch   one minibatch of training data, with labels; it is left as it was
     * @return the mixed-precision network, or {@code network} itself if the check failed or
     *         {@value #ENABLED_PROPERTY} is false
     * @see #enableChecked(MultiLayerNetwork, DataSet, MixedPrecisionConfig)
     */
    public static MultiLayerNetwork enableChecked(MultiLayerNetwork network, DataSet batch) {
        return enableChecked(network, batch, MixedPrecisionConfig.defaults());
    }

    /**
     * Like {@link #enable(MultiLayerNetwork, MixedPrecisionConfig)}, but first checks on one minibatch of
     * the user's data that mixed precision works for this network on this backend: the mixed-precision
     * network's outputs must match the FP32 network's, one HALF backward pass must give a finite gradient pointing
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
     * @param config  the loss scaling settings and precision policy, and whether to run the self-check
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
            return (MultiLayerNetwork) logged(mixedCopy(network, config), config, SELF_CHECK_OFF);
        }
        return (MultiLayerNetwork) checkedCopy(network, SelfCheck.Batch.of(batch), config);
    }

    /**
     * Enables mixed precision with the default configuration, after a self-check on one minibatch.
     *
     * @param graph an initialized FP32 graph, as for {@code enable}; it is left as it was
     * @param batch one minibatch of training data, with labels; it is left as it was
     * @return the mixed-precision graph, or {@code graph} itself if the check failed or
     *         {@value #ENABLED_PROPERTY} is false
     * @see #enableChecked(ComputationGraph, MultiDataSet, MixedPrecisionConfig)
     */
    public static ComputationGraph enableChecked(ComputationGraph graph, MultiDataSet batch) {
        return enableChecked(graph, batch, MixedPrecisionConfig.defaults());
    }

    /**
     * Like {@link #enableChecked(MultiLayerNetwork, DataSet, MixedPrecisionConfig)}, for a graph: returns
     * the mixed-precision graph, or {@code graph} itself if the self-check failed.
     *
     * @param graph  an initialized FP32 graph, as for {@code enable}; it is left as it was
     * @param batch  one minibatch of training data, with labels; it is left as it was
     * @param config the loss scaling settings and precision policy, and whether to run the self-check
     * @return the mixed-precision graph, or {@code graph} itself if the check failed or
     *         {@value #ENABLED_PROPERTY} is false
     * @throws IllegalArgumentException as {@code enable} does, or if the self-check is on and the batch is
     *                                  null or has no labels
     */
    public static ComputationGraph enableChecked(ComputationGraph graph, MultiDataSet batch,
                                                 MixedPrecisionConfig config) {
        if (!shouldEnable(graph, config)) {
            return graph;
        }
        if (!config.selfCheck()) {
            return (ComputationGraph) logged(mixedCopy(graph, config), config, SELF_CHECK_OFF);
        }
        return (ComputationGraph) checkedCopy(graph, SelfCheck.Batch.of(batch), config);
    }

    /**
     * @param model a mixed-precision network ({@code MultiLayerNetwork} or {@code ComputationGraph})
     * @return the loss scaling state of a mixed-precision network after its last step; for a plain network
     *         while {@value #ENABLED_PROPERTY} is false (the network {@code enable} then returns), the state
     *         of training without scaling: scale 1, nothing skipped
     * @throws IllegalArgumentException if the model is not a mixed-precision network (and mixed precision is on)
     */
    public static LossScaleStatus status(Model model) {
        if (switchedOff(model)) {
            return new LossScaleStatus(1.0, 1.0, 0, 0, 0, 0, List.of(), null);
        }
        return lossScalerOf(model).status();
    }

    /**
     * Brings the loss scaling state of distributed workers back to the network they were copied from, for
     * engines that return parameters and updater state but not the configuration (dl4j-spark's parameter
     * averaging; {@code dl4j-mixedprecision-spark} calls this after each averaging round): the scale becomes the
     * smallest any worker ended with, so that the next round does not start from a scale a worker found
     * overflowing; skipped steps and Inf/NaN counts add up over the workers.
     *
     * @param network the network the workers started from, in the state they started from
     * @param workers each worker's {@link #status} after its steps
     * @throws IllegalArgumentException if the network is not mixed precision (unless {@value #ENABLED_PROPERTY}
     *                                  is false: then a plain network is left as it is), or the combined state
     *                                  is one training cannot reach (the states of another network's workers)
     */
    public static void combineWorkerStates(Model network, List<LossScaleStatus> workers) {
        if (switchedOff(network)) {
            return; // an FP32 network has no loss scale to bring back
        }
        for (LossScaler scaler : requireMixedPrecision(network).lossScalers()) {
            scaler.combine(workers);
        }
    }

    /**
     * @param model any model, or null
     * @return true if the model is a network made mixed precision by {@code enable} or {@code configure}
     */
    public static boolean isMixedPrecision(Model model) {
        return Network.isNetwork(model) && !Network.of(model).lossScalers().isEmpty();
    }

    /** @return true for a plain FP32 network while {@value #ENABLED_PROPERTY} turns mixed precision off */
    private static boolean switchedOff(Model model) {
        return Network.isNetwork(model) && !isMixedPrecision(model) && !isEnabledBySystemProperty();
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

    /**
     * @return the loss scaler of a mixed-precision network (its first output's; all outputs keep the same scale)
     * @throws IllegalArgumentException if the model is not a mixed-precision network
     */
    static LossScaler lossScalerOf(Model model) {
        return requireMixedPrecision(model).lossScalers().get(0);
    }

    static Network requireMixedPrecision(Model model) {
        if (!isMixedPrecision(model)) {
            throw new IllegalArgumentException("Not a mixed-precision network: "
                    + (model == null ? "null" : model.getClass().getSimpleName())
                    + ". Create one with MixedPrecision.enable(network)");
        }
        return Network.of(model);
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

    /** @return the mixed-precision copy if the self-check passes on it, else {@code model} (the check logs why) */
    private static Model checkedCopy(Model model, SelfCheck.Batch batch, MixedPrecisionConfig config) {
        Model mixed = mixedCopy(model, config);
        SelfCheck.Result result = SelfCheck.run(model, mixed, batch);
        return result.passed() ? logged(mixed, config, String.format("after its self-check passed (output error %.2g,"
                + " gradient cosine %.4f)", result.outputError(), result.gradientCosine())) : model;
    }

    /** Logs the one line that says mixed precision is on, and how it got there. */
    private static Model logged(Model mixed, MixedPrecisionConfig config, String how) {
        log.info("Mixed precision enabled for a {} {}: {}, {}", mixed.getClass().getSimpleName(), how,
                config.describeScaling(), config.precisionPolicy());
        return mixed;
    }

    private static Model mixedCopy(Model model, MixedPrecisionConfig config) {
        Network network = Network.of(model);
        checkSupported(network);
        Network mixed = network.rebuild(new PrecisionWrapping(config));
        List<TrainingListener> listeners = new ArrayList<>();
        for (TrainingListener listener : network.listeners()) {
            listeners.add(listener instanceof CheckpointListener checkpoints
                    ? new MixedPrecisionCheckpointListener(checkpoints) : listener);
        }
        listeners.add(new LossScaleListener());
        mixed.setListeners(listeners);
        return mixed.model();
    }

    /** @return a plain FP32 copy of a mixed-precision network, or {@code model} itself if it is not one */
    static Model plainCopy(Model model) {
        if (!isMixedPrecision(model)) {
            return model;
        }
        Network plain = Network.of(model).rebuild(PrecisionWrapping.UNWRAP);
        List<TrainingListener> listeners = new ArrayList<>();
        for (TrainingListener listener : plain.listeners()) {
            if (!(listener instanceof LossScaleListener)) {
                listeners.add(listener instanceof MixedPrecisionCheckpointListener checkpoints
                        ? checkpoints.checkpoints() : listener);
            }
        }
        plain.setListeners(listeners);
        return plain.model();
    }

    private static void checkSupported(Network network) {
        if (!network.initialized()) {
            throw new IllegalArgumentException("The network is not initialized: call network.init() before"
                    + " MixedPrecision.enable(network)");
        }
        if (isMixedPrecision(network.model())) {
            throw new IllegalArgumentException("The network is already mixed precision: MixedPrecision.enable returns"
                    + " a new network, call it once, on the FP32 network");
        }
        DataType type = network.model().params().dataType();
        if (type != DataType.FLOAT) {
            throw new IllegalArgumentException("The network's data type is " + type + ", expected FLOAT: call"
                    + " network.convertDataType(DataType.FLOAT) first, or build it with .dataType(DataType.FLOAT);"
                    + " MixedPrecision.enable keeps FP32 parameters and computes in HALF where its policy says so");
        }
        OptimizationAlgorithm algorithm = network.defaultConfiguration().getOptimizationAlgo();
        if (algorithm != OptimizationAlgorithm.STOCHASTIC_GRADIENT_DESCENT) {
            throw new IllegalArgumentException("Mixed precision supports STOCHASTIC_GRADIENT_DESCENT only, the network uses "
                    + algorithm + ": line-search optimizers cannot skip overflowing steps. Use"
                    + " .optimizationAlgo(OptimizationAlgorithm.STOCHASTIC_GRADIENT_DESCENT) with any IUpdater");
        }
    }
}
