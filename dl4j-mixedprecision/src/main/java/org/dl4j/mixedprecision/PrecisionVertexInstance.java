package org.dl4j.mixedprecision;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.api.TrainingConfig;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.graph.vertex.VertexIndices;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.indexing.conditions.Conditions;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.regularization.Regularization;

/**
 * The runtime vertex of a {@link PrecisionVertex}: the wrapped vertex, in FLOAT, whose parameter gradients
 * are unscaled, checked and reported to the network's {@link NetworkStep} after its backward pass.
 */
final class PrecisionVertexInstance implements GraphVertex {

    private static final long serialVersionUID = 1L;

    private final GraphVertex vertex;
    private final TrainingConfig config;
    /** Kept here: DL4J's SameDiffGraphVertex does not return the view it is given from getGradientsViewArray. */
    private INDArray gradientView;

    PrecisionVertexInstance(GraphVertex vertex) {
        this.vertex = vertex;
        this.config = new LossScaledTrainingConfig(vertex.getConfig());
        NetworkStep.ownsParameters(vertex.params(), vertex.getVertexIndex() + " (" + vertex.getVertexName() + ")");
    }

    @Override
    public void setInput(int inputNumber, INDArray input, LayerWorkspaceMgr workspaceMgr) {
        // detached: SameDiff vertices reopen DL4J's working-memory workspaces, where a cast could land
        vertex.setInput(inputNumber, PrecisionLayerInstance.castTo(DataType.FLOAT, input, ArrayType.INPUT, null),
                workspaceMgr);
    }

    @Override
    public Pair<Gradient, INDArray[]> doBackward(boolean tbptt, LayerWorkspaceMgr workspaceMgr) {
        Pair<Gradient, INDArray[]> result = vertex.doBackward(tbptt, workspaceMgr);
        INDArray gradients = gradientView;
        if (gradients != null && gradients.length() > 0) {
            NetworkStep step = NetworkStep.of(gradients);
            double scale = step.scale();
            if (scale != 1.0) {
                gradients.muli(1.0 / scale);
            }
            long nonFinite = gradients.scan(Conditions.notFinite()).longValue();
            double largest = nonFinite == 0 && step.calibrating() ? gradients.amaxNumber().doubleValue() : 0.0;
            step.hiddenBackprop(vertex.getVertexIndex() + " (" + getVertexName() + ")", check(nonFinite), largest);
        }
        return result;
    }

    private NetworkStep.GradientCheck check(long nonFinite) {
        if (nonFinite == 0) {
            return NetworkStep.GradientCheck.FINITE;
        }
        List<String> parameters = new ArrayList<>();
        INDArray gradients = PrecisionLayerInstance.flat(gradientView);
        long offset = 0;
        for (Map.Entry<String, INDArray> param : vertex.paramTable(false).entrySet()) {
            long length = param.getValue().length();
            INDArray gradient = gradients.get(NDArrayIndex.interval(offset, offset + length));
            if (gradient.scan(Conditions.notFinite()).longValue() > 0) {
                parameters.add(getVertexName() + "_" + param.getKey());
            }
            offset += length;
        }
        return new NetworkStep.GradientCheck(nonFinite, parameters);
    }

    @Override
    public TrainingConfig getConfig() {
        return config;
    }

    // ---- delegated

    @Override
    public String getVertexName() {
        return vertex.getVertexName();
    }

    @Override
    public int getVertexIndex() {
        return vertex.getVertexIndex();
    }

    @Override
    public int getNumInputArrays() {
        return vertex.getNumInputArrays();
    }

    @Override
    public int getNumOutputConnections() {
        return vertex.getNumOutputConnections();
    }

    @Override
    public VertexIndices[] getInputVertices() {
        return vertex.getInputVertices();
    }

    @Override
    public void setInputVertices(VertexIndices[] inputVertices) {
        vertex.setInputVertices(inputVertices);
    }

    @Override
    public VertexIndices[] getOutputVertices() {
        return vertex.getOutputVertices();
    }

