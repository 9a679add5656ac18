package org.dl4j.mixedprecision;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.api.Trainable;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.CenterLossOutputLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional;
import org.deeplearning4j.nn.conf.layers.wrapper.BaseWrapperLayer;
import org.deeplearning4j.nn.params.CenterLossParamInitializer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The check {@link MixedPrecision#enableChecked} runs before training, on the user's network and one
 * minibatch of their data, in the spirit of Ultralytics YOLO's AMP check:
 * <ol>
 *   <li><b>forward</b>: the mixed-precision network's output (inference mode) must be within a relative error of
 *       {@value #MAX_OUTPUT_ERROR} (Frobenius norm of the difference over that of the FP32 output, all
 *       outputs together) of the FP32 network's; an exception thrown by ND4J in the HALF forward pass (an
 *       op without a HALF kernel on the backend) fails the check, naming the layer;</li>
 *   <li><b>backward</b>: one HALF backward pass, at the loss scale the calibration would choose (halved
 *       while it overflows, down to 1), must give a finite gradient whose cosine similarity with the FP32
 *       gradient is at least {@value #MIN_GRADIENT_COSINE} (over the parameters the loss scale multiplies;
 *       BatchNormalization's running statistics are not loss gradients); an exception fails it too.</li>
 * </ol>
 * The backward check runs on copies of both networks without dropout and weight noise, which would draw
 * different masks in the two passes. It also times one FP32 and one HALF forward pass: where HALF is slower (a backend without fast FP16
 * arithmetic, such as ND4J's CPU backend), it warns once per JVM with the slowdown and the share of
 * training memory mixed precision still saves. It changes no parameter, updater state or counter.
 */
final class SelfCheck {

    /** The largest relative error of the mixed-precision network's outputs that passes. */
    static final double MAX_OUTPUT_ERROR = 0.05;
    /** The smallest cosine similarity between the HALF and the FP32 gradient that passes. */
    static final double MIN_GRADIENT_COSINE = 0.98;

    private static final Logger log = LoggerFactory.getLogger(SelfCheck.class);
    /** A copy of a configuration without dropout and weight noise (DropConnect) in any layer. */
    private static final Network.ConfigurationTransform WITHOUT_DROPOUT = new Network.ConfigurationTransform() {
        @Override
        public MultiLayerConfiguration apply(MultiLayerConfiguration conf) {
            MultiLayerConfiguration copy = conf.clone();
            copy.getConfs().forEach(layerConf -> withoutDropout(layerConf.getLayer()));
            return copy;
        }

        @Override
        public ComputationGraphConfiguration apply(ComputationGraphConfiguration conf) {
            ComputationGraphConfiguration copy = conf.clone();
            copy.getVertices().values().forEach(vertex -> {
                if (vertex instanceof LayerVertex layerVertex) {
                    withoutDropout(layerVertex.getLayerConf().getLayer());
                }
            });
            return copy;
        }
    };
    private static final AtomicBoolean slowdownWarned = new AtomicBoolean();

    private SelfCheck() {
    }

    /**
     * The outcome of a self-check.
     *
     * @param failure        which check failed and why, or null if all passed
     * @param outputError    the relative error of the HALF outputs (NaN if the forward pass failed)
     * @param gradientCosine the cosine similarity of the HALF and FP32 gradients (NaN if not computed)
     * @param slowdown       HALF forward time over FP32 forward time (NaN if not measured)
     * @param memorySaving   the estimated share of training memory mixed precision saves at this
     *                       minibatch size (negative: it costs more); NaN if not estimated
     */
    record Result(String failure, double outputError, double gradientCosine, double slowdown, double memorySaving) {

        boolean passed() {
            return failure == null;
        }
    }

    /** One minibatch, as arrays for either network kind. */
    record Batch(INDArray[] features, INDArray[] labels, INDArray[] featuresMasks, INDArray[] labelsMasks) {

        static Batch of(DataSet data) {
            if (data == null) {
                throw missing();
            }
            return new Batch(new INDArray[] {data.getFeatures()}, new INDArray[] {data.getLabels()},
                    new INDArray[] {data.getFeaturesMaskArray()}, new INDArray[] {data.getLabelsMaskArray()}).checked();
        }

        static Batch of(MultiDataSet data) {
            if (data == null) {
                throw missing();
            }
            return new Batch(data.getFeatures(), data.getLabels(), data.getFeaturesMaskArrays(),
                    data.getLabelsMaskArrays()).checked();
        }

        private Batch checked() {
            if (features == null || features.length == 0 || features[0] == null) {
                throw without("features");
            }
            if (labels == null || labels.length == 0 || labels[0] == null) {
                throw without("labels");
            }
            return this;
        }

        private static IllegalArgumentException without(String arrays) {
            return new IllegalArgumentException("The self-check's minibatch has no " + arrays + ": it runs one"
                    + " forward and one backward pass, so pass a minibatch of training data with features and labels");
        }

        private static IllegalArgumentException missing() {
            return new IllegalArgumentException("The self-check needs one minibatch of training data (e.g."
                    + " trainIterator.next(), then trainIterator.reset()), got null");
        }
    }

    /**
     * Runs the check on a network {@link MixedPrecision#enable} returned, against the FP32 network it was made from, and
     * logs the outcome: one WARN naming the failed check, or the slowdown warning, once per JVM.
     */
    static Result run(Model fp32, Model mixed, Batch batch) {
        Result result = compare(fp32, mixed, batch);
        if (!result.passed()) {
            log.warn("Mixed precision self-check failed, training in FP32 instead: {}. MixedPrecision.enableChecked"
                    + " returned the FP32 network it was given. To train in mixed precision anyway, use"
                    + " MixedPrecisionConfig.builder().selfCheck(false) or MixedPrecision.enable(network).",
                    result.failure());
        } else if (result.slowdown() > 1.0 && slowdownWarned.compareAndSet(false, true)) {
            log.warn("Mixed precision self-check: HALF is {}x slower than FLOAT on this backend ({}, no fast FP16"
                    + " arithmetic; GPUs with tensor cores are where mixed precision is faster); {}",
                    String.format("%.1f", result.slowdown()), Nd4j.getBackend().getClass().getSimpleName(),
                    memorySentence(result.memorySaving()));
        }
        Network.of(fp32).clearLayersStates();
        Network.of(mixed).clearLayersStates();
        return result;
    }

    private static String memorySentence(double saving) {
        return saving > 0
                ? String.format("mixed precision still saves ~%.0f%% of training memory at this minibatch size"
                        + " (HALF activations; the FP32 weights stay)", 100 * saving)
                : String.format("at this minibatch size it saves no memory either (~%.0f%% more: the FP32"
                        + " weights outweigh the HALF activations); larger minibatches or inputs change that",
                        -100 * saving);
    }

    /** What to do about an op that fails in HALF. */
    private static final String KEEP_IN_FP32 = "; keep the layer that runs it in FP32 with"
            + " MixedPrecisionConfig.builder().precisionPolicy(PrecisionPolicy.mixedFloat16().withLayer(name, DataType.FLOAT))";

    private static Result compare(Model fp32, Model mixed, Batch batch) {
        INDArray[] expected = output(fp32, batch);
        INDArray[] actual;
        try {
            actual = output(mixed, batch);
        } catch (RuntimeException e) {
            return failed("forward check: the HALF forward pass failed in " + failingLayer(mixed, batch) + " ("
                    + e.getClass().getSimpleName() + ": " + e.getMessage() + "), an op the network needs does not run"
                    + " in HALF on this backend" + KEEP_IN_FP32, Double.NaN, Double.NaN);
        }
        double outputError = relativeError(expected, actual);
        if (!(outputError <= MAX_OUTPUT_ERROR)) {
            return failed(String.format("forward check: the HALF outputs deviate from FP32's by a relative error"
                    + " of %.3g, above the threshold %s (values beyond FP16's range of +-65504 or below its"
                    + " resolution, e.g. inputs smaller than 6e-8)", outputError, MAX_OUTPUT_ERROR),
                    outputError, Double.NaN);
        }
        double gradientCosine;
        try {
            gradientCosine = gradientCosine(fp32, mixed, batch);
        } catch (RuntimeException e) {
            return failed("backward check: the HALF backward pass failed (" + e.getClass().getSimpleName() + ": "
                    + e.getMessage() + "), an op the network needs does not run in HALF on this backend"
                    + KEEP_IN_FP32, outputError, Double.NaN);
        }
        if (!(gradientCosine >= MIN_GRADIENT_COSINE)) {
            return failed("backward check: the HALF gradient " + (Double.isNaN(gradientCosine)
                    ? "holds Inf/NaN even at loss scale 1 (or the lower calibrated scale)"
                    : String.format("points another way than FP32's: cosine similarity %.4f, below the threshold %s",
                            gradientCosine, MIN_GRADIENT_COSINE)), outputError, gradientCosine);
        }
        return new Result(null, outputError, gradientCosine, forwardTime(mixed, batch) / forwardTime(fp32, batch),
                memorySaving(fp32, batch));
    }

    /** @return a failed result: the later checks, the timing and the memory estimate did not run */
    private static Result failed(String failure, double outputError, double gradientCosine) {
        return new Result(failure, outputError, gradientCosine, Double.NaN, Double.NaN);
    }

    /** @return the outputs in inference mode, as FLOAT */
    private static INDArray[] output(Model network, Batch batch) {
        INDArray[] outputs = Network.of(network).output(batch.features(), batch.featuresMasks(), batch.labelsMasks());
        for (int i = 0; i < outputs.length; i++) {
            outputs[i] = outputs[i].castTo(DataType.FLOAT);
        }
        return outputs;
    }

    private static double forwardTime(Model network, Batch batch) {
        long start = System.nanoTime();
        output(network, batch);
        return Math.max(1, System.nanoTime() - start);
    }

    /** @return the layer (or vertex) whose forward pass throws, found by running the network layer by layer */
    private static String failingLayer(Model mixed, Batch batch) {
        String layer = Network.of(mixed).failingLayer(batch.features());
        return layer == null ? "the network" : layer;
    }

    private static double relativeError(INDArray[] expected, INDArray[] actual) {
        double difference = 0;
        double norm = 0;
        for (int i = 0; i < expected.length; i++) {
            difference += Math.pow(actual[i].sub(expected[i]).norm2Number().doubleValue(), 2);
            norm += Math.pow(expected[i].norm2Number().doubleValue(), 2);
        }
        return norm == 0 ? Math.sqrt(difference) : Math.sqrt(difference / norm);
    }

    /**
     * Computes the FP32 network's gradient and the mixed-precision one at the scale calibration would
     * choose (halved while it holds Inf/NaN, down to 1), on copies of both networks without dropout and
     * weight noise: each network would draw its own masks, and the check compares like with like.
     *
     * @return the cosine similarity of the loss gradients, NaN if the HALF gradient is not finite
     */
    private static double gradientCosine(Model fp32Network, Model mixedNetwork, Batch batch) {
        Model fp32 = Network.of(fp32Network).rebuild(WITHOUT_DROPOUT).model();
        Model mixed = Network.of(mixedNetwork).rebuild(WITHOUT_DROPOUT).model();
        Set<String> direct = directUpdates(fp32);
        Map<String, INDArray> expected = gradient(fp32, batch).gradientForVariable();
        double largest = 0;
        for (Map.Entry<String, INDArray> entry : expected.entrySet()) {
            if (!direct.contains(entry.getKey())) {
                largest = Math.max(largest, entry.getValue().amaxNumber().doubleValue());
            }
        }
        List<LossScaler> scalers = Network.of(mixed).lossScalers();
        double scale = ScaleCalibration.estimate(largest, scalers.get(0).config());
        while (true) {
            for (LossScaler scaler : scalers) {
                scaler.calibrate(scale);
            }
            Map<String, INDArray> actual = gradient(mixed, batch).gradientForVariable();
            double dot = 0;
            double expectedNorm = 0;
            double actualNorm = 0;
            boolean finite = true;
            for (Map.Entry<String, INDArray> entry : expected.entrySet()) {
                if (direct.contains(entry.getKey())) {
                    continue;
                }
                INDArray a = actual.get(entry.getKey()).castTo(DataType.DOUBLE);
                INDArray e = entry.getValue().castTo(DataType.DOUBLE);
                finite &= ForwardOverflow.finite(a);
                dot += a.mul(e).sumNumber().doubleValue();
                expectedNorm += e.mul(e).sumNumber().doubleValue();
                actualNorm += a.mul(a).sumNumber().doubleValue();
            }
            if (finite) {
                return expectedNorm == 0 && actualNorm == 0 ? 1.0 : dot / Math.sqrt(expectedNorm * actualNorm);
            }
            if (scale <= 1.0) {
                return Double.NaN;
            }
            scale = Math.max(1.0, scale / 2);
        }
    }

    private static void withoutDropout(Layer layer) {
        layer.setIDropout(null);
        if (layer instanceof BaseLayer base) {
            base.setWeightNoise(null);
        }
        if (layer instanceof PrecisionLayer precision) {
            withoutDropout(precision.getUnderlying());
        } else if (layer instanceof BaseWrapperLayer wrapper) {
            withoutDropout(wrapper.getUnderlying());
        } else if (layer instanceof FrozenLayer frozen) {
            withoutDropout(frozen.getLayer());
        } else if (layer instanceof Bidirectional bidirectional) {
            withoutDropout(bidirectional.getFwd());
            withoutDropout(bidirectional.getBwd());
        }
    }

    private static Gradient gradient(Model network, Batch batch) {
        Network.of(network).setMinibatch(batch.features(), batch.labels(), batch.featuresMasks(), batch.labelsMasks());
        network.computeGradientAndScore(LayerWorkspaceMgr.noWorkspaces());
        return network.gradient();
    }

    /** @return the gradient keys of parameters updated directly, not by a loss gradient */
    private static Set<String> directUpdates(Model network) {
        Set<String> keys = new HashSet<>();
        Network.of(network).trainables().forEach((prefix, layer) -> layer.paramTable(false).keySet().stream()
                .filter(param -> !isLossDerived(layer, param))
                .forEach(param -> keys.add(prefix + "_" + param)));
        return keys;
    }

    /**
     * DL4J marks BatchNormalization's running statistics as "not divided by the minibatch size"; the
     * centers of CenterLossOutputLayer are computed from the features alone but lack that mark.
     *
     * @return false for parameters whose gradient is a direct update, not a derivative of the loss
     */
    private static boolean isLossDerived(Trainable layer, String param) {
        return layer.updaterDivideByMinibatch(param) && !(layer.getConfig() instanceof CenterLossOutputLayer
                && CenterLossParamInitializer.CENTER_KEY.equals(param));
    }

    /**
     * Estimates the share of training memory mixed precision saves: FP32 training holds parameters,
     * gradients, updater state and activations in 4 bytes; mixed precision holds HALF parameters and
     * gradients (2 bytes) beside FP32 parameters, gradients and updater state, and HALF activations.
     */
    private static double memorySaving(Model fp32, Batch batch) {
        double parameters = fp32.numParams();
        INDArray state = Network.of(fp32).updater().getStateViewArray();
        double stateValues = state == null ? 0 : state.length();
        double activations = 0;
        for (Network.LayerActivation activation : Network.of(fp32).activations(batch.features(), false)) {
            activations += activation.values().length();
        }
        double fp32Bytes = 4 * (2 * parameters + stateValues + activations);
        double mixedBytes = 2 * 2 * parameters + 4 * (2 * parameters + stateValues) + 2 * activations;
        return 1 - mixedBytes / fp32Bytes;
    }
}
