package org.dl4j.mixedprecision;

import java.util.List;
import org.deeplearning4j.nn.api.Trainable;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.updater.MultiLayerUpdater;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The updater of a mixed-precision {@link MultiLayerNetwork}: DL4J's {@link MultiLayerUpdater} of the
 * FP32 master copy of the network (its state, such as Adam's moments, is FP32), installed in the HALF
 * network's optimizer.
 *
 * <p>Each step divides the loss-scaled HALF gradient by the scale into the master's FP32 gradient
 * buffer. If any value is Inf or NaN the step is skipped: master weights, updater state and HALF
 * parameters stay exactly as they were, and the scale backs off. Otherwise DL4J's updater runs in FP32
 * (minibatch division, gradient normalization, L1/L2/weight decay, the {@code IUpdater} with its
 * schedules), the update is subtracted from the master weights, the master's constraints are applied,
 * and the HALF parameters are refreshed from the master. Nothing is left for the optimizer's step
 * function to do. {@link MixedPrecision#enable(MultiLayerNetwork)} installs it.
 */
public final class MixedPrecisionUpdater extends MultiLayerUpdater implements MasterUpdater {

    private static final long serialVersionUID = 1L;

    private final transient MixedPrecisionStep step;
    private final transient MasterWeights weights;
    private final transient MultiLayerNetwork half;

    MixedPrecisionUpdater(MultiLayerNetwork master, MultiLayerNetwork half, LossScaler scaler,
                          List<ScaledLoss> losses) {
        super(master, MixedPrecision.updaterStateOf(master.getUpdater(false)));
        Trainable[] layers = getOrderedLayers();
        String[] names = new String[layers.length];
        for (int i = 0; i < layers.length; i++) {
            names[i] = String.valueOf(i);
        }
        this.weights = new MasterWeights(layers, names, half.params(), master.params(), master.getFlattenedGradients());
        this.step = new MixedPrecisionStep(weights, scaler, losses);
        this.half = half;
    }

    /** Runs one mixed-precision step with the HALF network's loss-scaled gradient. */
    @Override
    public synchronized void update(Gradient halfGradient, int iteration, int epoch, int batchSize,
                                    LayerWorkspaceMgr workspaceMgr) {
        step.run(halfGradient.gradient(), iteration, new MixedPrecisionStep.Network() {
            @Override
            public void computeUpdate(int updaterIteration) {
                MixedPrecisionUpdater.super.update(weights.gradient(), updaterIteration, epoch, batchSize, workspaceMgr);
            }

            @Override
            public void applyConstraints() {
                getNetwork().applyConstraints(iteration, epoch);
            }

            @Override
            public INDArray recomputeGradient() {
                half.computeGradientAndScore();
                return half.gradient().gradient();
            }

            @Override
            public double loss() {
                return half.score();
            }

            @Override
            public String firstOverflowingLayer() {
                return ForwardOverflow.firstLayer(half);
            }
        });
    }

    @Override
    public MultiLayerNetwork master() {
        return getNetwork();
    }

    @Override
    public LossScaleStatus status() {
        return step.status();
    }

    @Override
    public MixedPrecisionConfig config() {
        return step.config();
    }

    @Override
    public void restore(LossScaleStatus status) {
        step.restore(status);
    }

    @Override
    public String toString() {
        return "MixedPrecisionUpdater(FP32 MultiLayerUpdater, " + step.status() + ")";
    }
}
