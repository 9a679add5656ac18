package org.dl4j.mixedprecision.samples.arbiter;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.deeplearning4j.arbiter.MultiLayerSpace;
import org.deeplearning4j.arbiter.conf.updater.AdamSpace;
import org.deeplearning4j.arbiter.layers.DenseLayerSpace;
import org.deeplearning4j.arbiter.layers.OutputLayerSpace;
import org.deeplearning4j.arbiter.optimize.api.ParameterSpace;
import org.deeplearning4j.arbiter.optimize.api.termination.MaxCandidatesCondition;
import org.deeplearning4j.arbiter.optimize.config.OptimizationConfiguration;
import org.deeplearning4j.arbiter.optimize.distribution.LogUniformDistribution;
import org.deeplearning4j.arbiter.optimize.generator.RandomSearchGenerator;
import org.deeplearning4j.arbiter.optimize.parameter.FixedValue;
import org.deeplearning4j.arbiter.optimize.parameter.continuous.ContinuousParameterSpace;
import org.deeplearning4j.arbiter.optimize.parameter.integer.IntegerParameterSpace;
import org.deeplearning4j.arbiter.optimize.runner.IOptimizationRunner;
import org.deeplearning4j.arbiter.optimize.runner.LocalOptimizationRunner;
import org.deeplearning4j.arbiter.saver.local.FileModelSaver;
import org.deeplearning4j.arbiter.scoring.impl.EvaluationScoreFunction;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.dl4j.mixedprecision.arbiter.CandidateReport;
import org.dl4j.mixedprecision.arbiter.FiniteScoreFunction;
import org.dl4j.mixedprecision.arbiter.MixedPrecisionTaskCreator;
import org.dl4j.mixedprecision.arbiter.MultiLayerPrecisionSpace;
import org.dl4j.mixedprecision.arbiter.Precision;
import org.dl4j.mixedprecision.arbiter.PrecisionParameterSpace;
import org.dl4j.mixedprecision.samples.SampleCli;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * An Arbiter random search on real MNIST over learning rate, layer width and precision (FP32 or mixed),
 * with {@link MixedPrecisionTaskCreator}, test-set accuracy as the score ({@link FiniteScoreFunction}
 * around Arbiter's), and every candidate saved by Arbiter's {@code FileModelSaver}; prints a table of
 * the candidates and the best one.
 *
 * <pre>
 * mvn -q -pl samples exec:exec -Dsample.main=org.dl4j.mixedprecision.samples.arbiter.MnistSweep
 * </pre>
 */
public final class MnistSweep {

    /**
     * The sweep's settings.
     *
     * @param learningRates the learning rates to search
     * @param candidates    candidates to train
     * @param train         training digits
     * @param test          test digits
     * @param epochs        epochs per candidate
     * @param threads       candidates trained at once
     * @param output        the models' folder
     * @param seed          the search's seed
     */
    public record Options(ParameterSpace<Double> learningRates, int candidates, int train, int test, int epochs,
                          int threads, Path output, long seed) {
    }

    /** The command line: {@code --help} lists the options and their defaults. */
    @Command(name = "MnistSweep", showDefaultValues = true,
            description = "An Arbiter random search over learning rate, layer width and precision on MNIST")
    static final class Cli implements Callable<Integer> {
        @Mixin
        SampleCli.Help help;
        @Option(names = "--candidates", paramLabel = "N", defaultValue = "8", converter = SampleCli.PositiveInt.class,
                description = "candidates to train")
        int candidates;
        @Option(names = "--train", paramLabel = "N", defaultValue = "3000", converter = SampleCli.PositiveInt.class,
                description = "training digits per candidate")
        int train;
        @Option(names = "--test", paramLabel = "N", defaultValue = "1000", converter = SampleCli.PositiveInt.class,
                description = "test digits scoring each candidate")
        int test;
        @Option(names = "--epochs", paramLabel = "N", defaultValue = "1", converter = SampleCli.PositiveInt.class,
                description = "epochs per candidate")
        int epochs;
        @Option(names = "--threads", paramLabel = "N", defaultValue = "1", converter = SampleCli.PositiveInt.class,
                description = "candidates trained at once")
        int threads;
        @Option(names = "--output", paramLabel = "DIR", defaultValue = "target/sweep",
                description = "where Arbiter's FileModelSaver writes the models")
        Path output;
        @Option(names = "--seed", paramLabel = "N", defaultValue = "42", description = "seed of the search")
        long seed;

        Options options() {
            return new Options(new ContinuousParameterSpace(new LogUniformDistribution(1e-4, 1e-1)), candidates, train,
                    test, epochs, threads, output, seed);
        }

        @Override
        public Integer call() {
            Sweep sweep = run(options());
            System.out.println(table(sweep.rows()));
            System.out.printf(Locale.ROOT, "Best: candidate %d, test accuracy %.4f (model in %s/%d/model.bin)%n",
                    sweep.bestIndex(), sweep.bestScore(), output, sweep.bestIndex());
            return 0;
        }
    }

    /**
     * One candidate: its hyperparameters and what it did.
     *
     * @param learningRate Adam's learning rate
     * @param width        the hidden layer's width
     * @param report       precision, score, iterations, time, skipped steps, final scale or failure
     */
    public record Row(double learningRate, long width, CandidateReport report) {
    }

    /**
     * What the sweep found.
     *
     * @param rows          every candidate, failed ones included, by index
     * @param candidatesRun the candidates Arbiter counted as completed or failed
     * @param bestIndex     the best candidate's index (-1 if none completed)
     * @param bestScore     its test accuracy
     */
    public record Sweep(List<Row> rows, int candidatesRun, int bestIndex, Double bestScore) {
    }

    private MnistSweep() {
    }

    /** Runs the sweep with command-line options ({@code --help} lists them) and prints the candidates. */
    public static void main(String[] args) {
        SampleCli.run(new Cli(), args);
    }

    /**
     * @param learningRates Adam's learning rate
     * @return the search space: a 784-width-10 perceptron on MNIST, width 16 to 128, precision FP32 or mixed.
     *         Adam's betas and epsilon are given: Arbiter beta7's one-argument {@code AdamSpace(lr)} sets them
     *         to the learning rate.
     */
    public static MultiLayerPrecisionSpace space(ParameterSpace<Double> learningRates, int epochs, long seed) {
        MultiLayerSpace layers = new MultiLayerSpace.Builder()
                .seed(seed)
                .updater(new AdamSpace(learningRates, new FixedValue<>(0.9), new FixedValue<>(0.999),
                        new FixedValue<>(1e-8)))
                .addLayer(new DenseLayerSpace.Builder().nOut(new IntegerParameterSpace(16, 128))
                        .activation(Activation.RELU).build())
                .addLayer(new OutputLayerSpace.Builder().nOut(10).activation(Activation.SOFTMAX)
                        .lossFunction(LossFunctions.LossFunction.MCXENT).build())
                .setInputType(InputType.feedForward(28 * 28))
                .numEpochs(epochs)
                .build();
        return new MultiLayerPrecisionSpace(layers, new PrecisionParameterSpace(Precision.FP32, Precision.MIXED));
    }

    /** Runs the search and returns every candidate's report and the best one. */
    public static Sweep run(Options options) {
        MultiLayerPrecisionSpace space = space(options.learningRates(), options.epochs(), options.seed());
        RandomSearchGenerator generator = new RandomSearchGenerator(space, null);
        OptimizationConfiguration configuration = new OptimizationConfiguration.Builder()
                .candidateGenerator(generator)
                .dataSource(MnistDataSource.class, MnistDataSource.properties(options.train(), options.test(), 64))
                .modelSaver(new FileModelSaver(options.output().toFile()))
                .scoreFunction(new FiniteScoreFunction(new EvaluationScoreFunction(Evaluation.Metric.ACCURACY)))
                .terminationConditions(new MaxCandidatesCondition(options.candidates()))
                .rngSeed(options.seed())
                .build();
        MixedPrecisionTaskCreator tasks = new MixedPrecisionTaskCreator();
        IOptimizationRunner runner = new LocalOptimizationRunner(options.threads(), configuration, tasks);
        runner.execute();
        List<Row> rows = new ArrayList<>();
        for (CandidateReport report : tasks.reports()) {
            MultiLayerConfiguration network = space.getValue(flatParameters(runner, report.index()))
                    .getMultiLayerConfiguration();
            BaseLayer hidden = (BaseLayer) network.getConf(0).getLayer();
            rows.add(new Row(((Adam) hidden.getIUpdater()).getLearningRate(), ((FeedForwardLayer) hidden).getNOut(),
                    report));
        }
        return new Sweep(rows, runner.numCandidatesCompleted() + runner.numCandidatesFailed(),
                runner.bestScoreCandidateIndex(), runner.bestScore());
    }

    private static double[] flatParameters(IOptimizationRunner runner, int index) {
        return runner.getCandidateStatus().stream().filter(info -> info.getIndex() == index).findFirst()
                .orElseThrow(() -> new IllegalStateException("Arbiter has no status for candidate " + index))
                .getFlatParams();
    }

    /** @return the candidates as an aligned text table */
    public static String table(List<Row> rows) {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%5s %-9s %9s %6s %9s %8s %6s %8s %11s  %s%n",
                "cand.", "precision", "lr", "width", "accuracy", "ms/iter", "iters", "skipped", "final scale", "failure"));
        for (Row row : rows) {
            CandidateReport r = row.report();
            out.append(String.format(Locale.ROOT, "%5d %-9s %9.2e %6d %9.4f %8.1f %6d %8d %11s  %s%n", r.index(),
                    r.settings().precision(), row.learningRate(), row.width(), r.score(), r.msPerIteration(),
                    r.iterations(), r.skippedSteps(),
                    r.settings().isMixed() ? String.format(Locale.ROOT, "%.0f", r.finalLossScale()) : "-",
                    r.completed() ? "" : r.failure()));
        }
        return out.toString();
    }
}
