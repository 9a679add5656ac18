package org.dl4j.mixedprecision;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.CenterLossOutputLayer;
import org.deeplearning4j.nn.conf.layers.Cnn3DLossLayer;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.RnnLossLayer;
import org.deeplearning4j.nn.conf.layers.objdetect.Yolo2OutputLayer;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * Finds the losses of DL4J's output layer configurations: the {@link ILossFunction} of
 * {@code OutputLayer}, {@code RnnOutputLayer}, {@code CenterLossOutputLayer} (all
 * {@link BaseOutputLayer}s), {@link LossLayer}, {@link CnnLossLayer}, {@link RnnLossLayer} and
 * {@link Cnn3DLossLayer}, and the internal loss of {@link Yolo2OutputLayer}.
 */
final class LossLayers {

    private LossLayers() {
    }

    /** @return the layer's loss function, or null if the layer is not one of the kinds above */
    static ILossFunction lossOf(Layer layer) {
        if (layer instanceof BaseOutputLayer) {
            return ((BaseOutputLayer) layer).getLossFn();
        } else if (layer instanceof LossLayer) {
            return ((LossLayer) layer).getLossFn();
        } else if (layer instanceof CnnLossLayer) {
            return ((CnnLossLayer) layer).getLossFn();
        } else if (layer instanceof RnnLossLayer) {
            return ((RnnLossLayer) layer).getLossFn();
        } else if (layer instanceof Cnn3DLossLayer) {
            return ((Cnn3DLossLayer) layer).getLossFn();
        }
        return null;
    }

    /** @return true if mixed precision can scale the loss of this output layer configuration */
    static boolean isScalable(Layer layer) {
        return lossOf(layer) != null || layer instanceof Yolo2OutputLayer;
    }
}
