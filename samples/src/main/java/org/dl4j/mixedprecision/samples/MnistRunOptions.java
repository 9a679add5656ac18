package org.dl4j.mixedprecision.samples;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The command-line options the MNIST LeNet samples share (a picocli mixin): where MNIST is, how much of it,
 * how long, and which precisions.
 */
public final class MnistRunOptions {

    /** Folder with the MNIST files, or null to find or obtain them. */
    @Option(names = "--data", paramLabel = "DIR", description = "folder with the four IDX files of MNIST or of a"
            + " dataset in its layout (default: MNIST, found or obtained)")
    public Path data;
    /** Training examples. */
    @Option(names = "--train", paramLabel = "N", defaultValue = "5000", converter = SampleCli.PositiveInt.class,
            description = "training examples")
    public int train;
    /** Test examples. */
    @Option(names = "--test", paramLabel = "N", defaultValue = "2000", converter = SampleCli.PositiveInt.class,
            description = "test examples")
    public int test;
    /** Epochs. */
    @Option(names = "--epochs", paramLabel = "N", defaultValue = "2", converter = SampleCli.PositiveInt.class,
            description = "epochs")
    public int epochs;
    /** Minibatch size (of each worker, where there are several). */
    @Option(names = "--batch", paramLabel = "N", defaultValue = "64", converter = SampleCli.PositiveInt.class,
            description = "minibatch size (on Spark: of each worker)")
    public int batch;
    /** Seed of the weights. */
    @Option(names = "--seed", paramLabel = "N", defaultValue = "123", description = "seed of the weights")
    public long seed;
    /** Which runs. */
    @Option(names = "--precision", paramLabel = "P", defaultValue = "both", description = "fp32, mixed or both")
    public SampleCli.Precisions precision;
}
