package org.dl4j.mixedprecision.arbiter;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.deeplearning4j.arbiter.optimize.api.Candidate;
import org.deeplearning4j.arbiter.optimize.api.OptimizationResult;
import org.deeplearning4j.arbiter.optimize.api.TaskCreator;
import org.deeplearning4j.arbiter.optimize.api.data.DataProvider;
import org.deeplearning4j.arbiter.optimize.api.data.DataSource;
import org.deeplearning4j.arbiter.optimize.api.score.ScoreFunction;
import org.deeplearning4j.arbiter.optimize.runner.IOptimizationRunner;
import org.deeplearning4j.arbiter.optimize.runner.listener.StatusListener;

/**
 * Arbiter's task creator for {@link PrecisionSpace} searches, in place of Arbiter's
 * {@code MultiLayerNetworkTaskCreator} and {@code ComputationGraphTaskCreator}: it trains candidates of
 * both kinds (a plain {@code DL4JConfiguration} or {@code GraphConfiguration} trains in FP32) with
 * Arbiter's data source or provider, the candidate's early stopping or epoch count, and the search's score
 * function and result saver, enabling mixed precision with the candidate's settings when it asks for it.
 * Each candidate builds its own network, so candidates run in parallel share no loss scaler.
 *
 * <p>A candidate that throws, or whose score is NaN or infinite (it diverged), is recorded as failed with
 * the reason, and the search goes on. {@link #reports()} lists what every candidate did. A mixed-precision
 * candidate saved by Arbiter's {@code FileModelSaver} is a mixed-precision network file: Arbiter's own
 * reference and {@code MixedPrecisionSerializer.restoreMultiLayerNetwork(model.bin)} (or
 * {@code restoreComputationGraph}) load it as the mixed-precision network, which resumes exactly.
 *
 * <pre>{@code
 * MixedPrecisionTaskCreator tasks = new MixedPrecisionTaskCreator();
 * IOptimizationRunner runner = new LocalOptimizationRunner(configuration, tasks);
 * runner.execute();
 * tasks.reports().forEach(System.out::println);
 * }</pre>
 */
public class MixedPrecisionTaskCreator implements TaskCreator {

    private final ConcurrentLinkedQueue<CandidateReport> reports = new ConcurrentLinkedQueue<>();

    @Override
    public Callable<OptimizationResult> create(Candidate candidate, DataProvider dataProvider, ScoreFunction scoreFunction,
                                               List<StatusListener> statusListeners, IOptimizationRunner runner) {
        return new CandidateTraining(candidate, CandidateData.of(dataProvider, candidate), scoreFunction,
                statusListeners, runner, reports::add);
    }

    @Override
    public Callable<OptimizationResult> create(Candidate candidate, Class<? extends DataSource> dataSource,
                                               Properties dataSourceProperties, ScoreFunction scoreFunction,
                                               List<StatusListener> statusListeners, IOptimizationRunner runner) {
        return new CandidateTraining(candidate, CandidateData.of(dataSource, dataSourceProperties), scoreFunction,
                statusListeners, runner, reports::add);
    }

    /** @return a report for every candidate trained so far, failed ones included, by candidate index */
    public List<CandidateReport> reports() {
        List<CandidateReport> sorted = new ArrayList<>(reports);
        sorted.sort(Comparator.comparingInt(CandidateReport::index));
        return sorted;
    }
}
