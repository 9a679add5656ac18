package org.dl4j.mixedprecision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.layers.objdetect.DetectedObject;
import org.deeplearning4j.nn.conf.layers.objdetect.Yolo2OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Sgd;

/** A small YOLOv2-style detector: conv, BN, pooling, and DL4J's {@code Yolo2OutputLayer}. */
class Yolo2OutputLayerTest {

    private static final int SIZE = 16;
    private static final int GRID = 4;
    private static final int CLASSES = 2;
    private static final double[][] PRIORS = {{1, 1}, {2, 2}};

    static ComputationGraphConfiguration detector(IUpdater updater) {
        return new NeuralNetConfiguration.Builder().seed(2).dataType(DataType.FLOAT).updater(updater)
                .graphBuilder()
                .addInputs("image")
                .setInputTypes(InputType.convolutional(SIZE, SIZE, 2))
                .addLayer("conv1", new ConvolutionLayer.Builder(3, 3).nOut(8).padding(1, 1).activation(Activation.IDENTITY).build(), "image")
                .addLayer("bn1", new BatchNormalization.Builder().build(), "conv1")
                .addLayer("relu1", new org.deeplearning4j.nn.conf.layers.ActivationLayer(Activation.LEAKYRELU), "bn1")
                .addLayer("pool1", new SubsamplingLayer.Builder(2, 2).stride(2, 2).build(), "relu1")
                .addLayer("conv2", new ConvolutionLayer.Builder(3, 3).nOut(16).padding(1, 1).activation(Activation.LEAKYRELU).build(), "pool1")
                .addLayer("pool2", new SubsamplingLayer.Builder(2, 2).stride(2, 2).build(), "conv2")
                .addLayer("head", new ConvolutionLayer.Builder(1, 1).nOut(PRIORS.length * (5 + CLASSES))
                        .activation(Activation.IDENTITY).build(), "pool2")
                .addLayer("yolo", new Yolo2OutputLayer.Builder().boundingBoxPriors(Nd4j.create(PRIORS)).build(), "head")
                .setOutputs("yolo")
                .build();
    }

    /** Images with one filled square each, in the channel of its class; labels in grid units, DL4J's YOLO format. */
    static DataSet boxes(int examples, long seed) {
        Random random = new Random(seed);
        INDArray images = Nd4j.zeros(DataType.FLOAT, examples, 2, SIZE, SIZE);
        INDArray labels = Nd4j.zeros(DataType.FLOAT, examples, 4 + CLASSES, GRID, GRID);
        double cell = (double) SIZE / GRID;
        for (int i = 0; i < examples; i++) {
            int cls = random.nextInt(CLASSES);
            int side = 3 + random.nextInt(6);
            int x = random.nextInt(SIZE - side + 1);
            int y = random.nextInt(SIZE - side + 1);
            for (int r = y; r < y + side; r++) {
                for (int c = x; c < x + side; c++) {
                    images.putScalar(new long[] {i, cls, r, c}, 1.0);
                }
            }
            int gx = (int) ((x + side / 2.0) / cell);
            int gy = (int) ((y + side / 2.0) / cell);
            labels.putScalar(new long[] {i, 0, gy, gx}, x / cell);
            labels.putScalar(new long[] {i, 1, gy, gx}, y / cell);
            labels.putScalar(new long[] {i, 2, gy, gx}, (x + side) / cell);
            labels.putScalar(new long[] {i, 3, gy, gx}, (y + side) / cell);
            labels.putScalar(new long[] {i, 4 + cls, gy, gx}, 1.0);
        }
        return new DataSet(images, labels);
    }

    private static ComputationGraph init(ComputationGraphConfiguration conf) {
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        return graph;
    }

    @Test
    void unscaledGradientOfAScaledStepMatchesFp32() {
        // YOLO's gradients are large and DL4J sums them over the minibatch and the grid before dividing:
        // a small batch and scale keep this step's HALF gradients finite.
        DataSet batch = boxes(4, 1);
        ComputationGraph fp32 = init(detector(new Sgd(1e-3)));
        INDArray initial = fp32.params().dup();
        ComputationGraph mixed = MixedPrecision.enable(fp32.clone(), MixedPrecisionConfig.builder().staticScale(2).build());
        assertInstanceOf(LossScaleOutputLayer.class, mixed.getLayer("yolo").conf().getLayer());
        assertEquals(mixed.getConfiguration(), ComputationGraphConfiguration.fromJson(mixed.getConfiguration().toJson()));

        fp32.fit(batch);
        mixed.fit(batch);
        assertEquals(0, MixedPrecision.status(mixed).skippedSteps());
        assertEquals(fp32.score(), mixed.score(), 0.01 * fp32.score(), "the score is YOLO's true loss");
        INDArray fp32Update = fp32.params().sub(initial);
        INDArray mixedUpdate = mixed.params().sub(initial);
        double relativeError = fp32Update.sub(mixedUpdate).norm2Number().doubleValue() / fp32Update.norm2Number().doubleValue();
        System.out.printf("YOLO: loss %.3f, |update| %.5f, relative error of the mixed update %.5f%n", fp32.score(),
                fp32Update.norm2Number().doubleValue(), relativeError);
        assertTrue(relativeError < 0.02, "mixed update differs from FP32's by " + relativeError);
    }

