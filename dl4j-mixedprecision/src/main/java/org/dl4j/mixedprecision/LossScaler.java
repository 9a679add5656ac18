package org.dl4j.mixedprecision;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The loss scale and its state machine, one per mixed-precision network.
 *
 * <p>Each training step ends with one call to {@link #update(long)} saying whether the step's
 * gradients held an Inf or NaN. With {@link MixedPrecisionConfig.Scaling#DYNAMIC} scaling:
 * <ul>
 *   <li>an overflow multiplies the scale by the backoff factor (not below the minimum scale), counts
 *       a skipped step and resets the count of clean steps;</li>
 *   <li>a clean step counts one more clean step; when {@code growthInterval} clean steps occur
 *       consecutively, the scale is multiplied by the growth factor (not above the maximum scale)
 *       and the count restarts.</li>
 * </ul>
 * With static scaling or none, the scale never changes, but overflowing steps are still skipped
 * and counted. The getters are safe to read from listeners; only the updater changes the state.
 */
public final class LossScaler implements Serializable {

    private static final long serialVersionUID = 1L;

    /** The scaling settings this scaler follows. */
    @JsonProperty
    private MixedPrecisionConfig config;
    /** The factor the loss gradient is multiplied by in the next step. */
    @JsonProperty
    private double scale;
    /** Consecutive steps without overflow since the scale last changed or overflowed. */
    @JsonProperty
    private int cleanSteps;
    /** Steps skipped in a row, up to and including the last step (0 if it was applied). */
    @JsonProperty
    private int consecutiveSkippedSteps;
    /** Steps skipped since training began. */
    @JsonProperty
    private long skippedSteps;
    /** Gradient values found Inf or NaN since training began, over all skipped steps. */
    @JsonProperty
    private long overflowCount;

    /** True until the first step's gradient, computed at scale 1, has chosen the scale. */
    @JsonProperty
    private boolean calibrating;
    /** The scale the most recent step used. */
    @JsonProperty
    private double lastStepScale;
    /** The parameters whose gradients held Inf or NaN in the most recent step, if it was skipped. */
    @JsonProperty
    private List<String> overflowParameters = List.of();
    /** The largest |gradient| of the calibration step at scale 1; null until calibrated. */
    @JsonProperty
    private Double calibrationGradient;
    /** The scale the calibration step chose; 0 until calibrated. */
    @JsonProperty
    private double calibratedScale;

    /**
     * For JSON (the scaler is part of a mixed-precision network's configuration): a state that training
     * cannot reach (a negative or infinite scale, negative counts, ...) is refused, naming the field.
     */
    @JsonCreator
    private static LossScaler fromJson(@JsonProperty("config") MixedPrecisionConfig config,
                                       @JsonProperty("scale") double scale,
                                       @JsonProperty("lastStepScale") double lastStepScale,
                                       @JsonProperty("cleanSteps") int cleanSteps,
                                       @JsonProperty("consecutiveSkippedSteps") int consecutiveSkippedSteps,
                                       @JsonProperty("skippedSteps") long skippedSteps,
                                       @JsonProperty("overflowCount") long overflowCount,
                                       @JsonProperty("calibrating") boolean calibrating,
                                       @JsonProperty("overflowParameters") List<String> overflowParameters,
                                       @JsonProperty("calibrationGradient") Double calibrationGradient,
                                       @JsonProperty("calibratedScale") double calibratedScale) {
        if (config == null) {
            throw new IllegalArgumentException("Invalid loss scaler state: its configuration is missing");
        }
        LossScaler scaler = new LossScaler(config);
        scaler.scale = scale;
        scaler.lastStepScale = lastStepScale;
        scaler.cleanSteps = cleanSteps;
        scaler.consecutiveSkippedSteps = consecutiveSkippedSteps;
        scaler.skippedSteps = skippedSteps;
        scaler.overflowCount = overflowCount;
        scaler.calibrating = calibrating;
        scaler.overflowParameters = overflowParameters == null ? List.of() : List.copyOf(overflowParameters);
        scaler.calibrationGradient = calibrationGradient;
        scaler.calibratedScale = calibratedScale;
        scaler.check();
        return scaler;
    }

    /**
     * @throws IllegalArgumentException naming the first field whose value training cannot produce under
     *                                  this scaler's configuration
     */
    private void check() {
        boolean dynamic = config.scaling() == MixedPrecisionConfig.Scaling.DYNAMIC;
        String range = dynamic ? "[minScale, maxScale] = [" + config.minScale() + ", " + config.maxScale() + "]"
                : "the configured scale " + config.initialScale();
        boolean calibrationStep = config.calibratesInitialScale() && (calibrating || lastStepScale == 1.0);
        require(dynamic ? calibrating && scale == 1.0 || inRange(scale) : scale == config.initialScale(), "scale", scale,
                range);
        require(dynamic ? calibrationStep && lastStepScale == 1.0 || inRange(lastStepScale)
                : lastStepScale == config.initialScale(), "lastStepScale", lastStepScale, range);
        require(!calibrating || config.calibratesInitialScale(), "calibrating", calibrating,
                "false for a configuration without calibration");
        require(cleanSteps >= 0 && (!dynamic || cleanSteps < config.growthInterval()), "cleanSteps", cleanSteps,
                dynamic ? "0 to growthInterval - 1 = " + (config.growthInterval() - 1) : ">= 0");
        require(skippedSteps >= 0, "skippedSteps", skippedSteps, ">= 0");
        require(consecutiveSkippedSteps >= 0 && consecutiveSkippedSteps <= skippedSteps, "consecutiveSkippedSteps",
                consecutiveSkippedSteps, "0 to skippedSteps = " + skippedSteps);
        require(overflowCount >= skippedSteps, "overflowCount", overflowCount,
                ">= skippedSteps = " + skippedSteps + " (every skipped step found at least one Inf/NaN)");
        require(calibrationGradient == null || Double.isFinite(calibrationGradient) && calibrationGradient >= 0,
                "calibrationGradient", calibrationGradient, "a finite number >= 0");
        require(calibrationGradient == null || calibratedScale >= MixedPrecisionConfig.SMALLEST_SCALE
                && calibratedScale <= MixedPrecisionConfig.LARGEST_SCALE, "calibratedScale", calibratedScale,
                "[2^-40, 2^40]");
    }

    /**
     * Java deserialization (Spark broadcasts configurations so) checks the state as JSON does.
     *
     * @return this scaler, once its state is checked
     */
    private Object readResolve() {
        check();
        return this;
    }

    private boolean inRange(double value) {
        return value >= config.minScale() && value <= config.maxScale();
    }

    private static void require(boolean valid, String field, Object value, String expected) {
        if (!valid) {
            throw new IllegalArgumentException("Invalid loss scaler state: " + field + " is " + value + ", expected "
                    + expected + "; training cannot reach this state, the saved network was edited or damaged");
        }
    }

    /**
     * @param config the scaling settings; the scale starts at {@link MixedPrecisionConfig#initialScale()},
     *               or at 1 until {@link #calibrate(double)} when the configuration calibrates it
     */
    public LossScaler(MixedPrecisionConfig config) {
        this.config = config;
        this.scale = config.calibratesInitialScale() ? 1.0 : config.initialScale();
        this.calibrating = config.calibratesInitialScale();
        this.lastStepScale = scale;
    }

    /** @return an independent copy of this scaler, in the same state */
    LossScaler copy() {
        LossScaler copy = new LossScaler(config);
        copy.scale = scale;
        copy.cleanSteps = cleanSteps;
        copy.consecutiveSkippedSteps = consecutiveSkippedSteps;
        copy.skippedSteps = skippedSteps;
        copy.overflowCount = overflowCount;
        copy.calibrating = calibrating;
        copy.lastStepScale = lastStepScale;
        copy.overflowParameters = overflowParameters;
        copy.calibrationGradient = calibrationGradient;
        copy.calibratedScale = calibratedScale;
        return copy;
    }

    /**
     * @return true until the first step's gradient, computed at scale 1, has chosen the scale (see
     *         {@link ScaleCalibration})
     */
    boolean calibrating() {
        return calibrating;
    }

    /** @return the factor the loss gradient is multiplied by in the next step */
    public double scale() {
        return scale;
    }

    /** @return consecutive steps without overflow since the scale last changed or overflowed */
    public int cleanSteps() {
        return cleanSteps;
    }

    /** @return steps skipped in a row, up to and including the last step (0 if it was applied) */
    public int consecutiveSkippedSteps() {
        return consecutiveSkippedSteps;
    }

    /** @return steps skipped since training began */
    public long skippedSteps() {
        return skippedSteps;
    }

    /** @return gradient values found Inf or NaN since training began, over all skipped steps */
    public long overflowCount() {
        return overflowCount;
    }

    /** @return the configuration this scaler follows */
    public MixedPrecisionConfig config() {
        return config;
    }

    /**
     * Records the outcome of one step and adapts the scale.
     *
     * @param nonFiniteValues how many gradient values were Inf or NaN; any positive number means the
     *                        step was skipped
     */
    void update(long nonFiniteValues) {
        update(nonFiniteValues, List.of());
    }

    /**
     * Records the outcome of one step and adapts the scale.
     *
     * @param nonFiniteValues    how many gradient values were Inf or NaN; any positive number means the
     *                           step was skipped
     * @param overflowParameters the parameters whose gradients held them, as DL4J names gradients ("0_W")
     */
    void update(long nonFiniteValues, List<String> overflowParameters) {
        lastStepScale = scale;
        this.overflowParameters = nonFiniteValues > 0 ? List.copyOf(overflowParameters) : List.of();
        if (nonFiniteValues > 0) {
            overflowCount += nonFiniteValues;
            skippedSteps++;
            consecutiveSkippedSteps++;
            cleanSteps = 0;
            if (config.scaling() == MixedPrecisionConfig.Scaling.DYNAMIC) {
                scale = Math.max(config.minScale(), scale * config.backoffFactor());
            }
            return;
        }
        consecutiveSkippedSteps = 0;
        cleanSteps++;
        if (config.scaling() == MixedPrecisionConfig.Scaling.DYNAMIC && cleanSteps >= config.growthInterval()) {
            scale = Math.min(config.maxScale(), scale * config.growthFactor());
            cleanSteps = 0;
        }
    }

    /** Sets the scale chosen for the first step by a {@link ScaleCalibration}. */
    void calibrate(double calibratedScale) {
        scale = calibratedScale;
        calibrating = false;
    }

    /**
     * Sets the scale from the calibration step: the largest |gradient| it measured at scale 1.
     *
     * @param largestGradient that gradient; the scale becomes {@link ScaleCalibration#estimate}
     */
    void calibrateFrom(double largestGradient) {
        calibrationGradient = largestGradient;
        calibratedScale = ScaleCalibration.estimate(largestGradient, config);
        calibrate(calibratedScale);
    }

    /** @return the state of this scaler after its last step, as {@link MixedPrecision#status} reports it */
    LossScaleStatus status() {
        ScaleCalibration calibration = calibrationGradient == null ? null
                : new ScaleCalibration(calibrationGradient, MixedPrecisionConfig.CALIBRATION_HEADROOM, calibratedScale);
        return new LossScaleStatus(scale, lastStepScale, cleanSteps, skippedSteps, consecutiveSkippedSteps,
                overflowCount, overflowParameters, calibration);
    }

    /**
     * Puts the scaler back into a saved state, so that training resumes exactly where it stopped.
     *
     * @param status the state saved with the network
     * @throws IllegalArgumentException if training cannot reach that state; the scaler is left as it was
     */
    void restore(LossScaleStatus status) {
        LossScaler restored = copy();
        restored.set(status);
        restored.check();
        set(status);
    }

    private void set(LossScaleStatus status) {
        scale = status.scale();
        lastStepScale = status.lastStepScale();
        overflowParameters = status.overflowParameters();
        calibrating = config.calibratesInitialScale() && status.calibration() == null;
        calibrationGradient = status.calibration() == null ? null : status.calibration().largestGradient();
        calibratedScale = status.calibration() == null ? 0.0 : status.calibration().scale();
        cleanSteps = status.cleanSteps();
        consecutiveSkippedSteps = status.consecutiveSkippedSteps();
        skippedSteps = status.skippedSteps();
        overflowCount = status.overflowCount();
    }

    /**
     * Takes over the states that copies of this scaler reached on distributed workers, each of which started
     * from this scaler's state: the scale becomes the smallest a worker ended with (no worker keeps a scale
     * another one found overflowing), with that worker's clean-step count and last step; skipped steps and
     * Inf/NaN counts add up over the workers.
     *
     * @param workers the workers' states after their steps; none leaves this scaler as it is
     * @throws IllegalArgumentException if the combined state is one training cannot reach (a worker of another
     *                                  network); this scaler is then left as it was
     */
    void combine(List<LossScaleStatus> workers) {
        if (workers.isEmpty()) {
            return;
        }
        LossScaleStatus start = status();
        LossScaleStatus lowest = workers.get(0);
        long skipped = start.skippedSteps();
        long overflow = start.overflowCount();
        int consecutive = 0;
        ScaleCalibration calibration = start.calibration();
        for (LossScaleStatus worker : workers) {
            lowest = worker.scale() < lowest.scale() ? worker : lowest;
            skipped += Math.max(0, worker.skippedSteps() - start.skippedSteps());
            overflow += Math.max(0, worker.overflowCount() - start.overflowCount());
            consecutive = Math.max(consecutive, worker.consecutiveSkippedSteps());
            calibration = calibration == null ? worker.calibration() : calibration;
        }
        restore(new LossScaleStatus(lowest.scale(), lowest.lastStepScale(), lowest.cleanSteps(), skipped,
                (int) Math.min(consecutive, skipped), overflow, lowest.overflowParameters(), calibration));
    }

    /** @return true once more consecutive steps were skipped than the configuration tolerates */
    boolean skipLimitExceeded() {
        return consecutiveSkippedSteps > config.maxConsecutiveSkippedSteps();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof LossScaler other)) {
            return false;
        }
        return config.equals(other.config) && scale == other.scale && cleanSteps == other.cleanSteps
                && consecutiveSkippedSteps == other.consecutiveSkippedSteps && skippedSteps == other.skippedSteps
                && overflowCount == other.overflowCount && calibrating == other.calibrating
                && lastStepScale == other.lastStepScale && overflowParameters.equals(other.overflowParameters)
                && Objects.equals(calibrationGradient, other.calibrationGradient)
                && calibratedScale == other.calibratedScale;
    }

    @Override
    public int hashCode() {
        return Objects.hash(config, scale, cleanSteps, consecutiveSkippedSteps, skippedSteps, overflowCount, calibrating,
                lastStepScale, overflowParameters, calibrationGradient, calibratedScale);
    }

    @Override
    public String toString() {
        return "LossScaler(scale=" + scale + ", cleanSteps=" + cleanSteps + ", skippedSteps=" + skippedSteps
                + ", consecutiveSkippedSteps=" + consecutiveSkippedSteps + ", overflowCount=" + overflowCount + ")";
    }
}
