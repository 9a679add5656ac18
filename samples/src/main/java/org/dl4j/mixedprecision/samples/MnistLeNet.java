package org.dl4j.mixedprecision.samples;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.dl4j.mixedprecision.LossScaleListener;
import org.dl4j.mixedprecision.LossScaleStatus;
import org.dl4j.mixedprecision.MixedPrecision;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * MNIST LeNet trained twice on the real MNIST files, in FP32 and in mixed precision, with the same seed
 * and data order; prints test accuracy, time per iteration and training memory side by side.
 *
 * <pre>
 * mvn -q -pl samples exec:exec -Dsample.main=org.dl4j.mixedprecision.samples.MnistLeNet -Dsample.args="--help"
 * </pre>
 * {@code --help} lists the options ({@link Cli}); MNIST is found or obtained by {@link MnistFiles}.
 */
public final class MnistLeNet {

    /**
     * What one run measured.
     *
     * @param precision      "fp32" or "mixed"
     * @param accuracy       test accuracy
     * @param finalLoss      the last iteration's training loss
     * @param msPerIteration median wall-clock milliseconds per iteration
     * @param iterations     iterations trained
     * @param memory         training memory after training
     * @param skippedSteps   steps skipped on overflow (0 for FP32)
     * @param finalScale     the loss scale at the end (1 for FP32)
     */
    public record Result(String precision, double accuracy, double finalLoss, double msPerIteration, int iterations,
                         TrainingMemory memory, long skippedSteps, double finalScale) {
    }

    /**
     * The sample's settings.
     *
     * @param data       folder with the MNIST files, or null to find or obtain them
     * @param train      training examples
     * @param test       test examples
     * @param epochs     epochs
     * @param batch      minibatch size
     * @param seed       seed of the weights
     * @param precisions which runs: "fp32", "mixed" or both
     */
    public record Options(Path data, int train, int test, int epochs, int batch, long seed, List<String> precisions) {
    }

    /** The command line: {@code --help} lists the options and their defaults. */
    @Command(name = "MnistLeNet", showDefaultValues = true,
            description = "MNIST LeNet in FP32 and in mixed precision, side by side")
    static final class Cli implements Callable<Integer> {
        @Mixin
        SampleCli.Help help;
        @Mixin
        MnistRunOptions run;
        @Option(names = "--full", description = "all 60000 training and 10000 test examples")
        boolean full;

        Options options() {
            return new Options(run.data, full ? 60000 : run.train, full ? 10000 : run.test, run.epochs, run.batch,
                    run.seed, run.precision.runs());
        }

        @Override
        public Integer call() {
            printResults(runExample(options()));
            return 0;
        }
    }

    private MnistLeNet() {
    }

    /** Runs the sample with command-line options ({@code --help} lists them) and prints the comparison table. */
    public static void main(String[] args) {
        SampleCli.run(new Cli(), args);
    }

    private static void printResults(List<Result> results) {
        System.out.println();
        System.out.println(table(results));
        System.out.println("Memory: parameters + gradients + HALF copies of both + updater state + workspaces, counted array by array.");
        System.out.println("On CPUs without FP16 arithmetic ND4J's HALF kernels are slower than FLOAT: mixed precision saves"
                + " memory there, and pays off in speed on GPUs.");
    }

    /** @return one result per requested precision, in the order requested */
    public static List<Result> runExample(Options options) {
        MnistFiles files = options.data() == null ? MnistFiles.findOrObtain() : MnistFiles.in(options.data());
        DataSet train = MnistData.train(files, options.train());
        DataSet test = MnistData.test(files, options.test());
        System.out.printf(Locale.ROOT, "%s: %d training, %d test examples; %d epochs of batch %d%n",
                files.description(), options.train(), options.test(), options.epochs(), options.batch());
        List<Result> results = new ArrayList<>();
        for (String precision : options.precisions()) {
            results.add(train(precision, options, train, test));
        }
        return results;
    }

    /**
     * @return LeNet-5 for 28x28 grayscale digits: conv 5x5x6, max-pool, conv 5x5x16, max-pool, dense 120
     * and 84, softmax. (DL4J's example LeNet has 20/50 filters and 500 units: 9x the arithmetic, which
     * ND4J's generic HALF kernels on a CPU turn into ~13 s per iteration of 64 digits.)
     */
    public static MultiLayerConfiguration lenet(long seed) {
        return new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .weightInit(WeightInit.XAVIER)
                .updater(new Adam(3e-3))
                .list()
                .layer(new ConvolutionLayer.Builder(5, 5).nOut(6).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new ConvolutionLayer.Builder(5, 5).nOut(16).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new DenseLayer.Builder().nOut(120).activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().nOut(84).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.NEGATIVELOGLIKELIHOOD).nOut(10)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutionalFlat(28, 28, 1))
                .build();
    }

    private static Result train(String precision, Options options, DataSet train, DataSet test) {
        TrainingMemory.resetWorkspaces();
        MultiLayerNetwork net = new MultiLayerNetwork(lenet(options.seed()));
        net.init();
        if (precision.equals("mixed")) {
            net = MixedPrecision.enable(net);
        }
        IterationTimes times = new IterationTimes();
        int total = options.epochs() * ((options.train() + options.batch() - 1) / options.batch());
        net.addListeners(times, ProgressListener.toStandardOutput(precision, total));
        DataSetIterator iterator = new ExistingDataSetIterator(train.batchBy(options.batch()));
        System.out.printf(Locale.ROOT, "Training %s ...%n", precision);
        times.start();
        net.fit(iterator, options.epochs());
        TrainingMemory memory = TrainingMemory.of(net);
        double accuracy = net.evaluate(new ExistingDataSetIterator(test.batchBy(options.batch()))).accuracy();
        List<Double> scores = times.scores();
        LossScaleStatus status = MixedPrecision.isMixedPrecision(net) ? MixedPrecision.status(net) : null;
        return new Result(precision, accuracy, scores.get(scores.size() - 1), times.medianMillis(), scores.size(),
                memory, status == null ? 0 : status.skippedSteps(), status == null ? 1.0 : status.scale());
    }

    /** @return the results as an aligned text table */
    public static String table(List<Result> results) {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%-9s %9s %10s %10s %8s %12s %8s %11s%n",
                "precision", "test acc", "final loss", "ms/iter", "iters", "memory (MB)", "skipped", "final scale"));
        for (Result r : results) {
            out.append(String.format(Locale.ROOT, "%-9s %8.2f%% %10.4f %10.1f %8d %12.1f %8d %11.0f%n",
                    r.precision(), 100 * r.accuracy(), r.finalLoss(), r.msPerIteration(), r.iterations(),
                    r.memory().totalBytes() / 1e6, r.skippedSteps(), r.finalScale()));
        }
        return out.toString();
    }
}
