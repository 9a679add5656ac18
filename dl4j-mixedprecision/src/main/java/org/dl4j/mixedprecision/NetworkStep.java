package org.dl4j.mixedprecision;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What the layers of one mixed-precision network tell each other during one training iteration: the loss
 * scale the output layers used, how many Inf/NaN gradient values each layer found, and, once DL4J's updater
 * runs, whether the step is applied or skipped.
 *
 * <p>Order within an iteration: the {@link LossScaleOutputLayer}s run their backward pass first and
 * report their scale; each {@link PrecisionLayer} below divides its gradient by that scale and reports
 * what it found; then the first {@link LossScaleUpdater} block that DL4J's updater runs calls
 * {@link #decide()}: the step is skipped if any layer found an Inf or NaN, and each output layer's
 * {@link LossScaler} records the outcome. Every later block of the same iteration gets the same decision.
 *
 * <p>A network's hidden layers and updater blocks find their step through the network's flat gradient
 * array, of which each holds a view: one step per gradient array, so a clone, a ParallelWrapper worker or
 * a Spark worker has its own. The step holds no reference to the network; it is dropped when the gradient
 * array is garbage collected. Output layers may have no parameters (and so no gradient view, as
 * {@code Yolo2OutputLayer}): they hand their scaler to the thread that runs the backward pass, and the
 * first hidden layer or updater block of that thread to reach its step takes it over. DL4J runs one
 * network's backward pass and updater on one thread.
 */
final class NetworkStep {

    private static final List<NetworkStep> STEPS = new ArrayList<>();
    private static final List<OwnedParameters> OWNED_PARAMETERS = new ArrayList<>();
    private static final ThreadLocal<Map<String, OutputReport>> PENDING_OUTPUTS =
            ThreadLocal.withInitial(LinkedHashMap::new);

    private final WeakReference<DataBuffer> gradientBuffer;
    private final Map<String, Long> nonFiniteByLayer = new LinkedHashMap<>();
    private final Map<String, List<String>> overflowParametersByLayer = new LinkedHashMap<>();
    private final Map<String, LossScaler> scalers = new LinkedHashMap<>();
    /** The network's parameter array, whose every value a mixed-precision layer or vertex must own. */
    private WeakReference<DataBuffer> parameterBuffer;
    /** True once every parameter was found owned: a network's layers do not change after it is built. */
    private boolean everyLayerMixedPrecision;
    private double scale = 1.0;
    private double largestGradient;
    private Decision decision;
    private ScaleHealth health;

    private NetworkStep(DataBuffer gradientBuffer) {
        this.gradientBuffer = new WeakReference<>(gradientBuffer);
    }

    /** @return the step of the network whose flat gradient array {@code gradientView} is a view of */
    static NetworkStep of(INDArray gradientView) {
        DataBuffer buffer = root(gradientView.data());
        synchronized (STEPS) {
            NetworkStep step = find(buffer);
            if (step == null) {
                step = new NetworkStep(buffer);
                STEPS.add(step);
            }
            return step;
        }
    }

    /**
     * @return the step of the network whose gradient array {@code gradientView} is a view of
     * @throws IllegalStateException if no mixed-precision layer computed a gradient into that array
     */
    static NetworkStep require(INDArray gradientView) {
        if (!PENDING_OUTPUTS.get().isEmpty()) {
            return of(gradientView); // only output layers computed gradients: all hidden layers frozen
        }
        synchronized (STEPS) {
            NetworkStep step = find(root(gradientView.data()));
            if (step == null) {
                throw new IllegalStateException("The mixed-precision updater received a gradient that no layer of a"
                        + " mixed-precision network computed (an external gradient handed to the updater): not supported,"
                        + " its loss scale is unknown. Compute gradients with the network (fit, computeGradientAndScore)");
            }
            return step;
        }
    }

    private static NetworkStep find(DataBuffer buffer) {
        NetworkStep found = null;
        for (Iterator<NetworkStep> it = STEPS.iterator(); it.hasNext(); ) {
            NetworkStep step = it.next();
            DataBuffer stepBuffer = step.gradientBuffer.get();
            if (stepBuffer == null) {
                it.remove();
            } else if (stepBuffer == buffer) {
                found = step;
            }
        }
        return found;
    }

    private static DataBuffer root(DataBuffer buffer) {
        DataBuffer root = buffer;
        while (root.originalDataBuffer() != null && root.originalDataBuffer() != root) {
            root = root.originalDataBuffer();
        }
        return root;
    }

    /**
     * An output layer's backward pass, on the current thread: it used its scaler's scale and found
     * {@code nonFinite} Inf/NaN values in its own (unscaled) gradient.
     */
    static void outputBackprop(String layer, LossScaler scaler, GradientCheck check) {
        PENDING_OUTPUTS.get().put(layer, new OutputReport(scaler, check));
    }

    /**
     * A mixed-precision layer or vertex was built on {@code paramsView}, a view of its network's parameter
     * array (frozen layers too, which get no gradient view).
     */
    static void ownsParameters(INDArray paramsView, String layer) {
        if (paramsView == null || paramsView.length() == 0) {
            return;
        }
        DataBuffer buffer = root(paramsView.data());
        synchronized (OWNED_PARAMETERS) {
            OWNED_PARAMETERS.removeIf(owned -> owned.buffer().get() == null);
            OwnedParameters owned = OWNED_PARAMETERS.stream().filter(o -> o.buffer().get() == buffer).findFirst()
                    .orElseGet(() -> {
                        OwnedParameters created = new OwnedParameters(new WeakReference<>(buffer), new LinkedHashMap<>());
                        OWNED_PARAMETERS.add(created);
                        return created;
                    });
            owned.lengths().put(layer, paramsView.length());
        }
    }

    /** Tells the step which parameter array its network's layers are views of. */
    synchronized void parametersIn(INDArray paramsView) {
        if (paramsView != null && paramsView.length() > 0) {
            parameterBuffer = new WeakReference<>(root(paramsView.data()));
        }
    }

    /**
     * @throws IllegalStateException if some of the network's parameters belong to layers that are not mixed
     *                               precision: below a loss-scaled output their gradients are scaled, and
     *                               their own updaters would apply them so
     */
    private void checkEveryLayerIsMixedPrecision() {
        DataBuffer parameters = parameterBuffer == null ? null : parameterBuffer.get();
        if (everyLayerMixedPrecision || parameters == null) {
            return;
        }
        long owned;
        synchronized (OWNED_PARAMETERS) {
            owned = OWNED_PARAMETERS.stream().filter(o -> o.buffer().get() == parameters).findFirst()
                    .map(o -> o.lengths().values().stream().mapToLong(Long::longValue).sum()).orElse(0L);
        }
        if (owned < parameters.length()) {
            throw new IllegalStateException("Mixed precision: " + (parameters.length() - owned) + " of the network's "
                    + parameters.length() + " parameters belong to layers that are not mixed precision (a layer added"
                    + " after MixedPrecision.enable, e.g. by TransferLearning), whose updates would be multiplied by"
                    + " the loss scale; nothing was updated. Change the FP32 network instead:"
                    + " MixedPrecision.disable(net), TransferLearning on it, then MixedPrecision.enable(...)");
        }
        everyLayerMixedPrecision = true;
    }

    /** Takes over the output layers' reports of the current thread's backward pass. */
    private void takePendingOutputs() {
        Map<String, OutputReport> pending = PENDING_OUTPUTS.get();
        if (pending.isEmpty()) {
            return;
        }
        startNextIterationIfDecided();
        pending.forEach((layer, report) -> {
            scalers.put(layer, report.scaler());
            scale = report.scaler().scale();
            record(layer, report.check());
        });
        pending.clear();
    }

    /**
     * A hidden layer's backward pass.
     *
     * @param check           Inf/NaN values in its gradient
     * @param largestGradient the largest |unscaled gradient| of its loss-derived parameters, measured only
     *                        while {@link #calibrating()}
     */
    synchronized void hiddenBackprop(String layer, GradientCheck check, double largestGradient) {
        takePendingOutputs();
        startNextIterationIfDecided();
        record(layer, check);
        this.largestGradient = Math.max(this.largestGradient, largestGradient);
    }

    private void record(String layer, GradientCheck check) {
        checkEveryLayerIsMixedPrecision();
        nonFiniteByLayer.put(layer, check.nonFinite());
        overflowParametersByLayer.put(layer, check.overflowParameters());
    }

    /** @return the loss scale the output layers used in this iteration's backward pass */
    synchronized double scale() {
        takePendingOutputs();
        return scale;
    }

    /** @return true while the first step runs at scale 1 to measure the gradient */
    synchronized boolean calibrating() {
        takePendingOutputs();
        return scalers.values().stream().anyMatch(LossScaler::calibrating);
    }

    /** @return true once this iteration's step is decided and skipped */
    synchronized boolean skipping() {
        return decision != null && decision.skip();
    }

    /**
     * Decides this iteration's step once, adapting every output layer's loss scale.
     *
     * @param iteration the network's iteration count, for the log
     *
     * @throws IllegalStateException if more consecutive steps were skipped than configured
     */
    synchronized Decision decide(int iteration) {
        takePendingOutputs();
        if (decision != null) {
            return decision;
        }
        if (scalers.isEmpty()) {
            throw new IllegalStateException("No loss-scaled output layer ran its backward pass before the updater:"
                    + " a mixed-precision network needs LossScaleOutputLayer outputs (MixedPrecision.configure adds them)."
                    + " An output layer added after MixedPrecision.enable (TransferLearning) is not one: change the FP32"
                    + " network instead, MixedPrecision.disable(net), TransferLearning on it, then MixedPrecision.enable(...)");
        }
        long nonFinite = nonFiniteByLayer.values().stream().mapToLong(Long::longValue).sum();
        List<String> overflowParameters = new ArrayList<>();
        overflowParametersByLayer.values().forEach(parameters -> overflowParameters.addAll(0, parameters));
        LossScaler first = scalers.values().iterator().next();
        decision = new Decision(nonFinite > 0, first.skippedSteps());
        for (LossScaler scaler : scalers.values()) {
            boolean calibrating = scaler.calibrating();
            scaler.update(nonFinite, overflowParameters);
            if (calibrating && nonFinite == 0) {
                scaler.calibrateFrom(largestGradient);
            }
        }
        LossScaleStatus status = first.status();
        if (health == null) {
            health = new ScaleHealth(first.config().growthInterval());
        }
        health.observe(status.lastStepScale(), status.scale(), status.lastStepSkipped(), iteration, overflowParameters);
        if (first.skipLimitExceeded()) {
            throw new IllegalStateException("Mixed precision: " + first.consecutiveSkippedSteps()
                    + " consecutive training steps were skipped because their gradients held Inf or NaN values (in "
                    + String.join(", ", overflowParameters) + "; loss scale now " + first.scale() + "). The weights"
                    + " are untouched, but the data or the model is broken: check the features and labels for"
                    + " NaN/Inf, lower the learning rate, or raise maxConsecutiveSkippedSteps (now "
                    + first.config().maxConsecutiveSkippedSteps() + ") in MixedPrecisionConfig. A LossScaleListener"
                    + " on the network logs where the Inf/NaN first appeared (MixedPrecision.enable adds one; add one"
                    + " yourself to a network built from MixedPrecision.configure).");
        }
        return decision;
    }

    private void startNextIterationIfDecided() {
        if (decision != null) {
            decision = null;
            nonFiniteByLayer.clear();
            overflowParametersByLayer.clear();
            scalers.clear();
            largestGradient = 0.0;
        }
    }

    /** The parameters of one network's array that mixed-precision layers hold, by layer. */
    private record OwnedParameters(WeakReference<DataBuffer> buffer, Map<String, Long> lengths) {
    }

    /** What an output layer's backward pass found. */
    private record OutputReport(LossScaler scaler, GradientCheck check) {
    }

    /**
     * What a layer found in its gradient.
     *
     * @param nonFinite          Inf/NaN values
     * @param overflowParameters the parameters holding them, as "layerName_param"
     */
    record GradientCheck(long nonFinite, List<String> overflowParameters) {

        static final GradientCheck FINITE = new GradientCheck(0, List.of());
    }

    /**
     * @param skip          true if the step is skipped
     * @param skippedBefore steps skipped before this one
     */
    record Decision(boolean skip, long skippedBefore) {

        /** @return the iteration count DL4J's updater gets: applied steps only, as Keras's LossScaleOptimizer counts */
        int updaterIteration(int iteration) {
            return (int) Math.max(0, iteration - skippedBefore);
        }
    }
}
