package org.dl4j.mixedprecision;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.OptimizationAlgorithm;
import org.deeplearning4j.nn.api.Updater;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns an FP32 DL4J network into a mixed-precision one: the one line a DL4J program adds.
 *
 * <pre>{@code
 * MultiLayerNetwork net = new MultiLayerNetwork(conf);
 * net.init();
 * net = MixedPrecision.enable(net);          // the one line
 * net.setListeners(new ScoreIterationListener(10), new LossScaleListener());
 * net.fit(trainIterator, 5);
 * }</pre>
 *
 * <p>Like DL4J's {@code convertDataType}, {@link #enable} returns a new network; the one passed in is
 * left as it was. The new network's parameters, activations and gradients are HALF. An FP32 master
 * copy of the parameters and the FP32 state of the network's own updater live in its
 * {@link MixedPrecisionUpdater}; the loss of every output layer is computed in FP32 and its gradient
 * multiplied by a dynamic loss scale (see {@link MixedPrecisionConfig}). Training goes through the
 * usual {@code fit(...)} methods, listeners and early stopping.
 *
 * <p>Setting the system property {@value #ENABLED_PROPERTY} to {@code false} turns mixed precision off
 * without a code change: {@link #enable} then returns the network it was given, unchanged.
 */
public final class MixedPrecision {

    /** System property that, set to {@code false}, makes {@link #enable} a pass-through. */
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
     * given; a {@link LossScaleListener} is added to the listeners.
     *
     * @param network an initialized FP32 network trained with stochastic gradient descent
     * @param config  the loss scaling settings
     * @return the mixed-precision network, or {@code network} itself if {@value #ENABLED_PROPERTY} is false
     * @throws IllegalArgumentException if the network is not initialized, not FP32, uses a line-search
     *                                  optimizer, or ends in an output layer without an {@code ILossFunction}
     */
    public static MultiLayerNetwork enable(MultiLayerNetwork network, MixedPrecisionConfig config) {
        if (network == null || config == null) {
            throw new IllegalArgumentException("network and config must not be null");
        }
        if (!isEnabledBySystemProperty()) {
            log.info("Mixed precision is off (-D{}=false): training in {}", ENABLED_PROPERTY,
                    network.isInitCalled() ? network.params().dataType() : "the network's data type");
            return network;
        }
        checkSupported(network);

        MultiLayerNetwork master = network.clone();
        MultiLayerConfiguration halfConf = MultiLayerConfiguration.fromJson(master.getLayerWiseConfigurations().toJson());
        halfConf.setDataType(DataType.HALF);
        for (NeuralNetConfiguration layerConf : halfConf.getConfs()) {
            // Constraints act on the FP32 master only; the HALF parameters are copied from it.
            layerConf.getLayer().setConstraints(null);
        }
        LossScaler scaler = new LossScaler(config);
        List<ScaledLossFunction> losses = LossLayers.wrapAll(halfConf.getConfs(), scaler.scale());

        MultiLayerNetwork half = new MultiLayerNetwork(halfConf);
        half.init(master.params().castTo(DataType.HALF), false);
        half.initGradientsView();
        master.initGradientsView();

        half.setUpdater(new MixedPrecisionUpdater(master, half, scaler, losses));
        NoOpStepFunction.installIn(half.getOptimizer());
        List<TrainingListener> listeners = new ArrayList<>(network.getListeners());
        listeners.add(new LossScaleListener());
        half.setListeners(listeners);
        log.info("Mixed precision enabled: HALF parameters and activations, FP32 master weights and {}; {}",
                master.getUpdater().getClass().getSimpleName(), config);
        return half;
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
        return requireMixedPrecision(network).master();
    }

    /** @return true if the model is a network returned by {@link #enable} */
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

    private static MixedPrecisionUpdater requireMixedPrecision(Model model) {
        MixedPrecisionUpdater updater = updaterOf(model);
        if (updater == null) {
            throw new IllegalArgumentException("Not a mixed-precision network: " + describe(model)
                    + ". Create one with MixedPrecision.enable(network)");
        }
        return updater;
    }

    static MixedPrecisionUpdater updaterOf(Model model) {
        if (model instanceof MultiLayerNetwork) {
            Updater updater = ((MultiLayerNetwork) model).getUpdater(false);
            return updater instanceof MixedPrecisionUpdater ? (MixedPrecisionUpdater) updater : null;
        }
        return null;
    }

    private static void checkSupported(MultiLayerNetwork network) {
        if (!network.isInitCalled()) {
            throw new IllegalArgumentException("The network is not initialized: call network.init() before"
                    + " MixedPrecision.enable(network)");
        }
        DataType type = network.params().dataType();
        if (type == DataType.HALF) {
            throw new IllegalArgumentException("The network is already HALF" + (isMixedPrecision(network)
                    ? " and mixed precision: MixedPrecision.enable returns a new network, call it once" : "")
                    + ". Pass the FP32 network: MixedPrecision.enable makes the HALF copy and keeps FP32 master weights");
        }
        if (type != DataType.FLOAT) {
            throw new IllegalArgumentException("The network's data type is " + type + ", expected FLOAT: call"
                    + " network.convertDataType(DataType.FLOAT) first, or build it with .dataType(DataType.FLOAT)");
        }
        OptimizationAlgorithm algorithm = network.conf().getOptimizationAlgo();
        if (algorithm != OptimizationAlgorithm.STOCHASTIC_GRADIENT_DESCENT) {
            throw new IllegalArgumentException("Mixed precision supports STOCHASTIC_GRADIENT_DESCENT only, the network uses "
                    + algorithm + ": line-search optimizers cannot skip overflowing steps. Use"
                    + " .optimizationAlgo(OptimizationAlgorithm.STOCHASTIC_GRADIENT_DESCENT) with any IUpdater");
        }
        Layer[] layers = network.getLayers();
        for (int i = 0; i < layers.length; i++) {
            if (layers[i] instanceof IOutputLayer && LossLayers.lossOf(layers[i].conf().getLayer()) == null) {
                throw new IllegalArgumentException("Layer " + i + " (" + layers[i].conf().getLayer().getClass().getSimpleName()
                        + ") is an output layer without an ILossFunction, which mixed precision cannot scale yet."
                        + " Supported output layers: OutputLayer, RnnOutputLayer, CenterLossOutputLayer, LossLayer,"
                        + " CnnLossLayer, RnnLossLayer, Cnn3DLossLayer");
            }
        }
    }

    private static String describe(Model model) {
        return model == null ? "null" : model.getClass().getSimpleName();
    }
}
