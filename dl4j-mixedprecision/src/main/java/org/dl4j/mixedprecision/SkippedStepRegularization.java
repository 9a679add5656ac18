package org.dl4j.mixedprecision;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * A regularization applied after the updater (DL4J's {@code WeightDecay}) that does nothing on a step the
 * mixed-precision network skips, so that a skipped step leaves the weights exactly as they were.
 * {@link PrecisionLayer} and {@link PrecisionVertex} wrap such regularizations on the fly; configurations
 * keep the original.
 */
final class SkippedStepRegularization implements Regularization {

    private static final long serialVersionUID = 1L;

    @JsonProperty
    private final Regularization regularization;

    SkippedStepRegularization(Regularization regularization) {
        this.regularization = Objects.requireNonNull(regularization, "regularization");
    }

    /** @return {@code regularizations}, each one applied after the updater wrapped; null stays null */
    static List<Regularization> wrapPostUpdater(List<Regularization> regularizations) {
        if (regularizations == null || regularizations.isEmpty()) {
            return regularizations;
        }
        List<Regularization> wrapped = new ArrayList<>(regularizations.size());
        for (Regularization regularization : regularizations) {
            wrapped.add(regularization.applyStep() == ApplyStep.POST_UPDATER
                    ? new SkippedStepRegularization(regularization) : regularization);
        }
        return wrapped;
    }

    @Override
    public ApplyStep applyStep() {
        return regularization.applyStep();
    }

    @Override
    public void apply(INDArray param, INDArray gradView, double lr, int iteration, int epoch) {
        if (!NetworkStep.require(gradView).skipping()) {
            regularization.apply(param, gradView, lr, iteration, epoch);
        }
    }

    @Override
    public double score(INDArray param, int iteration, int epoch) {
        return regularization.score(param, iteration, epoch);
    }

    @Override
    public Regularization clone() {
        return new SkippedStepRegularization(regularization.clone());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SkippedStepRegularization other && regularization.equals(other.regularization);
    }

    @Override
    public int hashCode() {
        return regularization.hashCode();
    }

    @Override
    public String toString() {
        return "SkippedStepRegularization(" + regularization + ")";
    }
}
