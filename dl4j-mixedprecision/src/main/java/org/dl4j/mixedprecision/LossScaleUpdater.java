package org.dl4j.mixedprecision;

import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The updater of every parameter of a mixed-precision network: the layer's own DL4J updater ({@code Adam},
 * {@code Nesterovs}, ... with its schedules), run only on the steps the network applies, as Keras's
 * {@code LossScaleOptimizer} wraps an optimizer.
 *
 * <p>DL4J's updater calls it after dividing by the minibatch size, normalizing the gradient and adding
 * L1/L2, with a gradient that the network's layers have already divided by the loss scale. On the first
 * block of an iteration it asks the network's {@link NetworkStep} whether any layer found an Inf or NaN:
 * <ul>
 *   <li>applied: the wrapped updater runs, with an iteration count of applied steps only (so Adam's bias
 *       correction and the schedules do not count skipped steps);</li>
 *   <li>skipped: the update is zero, the updater state is untouched (and weight decay is not applied, see
 *       {@link PrecisionLayer#getRegularizationByParam}). Direct updates (BatchNormalization's running mean
 *       and variance, updated by DL4J through a {@code NoOp} updater) are still applied where finite.</li>
 * </ul>
 * Its state is exactly the wrapped updater's, so the network's updater state has the layout of an FP32
 * network's. {@link PrecisionLayer} creates it for each parameter; it is not stored in configurations.
 */
public final class LossScaleUpdater implements IUpdater {

    private static final long serialVersionUID = 1L;

    /** The layer's updater for the parameter, run on applied steps only. */
    @JsonProperty
    private IUpdater updater;
    /** True for a parameter whose "gradient" is its update, not a derivative of the loss. */
    @JsonProperty
    private boolean directUpdate;

    /** For JSON deserialization only. */
    @SuppressWarnings("unused")
    private LossScaleUpdater() {
    }

    /**
     * @param updater      the layer's updater for the parameter
     * @param directUpdate true for a parameter whose "gradient" is its update, not a derivative of the loss
     */
    public LossScaleUpdater(IUpdater updater, boolean directUpdate) {
        this.updater = Objects.requireNonNull(updater, "updater");
        this.directUpdate = directUpdate;
    }

    /** @return the wrapped updater */
    public IUpdater getUpdater() {
        return updater;
    }

    @Override
    public long stateSize(long numParams) {
        return updater.stateSize(numParams);
    }

    @Override
    public GradientUpdater instantiate(INDArray viewArray, boolean initializeViewArray) {
        return new Applier(this, updater.instantiate(viewArray, initializeViewArray));
    }

    @Override
    public GradientUpdater instantiate(Map<String, INDArray> updaterState, boolean initializeStateArrays) {
        return new Applier(this, updater.instantiate(updaterState, initializeStateArrays));
    }

    @Override
    public LossScaleUpdater clone() {
        return new LossScaleUpdater(updater.clone(), directUpdate);
    }

    @Override
    public double getLearningRate(int iteration, int epoch) {
        return updater.getLearningRate(iteration, epoch);
    }

    @Override
    public boolean hasLearningRate() {
        return updater.hasLearningRate();
    }

    @Override
    public void setLrAndSchedule(double lr, ISchedule lrSchedule) {
        updater.setLrAndSchedule(lr, lrSchedule);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LossScaleUpdater other && directUpdate == other.directUpdate && updater.equals(other.updater);
    }

    @Override
    public int hashCode() {
        return Objects.hash(updater, directUpdate);
    }

    @Override
    public String toString() {
        return "LossScaleUpdater(" + updater + (directUpdate ? ", direct update" : "") + ")";
    }

    /** The wrapped updater's {@link GradientUpdater}, run on applied steps only. */
    private static final class Applier implements GradientUpdater<LossScaleUpdater> {

        private final LossScaleUpdater config;
        @SuppressWarnings("rawtypes")
        private final GradientUpdater inner;

        @SuppressWarnings("rawtypes")
        Applier(LossScaleUpdater config, GradientUpdater inner) {
            this.config = config;
            this.inner = inner;
        }

        @Override
        public LossScaleUpdater getConfig() {
            return config;
        }

        @Override
        public void setState(Map<String, INDArray> stateMap, boolean initialize) {
            inner.setState(stateMap, initialize);
        }

        @Override
        @SuppressWarnings("unchecked")
        public Map<String, INDArray> getState() {
            return inner.getState();
        }

        @Override
        public void setStateViewArray(INDArray viewArray, long[] gradientShape, char gradientOrder, boolean initialize) {
            inner.setStateViewArray(viewArray, gradientShape, gradientOrder, initialize);
        }

        @Override
        public void applyUpdater(INDArray gradient, int iteration, int epoch) {
            NetworkStep.Decision decision = NetworkStep.require(gradient).decide(iteration);
            if (!decision.skip()) {
                inner.applyUpdater(gradient, decision.updaterIteration(iteration), epoch);
            } else if (!(config.directUpdate && ForwardOverflow.finite(gradient))) {
                gradient.assign(0);
            }
        }
    }
}
