package org.dl4j.mixedprecision.samples.detection;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.deeplearning4j.datasets.datavec.RecordReaderDataSetIterator;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.dl4j.mixedprecision.LossScaleStatus;
import org.dl4j.mixedprecision.MixedPrecision;
import org.dl4j.mixedprecision.samples.CommandLine;
import org.dl4j.mixedprecision.samples.IterationTimes;
import org.dl4j.mixedprecision.samples.LineChart;
import org.dl4j.mixedprecision.samples.MnistFiles;
import org.dl4j.mixedprecision.samples.ProgressListener;
import org.dl4j.mixedprecision.samples.TrainingMemory;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;

/**
 * The project's main sample: a TinyYOLO-style detector ({@link TinyYoloDetector}) trained from scratch
 * twice, in FP32 and in mixed precision, with the same seed and data order, on canvases of real MNIST
 * digits ({@link MnistCanvases}) or on a folder of the user's own VOC data, read through DataVec. Prints
 * mAP@0.5, mAP@[.5:.95], final loss, time per iteration, training memory, skipped steps and final loss
 * scale side by side, and writes into the output folder: {@code results.json}, {@code loss.png} (both loss
 * curves), {@code loss-scale.png} and {@code detections-<precision>-<n>.png} (test images with the
 * ground truth in green and the detections in red).
 *
 * <pre>
 * mvn -q -pl samples exec:exec -Dsample.args="--help"
 * </pre>
 */
public final class MnistDetection {

    /** Detections below this confidence are not drawn in the pictures (mAP uses all above {@link #MAP_THRESHOLD}). */
    static final double PICTURE_THRESHOLD = 0.3;
    /** The lowest confidence kept for mAP: lower ones add nothing measurable to the curve. */
    static final double MAP_THRESHOLD = 0.01;
    /** IoU above which non-maximum suppression drops the weaker of two boxes of the same class. */
    static final double NMS_IOU = 0.45;
    /** Test images drawn per run. */
    static final int PICTURES = 4;
    private static final int ANCHORS = 2;
    private static final int PICTURE_PIXELS = 384;

    /** The command-line options and their defaults (sized for about 10 minutes on 2 CPU cores). */
    static final List<CommandLine.Option> OPTIONS = List.of(
            new CommandLine.Option("--precision", "P", "both", "fp32, mixed or both"),
            new CommandLine.Option("--epochs", "N", "3", "epochs"),
            new CommandLine.Option("--batch", "N", "8", "minibatch size"),
            new CommandLine.Option("--size", "PIXELS", "48", "image width and height, a multiple of --cell (canvases: >= 48)"),
            new CommandLine.Option("--cell", "PIXELS", "16", "the detector's grid cell, a power of 2"),
            new CommandLine.Option("--width", "N", "4", "channels of the detector's first block, doubled by each next one"),
            new CommandLine.Option("--channels", "N", "1", "image channels: 1 (grayscale) or 3"),
            new CommandLine.Option("--classes", "N", "10", "MNIST canvases of the digits 0 to N-1 (2 trains much faster)"),
            new CommandLine.Option("--train", "N", "2000", "training canvases to generate"),
            new CommandLine.Option("--test", "N", "300", "test canvases to generate"),
            new CommandLine.Option("--lr", "X", "0.005", "Adam's learning rate"),
            new CommandLine.Option("--data", "DIR", null,
                    "your own data instead of MNIST canvases: DIR/train and DIR/test, each with JPEGImages/ and Annotations/ (VOC XML)"),
            new CommandLine.Option("--output", "DIR", "target/detection-output", "where results.json and the pictures go"),
            new CommandLine.Option("--seed", "N", "42", "seed of the data and the weights"));

    /**
     * The sample's settings (see {@link #OPTIONS}).
     *
     * @param precisions "fp32", "mixed" or both, in that order
     * @param epochs     epochs
     * @param batch      minibatch size
     * @param size       image width and height
     * @param cell       grid cell in pixels
     * @param width      first block's channels
     * @param channels   image channels
     * @param classes    digits on the canvases (ignored with {@code data})
     * @param train      training canvases (ignored with {@code data})
     * @param test       test canvases (ignored with {@code data})
     * @param learningRate Adam's learning rate
     * @param data       the user's VOC data folder, or null for MNIST canvases
     * @param output     the output folder
     * @param seed       seed of data and weights
     */
    public record Options(List<String> precisions, int epochs, int batch, int size, int cell, int width, int channels,
                          int classes, int train, int test, double learningRate, Path data, Path output, long seed) {

        static Options from(CommandLine line) {
            int channels = Integer.parseInt(line.choice("--channels", "1", "3"));
            return new Options(line.precisions("--precision"), line.positiveInt("--epochs"), line.positiveInt("--batch"),
                    line.positiveInt("--size"), line.positiveInt("--cell"), line.positiveInt("--width"), channels,
                    line.positiveInt("--classes"), line.positiveInt("--train"), line.positiveInt("--test"), line.positiveNumber("--lr"),
                    line.path("--data"), line.path("--output"), line.wholeNumber("--seed"));
        }
    }

