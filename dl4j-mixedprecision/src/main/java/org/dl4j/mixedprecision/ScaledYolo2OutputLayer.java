package org.dl4j.mixedprecision;

import java.util.Collection;
import java.util.List;
import java.util.Objects;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.objdetect.Yolo2OutputLayer;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.regularization.Regularization;

/**
 * The configuration that takes the place of a {@link Yolo2OutputLayer} in a mixed-precision network.
 * DL4J's YOLO output layer computes its loss internally, without an {@code ILossFunction} a
 * {@link ScaledLossFunction} could wrap, so this layer holds the original configuration and its
 * runtime, a subclass of DL4J's own {@code Yolo2OutputLayer}, computes the loss and its gradient in
 * FP32 and multiplies the gradient by the loss scale before handing it back in HALF. The score stays
 * the true loss, and predictions decode with DL4J's usual
 * {@code ((org.deeplearning4j.nn.layers.objdetect.Yolo2OutputLayer) net.getOutputLayer(0)).getPredictedObjects(...)}.
 * The class name and its fields ({@code yolo}, {@code scale}) are part of the network's JSON.
 */
public class ScaledYolo2OutputLayer extends org.deeplearning4j.nn.conf.layers.Layer implements ScaledLoss {

    private static final long serialVersionUID = 1L;

    private Yolo2OutputLayer yolo;
    private double scale;

    /** For JSON deserialization only. */
    @SuppressWarnings("unused")
    private ScaledYolo2OutputLayer() {
    }

    /**
     * @param yolo  the DL4J configuration to compute the loss with
     * @param scale the factor the gradient is multiplied by
     */
    public ScaledYolo2OutputLayer(Yolo2OutputLayer yolo, double scale) {
        this.yolo = Objects.requireNonNull(yolo, "yolo");
        this.scale = scale;
        setLayerName(yolo.getLayerName());
    }

    /** @return the wrapped DL4J configuration */
    public Yolo2OutputLayer getYolo() {
        return yolo;
    }

    @Override
    public double getScale() {
        return scale;
    }

    @Override
    public void setScale(double scale) {
        this.scale = scale;
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
                             int layerIndex, INDArray layerParamsView, boolean initializeParams,
                             DataType networkDataType) {
        return RuntimeLayers.wire(new Runtime(conf, networkDataType), initializer(), conf, trainingListeners,
                layerIndex, layerParamsView, initializeParams);
    }

    @Override
    public ParamInitializer initializer() {
        return yolo.initializer();
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        return yolo.getOutputType(layerIndex, inputType);
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        yolo.setNIn(inputType, override);
    }

    @Override
    public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
        return yolo.getPreProcessorForInputType(inputType);
    }

    @Override
    public List<Regularization> getRegularizationByParam(String paramName) {
        return yolo.getRegularizationByParam(paramName);
    }

    @Override
    public boolean isPretrainParam(String paramName) {
        return yolo.isPretrainParam(paramName);
    }

    @Override
    public GradientNormalization getGradientNormalization() {
        return yolo.getGradientNormalization();
    }

    @Override
    public double getGradientNormalizationThreshold() {
        return yolo.getGradientNormalizationThreshold();
    }

    @Override
    public LayerMemoryReport getMemoryReport(InputType inputType) {
        return yolo.getMemoryReport(inputType);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof ScaledYolo2OutputLayer) || !super.equals(o)) {
            return false;
        }
        ScaledYolo2OutputLayer other = (ScaledYolo2OutputLayer) o;
        return scale == other.scale && Objects.equals(yolo, other.yolo);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), yolo, scale);
    }

    @Override
    public String toString() {
        return "ScaledYolo2OutputLayer(yolo=" + yolo + ", scale=" + scale + ")";
    }

    /**
     * DL4J's YOLO output layer, computing its loss in FP32: the HALF input is cast to FLOAT for the
     * score and the gradient, and the gradient is scaled, then cast back to the network's data type.
     */
    static final class Runtime extends org.deeplearning4j.nn.layers.objdetect.Yolo2OutputLayer {

        private static final long serialVersionUID = 1L;

        Runtime(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        /** @return the wrapped DL4J configuration, which DL4J's YOLO code reads its settings from */
        @Override
        public Yolo2OutputLayer layerConf() {
            return ((ScaledYolo2OutputLayer) conf.getLayer()).getYolo();
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
            INDArray networkInput = input;
            input = networkInput.castTo(DataType.FLOAT);
            try {
                Pair<Gradient, INDArray> result = super.backpropGradient(epsilon, workspaceMgr);
                INDArray gradient = result.getSecond();
                double scale = ((ScaledYolo2OutputLayer) conf.getLayer()).getScale();
                if (scale != 1.0) {
                    gradient.muli(scale);
                }
                return new Pair<>(result.getFirst(),
                        workspaceMgr.castTo(ArrayType.ACTIVATION_GRAD, networkInput.dataType(), gradient, false));
            } finally {
                input = networkInput;
            }
        }

        @Override
        public double computeScore(double fullNetRegTerm, boolean training, LayerWorkspaceMgr workspaceMgr) {
            INDArray networkInput = input;
            input = networkInput.castTo(DataType.FLOAT);
            try {
                return super.computeScore(fullNetRegTerm, training, workspaceMgr);
            } finally {
                input = networkInput;
            }
        }

        @Override
        public INDArray computeScoreForExamples(double fullNetRegTerm, LayerWorkspaceMgr workspaceMgr) {
            INDArray networkInput = input;
            input = networkInput.castTo(DataType.FLOAT);
            try {
                INDArray scores = super.computeScoreForExamples(fullNetRegTerm, workspaceMgr);
                return scores.castTo(networkInput.dataType());
            } finally {
                input = networkInput;
            }
        }
    }
}
