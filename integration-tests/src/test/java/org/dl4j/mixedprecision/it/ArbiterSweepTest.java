package org.dl4j.mixedprecision.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.arbiter.optimize.parameter.discrete.DiscreteParameterSpace;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.dl4j.mixedprecision.MixedPrecision;
import org.dl4j.mixedprecision.MixedPrecisionSerializer;
import org.dl4j.mixedprecision.arbiter.CandidateReport;
import org.dl4j.mixedprecision.arbiter.Precision;
import org.dl4j.mixedprecision.samples.arbiter.MnistDataSource;
import org.dl4j.mixedprecision.samples.arbiter.MnistSweep;
import org.dl4j.mixedprecision.samples.arbiter.MnistSweep.Options;
import org.dl4j.mixedprecision.samples.arbiter.MnistSweep.Row;
import org.dl4j.mixedprecision.samples.arbiter.MnistSweep.Sweep;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Arbiter random search (LocalOptimizationRunner, two candidates at a time) over learning rate,
 * width and precision on MNIST, with an absurd learning rate among the choices: every candidate is
 * recorded, the diverging ones as failed, and the best model and every mixed-precision one reload from
 * Arbiter's FileModelSaver files and score what the search recorded.
 */
class ArbiterSweepTest {

    private static final double ABSURD_LEARNING_RATE = 1e30;
    private static final int TEST_DIGITS = 500;

    @TempDir
    Path output;

    @Test
    void aSweepOverPrecisionRecordsEveryCandidateAndItsBestModelReloads() throws IOException {
        Options options = new Options(new DiscreteParameterSpace<>(3e-3, 1e-2, ABSURD_LEARNING_RATE), 6, 1000,
                TEST_DIGITS, 1, 2, output, 9);
        Sweep sweep = MnistSweep.run(options);
        System.out.println(MnistSweep.table(sweep.rows()));

        List<Row> rows = sweep.rows();
        assertTrue(rows.size() >= 6, "at least the 6 candidates asked for: " + rows.size());
        assertTrue(rows.size() >= sweep.candidatesRun(), "every candidate Arbiter counted is recorded");
        assertTrue(rows.stream().anyMatch(r -> r.report().settings().precision() == Precision.FP32));
        assertTrue(rows.stream().anyMatch(r -> r.report().settings().precision() == Precision.MIXED));
        for (Precision precision : Precision.values()) {
            assertTrue(rows.stream().anyMatch(r -> r.learningRate() == ABSURD_LEARNING_RATE
                    && r.report().settings().precision() == precision), "seed 9 draws the absurd rate in " + precision);
        }
        for (Row row : rows) {
            CandidateReport report = row.report();
            if (row.learningRate() == ABSURD_LEARNING_RATE) {
                assertFalse(report.completed(), "diverged, so failed: " + report);
                assertTrue(report.failure().contains("diverged") || report.failure().contains("NaN")
                        || report.failure().contains("skipped"), report.failure());
            } else {
                assertTrue(report.completed(), "a sane learning rate trains: " + report);
                assertTrue(report.score() > 0.5, "well above the 0.1 of chance: " + report.score());
                assertEquals(16, report.iterations());
            }
        }

        CandidateReport best = rows.stream().map(Row::report).filter(r -> r.index() == sweep.bestIndex()).findFirst()
                .orElseThrow();
        assertTrue(best.completed());
        assertEquals(best.score(), sweep.bestScore());
        assertEquals(best.score(), reloadedAccuracy(best), 1e-9, "the best model reloads and scores what was recorded");
        for (Row row : rows) {
            CandidateReport report = row.report();
            if (report.completed() && report.settings().isMixed()) {
                assertEquals(report.score(), reloadedAccuracy(report), 1e-9, "mixed candidate " + report.index());
            }
        }
    }

    /** @return the test accuracy of the candidate's saved model, restored as what it was trained as */
    private double reloadedAccuracy(CandidateReport report) throws IOException {
        File file = output.resolve(report.index() + "/model.bin").toFile();
        MultiLayerNetwork network;
        if (report.settings().isMixed()) {
            network = MixedPrecisionSerializer.restoreMultiLayerNetwork(file);
            assertEquals(report.finalLossScale(), MixedPrecision.status(network).scale(), "the loss scale is restored");
        } else {
            network = ModelSerializer.restoreMultiLayerNetwork(file);
        }
        MnistDataSource data = new MnistDataSource();
        data.configure(MnistDataSource.properties(1000, TEST_DIGITS, 64));
        return network.evaluate(data.testData()).accuracy();
    }
}