    /**
     * What one run measured.
     *
     * @param precision      "fp32" or "mixed"
     * @param map50          mAP at IoU 0.5 on the test set
     * @param map            mAP averaged over IoU 0.50 to 0.95
     * @param finalLoss      the last iteration's training loss
     * @param msPerIteration median wall-clock milliseconds per iteration
     * @param iterations     iterations trained
     * @param memory         training memory after training
     * @param skippedSteps   steps skipped on overflow (0 for FP32)
     * @param finalScale     the loss scale at the end (1 for FP32)
     * @param losses         the loss of every iteration
     * @param scales         the loss scale after every iteration (empty for FP32)
     */
    public record Result(String precision, double map50, double map, double finalLoss, double msPerIteration,
                         int iterations, TrainingMemory memory, long skippedSteps, double finalScale,
                         List<Double> losses, List<Double> scales) {
    }

    private MnistDetection() {
    }

    /** Runs the sample with command-line options ({@code --help} lists them). */
    public static void main(String[] args) {
        CommandLine.run("A TinyYOLO-style detector trained in FP32 and in mixed precision, side by side", OPTIONS, args,
                line -> {
                    List<Result> results = runExample(Options.from(line));
                    System.out.println();
                    System.out.println(table(results));
                    System.out.println("Memory: parameters + gradients + HALF copies of both + updater state + workspaces,"
                            + " counted array by array.");
                    System.out.println("On CPUs without FP16 arithmetic ND4J's HALF kernels are much slower than FLOAT:"
                            + " mixed precision saves memory there, and pays off in speed on GPUs.");
                });
    }

    /**
     * Prepares the data, trains each requested precision, evaluates it and writes the output folder.
     *
     * @return one result per requested precision, in the order requested
     */
    public static List<Result> runExample(Options options) {
        int grid = TinyYoloDetector.grid(options.size(), options.cell());
        Path folder = options.data() != null ? options.data()
                : MnistCanvases.cached(canvasCache(), MnistFiles.findOrObtain(), options.size(), options.cell(),
                options.classes(), options.train(), options.test(), options.seed());
        Path trainFolder = folder.resolve("train");
        Path testFolder = folder.resolve("test");
        RecordReaderDataSetIterator scan = iterator(options, grid, trainFolder);
        List<Box> trainBoxes = new ArrayList<>();
        int trainImages = 0;
        while (scan.hasNext()) {
            for (List<Box> boxes : TinyYoloDetector.truth(scan.next().getLabels(), options.cell())) {
                trainBoxes.addAll(boxes);
                trainImages++;
            }
        }
        if (trainBoxes.isEmpty()) {
            throw new IllegalArgumentException("The annotations in " + trainFolder + " hold no objects");
        }
        List<String> testClasses = iterator(options, grid, testFolder).getLabels();
        if (!testClasses.equals(scan.getLabels())) {
            throw new IllegalArgumentException("The test annotations name the classes " + testClasses + ", the training"
                    + " annotations " + scan.getLabels() + ": DataVec numbers the classes of each set on its own, so"
                    + " every class must appear in both");
        }
        TinyYoloDetector detector = new TinyYoloDetector(options.size(), options.channels(), scan.getLabels().size(),
                options.width(), options.cell(), Anchors.fit(trainBoxes, Math.min(ANCHORS, trainBoxes.size())));
        System.out.printf(Locale.ROOT, "Data: %s (%d training images, %d classes); detector: %d x %d input, %d x %d grid,"
                        + " anchors %s px%n", folder, trainImages, detector.classes(), options.size(), options.size(),
                grid, grid, anchorText(detector.anchors()));
        int iterationsPerEpoch = (trainImages + options.batch() - 1) / options.batch();
        try {
            Files.createDirectories(options.output());
            List<Result> results = new ArrayList<>();
            for (String precision : options.precisions()) {
                results.add(train(precision, options, detector, iterationsPerEpoch, trainFolder, testFolder));
            }
            writeOutputs(options.output(), results);
            return results;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write to " + options.output(), e);
        }
    }

    /** @return where the MNIST canvases are cached, {@code ~/.cache/dl4j-mixedprecision/mnist-detection} */
    public static Path canvasCache() {
        return MnistFiles.defaultCache().resolveSibling("mnist-detection");
    }

    private static RecordReaderDataSetIterator iterator(Options options, int grid, Path folder) {
        return VocDataSets.iterator(folder, options.size(), options.channels(), grid, options.batch(), options.seed());
    }

