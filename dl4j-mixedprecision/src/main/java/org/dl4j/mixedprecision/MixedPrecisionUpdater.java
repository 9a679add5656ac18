package org.dl4j.mixedprecision;

import java.util.List;
import org.deeplearning4j.nn.api.Trainable;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.updater.MultiLayerUpdater;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;

/**
 * The updater of a mixed-precision {@link MultiLayerNetwork}: DL4J's {@link MultiLayerUpdater} of the
 * FP32 master copy of the network (its state, such as Adam's moments, is FP32), installed in the HALF
 * network's optimizer.
 *
 * <p>Each step divides the loss-scaled HALF gradient by the scale into the master's FP32 gradient
 * buffer. If any value is Inf or NaN the step is skipped: master weights, updater state and HALF
 * parameters stay as they were (but for finite BatchNormalization statistics, see
 * {@link MixedPrecisionStep}), and the scale backs off. Otherwise DL4J's updater runs in FP32
 * (minibatch division, gradient normalization, L1/L2/weight decay, the {@code IUpdater} with its
 * schedules), the update is subtracted from the master weights, the master's constraints are applied,
 * and the HALF parameters are refreshed from the master. Nothing is left for the optimizer's step
 * function to do. {@link MixedPrecision#enable(MultiLayerNetwork)} installs it, in the HALF network and
 * as the master network's own updater (so that DL4J's {@code ModelSerializer} writes its FP32 state).
 */
public final class MixedPrecisionUpdater extends MultiLayerUpdater implements MasterUpdater {

    private static final long serialVersionUID = 1L;

    private final transient MixedPrecisionStep step;
    private final transient MasterWeights weights;

    MixedPrecisionUpdater(MultiLayerNetwork master, MultiLayerNetwork half, LossScaler scaler,
                          List<ScaledLoss> losses) {
        super(master, MixedPrecision.updaterStateOf(master.getUpdater(false)));
        Trainable[] layers = getOrderedLayers();
        String[] names = new String[layers.length];
        for (int i = 0; i < layers.length; i++) {
            names[i] = String.valueOf(i);
        }
        this.weights = new MasterWeights(layers, names, half.params(), master.params(), master.getFlattenedGradients());
        this.step = new MixedPrecisionStep(master, half, weights, scaler, losses);
    }

    /** Runs one mixed-precision step with the HALF network's loss-scaled gradient. */
    @Override
    public synchronized void update(Gradient halfGradient, int iteration, int epoch, int batchSize,
                                    LayerWorkspaceMgr workspaceMgr) {
        step.run(halfGradient.gradient(), iteration, epoch,
                updaterIteration -> super.update(weights.gradient(), updaterIteration, epoch, batchSize, workspaceMgr));
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
    public OverflowDiagnosis lastDiagnosis() {
        return step.lastDiagnosis();
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
