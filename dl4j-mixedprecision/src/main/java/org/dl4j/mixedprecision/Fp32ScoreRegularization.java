package org.dl4j.mixedprecision;

import java.util.List;
import java.util.Objects;
import org.deeplearning4j.nn.api.Layer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.regularization.Regularization;

/**
 * Wraps a {@link Regularization} (L1, L2, weight decay) of the HALF network so that its score, the
 * penalty DL4J adds to the reported loss, is computed from an FP32 copy of the HALF parameters.
 *
 * <p>In HALF, the sum of the absolute values or squares of a layer with a million weights passes
 * FP16's maximum (65504) and the network's score becomes Infinity (the zoo's ResNet50, with L1 and
 * L2 on every layer, reported Infinity where FP32 reported 126). The regularization step itself
 * never runs in HALF: the FP32 master's updater applies the master's own regularization. The class
 * name and its field ({@code regularization}) are part of the HALF network's JSON configuration.
 */
public final class Fp32ScoreRegularization implements Regularization {

    private static final long serialVersionUID = 1L;

    private Regularization regularization;

    /** For JSON deserialization only. */
    @SuppressWarnings("unused")
    private Fp32ScoreRegularization() {
    }

    /** @param regularization the regularization whose score is computed in FP32 */
    public Fp32ScoreRegularization(Regularization regularization) {
        this.regularization = Objects.requireNonNull(regularization, "regularization");
    }

    /**
     * Wraps, in place, every regularization that the layers' configurations apply to their parameters
     * (wrapper layers such as {@code Bidirectional} hand out their inner layers' lists).
     */
    static void wrapAll(Layer[] layers) {
        for (Layer layer : layers) {
            for (String param : layer.paramTable().keySet()) {
                List<Regularization> regularizations = layer.conf().getLayer().getRegularizationByParam(param);
                if (regularizations != null) {
                    regularizations.replaceAll(r -> r instanceof Fp32ScoreRegularization ? r : new Fp32ScoreRegularization(r));
                }
            }
        }
    }

    /** @return the wrapped regularization */
    public Regularization getRegularization() {
        return regularization;
    }

    @Override
    public ApplyStep applyStep() {
        return regularization.applyStep();
    }

    @Override
    public void apply(INDArray param, INDArray gradView, double lr, int iteration, int epoch) {
        regularization.apply(param, gradView, lr, iteration, epoch);
    }

    @Override
    public double score(INDArray param, int iteration, int epoch) {
        INDArray fp32 = param.dataType() == DataType.HALF ? param.castTo(DataType.FLOAT) : param;
        return regularization.score(fp32, iteration, epoch);
    }

    @Override
    public Regularization clone() {
        return new Fp32ScoreRegularization(regularization.clone());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Fp32ScoreRegularization other && regularization.equals(other.regularization);
    }

    @Override
    public int hashCode() {
        return regularization.hashCode();
    }

    @Override
    public String toString() {
        return "Fp32ScoreRegularization(" + regularization + ")";
    }
}
