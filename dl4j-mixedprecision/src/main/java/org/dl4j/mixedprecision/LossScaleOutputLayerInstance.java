package org.dl4j.mixedprecision;

import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.indexing.conditions.Conditions;

/**
 * The runtime layer of a {@link LossScaleOutputLayer}: the wrapped output layer, in FLOAT, whose backward
 * pass reports the loss scale to the network's step and multiplies the gradient it passes down by it.
 */
final class LossScaleOutputLayerInstance extends PrecisionLayerInstance implements IOutputLayer {

    private final LossScaler scaler;

    LossScaleOutputLayerInstance(Layer inner, NeuralNetConfiguration conf, INDArray paramsView,
                                 Map<String, INDArray> paramTable, LossScaler scaler) {
        super(inner, conf, DataType.FLOAT, paramsView, paramTable);
        this.scaler = scaler;
    }

    private IOutputLayer output() {
        return (IOutputLayer) underlying;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        castHeldInput(workspaceMgr);
        Pair<Gradient, INDArray> result = super.backpropGradient(epsilon, workspaceMgr);
        double scale = scaler.scale();
        if (result.getSecond() != null && scale != 1.0) {
            result.getSecond().muli(scale);
        }
        return result;
    }

    /** Reports the scale and checks this layer's own gradient, which the loss scale does not multiply. */
    @Override
    void reportGradient() {
        INDArray gradient = getGradientsViewArray();
        long nonFinite = gradient == null || gradient.length() == 0 ? 0 : gradient.scan(Conditions.notFinite()).longValue();
        NetworkStep.outputBackprop(key(), scaler, check(nonFinite));
    }

    @Override
    public boolean needsLabels() {
        return output().needsLabels();
    }

    @Override
    public void setLabels(INDArray labels) {
        output().setLabels(labels);
    }

    @Override
    public INDArray getLabels() {
        return output().getLabels();
    }

    @Override
    public double computeScore(double fullNetworkRegScore, boolean training, LayerWorkspaceMgr workspaceMgr) {
        castHeldInput(workspaceMgr);
        return output().computeScore(fullNetworkRegScore, training, workspaceMgr);
    }

    @Override
    public INDArray computeScoreForExamples(double fullNetworkRegScore, LayerWorkspaceMgr workspaceMgr) {
        castHeldInput(workspaceMgr);
        return output().computeScoreForExamples(fullNetworkRegScore, workspaceMgr);
    }

    @Override
    public double f1Score(DataSet data) {
        return output().f1Score(data);
    }

    @Override
    public double f1Score(INDArray examples, INDArray labels) {
        return output().f1Score(examples, labels);
    }

    @Override
    public int numLabels() {
        return output().numLabels();
    }

    @Override
    public void fit(DataSetIterator iter) {
        output().fit(iter);
    }

    @Override
    public int[] predict(INDArray examples) {
        return output().predict(examples);
    }

    @Override
    public List<String> predict(DataSet dataSet) {
        return output().predict(dataSet);
    }

    @Override
    public void fit(INDArray examples, INDArray labels) {
        output().fit(examples, labels);
    }

    @Override
    public void fit(DataSet data) {
        output().fit(data);
    }

    @Override
    public void fit(INDArray examples, int[] labels) {
        output().fit(examples, labels);
    }
}
