package org.dl4j.mixedprecision;

import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Trainable;
import org.deeplearning4j.nn.api.Updater;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The updater of a mixed-precision {@link MultiLayerNetwork}: it takes the place of DL4J's
 * {@code MultiLayerUpdater} in the HALF network's optimizer and wraps the real one, which belongs to an
 * FP32 master copy of the network and keeps its state (Adam's moments, ...) in FP32.
 *
 * <p>Each step divides the loss-scaled HALF gradient by the scale into the master's FP32 gradient
 * buffer. If any value is Inf or NaN the step is skipped: master weights, updater state and HALF
 * parameters stay exactly as they were, and the scale backs off. Otherwise the master's own DL4J
 * updater runs in FP32 (minibatch division, gradient normalization, L1/L2/weight decay, the
 * {@code IUpdater} with its schedules), the update is subtracted from the master weights, the
 * master's constraints are applied, and the HALF parameters are refreshed from the master. Nothing
 * is left for the optimizer's step function to do. {@link MixedPrecision#enable} installs it.
 */
public final class MixedPrecisionUpdater implements Updater {

    private static final long serialVersionUID = 1L;

    private final transient MultiLayerNetwork master;
    private final transient Updater masterUpdater;
    private final transient Gradient masterGradient;
    private final transient MixedPrecisionStep step;

    MixedPrecisionUpdater(MultiLayerNetwork master, MultiLayerNetwork half, LossScaler scaler,
                          List<ScaledLossFunction> losses) {
        this.master = master;
        this.masterUpdater = master.getUpdater(true);
        this.masterGradient = gradientViews(master);
        Layer[] layers = master.getLayers();
        String[] names = new String[layers.length];
        for (int i = 0; i < layers.length; i++) {
            names[i] = String.valueOf(i);
        }
        MasterWeights weights = new MasterWeights(layers, names, half.params(), master.params(),
                master.getFlattenedGradients());
        this.step = new MixedPrecisionStep(weights, scaler, losses);
    }

    @Override
    public void update(Trainable layer, Gradient gradient, int iteration, int epoch, int miniBatchSize,
                       LayerWorkspaceMgr workspaceMgr) {
        step.run(gradient.gradient(), new MixedPrecisionStep.MasterUpdate() {
            @Override
            public void computeUpdate() {
                masterUpdater.update(master, masterGradient, iteration, epoch, miniBatchSize, workspaceMgr);
            }

            @Override
            public void applyConstraints() {
                master.applyConstraints(iteration, epoch);
            }
        });
    }

    /** @return the FP32 state of the wrapped updater (null for updaters without state, such as Sgd) */
    @Override
    public INDArray getStateViewArray() {
        return masterUpdater.getStateViewArray();
    }

    @Override
    public void setStateViewArray(Trainable layer, INDArray viewArray, boolean initialize) {
        masterUpdater.setStateViewArray(master, viewArray, initialize);
    }

    /** @return the FP32 master network whose parameters receive the updates */
    MultiLayerNetwork master() {
        return master;
    }

    /** @return the loss scaling state after the last step */
    LossScaleStatus status() {
        return step.status();
    }

    @Override
    public String toString() {
        return "MixedPrecisionUpdater(FP32 " + masterUpdater.getClass().getSimpleName() + ", " + step.status() + ")";
    }

    /** @return a gradient whose per-parameter entries are views of the network's flat gradient array */
    static Gradient gradientViews(MultiLayerNetwork master) {
        DefaultGradient gradient = new DefaultGradient(master.getFlattenedGradients());
        Layer[] layers = master.getLayers();
        for (int i = 0; i < layers.length; i++) {
            Layer layer = layers[i];
            if (layer.numParams() == 0 || layer.getGradientsViewArray() == null) {
                continue; // no parameters, or frozen: nothing for the updater to see
            }
            Map<String, INDArray> views = layer.conf().getLayer().initializer()
                    .getGradientsFromFlattened(layer.conf(), layer.getGradientsViewArray());
            for (Map.Entry<String, INDArray> view : views.entrySet()) {
                gradient.setGradientFor(i + "_" + view.getKey(), view.getValue());
            }
        }
        return gradient;
    }
}
