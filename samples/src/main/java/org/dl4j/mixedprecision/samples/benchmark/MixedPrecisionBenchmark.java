package org.dl4j.mixedprecision.samples.benchmark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.dl4j.mixedprecision.samples.MnistData;
import org.dl4j.mixedprecision.samples.MnistFiles;
import org.dl4j.mixedprecision.samples.MnistLeNet;
import org.dl4j.mixedprecision.samples.SampleCli;
import org.dl4j.mixedprecision.samples.detection.MnistCanvases;
import org.dl4j.mixedprecision.samples.detection.MnistDetection;
import org.dl4j.mixedprecision.samples.detection.TinyYoloDetector;
import org.dl4j.mixedprecision.samples.detection.VocDataSets;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Measures what mixed precision costs and saves, side by side in one run, against DL4J's own FP32 and
 * pure-HALF training: the update phase, whole iterations, training memory, LeNet-5 accuracy over seeds,
 * the loss scaler's behaviour and ParallelWrapper with 2 workers; writes {@code benchmarks.md} (the page
 * docs/benchmarks.md is), {@code benchmarks.json} and {@code loss-scale.png} (see {@link BenchmarkReport}). Runs
 * unchanged with the {@code cuda} profile. The page in docs/ is written by
 *
 * <pre>
 * mvn -B -q -pl samples exec:exec -Dsample.main=org.dl4j.mixedprecision.samples.benchmark.MixedPrecisionBenchmark -Dsample.args="--output ../docs"
 * </pre>
 */
public final class MixedPrecisionBenchmark {

    private static final int DETECTOR_SIZE = 48;
    private static final int DETECTOR_CELL = 16;
    private static final double[][] DETECTOR_ANCHORS = {{8, 18}, {18, 20}};
    private static final int CANVASES = 200;

    /**
     * The benchmark's settings (see {@link Cli}).
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
            positive("--parameters", parameters);
            positive("--batches", batches);
            positive("--seeds", seeds);
        }

        private static void positive(String name, List<? extends Number> values) {
            if (values.isEmpty() || values.stream().anyMatch(v -> v.longValue() < 1)) {
                throw new IllegalArgumentException(name + " must be a comma-separated list of whole numbers >= 1, got "
                        + values);
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

    /** The command line: {@code --help} lists the options and their defaults (about 15 minutes on 2 CPU cores). */
    @Command(name = "MixedPrecisionBenchmark", showDefaultValues = true,
            description = "Mixed precision against FP32 and pure HALF: update phase, iterations, memory, accuracy")
    static final class Cli implements Callable<Integer> {
        @Mixin
        SampleCli.Help help;
        @Option(names = "--parts", paramLabel = "PART", split = ",", defaultValue = "update,iteration,accuracy,parallel",
                description = "which parts to run")
        List<String> parts;
        @Option(names = "--parameters", paramLabel = "N", split = ",", defaultValue = "1000000,10000000",
                description = "update phase: parameter counts")
        List<Long> parameters;
        @Option(names = "--updaters", paramLabel = "UPDATER", split = ",", defaultValue = "Adam,Nesterovs",
                description = "update phase: Adam and/or Nesterovs")
        List<String> updaters;
        @Option(names = "--models", paramLabel = "MODEL", split = ",", defaultValue = "lenet,detector",
                description = "whole iteration: lenet and/or detector")
        List<String> models;
        @Option(names = "--batches", paramLabel = "N", split = ",", defaultValue = "32,128",
                description = "whole iteration and memory: minibatch sizes")
        List<Integer> batches;
        @Option(names = "--warmups", paramLabel = "N", defaultValue = "2", converter = SampleCli.NonNegativeInt.class,
                description = "untimed runs before each measurement")
        int warmups;
        @Option(names = "--repeats", paramLabel = "N", defaultValue = "5", converter = SampleCli.PositiveInt.class,
                description = "timed runs per measurement (the median is reported)")
        int repeats;
        @Option(names = "--seeds", paramLabel = "SEED", split = ",", defaultValue = "1,2,3",
                description = "accuracy: seeds of the weights")
        List<Long> seeds;
        @Option(names = "--train", paramLabel = "N", defaultValue = "4000", converter = SampleCli.PositiveInt.class,
                description = "accuracy: MNIST training digits")
        int train;
        @Option(names = "--test", paramLabel = "N", defaultValue = "2000", converter = SampleCli.PositiveInt.class,
                description = "accuracy: MNIST test digits")
        int test;
        @Option(names = "--epochs", paramLabel = "N", defaultValue = "1", converter = SampleCli.PositiveInt.class,
                description = "accuracy: epochs")
        int epochs;
        @Option(names = "--accuracy-batch", paramLabel = "N", defaultValue = "16", converter = SampleCli.PositiveInt.class,
                description = "accuracy: minibatch size")
        int accuracyBatch;
        @Option(names = "--output", paramLabel = "DIR", defaultValue = "target/benchmark",
                description = "where benchmarks.md, benchmarks.json and loss-scale.png go (../docs: the documentation's page)")
        Path output;
        @Spec
        CommandSpec spec;

        Options options() {
            return new Options(parts, parameters, updaters, models, batches, warmups, repeats, seeds, train, test, epochs,
                    accuracyBatch, output);
        }

        @Override
        public Integer call() {
            run(options(), spec.commandLine().getParseResult().originalArgs());
            System.out.println("Written to " + output.toAbsolutePath().normalize().resolve("benchmarks.md"));
            return 0;
        }
    }

    /** Runs the benchmark with command-line options ({@code --help} lists them) and writes the report into {@code --output}. */
    public static void main(String[] args) {
        SampleCli.run(new Cli(), args);
    }

    /**
     * Runs the parts the options ask for and writes the report into the output folder.
     *
     * @param arguments the command line the options came from, recorded in the report
     */
    public static BenchmarkReport run(Options options, List<String> arguments) {
        long start = System.nanoTime();
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
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("date", LocalDate.now().toString());
        run.put("minutes", (System.nanoTime() - start) / 6e10);
        run.put("arguments", arguments);
        BenchmarkReport report = new BenchmarkReport(run, MachineInfo.describe(), settings(options), update, iteration,
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
