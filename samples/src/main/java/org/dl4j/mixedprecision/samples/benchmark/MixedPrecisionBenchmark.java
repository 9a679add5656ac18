package org.dl4j.mixedprecision.samples.benchmark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.dl4j.mixedprecision.samples.CommandLine;
import org.dl4j.mixedprecision.samples.MnistData;
import org.dl4j.mixedprecision.samples.MnistFiles;
import org.dl4j.mixedprecision.samples.MnistLeNet;
import org.dl4j.mixedprecision.samples.detection.MnistCanvases;
import org.dl4j.mixedprecision.samples.detection.MnistDetection;
import org.dl4j.mixedprecision.samples.detection.TinyYoloDetector;
import org.dl4j.mixedprecision.samples.detection.VocDataSets;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;

/**
 * Measures what mixed precision costs and saves, side by side in one run, against DL4J's own FP32 and
 * pure-HALF training: the update phase, whole iterations, training memory, LeNet-5 accuracy over seeds,
 * the loss scaler's behaviour and ParallelWrapper with 2 workers; writes {@code report.md}, {@code report.json} and {@code loss-scale.png}
 * (see {@link BenchmarkReport}). Runs unchanged with the {@code cuda} profile.
 *
 * <pre>
 * mvn -q -pl samples exec:exec -Dsample.main=org.dl4j.mixedprecision.samples.benchmark.MixedPrecisionBenchmark
 * </pre>
 */
public final class MixedPrecisionBenchmark {

    private static final int DETECTOR_SIZE = 48;
    private static final int DETECTOR_CELL = 16;
    private static final double[][] DETECTOR_ANCHORS = {{8, 18}, {18, 20}};
    private static final int CANVASES = 200;

    /** The options and their defaults (about 15 minutes on 2 CPU cores). */
    static final List<CommandLine.Option> OPTIONS = List.of(
            new CommandLine.Option("--parts", "LIST", "update,iteration,accuracy,parallel", "which parts to run"),
            new CommandLine.Option("--parameters", "LIST", "1000000,10000000", "update phase: parameter counts"),
            new CommandLine.Option("--updaters", "LIST", "Adam,Nesterovs", "update phase: Adam and/or Nesterovs"),
            new CommandLine.Option("--models", "LIST", "lenet,detector", "whole iteration: lenet and/or detector"),
            new CommandLine.Option("--batches", "LIST", "32,128", "whole iteration and memory: minibatch sizes"),
            new CommandLine.Option("--warmups", "N", "2", "untimed runs before each measurement"),
            new CommandLine.Option("--repeats", "N", "5", "timed runs per measurement (the median is reported)"),
            new CommandLine.Option("--seeds", "LIST", "1,2,3", "accuracy: seeds of the weights"),
            new CommandLine.Option("--train", "N", "4000", "accuracy: MNIST training digits"),
            new CommandLine.Option("--test", "N", "2000", "accuracy: MNIST test digits"),
            new CommandLine.Option("--epochs", "N", "1", "accuracy: epochs"),
            new CommandLine.Option("--accuracy-batch", "N", "16", "accuracy: minibatch size"),
            new CommandLine.Option("--output", "DIR", "target/benchmark", "where the report goes"));

    /**
     * The benchmark's settings (see {@link #OPTIONS}).
     *
     * @param parts         "update", "iteration", "accuracy", "parallel"
     * @param parameters    update phase parameter counts
     * @param updaters      update phase updaters
     * @param models        "lenet", "detector"
     * @param batches       minibatch sizes for whole iterations (ParallelWrapper: the first, per worker)
     * @param warmups       untimed runs
     * @param repeats       timed runs
     * @param seeds         accuracy seeds
     * @param train         accuracy training digits
     * @param test          accuracy test digits
     * @param epochs        accuracy epochs
     * @param accuracyBatch accuracy minibatch size
     * @param output        the report's folder
     */
    public record Options(List<String> parts, List<Long> parameters, List<String> updaters, List<String> models,
                          List<Integer> batches, int warmups, int repeats, List<Long> seeds, int train, int test,
                          int epochs, int accuracyBatch, Path output) {

        /** Checks the lists' values. */
        public Options {
            only("--parts", parts, "update", "iteration", "accuracy", "parallel");
            only("--updaters", updaters, "Adam", "Nesterovs");
            only("--models", models, "lenet", "detector");
        }

        static Options from(CommandLine line) {
            return new Options(words(line.text("--parts")), numbers(line, "--parameters"), words(line.text("--updaters")),
                    words(line.text("--models")), numbers(line, "--batches").stream().map(Long::intValue).toList(),
                    (int) line.wholeNumber("--warmups"), line.positiveInt("--repeats"), numbers(line, "--seeds"),
                    line.positiveInt("--train"), line.positiveInt("--test"), line.positiveInt("--epochs"),
                    line.positiveInt("--accuracy-batch"), line.path("--output"));
        }

        private static List<String> words(String list) {
            return Arrays.stream(list.split(",")).map(String::trim).filter(w -> !w.isEmpty()).toList();
        }

        private static List<Long> numbers(CommandLine line, String name) {
            try {
                List<Long> values = words(line.text(name)).stream().map(Long::parseLong).toList();
                if (values.isEmpty() || values.stream().anyMatch(v -> v < 1)) {
                    throw new NumberFormatException();
                }
                return values;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + " must be a comma-separated list of positive whole numbers, got "
                        + line.text(name));
            }
        }

