package org.dl4j.mixedprecision;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Trainable;
import org.deeplearning4j.nn.conf.layers.CenterLossOutputLayer;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.params.CenterLossParamInitializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The FP32 master copy of a HALF network's parameters, with the FP32 gradient buffer the real DL4J
 * updater works in.
 *
 * <p>All four arrays are flat views of whole networks, in DL4J's parameter order. Some "gradients" are
 * direct updates that do not come from the loss (BatchNormalization's running mean and variance,
 * CenterLossOutputLayer's centers): they are never divided by the loss scale. Values move between HALF
 * and FP32 through the backend's {@link HalfConversion}, in place: a step allocates no array.
 */
final class MasterWeights {

    private final INDArray halfParams;
    private final INDArray masterParams;
    private final INDArray masterGradient;
    private final List<INDArray> lossScaledGradients = new ArrayList<>();
    private final List<DirectUpdate> directUpdates = new ArrayList<>();
    private final List<Parameter> parameters = new ArrayList<>();
    private final DefaultGradient gradient;
    private final HalfConversion conversion = HalfConversion.forBackend();

    /**
     * @param layers         the master network's layers (or vertices) in parameter order
     * @param layerNames     the gradient key prefix of each layer, used in DL4J's "prefix_param" gradient keys
     * @param halfParams     the HALF network's flat parameters
     * @param masterParams   the FP32 master network's flat parameters
     * @param masterGradient the FP32 master network's flat gradient array (the object its updater uses)
     */
    MasterWeights(Trainable[] layers, String[] layerNames, INDArray halfParams, INDArray masterParams,
                  INDArray masterGradient) {
        this.halfParams = flat(halfParams);
        this.masterParams = flat(masterParams);
        this.masterGradient = flat(masterGradient);
        this.gradient = new DefaultGradient(masterGradient);
        long offset = 0;
        long scaledStart = 0;
        for (int i = 0; i < layers.length; i++) {
            for (Map.Entry<String, INDArray> param : layers[i].paramTable(false).entrySet()) {
                long end = offset + param.getValue().length();
                String name = layerNames[i] + "_" + param.getKey();
                INDArray view = range(offset, end);
                int layerIndex = layerIndex(layers[i], i);
                String layerName = layers[i].getConfig().getLayerName();
                parameters.add(new Parameter(name, layerIndex, layerName == null ? String.valueOf(layerIndex) : layerName,
                        param.getKey(), view));
                gradient.setGradientFor(name, view);
                if (!isLossDerived(layers[i], param.getKey())) {
                    addLossScaledRange(scaledStart, offset);
                    scaledStart = end;
                    directUpdates.add(new DirectUpdate(view, interval(this.masterParams, offset, end),
                            interval(this.halfParams, offset, end)));
                }
                offset = end;
            }
        }
        addLossScaledRange(scaledStart, offset);
        if (offset != this.masterParams.length() || offset != this.halfParams.length()) {
            throw new IllegalStateException("Parameter count mismatch: layers hold " + offset + ", master network "
                    + this.masterParams.length() + ", HALF network " + this.halfParams.length());
        }
    }

    /**
     * DL4J marks BatchNormalization's running statistics as "not divided by the minibatch size"; the
     * centers of CenterLossOutputLayer are computed from the features alone but lack that mark.
     *
     * @return false for parameters whose gradient is a direct update, not a derivative of the loss
     */
    static boolean isLossDerived(Trainable layer, String param) {
        if (!layer.updaterDivideByMinibatch(param)) {
            return false;
        }
        return !(layer.getConfig() instanceof CenterLossOutputLayer && CenterLossParamInitializer.CENTER_KEY.equals(param));
    }

    /**
     * Copies the HALF gradient into the FP32 buffer and divides its loss-derived part by the scale.
     *
     * @return how many gradient values are Inf or NaN; when positive, the buffer holds Inf or NaN where
     *         the HALF gradient does, and its other values are unspecified
     */
    long unscale(INDArray halfGradient, double scale) {
        return conversion.toFloat(flat(halfGradient), masterGradient, lossScaledGradients, scale);
    }

    /**
     * Copies the HALF gradient into the FP32 buffer and measures it, for {@link ScaleCalibration}.
     *
     * @return the largest magnitude of the loss-scaled part of the gradient, or Infinity if the gradient
     *         holds an Inf or NaN
     */
    double largestLossScaledGradient(INDArray halfGradient) {
        if (conversion.toFloat(flat(halfGradient), masterGradient, lossScaledGradients, 1.0) > 0) {
            return Double.POSITIVE_INFINITY;
        }
        double largest = 0.0;
        for (INDArray gradient : lossScaledGradients) {
            largest = Math.max(largest, gradient.amaxNumber().doubleValue());
        }
        return largest;
    }

    /**
     * On a skipped step, applies the direct updates (BatchNormalization's running statistics,
     * CenterLossOutputLayer's centers) of each layer whose update is finite, to the master and the HALF
     * parameters, as DL4J's updater would (their updater is {@code NoOp}: the update is the "gradient").
     */
    void applyFiniteDirectUpdates() {
        for (DirectUpdate update : directUpdates) {
            if (Double.isFinite(update.gradient().sumNumber().doubleValue())) {
                update.master().subi(update.gradient());
                conversion.toHalf(update.master(), update.half());
            }
        }
    }

    /**
     * @return the FP32 gradient buffer as a DL4J gradient, with one entry per parameter
     *         ("layer_param"), for the master network's own updater
     */
    Gradient gradient() {
        return gradient;
    }

    /** @return the parameters whose gradient holds an Inf or NaN, in DL4J's parameter order */
    List<Parameter> nonFiniteParameters() {
        return parameters.stream().filter(parameter -> !ForwardOverflow.finite(parameter.gradient())).toList();
    }

    /** Subtracts the update the FP32 updater left in the gradient buffer from the master parameters. */
    void applyUpdate() {
        masterParams.subi(masterGradient);
    }

    /** Refreshes the HALF parameters from the master. */
    void copyToHalf() {
        conversion.toHalf(masterParams, halfParams);
    }

    private void addLossScaledRange(long start, long end) {
        if (end > start) {
            lossScaledGradients.add(range(start, end));
        }
    }

    private INDArray range(long start, long end) {
        return interval(masterGradient, start, end);
    }

    private static INDArray interval(INDArray flat, long start, long end) {
        return flat.get(NDArrayIndex.interval(start, end));
    }

    /** @return the index of a MultiLayerNetwork's layer, or of a ComputationGraph's vertex */
    private static int layerIndex(Trainable layer, int position) {
        if (layer instanceof GraphVertex vertex) {
            return vertex.getVertexIndex();
        }
        return layer instanceof Layer runtimeLayer ? runtimeLayer.getIndex() : position;
    }

    /**
     * One parameter of the network.
     *
     * @param name       DL4J's gradient key ("prefix_param")
     * @param layerIndex the index of its layer (MultiLayerNetwork) or vertex (ComputationGraph)
     * @param layerName  the name of its layer
     * @param key        the parameter's key in its layer ("W", "b", ...)
     * @param gradient   its part of the FP32 gradient buffer
     */
    record Parameter(String name, int layerIndex, String layerName, String key, INDArray gradient) {
    }

    /** One parameter updated directly, with its FP32 update, FP32 master values and HALF values. */
    private record DirectUpdate(INDArray gradient, INDArray master, INDArray half) {
    }

    private static INDArray flat(INDArray array) {
        return array.rank() == 1 ? array : array.reshape(array.length());
    }
}