    @Override
    public void setOutputVertices(VertexIndices[] outputVertices) {
        vertex.setOutputVertices(outputVertices);
    }

    @Override
    public boolean hasLayer() {
        return vertex.hasLayer();
    }

    @Override
    public boolean isInputVertex() {
        return vertex.isInputVertex();
    }

    @Override
    public boolean isOutputVertex() {
        return vertex.isOutputVertex();
    }

    @Override
    public void setOutputVertex(boolean outputVertex) {
        vertex.setOutputVertex(outputVertex);
    }

    @Override
    public Layer getLayer() {
        return vertex.getLayer();
    }

    @Override
    public void setEpsilon(INDArray epsilon) {
        vertex.setEpsilon(epsilon);
    }

    @Override
    public void clear() {
        vertex.clear();
    }

    @Override
    public boolean canDoForward() {
        return vertex.canDoForward();
    }

    @Override
    public boolean canDoBackward() {
        return vertex.canDoBackward();
    }

    @Override
    public INDArray doForward(boolean training, LayerWorkspaceMgr workspaceMgr) {
        return vertex.doForward(training, workspaceMgr);
    }

    @Override
    public INDArray[] getInputs() {
        return vertex.getInputs();
    }

    @Override
    public INDArray getEpsilon() {
        return vertex.getEpsilon();
    }

    @Override
    public void setInputs(INDArray... inputs) {
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = PrecisionLayerInstance.castTo(DataType.FLOAT, inputs[i], ArrayType.INPUT, null);
        }
        vertex.setInputs(inputs);
    }

    @Override
    public void setBackpropGradientsViewArray(INDArray backpropGradientsViewArray) {
        gradientView = backpropGradientsViewArray;
        if (backpropGradientsViewArray != null && backpropGradientsViewArray.length() > 0) {
            NetworkStep.of(backpropGradientsViewArray).parametersIn(vertex.params());
        }
        vertex.setBackpropGradientsViewArray(backpropGradientsViewArray);
    }

    @Override
    public Pair<INDArray, MaskState> feedForwardMaskArrays(INDArray[] maskArrays, MaskState currentMaskState,
                                                           int minibatchSize) {
        return vertex.feedForwardMaskArrays(maskArrays, currentMaskState, minibatchSize);
    }

    @Override
    public void setLayerAsFrozen() {
        vertex.setLayerAsFrozen();
    }

    @Override
    public void clearVertex() {
        vertex.clearVertex();
    }

    @Override
    public Map<String, INDArray> paramTable(boolean backpropOnly) {
        return vertex.paramTable(backpropOnly);
    }

    @Override
    public long numParams() {
        return vertex.numParams();
    }

    @Override
    public INDArray params() {
        return vertex.params();
    }

    @Override
    public boolean updaterDivideByMinibatch(String paramName) {
        return vertex.updaterDivideByMinibatch(paramName);
    }

    @Override
    public INDArray getGradientsViewArray() {
        return gradientView;
    }

    @Override
    public String toString() {
        return "PrecisionVertexInstance(" + vertex + ")";
    }

    /** The wrapped vertex's training configuration, with its updaters and weight decay skip-aware. */
    private record LossScaledTrainingConfig(TrainingConfig config) implements TrainingConfig {

        @Override
        public String getLayerName() {
            return config.getLayerName();
        }

        @Override
        public List<Regularization> getRegularizationByParam(String paramName) {
            return SkippedStepRegularization.wrapPostUpdater(config.getRegularizationByParam(paramName));
        }

        @Override
        public boolean isPretrainParam(String paramName) {
            return config.isPretrainParam(paramName);
        }

        @Override
        public IUpdater getUpdaterByParam(String paramName) {
            return new LossScaleUpdater(config.getUpdaterByParam(paramName), false);
        }

        @Override
        public GradientNormalization getGradientNormalization() {
            return config.getGradientNormalization();
        }

        @Override
        public double getGradientNormalizationThreshold() {
            return config.getGradientNormalizationThreshold();
        }

        @Override
        public void setDataType(DataType dataType) {
            config.setDataType(dataType);
        }
    }
}
