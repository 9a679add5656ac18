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
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/**
 * A TinyYOLO-shaped detector (DL4J zoo's {@code TinyYOLO}: 3x3 convolution + BatchNormalization + leaky
 * ReLU blocks with doubling widths, each but the last followed by 2x2 max pooling, then a 1x1 convolution
 * and {@code Yolo2OutputLayer}), sized by the input, the grid cell and the first block's width so that
 * it trains on a CPU; and the decoding of its output and of DataVec's YOLO labels into {@link Box}es.
 *
 * @param size     input width and height in pixels, a multiple of {@code cell}
 * @param channels image channels
 * @param classes  object classes
 * @param width    channels of the first block (the zoo's TinyYOLO: 16)
 * @param cell     the grid cell in pixels, a power of 2 (the zoo's: 32, five poolings)
 * @param anchors  the anchor boxes (width, height) in pixels, e.g. from {@link Anchors#fit}
 */
public record TinyYoloDetector(int size, int channels, int classes, int width, int cell, double[][] anchors) {

    /** Checks the shape. */
    public TinyYoloDetector {
        grid(size, cell);
        if (anchors.length == 0) {
            throw new IllegalArgumentException("The detector needs at least one anchor box");
        }
    }

    /**
     * @return the output grid's width and height in cells for an input of {@code size} pixels
     * @throws IllegalArgumentException unless the cell is a power of 2 and the size a multiple of it
     */
    public static int grid(int size, int cell) {
        if (cell < 2 || Integer.bitCount(cell) != 1) {
            throw new IllegalArgumentException("The grid cell must be a power of 2 pixels, got " + cell);
        }
        if (size % cell != 0 || size < cell) {
            throw new IllegalArgumentException("The image size must be a multiple of the grid cell (" + cell
                    + " pixels), got " + size);
        }
        return size / cell;
    }

    /** @return the output grid's width and height in cells */
    public int grid() {
        return size / cell;
    }

    /**
     * @param updater the updater
     * @param seed    the weights' seed
     * @return the FP32 configuration; class predictions are trained with cross-entropy on their softmax
     */
    public ComputationGraphConfiguration configuration(IUpdater updater, long seed) {
        ComputationGraphConfiguration.GraphBuilder graph = new NeuralNetConfiguration.Builder()
                .seed(seed).dataType(DataType.FLOAT).updater(updater).weightInit(WeightInit.RELU)
                .convolutionMode(ConvolutionMode.Same)
                .graphBuilder()
                .addInputs("image")
                .setInputTypes(InputType.convolutional(size, size, channels));
        String previous = "image";
        int poolings = Integer.numberOfTrailingZeros(cell);
        for (int block = 1; block <= poolings + 1; block++) {
            String conv = "conv" + block;
            graph.addLayer(conv, new ConvolutionLayer.Builder(3, 3).nOut(width << (block - 1)).hasBias(false)
                            .activation(Activation.IDENTITY).build(), previous)
                    .addLayer("bn" + block, new BatchNormalization.Builder().build(), conv)
                    .addLayer("act" + block, new ActivationLayer(Activation.LEAKYRELU), "bn" + block);
            previous = "act" + block;
            if (block <= poolings) {
                graph.addLayer("pool" + block, new SubsamplingLayer.Builder(2, 2).stride(2, 2).build(), previous);
                previous = "pool" + block;
            }
        }
        INDArray priors = Nd4j.create(anchors).divi(cell);
        graph.addLayer("head", new ConvolutionLayer.Builder(1, 1).nOut(anchors.length * (5 + classes))
                        .activation(Activation.IDENTITY).build(), previous)
                .addLayer("yolo", new Yolo2OutputLayer.Builder().boundingBoxPriors(priors)
                        .lossClassPredictions(new LossMCXENT()).build(), "head")
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
    public List<List<Box>> detect(ComputationGraph network, INDArray features, double threshold) {
        return decode(network.outputSingle(features).castTo(DataType.FLOAT), threshold);
    }

    /**
     * @param output    the activated output of {@code Yolo2OutputLayer}, [examples, anchors x (5 + classes),
     *                  grid height, grid width]
     * @param threshold the lowest confidence kept
     * @return the boxes of each example, in pixels
     */
    List<List<Box>> decode(INDArray output, double threshold) {
        long examples = output.size(0);
        long gridHeight = output.size(2);
        long gridWidth = output.size(3);
        int anchorCount = anchors.length;
        int classes = (int) (output.size(1) / anchorCount - 5);
        INDArray perAnchor = output.reshape('c', examples, anchorCount, 5 + classes, gridHeight, gridWidth);
        List<List<Box>> boxes = new ArrayList<>();
        for (int i = 0; i < examples; i++) {
            List<Box> found = new ArrayList<>();
            for (int a = 0; a < anchorCount; a++) {
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
                        double centerX = (x + perAnchor.getDouble(i, a, 0, y, x)) * cell;
                        double centerY = (y + perAnchor.getDouble(i, a, 1, y, x)) * cell;
                        double halfWidth = perAnchor.getDouble(i, a, 2, y, x) * cell / 2;
                        double halfHeight = perAnchor.getDouble(i, a, 3, y, x) * cell / 2;
                        found.add(new Box(best, centerX - halfWidth, centerY - halfHeight, centerX + halfWidth,
                                centerY + halfHeight, confidence));
                    }
                }
            }
            boxes.add(found);
        }
        return boxes;
    }

    /**
     * @param labels DataVec's YOLO labels of a minibatch ({@code ObjectDetectionRecordReader}): [examples,
     *               4 + classes, grid height, grid width], corners in cells, one object per cell
     * @param cell   the grid cell in pixels
     * @return the ground-truth boxes of each example, in pixels
     */
    public static List<List<Box>> truth(INDArray labels, int cell) {
        List<List<Box>> boxes = new ArrayList<>();
        for (int i = 0; i < labels.size(0); i++) {
            List<Box> found = new ArrayList<>();
            for (int y = 0; y < labels.size(2); y++) {
                for (int x = 0; x < labels.size(3); x++) {
                    for (int c = 0; c < labels.size(1) - 4; c++) {
                        if (labels.getDouble(i, 4 + c, y, x) > 0.5) {
                            found.add(Box.truth(c, labels.getDouble(i, 0, y, x) * cell, labels.getDouble(i, 1, y, x) * cell,
                                    labels.getDouble(i, 2, y, x) * cell, labels.getDouble(i, 3, y, x) * cell));
                        }
                    }
                }
            }
            boxes.add(found);
        }
        return boxes;
    }
}