    private static Result train(String precision, Options options, TinyYoloDetector detector, int iterationsPerEpoch,
                                Path trainFolder, Path testFolder) throws IOException {
        TrainingMemory.resetWorkspaces();
        ComputationGraph net = new ComputationGraph(detector.configuration(new Adam(options.learningRate()),
                options.seed()));
        net.init();
        if (precision.equals("mixed")) {
            net = MixedPrecision.enable(net);
        }
        IterationTimes times = new IterationTimes();
        net.addListeners(times, ProgressListener.toStandardOutput(precision, options.epochs() * iterationsPerEpoch));
        System.out.printf(Locale.ROOT, "Training %s: %d epochs of %d iterations ...%n", precision, options.epochs(),
                iterationsPerEpoch);
        times.start();
        net.fit(iterator(options, detector.grid(), trainFolder), options.epochs());
        TrainingMemory memory = TrainingMemory.of(net);
        MeanAveragePrecision map = evaluate(net, detector, iterator(options, detector.grid(), testFolder), options.output(),
                precision);
        List<Double> losses = times.scores();
        LossScaleStatus status = MixedPrecision.isMixedPrecision(net) ? MixedPrecision.status(net) : null;
        return new Result(precision, map.at(0.5), map.averagedOverCocoThresholds(), losses.get(losses.size() - 1),
                times.medianMillis(), losses.size(), memory, status == null ? 0 : status.skippedSteps(),
                status == null ? 1.0 : status.scale(), losses, times.scales());
    }

    /** @return the mAP over the test set; the first test images are drawn with their detections */
    private static MeanAveragePrecision evaluate(ComputationGraph net, TinyYoloDetector detector,
                                                 RecordReaderDataSetIterator test, Path output, String precision)
            throws IOException {
        MeanAveragePrecision map = new MeanAveragePrecision(detector.classes(), NMS_IOU);
        List<String> classNames = test.getLabels();
        int drawn = 0;
        while (test.hasNext()) {
            DataSet batch = test.next();
            List<List<Box>> truth = TinyYoloDetector.truth(batch.getLabels(), detector.cell());
            List<List<Box>> found = detector.detect(net, batch.getFeatures(), MAP_THRESHOLD);
            for (int i = 0; i < truth.size(); i++) {
                map.add(truth.get(i), found.get(i));
                if (drawn < PICTURES) {
                    List<Box> shown = MeanAveragePrecision.nonMaximumSuppression(found.get(i).stream()
                            .filter(box -> box.confidence() >= PICTURE_THRESHOLD).toList(), NMS_IOU);
                    INDArray image = batch.getFeatures().slice(i);
                    DetectionPictures.write(image, truth.get(i), shown, classNames,
                            Math.max(1, PICTURE_PIXELS / (int) image.size(2)),
                            output.resolve("detections-" + precision + "-" + drawn + ".png"));
                    drawn++;
                }
            }
        }
        return map;
    }

    private static void writeOutputs(Path output, List<Result> results) throws IOException {
        LineChart losses = new LineChart("Training loss per iteration", false);
        LineChart scales = new LineChart("Loss scale per iteration (log2)", true);
        List<Map<String, Object>> json = new ArrayList<>();
        for (Result r : results) {
            losses.add(r.precision(), r.losses());
            if (!r.scales().isEmpty()) {
                scales.add(r.precision(), r.scales());
            }
            Map<String, Object> run = new LinkedHashMap<>();
            run.put("precision", r.precision());
            run.put("mAP50", r.map50());
            run.put("mAP50to95", r.map());
            run.put("finalLoss", r.finalLoss());
            run.put("msPerIteration", r.msPerIteration());
            run.put("iterations", r.iterations());
            run.put("memoryBytes", r.memory().totalBytes());
            run.put("skippedSteps", r.skippedSteps());
            run.put("finalLossScale", r.finalScale());
            json.add(run);
        }
        losses.write(output.resolve("loss.png"));
        if (results.stream().anyMatch(r -> !r.scales().isEmpty())) {
            scales.write(output.resolve("loss-scale.png"));
        }
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(output.resolve("results.json").toFile(), Map.of("runs", json));
    }

    /** @return the results as an aligned text table */
    public static String table(List<Result> results) {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%-9s %7s %11s %10s %9s %6s %12s %8s %11s%n",
                "precision", "mAP@.5", "mAP@.5:.95", "final loss", "ms/iter", "iters", "memory (MB)", "skipped",
                "final scale"));
        for (Result r : results) {
            out.append(String.format(Locale.ROOT, "%-9s %7.4f %11.4f %10.4f %9.1f %6d %12.2f %8d %11.0f%n",
                    r.precision(), r.map50(), r.map(), r.finalLoss(), r.msPerIteration(), r.iterations(),
                    r.memory().totalBytes() / 1e6, r.skippedSteps(), r.finalScale()));
        }
        return out.toString();
    }

    private static String anchorText(double[][] anchors) {
        List<String> parts = new ArrayList<>();
        for (double[] anchor : anchors) {
            parts.add(String.format(Locale.ROOT, "%.1fx%.1f", anchor[0], anchor[1]));
        }
        return String.join(", ", parts);
    }
}
