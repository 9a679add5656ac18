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
 * Finds and replaces the losses of DL4J's output layer configurations: the {@link ILossFunction} of
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

    /**
     * Wraps the loss function of every loss-bearing layer in a {@link ScaledLossFunction}, replaces
     * each {@link CenterLossOutputLayer} by a {@link ScaledCenterLossOutputLayer} and each
     * {@link Yolo2OutputLayer} by a {@link ScaledYolo2OutputLayer}.
     *
     * @return the scaled losses, in layer order
     */
    static List<ScaledLoss> wrapAll(List<NeuralNetConfiguration> layerConfs, double scale) {
        List<ScaledLoss> wrappers = new ArrayList<>();
        for (NeuralNetConfiguration layerConf : layerConfs) {
            if (layerConf.getLayer() instanceof Yolo2OutputLayer) {
                ScaledYolo2OutputLayer yolo = new ScaledYolo2OutputLayer((Yolo2OutputLayer) layerConf.getLayer(), scale);
                layerConf.setLayer(yolo);
                wrappers.add(yolo);
                continue;
            }
            if (layerConf.getLayer().getClass() == CenterLossOutputLayer.class) {
                layerConf.setLayer(ScaledCenterLossOutputLayer.copyOf((CenterLossOutputLayer) layerConf.getLayer()));
            }
            Layer layer = layerConf.getLayer();
            ILossFunction loss = lossOf(layer);
            if (loss != null) {
                ScaledLossFunction wrapper = new ScaledLossFunction(loss, scale);
                setLoss(layer, wrapper);
                wrappers.add(wrapper);
            }
        }
        return wrappers;
    }

    private static void setLoss(Layer layer, ILossFunction loss) {
        if (layer instanceof BaseOutputLayer) {
            ((BaseOutputLayer) layer).setLossFn(loss);
        } else if (layer instanceof LossLayer) {
            ((LossLayer) layer).setLossFn(loss);
        } else if (layer instanceof CnnLossLayer) {
            ((CnnLossLayer) layer).setLossFn(loss);
        } else if (layer instanceof RnnLossLayer) {
            ((RnnLossLayer) layer).setLossFn(loss);
        } else {
            ((Cnn3DLossLayer) layer).setLossFn(loss);
        }
    }
}
