package org.dl4j.mixedprecision.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.zoo.ZooModel;
import org.deeplearning4j.zoo.model.Darknet19;
import org.deeplearning4j.zoo.model.SimpleCNN;
import org.deeplearning4j.zoo.model.SqueezeNet;
import org.deeplearning4j.zoo.model.ResNet50;
import org.deeplearning4j.zoo.model.TinyYOLO;
import org.deeplearning4j.zoo.model.UNet;
import org.deeplearning4j.zoo.model.YOLO2;
import org.dl4j.mixedprecision.LossScaleStatus;
import org.dl4j.mixedprecision.MixedPrecision;
import org.dl4j.mixedprecision.MixedPrecisionConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

/**
 * DL4J's model zoo definitions, built with {@code init()} (no pretrained weights) at small input sizes,
 * train in mixed precision on a synthetic batch: two updates, none skipped, finite training losses
 * whose lowest point after the updates is below the start by at least half as much as FP32's on the
 * same batch, weights moved. The losses of
 * mixed precision and FP32 are printed side by side.
 */
class ZooModelsTest {

    private static final int BATCH = 2;
    private static final int CLASSES = 3;
    private static final int UPDATES = 2;

    enum Labels { CLASSES, YOLO, MASKS }

    static Stream<Arguments> models() {
        // Sizes: the smallest at which each model builds, FP32's loss falls in two steps on this batch and no
        // BatchNormalization layer sees fewer than 8 values per channel (ResNet50 does not build below 96;
        // TinyYOLO and YOLO2 losses rose and fell at 32; Darknet19 at 32, whose last BatchNormalization sees 2
        // values per channel, got Inf/NaN gradients in HALF at every scale, as TinyYOLO, YOLO2 and ResNet50
        // did with batch 1, while FP32's were finite). Learning rates: YOLO
        // losses rose at larger ones in FP32; ResNet50's weights (|w| about 0.5) need steps of 1e-3 to move
        // in HALF, whose resolution there is 2.4e-4. Initial scales: the largest without skipped steps.
        return Stream.of(
                Arguments.of("SimpleCNN", SimpleCNN.builder().numClasses(CLASSES).updater(new Adam(1e-4)).inputShape(new int[] {3, 48, 48}).build(), 48, Labels.CLASSES, 1.0),
                Arguments.of("TinyYOLO", TinyYOLO.builder().numClasses(CLASSES).updater(new Adam(1e-5)).inputShape(new int[] {3, 64, 64}).build(), 64, Labels.YOLO, 0.25),
                Arguments.of("YOLO2", YOLO2.builder().numClasses(CLASSES).updater(new Adam(1e-6)).inputShape(new int[] {3, 64, 64}).build(), 64, Labels.YOLO, 0.25),
                Arguments.of("Darknet19", Darknet19.builder().numClasses(CLASSES).updater(new Adam(1e-5)).inputShape(new int[] {3, 64, 64}).build(), 64, Labels.CLASSES, 0.25),
                Arguments.of("SqueezeNet", SqueezeNet.builder().numClasses(CLASSES).updater(new Adam(1e-4)).inputShape(new int[] {3, 32, 32}).build(), 32, Labels.CLASSES, 1.0),
                Arguments.of("ResNet50", ResNet50.builder().numClasses(CLASSES).updater(new Adam(1e-3)).inputShape(new int[] {3, 96, 96}).build(), 96, Labels.CLASSES, 0.25),
                Arguments.of("UNet", UNet.builder().updater(new Adam(1e-4)).inputShape(new int[] {3, 32, 32}).build(), 32, Labels.MASKS, 1.0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void trainsInMixedPrecisionLikeFp32(String name, ZooModel<?> zooModel, int size, Labels labels,
                                        double initialScale) {
        Model fp32 = trainable(zooModel.init());
        INDArray fp32Initial = fp32.params().dup();
        DataSet batch = syntheticBatch(fp32, size, labels);
        MixedPrecisionConfig config = MixedPrecisionConfig.builder().initialScale(initialScale).build();
        Model mixed = fp32 instanceof MultiLayerNetwork net
                ? MixedPrecision.enable(net.clone(), config)
                : MixedPrecision.enable(((ComputationGraph) fp32).clone(), config);
        long start = System.nanoTime();
        double[] mixedLosses = losses(mixed, batch);
        double seconds = (System.nanoTime() - start) / 1e9 / UPDATES;
        double[] fp32Losses = losses(fp32, batch);
        LossScaleStatus status = MixedPrecision.status(mixed);
        System.out.printf("%s: %d parameters, loss %s, FP32 %s (%.1f s per mixed-precision update); %s%n", name,
                mixed.numParams(), Arrays.toString(mixedLosses), Arrays.toString(fp32Losses), seconds, status);

        assertEquals(DataType.FLOAT, mixed.params().dataType(), "a mixed-precision network keeps FP32 parameters");
        assertEquals(0, status.skippedSteps(), name + " skipped steps");
        assertTrue(Arrays.stream(mixedLosses).allMatch(Double::isFinite), name + ": finite losses");
        // The lowest loss after the updates: ResNet50's oscillates (up and down by 10) in FP32 as in HALF.
        double fp32Drop = fp32Losses[0] - Arrays.stream(fp32Losses, 1, UPDATES + 1).min().orElseThrow();
        double mixedDrop = mixedLosses[0] - Arrays.stream(mixedLosses, 1, UPDATES + 1).min().orElseThrow();
        assertTrue(fp32Drop > 0, name + ": the FP32 reference learns on this batch");
        assertTrue(mixedDrop >= 0.5 * fp32Drop, name + ": the loss falls by " + mixedDrop + ", FP32's by " + fp32Drop);
        assertTrue(mixed.params().neq(fp32Initial).any(), name + ": the weights moved");
    }

    /**
     * @return the training-mode loss (as {@code fit} reports it, with BatchNormalization's batch statistics)
     *         before each of {@link #UPDATES} fits on the batch and after the last; the random generator is
     *         reset first each time, so that dropout masks (SimpleCNN, SqueezeNet, UNet) stay the same
     */
    private static double[] losses(Model model, DataSet batch) {
        double[] losses = new double[UPDATES + 1];
        for (int i = 0; i <= UPDATES; i++) {
            Nd4j.getRandom().setSeed(7);
            if (i == UPDATES) {
                losses[i] = model instanceof MultiLayerNetwork net ? net.score(batch, true)
                        : ((ComputationGraph) model).score(batch, true);
            } else if (model instanceof MultiLayerNetwork net) {
                net.fit(batch);
                losses[i] = net.score();
            } else {
                ((ComputationGraph) model).fit(batch);
                losses[i] = model.score();
            }
        }
        return losses;
    }

    /**
     * DL4J's SimpleCNN ends in a softmax {@code ActivationLayer}, not an output layer, so plain DL4J
     * cannot train it either: its last layer is replaced by a {@code LossLayer} with the same softmax.
     */
    private static Model trainable(Model model) {
        if (model instanceof MultiLayerNetwork net && !(net.getOutputLayer() instanceof IOutputLayer)) {
            return new TransferLearning.Builder(net).fineTuneConfiguration(new FineTuneConfiguration.Builder().build())
                    .removeLayersFromOutput(1)
                    .addLayer(new LossLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX).build())
                    .build();
        }
        return model;
    }

    /** @return random images and labels of the kind the model's output needs; the same for the same model */
    private static DataSet syntheticBatch(Model model, int size, Labels kind) {
        Random random = new Random(42);
        Nd4j.getRandom().setSeed(42);
        INDArray features = Nd4j.rand(DataType.FLOAT, BATCH, 3, size, size);
        INDArray output = model instanceof MultiLayerNetwork
                ? ((MultiLayerNetwork) model).output(features)
                : ((ComputationGraph) model).outputSingle(features);
        INDArray labels;
        switch (kind) {
            case CLASSES -> {
                labels = Nd4j.zeros(DataType.FLOAT, BATCH, CLASSES);
                for (int i = 0; i < BATCH; i++) {
                    labels.putScalar(i, random.nextInt(CLASSES), 1.0);
                }
            }
            case MASKS -> labels = Nd4j.rand(DataType.FLOAT, output.shape()).gt(0.5).castTo(DataType.FLOAT);
            default -> {
                long grid = output.size(2);
                labels = Nd4j.zeros(DataType.FLOAT, BATCH, 4 + CLASSES, grid, grid);
                for (int i = 0; i < BATCH; i++) {
                    int cell = random.nextInt((int) grid);
                    labels.putScalar(new long[] {i, 0, cell, cell}, cell + 0.1);
                    labels.putScalar(new long[] {i, 1, cell, cell}, cell + 0.2);
                    labels.putScalar(new long[] {i, 2, cell, cell}, cell + 0.9);
                    labels.putScalar(new long[] {i, 3, cell, cell}, cell + 0.8);
                    labels.putScalar(new long[] {i, 4 + random.nextInt(CLASSES), cell, cell}, 1.0);
                }
            }
        }
        return new DataSet(features, labels);
    }
}
