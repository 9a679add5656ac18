package org.dl4j.mixedprecision.arbiter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import org.deeplearning4j.arbiter.ComputationGraphSpace;
import org.deeplearning4j.arbiter.conf.updater.AdamSpace;
import org.deeplearning4j.arbiter.layers.DenseLayerSpace;
import org.deeplearning4j.arbiter.layers.OutputLayerSpace;
import org.deeplearning4j.arbiter.optimize.api.data.DataSource;
import org.deeplearning4j.arbiter.optimize.api.termination.MaxCandidatesCondition;
import org.deeplearning4j.arbiter.optimize.config.OptimizationConfiguration;
import org.deeplearning4j.arbiter.optimize.generator.GridSearchCandidateGenerator;
import org.deeplearning4j.arbiter.optimize.parameter.FixedValue;
import org.deeplearning4j.arbiter.optimize.runner.LocalOptimizationRunner;
import org.deeplearning4j.arbiter.saver.local.FileModelSaver;
import org.deeplearning4j.arbiter.scoring.impl.TestSetLossScoreFunction;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.earlystopping.EarlyStoppingConfiguration;
import org.deeplearning4j.earlystopping.saver.InMemoryModelSaver;
import org.deeplearning4j.earlystopping.scorecalc.DataSetLossCalculator;
import org.deeplearning4j.earlystopping.scorecalc.ScoreCalculator;
import org.deeplearning4j.earlystopping.termination.MaxEpochsTerminationCondition;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.dl4j.mixedprecision.MixedPrecision;
import org.dl4j.mixedprecision.MixedPrecisionSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.common.function.Supplier;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** ComputationGraph candidates with early stopping, in both precisions, through a real Arbiter runner. */
class MixedPrecisionTaskCreatorTest {

    @TempDir
    Path models;

    /** Three separable blobs of 8 features; a public class with a no-argument constructor, as Arbiter needs. */
    public static class Blobs implements DataSource {
        private static final long serialVersionUID = 1L;

        static DataSetIterator iterator(int examples, long seed) {
            Nd4j.getRandom().setSeed(seed);
            INDArray labels = Nd4j.zeros(DataType.FLOAT, examples, 3);
            INDArray features = Nd4j.randn(DataType.FLOAT, examples, 8).muli(0.5);
            for (int i = 0; i < examples; i++) {
                labels.putScalar(i, i % 3, 1.0);
                features.putScalar(i, i % 3, features.getDouble(i, i % 3) + 2.0);
            }
            return new ExistingDataSetIterator(new DataSet(features, labels).batchBy(32));
        }

        @Override
        public void configure(Properties properties) {
        }

        @Override
        public DataSetIterator trainData() {
            return iterator(256, 1);
        }

        @Override
        public DataSetIterator testData() {
            return iterator(96, 2);
        }

        @Override
        public Class<?> getDataType() {
            return DataSetIterator.class;
        }
    }

    @Test
    void graphCandidatesTrainWithEarlyStoppingAndMixedOnesSaveTheirState() throws IOException {
        EarlyStoppingConfiguration<ComputationGraph> earlyStopping = new EarlyStoppingConfiguration.Builder<ComputationGraph>()
                .epochTerminationConditions(new MaxEpochsTerminationCondition(3))
                .scoreCalculator((Supplier<ScoreCalculator> & Serializable) () -> new DataSetLossCalculator(Blobs.iterator(96, 2), true))
                .modelSaver(new InMemoryModelSaver<>())
                .build();
        ComputationGraphSpace graph = new ComputationGraphSpace.Builder()
                .seed(3)
                .updater(new AdamSpace(new FixedValue<>(1e-2), new FixedValue<>(0.9), new FixedValue<>(0.999),
                        new FixedValue<>(1e-8)))
                .addInputs("in")
                .addLayer("dense", new DenseLayerSpace.Builder().nIn(8).nOut(16).activation(Activation.RELU).build(), "in")
                .addLayer("out", new OutputLayerSpace.Builder().nIn(16).nOut(3).activation(Activation.SOFTMAX)
                        .lossFunction(LossFunctions.LossFunction.MCXENT).build(), "dense")
                .setOutputs("out")
                .earlyStoppingConfiguration(earlyStopping)
                .build();
        ComputationGraphPrecisionSpace space = new ComputationGraphPrecisionSpace(graph,
                new PrecisionParameterSpace(Precision.FP32, Precision.MIXED));
        OptimizationConfiguration configuration = new OptimizationConfiguration.Builder()
                .candidateGenerator(new GridSearchCandidateGenerator(space, 2, GridSearchCandidateGenerator.Mode.Sequential, null))
                .dataSource(Blobs.class, new Properties())
                .modelSaver(new FileModelSaver(models.toFile()))
                .scoreFunction(new FiniteScoreFunction(new TestSetLossScoreFunction(true)))
                .terminationConditions(new MaxCandidatesCondition(2))
                .build();
        MixedPrecisionTaskCreator tasks = new MixedPrecisionTaskCreator();
        LocalOptimizationRunner runner = new LocalOptimizationRunner(configuration, tasks);
        runner.execute();

        List<CandidateReport> reports = tasks.reports();
        assertEquals(2, reports.size());
        assertEquals(List.of(Precision.FP32, Precision.MIXED), reports.stream().map(r -> r.settings().precision()).toList());
        for (CandidateReport report : reports) {
            assertTrue(report.completed(), report.toString());
            assertEquals(3 * 8, report.iterations(), "3 epochs of 8 minibatches: " + report);
            assertTrue(report.score() < 0.5, "the blobs are separable: loss " + report.score());
        }
        File fp32File = models.resolve("0/model.bin").toFile();
        File mixedFile = models.resolve("1/model.bin").toFile();
        ComputationGraph fp32 = ModelSerializer.restoreComputationGraph(fp32File);
        assertEquals(reports.get(0).score(), new TestSetLossScoreFunction(true).score(fp32, Blobs.class, null), 1e-6);
        ComputationGraph mixed = MixedPrecisionSerializer.restoreComputationGraph(mixedFile);
        assertTrue(MixedPrecision.isMixedPrecision(mixed), "early stopping's best model stays mixed precision");
        assertEquals(reports.get(1).finalLossScale(), MixedPrecision.status(mixed).scale());
        assertEquals(reports.get(1).score(), new TestSetLossScoreFunction(true).score(mixed, Blobs.class, null), 1e-6);
        assertEquals(DataType.FLOAT, ModelSerializer.restoreComputationGraph(mixedFile).params().dataType(),
                "plain DL4J reads the FP32 master");
        assertInstanceOf(CandidateReport.class, runner.getResults().get(1).getResult().getModelSpecificResults());
        try (Stream<Path> temporary = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            assertFalse(temporary.anyMatch(p -> p.getFileName().toString().startsWith("mixed-precision-candidate-")),
                    "the mixed candidate's early-stopping folder is deleted");
        }
    }
}
