package org.dl4j.mixedprecision.samples.spark;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.dl4j.mixedprecision.LossScaleStatus;
import org.dl4j.mixedprecision.MixedPrecision;
import org.dl4j.mixedprecision.samples.MnistData;
import org.dl4j.mixedprecision.samples.MnistFiles;
import org.dl4j.mixedprecision.samples.MnistLeNet;
import org.dl4j.mixedprecision.samples.MnistRunOptions;
import org.dl4j.mixedprecision.samples.SampleCli;
import org.dl4j.mixedprecision.spark.MixedPrecisionSpark;
import org.nd4j.linalg.dataset.DataSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The MNIST LeNet of {@link MnistLeNet} trained on Spark with dl4j-spark's parameter averaging, in FP32 and
 * in mixed precision, with the same seed, data and split; prints test accuracy and the loss scale side by side.
 *
 * <pre>
 * mvn -q -pl samples exec:exec -Dsample.main=org.dl4j.mixedprecision.samples.spark.MnistLeNetSpark
 * </pre>
 * {@code --help} lists the options ({@link Cli}). The master is {@code local[*]} unless
 * {@code --master} or {@code spark-submit} says otherwise. The driver reads MNIST and hands the minibatches to
 * Spark, so the workers need no files.
 */
public final class MnistLeNetSpark {

    /**
     * What one run measured.
     *
     * @param precision      "fp32" or "mixed"
     * @param accuracy       test accuracy of the driver's network after training
     * @param finalLoss      the last averaging round's mean training loss
     * @param msPerStep      wall-clock milliseconds of training per minibatch of one worker (Spark's overhead included)
     * @param workerSteps    minibatches trained, all workers together
     * @param skippedSteps   worker steps skipped on overflow, all workers together (0 for FP32)
     * @param finalScale     the loss scale the driver's network ended with (1 for FP32)
     */
    public record Result(String precision, double accuracy, double finalLoss, double msPerStep, int workerSteps,
                         long skippedSteps, double finalScale) {
    }

    /**
     * The sample's settings.
     *
     * @param data       folder with the MNIST files, or null to find or obtain them
     * @param master     Spark's master URL, used unless {@code spark-submit} set one
     * @param train      training examples
     * @param test       test examples
     * @param epochs     epochs
     * @param batch      minibatch size of each worker
     * @param averaging  averaging frequency: minibatches each worker trains between two averagings
     * @param seed       seed of the weights
     * @param precisions which runs: "fp32", "mixed" or both
     */
    public record Options(Path data, String master, int train, int test, int epochs, int batch, int averaging,
                          long seed, List<String> precisions) {
    }

    /** The command line: {@code --help} lists the options and their defaults. */
    @Command(name = "MnistLeNetSpark", showDefaultValues = true,
            description = "MNIST LeNet on Spark (parameter averaging) in FP32 and in mixed precision, side by side")
    static final class Cli implements Callable<Integer> {
        @Mixin
        SampleCli.Help help;
        @Mixin
        MnistRunOptions run;
        @Option(names = "--master", paramLabel = "URL", defaultValue = "local[*]",
                description = "Spark master, unless spark-submit sets one")
        String master;
        @Option(names = "--averaging", paramLabel = "N", defaultValue = "5", converter = SampleCli.PositiveInt.class,
                description = "minibatches each worker trains between averagings")
        int averaging;

        Options options() {
            return new Options(run.data, master, run.train, run.test, run.epochs, run.batch, averaging, run.seed,
                    run.precision.runs());
        }

        @Override
        public Integer call() {
            System.out.println();
            System.out.println(table(runExample(options())));
            return 0;
        }
    }

    private MnistLeNetSpark() {
    }

    /** Runs the sample with command-line options ({@code --help} lists them) and prints the comparison table. */
    public static void main(String[] args) {
        SampleCli.run(new Cli(), args);
    }

    /** @return one result per requested precision, in the order requested */
    public static List<Result> runExample(Options options) {
        MnistFiles files = options.data() == null ? MnistFiles.findOrObtain() : MnistFiles.in(options.data());
        List<DataSet> train = MnistData.train(files, options.train()).batchBy(options.batch());
        DataSet test = MnistData.test(files, options.test());
        SparkConf conf = new SparkConf().setAppName("MnistLeNetSpark").setIfMissing("spark.master", options.master())
                .setIfMissing("spark.ui.enabled", "false");
        try (JavaSparkContext spark = new JavaSparkContext(conf)) {
            int workers = spark.defaultParallelism();
            JavaRDD<DataSet> minibatches = spark.parallelize(train, workers);
            System.out.printf(Locale.ROOT, "%s: %d training, %d test examples; Spark %s, %d workers, "
                            + "%d epochs of %d minibatches of %d, averaging every %d%n", files.description(), options.train(),
                    options.test(), spark.master(), workers, options.epochs(), train.size(), options.batch(),
                    options.averaging());
            List<Result> results = new ArrayList<>();
            for (String precision : options.precisions()) {
                results.add(train(precision, options, spark, workers, minibatches, train.size(), test));
            }
            return results;
        }
    }

    private static Result train(String precision, Options options, JavaSparkContext spark, int workers,
                                JavaRDD<DataSet> minibatches, int minibatchCount, DataSet test) {
        MultiLayerConfiguration lenet = MnistLeNet.lenet(options.seed());
        boolean mixed = precision.equals("mixed");
        // Direct, no repartitioning: both precisions train on the same split in the same order
        ParameterAveragingTrainingMaster master = new ParameterAveragingTrainingMaster.Builder(options.batch())
                .batchSizePerWorker(options.batch()).averagingFrequency(options.averaging()).workerPrefetchNumBatches(0)
                .rngSeed(options.seed()).rddTrainingApproach(RDDTrainingApproach.Direct)
                .repartionData(Repartition.Never).build();
        SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(spark, mixed ? MixedPrecision.configure(lenet) : lenet,
                master);
        if (mixed) {
            MixedPrecisionSpark.setListeners(sparkNet);
        }
        System.out.printf(Locale.ROOT, "Training %s ...%n", precision);
        long start = System.nanoTime();
        for (int epoch = 0; epoch < options.epochs(); epoch++) {
            sparkNet.fit(minibatches);
            System.out.printf(Locale.ROOT, "%s: epoch %d of %d, loss %.4f%n", precision, epoch + 1, options.epochs(),
                    sparkNet.getScore());
        }
        double millis = (System.nanoTime() - start) / 1e6;
        MultiLayerNetwork net = sparkNet.getNetwork();
        double accuracy = net.evaluate(new ExistingDataSetIterator(test.batchBy(options.batch()))).accuracy();
        int workerSteps = options.epochs() * minibatchCount;
        LossScaleStatus status = mixed ? MixedPrecision.status(net) : null;
        return new Result(precision, accuracy, sparkNet.getScore(), millis / ((double) workerSteps / workers),
                workerSteps, status == null ? 0 : status.skippedSteps(), status == null ? 1.0 : status.scale());
    }

    /** @return the results as an aligned text table */
    public static String table(List<Result> results) {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%-9s %9s %10s %10s %12s %8s %11s%n",
                "precision", "test acc", "final loss", "ms/step", "worker steps", "skipped", "final scale"));
        for (Result r : results) {
            out.append(String.format(Locale.ROOT, "%-9s %8.2f%% %10.4f %10.1f %12d %8d %11.0f%n", r.precision(),
                    100 * r.accuracy(), r.finalLoss(), r.msPerStep(), r.workerSteps(), r.skippedSteps(), r.finalScale()));
        }
        return out.toString();
    }
}