    @Test
    void trainingLowersTheLossLikeFp32AndPredictionsDecodeTheDl4jWay() {
        DataSet data = boxes(64, 2);
        ComputationGraph fp32 = init(detector(new Adam(5e-3)));
        // Started at 65536, the scale would need 14 skipped steps to come down to where YOLO's gradients fit.
        ComputationGraph mixed = MixedPrecision.enable(fp32.clone(), MixedPrecisionConfig.builder().initialScale(2).build());
        double initialLoss = fp32.score(data);
        for (int i = 0; i < 40; i++) {
            fp32.fit(data);
            mixed.fit(data);
        }
        double fp32Loss = fp32.score(data);
        double mixedLoss = mixed.score(data);
        System.out.printf("YOLO after 40 iterations: initial %.3f, fp32 %.3f, mixed %.3f; %s%n", initialLoss, fp32Loss,
                mixedLoss, MixedPrecision.status(mixed));
        assertTrue(fp32Loss < 0.5 * initialLoss, "FP32 learns: " + initialLoss + " -> " + fp32Loss);
        assertEquals(fp32Loss, mixedLoss, 0.25 * fp32Loss, "mixed precision learns like FP32");

        INDArray output = mixed.outputSingle(data.getFeatures());
        assertEquals(DataType.FLOAT, output.dataType(), "the output layer computes in FP32");
        // The output layer is wrapped; DL4J's own wrapper API gives the Yolo2OutputLayer inside.
        org.deeplearning4j.nn.layers.objdetect.Yolo2OutputLayer yolo = (org.deeplearning4j.nn.layers.objdetect.Yolo2OutputLayer)
                ((org.deeplearning4j.nn.layers.wrapper.BaseWrapperLayer) mixed.getOutputLayer(0)).getUnderlying();
        List<DetectedObject> detections = yolo.getPredictedObjects(output.castTo(DataType.FLOAT), 0.0);
        assertEquals(64 * PRIORS.length * GRID * GRID, detections.size(), "one candidate per example, prior and cell");
        double mixedHits = objectCellHitRate(detections, data);
        double fp32Hits = objectCellHitRate(((org.deeplearning4j.nn.layers.objdetect.Yolo2OutputLayer)
                fp32.getOutputLayer(0)).getPredictedObjects(fp32.outputSingle(data.getFeatures()), 0.0), data);
        System.out.printf("YOLO: most confident box in the object's cell: fp32 %.2f, mixed %.2f of examples%n",
                fp32Hits, mixedHits);
        assertTrue(mixedHits >= fp32Hits - 0.1, "mixed " + mixedHits + ", fp32 " + fp32Hits);
    }

    /** @return the fraction of examples whose most confident detection lies in the grid cell of their object */
    private static double objectCellHitRate(List<DetectedObject> detections, DataSet data) {
        int hits = 0;
        int examples = (int) data.getFeatures().size(0);
        for (int i = 0; i < examples; i++) {
            final int example = i;
            DetectedObject best = detections.stream().filter(d -> d.getExampleNumber() == example)
                    .max(java.util.Comparator.comparingDouble(DetectedObject::getConfidence)).orElseThrow();
            INDArray objectCells = data.getLabels().get(org.nd4j.linalg.indexing.NDArrayIndex.point(i),
                    org.nd4j.linalg.indexing.NDArrayIndex.interval(4, 4 + CLASSES)).sum(0);
            int cellX = (int) Math.floor(best.getCenterX());
            int cellY = (int) Math.floor(best.getCenterY());
            if (cellX >= 0 && cellX < GRID && cellY >= 0 && cellY < GRID && objectCells.getDouble(cellY, cellX) > 0) {
                hits++;
            }
        }
        return (double) hits / examples;
    }
}
