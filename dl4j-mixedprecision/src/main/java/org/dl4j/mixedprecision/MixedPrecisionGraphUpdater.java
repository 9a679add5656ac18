package org.dl4j.mixedprecision;

import java.util.List;
import org.deeplearning4j.nn.api.Trainable;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.updater.graph.ComputationGraphUpdater;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;

/**
 * The updater of a mixed-precision {@link ComputationGraph}: DL4J's {@link ComputationGraphUpdater} of
 * the FP32 master copy of the graph, installed in the HALF graph's optimizer. Each step works as in
 * {@link MixedPrecisionUpdater}: unscale into FP32, skip on Inf/NaN, otherwise run DL4J's updater on
 * the FP32 master, apply its constraints and refresh the HALF parameters. One loss scale serves every
 * output of the graph. {@link MixedPrecision#enable(ComputationGraph)} installs it.
 */
public final class MixedPrecisionGraphUpdater extends ComputationGraphUpdater implements MasterUpdater {

    private static final long serialVersionUID = 1L;

    private final transient MixedPrecisionStep step;
    private final transient MasterWeights weights;

    MixedPrecisionGraphUpdater(ComputationGraph master, ComputationGraph half, LossScaler scaler,
                               List<ScaledLoss> losses) {
        super(master, MixedPrecision.updaterStateOf(master.getUpdater(false)));
        Trainable[] vertices = getOrderedLayers();
        String[] names = new String[vertices.length];
        for (int i = 0; i < vertices.length; i++) {
            names[i] = vertices[i].getConfig().getLayerName();
        }
        this.weights = new MasterWeights(vertices, names, half.params(), master.params(), master.getFlattenedGradients());
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
    public ComputationGraph master() {
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
        return "MixedPrecisionGraphUpdater(FP32 ComputationGraphUpdater, " + step.status() + ")";
    }
}
