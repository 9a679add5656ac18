package org.dl4j.mixedprecision.samples.detection;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.objdetect.Yolo2OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * A TinyYOLO-shaped detector (DL4J zoo's {@code TinyYOLO}: 3x3 convolution + BatchNormalization + leaky
 * ReLU blocks, five 2x2 poolings to a grid of input / 32, then {@code Yolo2OutputLayer}) with its widths
 * divided by a factor, so that it trains on a CPU; and the decoding of its output into {@link Box}es.
 */
public final class TinyYoloDetector {

    /** The grid cell, in input pixels. */
    public static final int CELL = 32;
    /** Anchor boxes in grid cells (width, height): MNIST digits of 20 to 42 pixels, ink 40 to 100% of that. */
    static final double[][] PRIORS = {{0.5, 0.8}, {0.9, 1.2}};

    private TinyYoloDetector() {
    }

    /**
     * @param size     input width and height, a multiple of 32
     * @param channels image channels
     * @param classes  object classes
     * @param width    channels of the first block (TinyYOLO: 16); doubled by each of the next blocks
     * @param updater  the updater
     * @param seed     the weights' seed
     * @return the FP32 configuration
     */
    public static ComputationGraphConfiguration configuration(int size, int channels, int classes, int width,
                                                              IUpdater updater, long seed) {
        if (size % CELL != 0 || size < CELL) {
            throw new IllegalArgumentException("The image size must be a multiple of " + CELL + ", got " + size);
        }
        ComputationGraphConfiguration.GraphBuilder graph = new NeuralNetConfiguration.Builder()
                .seed(seed).dataType(DataType.FLOAT).updater(updater).weightInit(WeightInit.RELU)
                .convolutionMode(ConvolutionMode.Same)
                .graphBuilder()
                .addInputs("image")
                .setInputTypes(InputType.convolutional(size, size, channels));
        String previous = "image";
        int out = width;
        for (int block = 1; block <= 7; block++) {
            String conv = "conv" + block;
            graph.addLayer(conv, new ConvolutionLayer.Builder(3, 3).nOut(out).hasBias(false)
                            .activation(Activation.IDENTITY).build(), previous)
                    .addLayer("bn" + block, new BatchNormalization.Builder().build(), conv)
                    .addLayer("act" + block, new ActivationLayer(Activation.LEAKYRELU), "bn" + block);
            previous = "act" + block;
            if (block <= 5) {
                graph.addLayer("pool" + block, new SubsamplingLayer.Builder(2, 2).stride(2, 2).build(), previous);
                previous = "pool" + block;
            }
            out = block < 6 ? out * 2 : out;
        }
        INDArray priors = Nd4j.create(PRIORS);
        graph.addLayer("head", new ConvolutionLayer.Builder(1, 1).nOut(PRIORS.length * (5 + classes))
                        .activation(Activation.IDENTITY).build(), previous)
                .addLayer("yolo", new Yolo2OutputLayer.Builder().boundingBoxPriors(priors).build(), "head")
                .setOutputs("yolo");
        return graph.build();
    }

    /**
     * Runs the detector and decodes its output (DL4J's activated YOLO output: per anchor x, y within the
     * cell, width and height in cells, objectness, class probabilities). DL4J M2.1's own
     * {@code getPredictedObjects} returned empty class probabilities here, so the decoding is done here.
     *
     * @param network   the trained detector (FP32 or mixed precision)
     * @param features  a minibatch of images
     * @param threshold the lowest confidence kept
     * @return the boxes found in each image, in pixels, with confidence = objectness x class probability
     */
    public static List<List<Box>> detect(ComputationGraph network, INDArray features, double threshold) {
        return decode(network.outputSingle(features).castTo(DataType.FLOAT), threshold);
    }

    /**
     * @param output    the activated output of {@code Yolo2OutputLayer}, [examples, anchors x (5 + classes),
     *                  grid height, grid width]
     * @param threshold the lowest confidence kept
     * @return the boxes of each example, in pixels
     */
    static List<List<Box>> decode(INDArray output, double threshold) {
        long examples = output.size(0);
        long gridHeight = output.size(2);
        long gridWidth = output.size(3);
        int anchors = PRIORS.length;
        int classes = (int) (output.size(1) / anchors - 5);
        INDArray perAnchor = output.reshape('c', examples, anchors, 5 + classes, gridHeight, gridWidth);
        List<List<Box>> boxes = new ArrayList<>();
        for (int i = 0; i < examples; i++) {
            List<Box> found = new ArrayList<>();
            for (int a = 0; a < anchors; a++) {
                for (int y = 0; y < gridHeight; y++) {
                    for (int x = 0; x < gridWidth; x++) {
                        int best = 0;
                        for (int c = 1; c < classes; c++) {
                            if (perAnchor.getDouble(i, a, 5 + c, y, x) > perAnchor.getDouble(i, a, 5 + best, y, x)) {
                                best = c;
                            }
                        }
                        double confidence = perAnchor.getDouble(i, a, 4, y, x) * perAnchor.getDouble(i, a, 5 + best, y, x);
                        if (confidence < threshold) {
                            continue;
                        }
                        double centerX = (x + perAnchor.getDouble(i, a, 0, y, x)) * CELL;
                        double centerY = (y + perAnchor.getDouble(i, a, 1, y, x)) * CELL;
                        double halfWidth = perAnchor.getDouble(i, a, 2, y, x) * CELL / 2;
                        double halfHeight = perAnchor.getDouble(i, a, 3, y, x) * CELL / 2;
                        found.add(new Box(best, centerX - halfWidth, centerY - halfHeight, centerX + halfWidth,
                                centerY + halfHeight, confidence));
                    }
                }
            }
            boxes.add(found);
        }
        return boxes;
    }
}
