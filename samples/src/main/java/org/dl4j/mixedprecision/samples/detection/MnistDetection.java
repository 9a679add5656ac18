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
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.datavec.api.records.metadata.RecordMetaData;
import org.deeplearning4j.datasets.datavec.RecordReaderDataSetIterator;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.dl4j.mixedprecision.LossScaleStatus;
import org.dl4j.mixedprecision.MixedPrecision;
import org.dl4j.mixedprecision.samples.IterationTimes;
import org.dl4j.mixedprecision.samples.LineChart;
import org.dl4j.mixedprecision.samples.MnistFiles;
import org.dl4j.mixedprecision.samples.ProgressListener;
import org.dl4j.mixedprecision.samples.SampleCli;
import org.dl4j.mixedprecision.samples.TrainingMemory;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

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

    /**
     * The sample's settings (see {@link Cli}), checked together before any work is done.
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

        /** @throws IllegalArgumentException for settings that do not fit together, naming the options */
        public Options {
            if (channels != 1 && channels != 3) {
                throw new IllegalArgumentException("--channels must be 1 (grayscale) or 3 (color), got " + channels);
            }
            TinyYoloDetector.grid(size, cell);
            if (data == null) {
                MnistCanvases.checkSettings(size, classes);
            }
        }
    }

    /** The command line: {@code --help} lists the options and their defaults (sized for ~10 minutes on 2 cores). */
    @Command(name = "MnistDetection", showDefaultValues = true,
            description = "A TinyYOLO-style detector trained in FP32 and in mixed precision, side by side")
    static final class Cli implements Callable<Integer> {
        @Mixin
        SampleCli.Help help;
        @Option(names = "--precision", paramLabel = "P", defaultValue = "both",
                description = "fp32, mixed or both")
        SampleCli.Precisions precision;
        @Option(names = "--epochs", paramLabel = "N", defaultValue = "3", converter = SampleCli.PositiveInt.class,
                description = "epochs")
        int epochs;
        @Option(names = "--batch", paramLabel = "N", defaultValue = "4", converter = SampleCli.PositiveInt.class,
                description = "minibatch size")
        int batch;
        @Option(names = "--size", paramLabel = "PIXELS", defaultValue = "48", converter = SampleCli.PositiveInt.class,
                description = "image width and height, a multiple of --cell (canvases: >= 48)")
        int size;
        @Option(names = "--cell", paramLabel = "PIXELS", defaultValue = "16", converter = SampleCli.PositiveInt.class,
                description = "the detector's grid cell, a power of 2")
        int cell;
        @Option(names = "--width", paramLabel = "N", defaultValue = "4", converter = SampleCli.PositiveInt.class,
                description = "channels of the detector's first block, doubled by each next one")
        int width;
        @Option(names = "--channels", paramLabel = "N", defaultValue = "1", converter = SampleCli.PositiveInt.class,
                description = "image channels: 1 (grayscale) or 3 (color)")
        int channels;
        @Option(names = "--classes", paramLabel = "N", defaultValue = "5", converter = SampleCli.PositiveInt.class,
                description = "MNIST canvases of the digits 0 to N-1 (fewer train faster)")
        int classes;
        @Option(names = "--train", paramLabel = "N", defaultValue = "2000", converter = SampleCli.PositiveInt.class,
                description = "training canvases to generate")
        int train;
        @Option(names = "--test", paramLabel = "N", defaultValue = "300", converter = SampleCli.PositiveInt.class,
                description = "test canvases to generate")
        int test;
        @Option(names = "--lr", paramLabel = "X", defaultValue = "0.005", converter = SampleCli.PositiveNumber.class,
                description = "Adam's learning rate")
        double learningRate;
        @Option(names = "--data", paramLabel = "DIR", description = "your own data instead of MNIST canvases: DIR/train"
                + " and DIR/test, each with JPEGImages/ and Annotations/ (VOC XML)")
        Path data;
        @Option(names = "--output", paramLabel = "DIR", defaultValue = "target/detection-output",
                description = "where results.json and the pictures go")
        Path output;
        @Option(names = "--seed", paramLabel = "N", defaultValue = "42", description = "seed of the data and the weights")
        long seed;

        Options options() {
            return new Options(precision.runs(), epochs, batch, size, cell, width, channels, classes, train, test,
                    learningRate, data, output, seed);
        }

        @Override
        public Integer call() {
            List<Result> results = runExample(options());
            System.out.println();
            System.out.println(table(results));
            System.out.println("Memory: parameters + gradients + HALF copies of both + updater state + workspaces,"
                    + " counted array by array.");
            System.out.println("On CPUs without FP16 arithmetic ND4J's HALF kernels are much slower than FLOAT:"
                    + " mixed precision saves memory there, and pays off in speed on GPUs.");
            return 0;
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
        SampleCli.run(new Cli(), args);
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
        VocFolder train = VocFolder.read(folder.resolve("train"));
        VocFolder test = VocFolder.read(folder.resolve("test"));
        System.out.println("Training data " + train.summary());
        System.out.println("Test data " + test.summary());
        Set<String> classSet = new TreeSet<>(train.classes());
        classSet.addAll(test.classes());
        List<String> classes = List.copyOf(classSet);
        RecordReaderDataSetIterator scan = iterator(options, grid, train, classes);
        List<Box> trainBoxes = new ArrayList<>();
        int trainImages = 0;
        while (scan.hasNext()) {
            for (List<Box> boxes : TinyYoloDetector.truth(scan.next().getLabels(), options.cell())) {
                trainBoxes.addAll(boxes);
                trainImages++;
            }
        }
        if (trainBoxes.isEmpty()) {
            throw new IllegalArgumentException("The annotations in " + folder.resolve("train") + " hold no objects");
        }
        TinyYoloDetector detector = new TinyYoloDetector(options.size(), options.channels(), classes.size(),
                options.width(), options.cell(), Anchors.fit(trainBoxes, Math.min(ANCHORS, trainBoxes.size())));
        System.out.printf(Locale.ROOT, "Data: %s (%d training images, %d classes); detector: %d x %d input, %d x %d grid,"
                        + " anchors %s px%n", folder, trainImages, detector.classes(), options.size(), options.size(),
                grid, grid, anchorText(detector.anchors()));
        int iterationsPerEpoch = (trainImages + options.batch() - 1) / options.batch();
        try {
            Files.createDirectories(options.output());
            List<Result> results = new ArrayList<>();
            for (String precision : options.precisions()) {
                results.add(train(precision, options, detector, iterationsPerEpoch, train, test, classes));
            }
            writeOutputs(options.output(), results);
            return results;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write to " + options.output(), e);
        }
    }

    /** @return where the MNIST canvases are cached, {@code mnist-detection} in {@link MnistFiles#cacheRoot()} */
    public static Path canvasCache() {
        return MnistFiles.cacheRoot().resolve("mnist-detection");
    }

    private static RecordReaderDataSetIterator iterator(Options options, int grid, VocFolder data, List<String> classes) {
        return VocDataSets.iterator(data, classes, options.size(), options.channels(), grid, options.batch(),
                options.seed());
    }

    private static Result train(String precision, Options options, TinyYoloDetector detector, int iterationsPerEpoch,
                                VocFolder train, VocFolder test, List<String> classes) throws IOException {
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
        net.fit(iterator(options, detector.grid(), train, classes), options.epochs());
        TrainingMemory memory = TrainingMemory.of(net);
        MeanAveragePrecision map = evaluate(net, detector, test, classes, iterator(options, detector.grid(), test, classes),
                options.output(), precision);
        List<Double> losses = times.scores();
        LossScaleStatus status = MixedPrecision.isMixedPrecision(net) ? MixedPrecision.status(net) : null;
        return new Result(precision, map.at(0.5), map.averagedOverCocoThresholds(), losses.get(losses.size() - 1),
                times.medianMillis(), losses.size(), memory, status == null ? 0 : status.skippedSteps(),
                status == null ? 1.0 : status.scale(), losses, times.scales());
    }

    /** @return the mAP over the test set; the first test images are drawn with their detections */
    private static MeanAveragePrecision evaluate(ComputationGraph net, TinyYoloDetector detector, VocFolder testData,
                                                 List<String> classNames, RecordReaderDataSetIterator test, Path output,
                                                 String precision) throws IOException {
        MeanAveragePrecision map = new MeanAveragePrecision(detector.classes(), NMS_IOU);
        test.setCollectMetaData(true);
        int drawn = 0;
        while (test.hasNext()) {
            DataSet batch = test.next();
            List<List<Box>> truth = TinyYoloDetector.truth(batch.getLabels(), detector.cell());
            List<List<Box>> found = detector.detect(net, batch.getFeatures(), MAP_THRESHOLD);
            List<RecordMetaData> images = batch.getExampleMetaData(RecordMetaData.class);
            for (int i = 0; i < truth.size(); i++) {
                map.add(truth.get(i), testData.difficultBoxes(images.get(i).getURI(), classNames, detector.size()),
                        found.get(i));
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
        LineChart losses = new LineChart("Training loss per iteration", "loss", false);
        LineChart scales = new LineChart("Loss scale per iteration", "loss scale", true);
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