        private static void only(String name, List<String> values, String... allowed) {
            for (String value : values) {
                if (!List.of(allowed).contains(value)) {
                    throw new IllegalArgumentException(name + " takes " + String.join(", ", allowed) + "; got " + value);
                }
            }
        }
    }

    private MixedPrecisionBenchmark() {
    }

    /** Runs the benchmark with command-line options ({@code --help} lists them) and prints the Markdown report. */
    public static void main(String[] args) {
        CommandLine.run("Mixed precision against FP32 and pure HALF: update phase, iterations, memory, accuracy",
                OPTIONS, args, line -> {
                    Options options = Options.from(line);
                    BenchmarkReport report = run(options);
                    System.out.println(report.markdown());
                    System.out.println("Written to " + options.output().toAbsolutePath());
                });
    }

    /** Runs the parts the options ask for and writes the report into the output folder. */
    public static BenchmarkReport run(Options options) {
        List<UpdateBenchmark.Row> update = new ArrayList<>();
        if (options.parts().contains("update")) {
            for (long parameters : options.parameters()) {
                for (String updater : options.updaters()) {
                    System.out.println("Update phase: " + parameters + " parameters, " + updater);
                    update.add(UpdateBenchmark.measure(parameters, updater, options.warmups(), options.repeats()));
                }
            }
        }
        List<IterationBenchmark.Row> iteration = new ArrayList<>();
        if (options.parts().contains("iteration")) {
            for (String model : options.models()) {
                for (int batch : options.batches()) {
                    System.out.println("Whole iteration: " + model + ", batch " + batch);
                    iteration.add(IterationBenchmark.measure(model, network(model), minibatch(model, batch),
                            options.warmups(), options.repeats()));
                }
            }
        }
        List<AccuracyBenchmark.Run> accuracy = new ArrayList<>();
        if (options.parts().contains("accuracy")) {
            System.out.println("Accuracy: LeNet-5 on MNIST, seeds " + options.seeds());
            MnistFiles files = MnistFiles.findOrObtain();
            accuracy = AccuracyBenchmark.measure(MnistData.train(files, options.train()),
                    MnistData.test(files, options.test()), options.accuracyBatch(), options.epochs(), options.seeds());
        }
        List<ParallelBenchmark.Row> parallel = new ArrayList<>();
        if (options.parts().contains("parallel")) {
            for (String model : options.models()) {
                int batch = options.batches().get(0);
                System.out.println("ParallelWrapper, " + ParallelBenchmark.WORKERS + " workers: " + model + ", batch " + batch);
                parallel.add(ParallelBenchmark.measure(model, network(model), minibatch(model, batch), options.warmups(),
                        options.repeats()));
            }
        }
        BenchmarkReport report = new BenchmarkReport(MachineInfo.describe(), settings(options), update, iteration,
                accuracy, parallel);
        try {
            report.writeTo(options.output());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the report to " + options.output(), e);
        }
        return report;
    }

    private static Supplier<Model> network(String model) {
        if (model.equals("lenet")) {
            return () -> {
                MultiLayerNetwork net = new MultiLayerNetwork(MnistLeNet.lenet(1));
                net.init();
                return net;
            };
        }
        TinyYoloDetector detector = new TinyYoloDetector(DETECTOR_SIZE, 1, 10, 4, DETECTOR_CELL, DETECTOR_ANCHORS);
        return () -> {
            ComputationGraph graph = new ComputationGraph(detector.configuration(new Adam(5e-3), 1));
            graph.init();
            return graph;
        };
    }

    /** @return one minibatch of real data: MNIST digits for LeNet, MNIST canvases read through DataVec for the detector */
    private static DataSet minibatch(String model, int batch) {
        MnistFiles files = MnistFiles.findOrObtain();
        if (model.equals("lenet")) {
            return MnistData.train(files, batch);
        }
        int count = Math.max(CANVASES, batch); // enough canvases for all ten digits to appear, as the labels need
        Path canvases = MnistCanvases.cached(MnistDetection.canvasCache(), files, DETECTOR_SIZE, DETECTOR_CELL, 10,
                count, count, 1);
        return VocDataSets.iterator(canvases.resolve("train"), DETECTOR_SIZE, 1, DETECTOR_SIZE / DETECTOR_CELL, batch, 1)
                .next();
    }

    private static Map<String, Object> settings(Options options) {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("parts", options.parts());
        settings.put("parameters", options.parameters());
        settings.put("updaters", options.updaters());
        settings.put("models", options.models());
        settings.put("batches", options.batches());
        settings.put("warmups", options.warmups());
        settings.put("repeats", options.repeats());
        settings.put("seeds", options.seeds());
        settings.put("train", options.train());
        settings.put("test", options.test());
        settings.put("epochs", options.epochs());
        settings.put("accuracyBatch", options.accuracyBatch());
        return settings;
    }
}
