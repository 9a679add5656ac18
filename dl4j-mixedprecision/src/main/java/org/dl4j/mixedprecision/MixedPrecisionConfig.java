package org.dl4j.mixedprecision;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Immutable settings of mixed-precision training: how the loss is scaled and when training gives up.
 *
 * <p>The defaults are those of PyTorch's {@code GradScaler} but for the start: dynamic scaling that
 * doubles after 2000 consecutive steps without overflow, halves on every step whose gradients hold an
 * Inf or NaN, and skips that step. Instead of starting at a fixed 65536 (2<sup>16</sup>) and halving its
 * way down through skipped steps, the scale is calibrated on the first minibatch (see
 * {@link ScaleCalibration}); {@link Builder#initialScale(double)} sets a fixed start instead. In
 * addition the scale is kept within
 * [{@link #minScale()}, {@link #maxScale()}] (2<sup>-24</sup> and 2<sup>24</sup> by default), and
 * training stops with an {@link IllegalStateException} once more than
 * {@link #maxConsecutiveSkippedSteps()} (default 50) steps in a row have been skipped: at that point
 * the data or the model is broken, and training nothing in silence helps nobody. Every scale lies within
 * [{@link #SMALLEST_SCALE}, {@link #LARGEST_SCALE}], and settings that contradict each other (a static
 * scale with a growth interval, say) are refused, naming both.
 *
 * <pre>{@code
 * MixedPrecisionConfig config = MixedPrecisionConfig.builder()
 *         .initialScale(1024)
 *         .growthInterval(500)
 *         .build();
 * }</pre>
 *
 * <p>{@link #selfCheck()} (on by default) lets {@link MixedPrecision#enableChecked} compare the
 * mixed-precision network with the FP32 one on a minibatch before training; {@code selfCheck(false)} forces
 * mixed precision. {@link #precisionPolicy()} says which layers compute in HALF and which in FP32
 * ({@link PrecisionPolicy#mixedFloat16()} by default).
 *
 * Build one with {@link #builder()}; {@link #defaults()} gives the defaults.
 */
public final class MixedPrecisionConfig implements Serializable {

    private static final long serialVersionUID = 1L;

    /** How the loss is scaled. */
    public enum Scaling {
        /** The scale adapts: backs off on overflow, grows after a run of clean steps. */
        DYNAMIC,
        /** The scale stays at its initial value; overflowing steps are still skipped. */
        STATIC,
        /** No scaling (a scale of 1); overflowing steps are still skipped. */
        NONE
    }

    private static final MixedPrecisionConfig DEFAULTS = builder().build();

    /**
     * The factor between FP16's largest value and the largest scaled gradient a calibrated start allows:
     * 8 leaves three doublings of headroom for gradients that grow in the first steps.
     */
    public static final double CALIBRATION_HEADROOM = 8.0;

    /**
     * The smallest loss scale allowed, 2<sup>-40</sup>: unscaling multiplies by the reciprocal, which must
     * keep every FP16 gradient (up to 65504) finite in FP32, and a smaller scale flushes every gradient
     * FP16 can hold to zero.
     */
    public static final double SMALLEST_SCALE = 0x1p-40;
    /** The largest loss scale allowed, 2<sup>40</sup>: a larger one overflows every gradient FP16 can hold. */
    public static final double LARGEST_SCALE = 0x1p40;
    /** The largest growth factor allowed, 2<sup>16</sup>: a larger one jumps past FP16's range in one step. */
    public static final double LARGEST_GROWTH_FACTOR = 0x1p16;

    /** How the loss is scaled. */
    @JsonProperty
    private final Scaling scaling;
    /** The scale of the first step (1 when scaling is {@link Scaling#NONE}). */
    @JsonProperty
    private final double initialScale;
    /** Whether the first step's scale is calibrated on the first minibatch. */
    @JsonProperty
    private final boolean calibrateInitialScale;
    /** The factor the scale grows by after {@link #growthInterval()} clean steps. */
    @JsonProperty
    private final double growthFactor;
    /** The factor the scale is multiplied by after an overflow. */
    @JsonProperty
    private final double backoffFactor;
    /** The number of consecutive steps without overflow after which the scale grows. */
    @JsonProperty
    private final int growthInterval;
    /** The smallest scale dynamic scaling goes down to. */
    @JsonProperty
    private final double minScale;
    /** The largest scale dynamic scaling goes up to. */
    @JsonProperty
    private final double maxScale;
    /** How many consecutive skipped steps are tolerated before training stops. */
    @JsonProperty
    private final int maxConsecutiveSkippedSteps;
    /** Whether {@link MixedPrecision#enableChecked} runs its self-check. */
    @JsonProperty
    private final boolean selfCheck;
    /** Which data type each layer computes in. */
    @JsonProperty
    private final PrecisionPolicy precisionPolicy;

    /**
     * For JSON (a mixed-precision network's configuration holds the settings of its loss scale): builds the
     * configuration through the {@link Builder}, so a file or an edited JSON holding a value the builder
     * refuses is refused with the builder's message. Settings that do not apply to the stored scaling mode
     * are ignored, as the builder left them at their defaults. Fields a file of an older version lacks
     * (null) keep their defaults.
     */
    @JsonCreator
    static MixedPrecisionConfig fromJson(@JsonProperty("scaling") Scaling scaling,
                                         @JsonProperty("initialScale") Double initialScale,
                                         @JsonProperty("calibrateInitialScale") Boolean calibrateInitialScale,
                                         @JsonProperty("growthFactor") Double growthFactor,
                                         @JsonProperty("backoffFactor") Double backoffFactor,
                                         @JsonProperty("growthInterval") Integer growthInterval,
                                         @JsonProperty("minScale") Double minScale,
                                         @JsonProperty("maxScale") Double maxScale,
                                         @JsonProperty("maxConsecutiveSkippedSteps") Integer maxConsecutiveSkippedSteps,
                                         @JsonProperty("selfCheck") Boolean selfCheck,
                                         @JsonProperty("precisionPolicy") PrecisionPolicy precisionPolicy) {
        Builder builder = builder();
        if (scaling == Scaling.STATIC) {
            builder.staticScale(required("initialScale", initialScale));
        } else if (scaling == Scaling.NONE) {
            builder.noScaling();
        } else if (scaling == Scaling.DYNAMIC) {
            builder.initialScale(required("initialScale", initialScale))
                    .calibrateInitialScale(required("calibrateInitialScale", calibrateInitialScale));
            if (growthFactor != null) {
                builder.growthFactor(growthFactor);
            }
            if (backoffFactor != null) {
                builder.backoffFactor(backoffFactor);
            }
            if (growthInterval != null) {
                builder.growthInterval(growthInterval);
            }
            if (minScale != null) {
                builder.minScale(minScale);
            }
            if (maxScale != null) {
                builder.maxScale(maxScale);
            }
        } else {
            throw new IllegalArgumentException("scaling is missing: expected DYNAMIC, STATIC or NONE");
        }
        if (maxConsecutiveSkippedSteps != null) {
            builder.maxConsecutiveSkippedSteps(maxConsecutiveSkippedSteps);
        }
        if (selfCheck != null) {
            builder.selfCheck(selfCheck);
        }
        if (precisionPolicy != null) {
            builder.precisionPolicy(precisionPolicy);
        }
        return builder.build(true);
    }

    private static <T> T required(String name, T value) {
        if (value == null) {
            throw new IllegalArgumentException(name + " is missing from the loss scaling settings");
        }
        return value;
    }

    private MixedPrecisionConfig(Builder b) {
        this.scaling = b.scaling;
        this.initialScale = b.scaling == Scaling.NONE ? 1.0 : b.initialScale;
        this.calibrateInitialScale = b.scaling == Scaling.DYNAMIC && b.calibrateInitialScale;
        this.growthFactor = b.growthFactor;
        this.backoffFactor = b.backoffFactor;
        this.growthInterval = b.growthInterval;
        this.minScale = b.minScale;
        this.maxScale = b.maxScale;
        this.maxConsecutiveSkippedSteps = b.maxConsecutiveSkippedSteps;
        this.selfCheck = b.selfCheck;
        this.precisionPolicy = b.precisionPolicy;
    }

    /** @return a builder holding the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the default configuration (PyTorch GradScaler's defaults, with a calibrated start) */
    public static MixedPrecisionConfig defaults() {
        return DEFAULTS;
    }

    /** @return how the loss is scaled */
    public Scaling scaling() {
        return scaling;
    }

    /**
     * @return the scale of the first step (1 when scaling is {@link Scaling#NONE}); not used when
     *         {@link #calibratesInitialScale()}
     */
    public double initialScale() {
        return initialScale;
    }

    /**
     * @return true if the first step's scale is calibrated on the first minibatch (dynamic scaling
     *         without a fixed {@link Builder#initialScale(double)}); see {@link ScaleCalibration}
     */
    public boolean calibratesInitialScale() {
        return calibrateInitialScale;
    }

    /** @return the factor the scale grows by after {@link #growthInterval()} clean steps */
    public double growthFactor() {
        return growthFactor;
    }

    /** @return the factor the scale is multiplied by after an overflow */
    public double backoffFactor() {
        return backoffFactor;
    }

    /** @return the number of consecutive steps without overflow after which the scale grows */
    public int growthInterval() {
        return growthInterval;
    }

    /** @return the smallest scale dynamic scaling goes down to */
    public double minScale() {
        return minScale;
    }

    /** @return the largest scale dynamic scaling goes up to */
    public double maxScale() {
        return maxScale;
    }

    /** @return how many consecutive skipped steps are tolerated before training stops with an error */
    public int maxConsecutiveSkippedSteps() {
        return maxConsecutiveSkippedSteps;
    }

    /**
     * @return true (the default) if {@link MixedPrecision#enableChecked} runs its self-check before
     *         returning the mixed-precision network; {@code enable} never runs it
     */
    public boolean selfCheck() {
        return selfCheck;
    }

    /** @return which data type each layer computes in (default {@link PrecisionPolicy#mixedFloat16()}) */
    public PrecisionPolicy precisionPolicy() {
        return precisionPolicy;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof MixedPrecisionConfig)) {
            return false;
        }
        MixedPrecisionConfig c = (MixedPrecisionConfig) o;
        return scaling == c.scaling && initialScale == c.initialScale
                && calibrateInitialScale == c.calibrateInitialScale && growthFactor == c.growthFactor
                && backoffFactor == c.backoffFactor && growthInterval == c.growthInterval
                && minScale == c.minScale && maxScale == c.maxScale
                && maxConsecutiveSkippedSteps == c.maxConsecutiveSkippedSteps && selfCheck == c.selfCheck
                && precisionPolicy.equals(c.precisionPolicy);
    }

    @Override
    public int hashCode() {
        return Objects.hash(scaling, initialScale, calibrateInitialScale, growthFactor, backoffFactor, growthInterval,
                minScale, maxScale, maxConsecutiveSkippedSteps, selfCheck, precisionPolicy);
    }

    /** @return the loss scaling mode in words, for the log line of {@link MixedPrecision#enable} */
    String describeScaling() {
        return switch (scaling) {
            case DYNAMIC -> "dynamic loss scaling from " + (calibrateInitialScale ? "a calibrated scale" : initialScale);
            case STATIC -> "static loss scale " + initialScale;
            case NONE -> "no loss scaling";
        };
    }

    @Override
    public String toString() {
        return "MixedPrecisionConfig(scaling=" + scaling + ", initialScale="
                + (calibrateInitialScale ? "calibrated" : String.valueOf(initialScale))
                + ", growthFactor=" + growthFactor + ", backoffFactor=" + backoffFactor
                + ", growthInterval=" + growthInterval + ", minScale=" + minScale + ", maxScale=" + maxScale
                + ", maxConsecutiveSkippedSteps=" + maxConsecutiveSkippedSteps + ", selfCheck=" + selfCheck
                + ", " + precisionPolicy + ")";
    }

    /**
     * Builds a {@link MixedPrecisionConfig}. Every setter checks its value and says how to fix a bad
     * one; {@link #build()} checks the combination.
     */
    public static final class Builder {
        private Scaling scaling = Scaling.DYNAMIC;
        private double initialScale = 65536.0;
        private boolean calibrateInitialScale = true;
        private double growthFactor = 2.0;
        private double backoffFactor = 0.5;
        private int growthInterval = 2000;
        private double minScale = 0x1p-24;
        private double maxScale = 0x1p24;
        private int maxConsecutiveSkippedSteps = 50;
        private boolean selfCheck = true;
        private PrecisionPolicy precisionPolicy = PrecisionPolicy.mixedFloat16();
        /** The scaling settings set explicitly, as "name(value)", to name contradictions. */
        private final Set<String> scalingSettings = new LinkedHashSet<>();

        private Builder() {
        }

        private void setting(String name, Object value) {
            scalingSettings.removeIf(setting -> setting.startsWith(name + "("));
            scalingSettings.add(name + "(" + value + ")");
        }

        /**
         * A fixed scale for the first step, instead of the calibrated one.
         *
         * @param scale the scale of the first step, in [2^-40, 2^40] (PyTorch's default is 65536)
         * @return this builder
         */
        public Builder initialScale(double scale) {
            this.initialScale = scale("initialScale", scale, "a power of two such as 65536");
            this.calibrateInitialScale = false;
            setting("initialScale", scale);
            return this;
        }

        /**
         * @param calibrate true (the default) to calibrate the first step's scale on the first minibatch
         *                  (see {@link ScaleCalibration}), false to start at {@link #initialScale(double)}
         *                  (65536 unless set)
         * @return this builder
         */
        public Builder calibrateInitialScale(boolean calibrate) {
            this.calibrateInitialScale = calibrate;
            setting("calibrateInitialScale", calibrate);
            return this;
        }

        /**
         * The factor the scale grows by after {@link #growthInterval(int)} clean steps.
         *
         * @param factor the growth factor, {@code > 1} and at most 65536 (default 2)
         * @return this builder
         */
        public Builder growthFactor(double factor) {
            if (!(factor > 1.0 && factor <= LARGEST_GROWTH_FACTOR)) {
                throw new IllegalArgumentException("growthFactor must be > 1 and <= 65536, got " + factor
                        + ": use 2 (the default), or staticScale(...) for a scale that never grows");
            }
            this.growthFactor = factor;
            setting("growthFactor", factor);
            return this;
        }

        /**
         * The factor the scale is multiplied by after an overflow.
         *
         * @param factor the backoff factor, strictly between 0 and 1 (default 0.5)
         * @return this builder
         */
        public Builder backoffFactor(double factor) {
            if (!(factor > 0.0 && factor < 1.0)) {
                throw new IllegalArgumentException("backoffFactor must be strictly between 0 and 1, got " + factor
                        + ": use 0.5 (the default)");
            }
            this.backoffFactor = factor;
            setting("backoffFactor", factor);
            return this;
        }

        /**
         * The number of consecutive steps without overflow after which the scale grows.
         *
         * @param steps consecutive clean steps before the scale grows, {@code >= 1} (default 2000)
         * @return this builder
         */
        public Builder growthInterval(int steps) {
            this.growthInterval = atLeastOne("growthInterval", steps, 2000);
            setting("growthInterval", steps);
            return this;
        }

        /**
         * The smallest scale dynamic scaling goes down to.
         *
         * @param scale the smallest scale, in [2^-40, 2^40] (default 2^-24)
         * @return this builder
         */
        public Builder minScale(double scale) {
            this.minScale = scale("minScale", scale, "a power of two such as 1");
            setting("minScale", scale);
            return this;
        }

        /**
         * The largest scale dynamic scaling goes up to.
         *
         * @param scale the largest scale, in [2^-40, 2^40] (default 2^24)
         * @return this builder
         */
        public Builder maxScale(double scale) {
            this.maxScale = scale("maxScale", scale, "a power of two such as 16777216");
            setting("maxScale", scale);
            return this;
        }

        /**
         * A fixed scale: it never grows nor backs off; steps with Inf/NaN gradients are still skipped.
         *
         * @param scale the scale, in [2^-40, 2^40]
         * @return this builder
         */
        public Builder staticScale(double scale) {
            this.initialScale = scale("staticScale", scale, "a power of two such as 128");
            this.scaling = Scaling.STATIC;
            setting("staticScale", scale);
            return this;
        }

        /**
         * No loss scaling (scale 1); steps with Inf/NaN gradients are still skipped.
         *
         * @return this builder
         */
        public Builder noScaling() {
            this.scaling = Scaling.NONE;
            setting("noScaling", "");
            return this;
        }

        /**
         * How many consecutive skipped steps are tolerated before training stops with an
         * {@link IllegalStateException}.
         *
         * @param steps consecutive skipped steps tolerated before training stops, {@code >= 1} (default 50)
         * @return this builder
         */
        public Builder maxConsecutiveSkippedSteps(int steps) {
            this.maxConsecutiveSkippedSteps = atLeastOne("maxConsecutiveSkippedSteps", steps, 50);
            return this;
        }

        /**
         * @param check true (the default) to have {@link MixedPrecision#enableChecked} compare the
         *              mixed-precision network with the FP32 one on a minibatch and fall back to FP32 if they
         *              disagree; false to
         *              force mixed precision (then {@code enableChecked} is {@code enable})
         * @return this builder
         */
        public Builder selfCheck(boolean check) {
            this.selfCheck = check;
            return this;
        }

        /**
         * @param policy which data type each layer computes in: {@link PrecisionPolicy#mixedFloat16()} (the
         *               default), {@link PrecisionPolicy#allHalf()}, or either with per-layer rules, such as
         *               {@code PrecisionPolicy.mixedFloat16().withLayer("att", DataType.FLOAT)}
         * @return this builder
         */
        public Builder precisionPolicy(PrecisionPolicy policy) {
            if (policy == null) {
                throw new IllegalArgumentException("precisionPolicy must not be null: use PrecisionPolicy.mixedFloat16()"
                        + " (the default)");
            }
            this.precisionPolicy = policy;
            return this;
        }

        /**
         * @return the configuration
         * @throws IllegalArgumentException if settings contradict each other (naming both) or the initial
         *                                  scale lies outside [minScale, maxScale]
         */
        public MixedPrecisionConfig build() {
            return build(false);
        }

        /** @param stored true for settings read back from JSON, which holds the initial scale of every mode */
        private MixedPrecisionConfig build(boolean stored) {
            if (!stored) {
                checkContradictions(); // JSON holds every field of the configuration, whatever its mode
            }
            if (minScale > maxScale) {
                throw new IllegalArgumentException("minScale (" + minScale + ") is larger than maxScale (" + maxScale
                        + "): set minScale <= maxScale");
            }
            if (scaling == Scaling.DYNAMIC && !calibrateInitialScale && (initialScale < minScale || initialScale > maxScale)) {
                throw new IllegalArgumentException("initialScale (" + initialScale + ") is outside [minScale, maxScale] = ["
                        + minScale + ", " + maxScale + "]: move initialScale into that range or widen it");
            }
            return new MixedPrecisionConfig(this);
        }

        private void checkContradictions() {
            List<String> modes = scalingSettings.stream()
                    .filter(s -> s.startsWith("staticScale(") || s.startsWith("noScaling(") || s.startsWith("initialScale(")
                            || s.startsWith("calibrateInitialScale(true"))
                    .toList();
            if (modes.size() > 1) {
                throw contradiction(modes.get(0), modes.get(1), "they choose different starts or modes of scaling; keep one");
            }
            if (scaling != Scaling.DYNAMIC) {
                String mode = scaling == Scaling.STATIC ? "staticScale(" + initialScale + ")" : "noScaling()";
                List<String> dynamicOnly = new ArrayList<>(scalingSettings);
                dynamicOnly.removeIf(s -> s.startsWith("staticScale(") || s.startsWith("noScaling(")
                        || s.equals("calibrateInitialScale(false)"));
                if (!dynamicOnly.isEmpty()) {
                    throw contradiction(mode, dynamicOnly.get(0), "the second applies to dynamic scaling only; remove"
                            + " one of them");
                }
            }
        }

        private static IllegalArgumentException contradiction(String first, String second, String why) {
            return new IllegalArgumentException(first + " and " + second
                    + " contradict each other: " + why);
        }

        private static int atLeastOne(String name, int steps, int defaultSteps) {
            if (steps < 1) {
                throw new IllegalArgumentException(name + " must be >= 1, got " + steps + ": use " + defaultSteps
                        + " (the default) or another positive number of steps");
            }
            return steps;
        }

        private static double scale(String name, double value, String suggestion) {
            if (!(value >= SMALLEST_SCALE && value <= LARGEST_SCALE)) {
                throw new IllegalArgumentException(name + " must lie between 2^-40 and 2^40 (" + SMALLEST_SCALE + " to "
                        + LARGEST_SCALE + "), got " + value + ": use " + suggestion + " (outside that range a loss"
                        + " scale flushes every FP16 gradient to zero or overflows it)");
            }
            return value;
        }
    }
}
