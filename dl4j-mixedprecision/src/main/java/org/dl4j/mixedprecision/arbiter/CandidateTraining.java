package org.dl4j.mixedprecision.arbiter;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import org.apache.commons.lang3.exception.ExceptionUtils;
import org.deeplearning4j.arbiter.DL4JConfiguration;
import org.deeplearning4j.arbiter.GraphConfiguration;
import org.deeplearning4j.arbiter.listener.DL4JArbiterStatusReportingListener;
import org.deeplearning4j.arbiter.optimize.api.Candidate;
import org.deeplearning4j.arbiter.optimize.api.OptimizationResult;
import org.deeplearning4j.arbiter.optimize.api.saving.ResultReference;
import org.deeplearning4j.arbiter.optimize.api.saving.ResultSaver;
import org.deeplearning4j.arbiter.optimize.api.score.ScoreFunction;
import org.deeplearning4j.arbiter.optimize.runner.CandidateInfo;
import org.deeplearning4j.arbiter.optimize.runner.CandidateStatus;
import org.deeplearning4j.arbiter.optimize.runner.IOptimizationRunner;
import org.deeplearning4j.arbiter.optimize.runner.listener.StatusListener;
import org.deeplearning4j.arbiter.scoring.util.ScoreUtil;
import org.deeplearning4j.earlystopping.EarlyStoppingConfiguration;
import org.deeplearning4j.earlystopping.EarlyStoppingResult;
import org.deeplearning4j.earlystopping.trainer.EarlyStoppingGraphTrainer;
import org.deeplearning4j.earlystopping.trainer.EarlyStoppingTrainer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.dl4j.mixedprecision.LossScaleStatus;
import org.dl4j.mixedprecision.MixedPrecision;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains, scores and saves one candidate of an Arbiter search for {@link MixedPrecisionTaskCreator}, and
 * reports what it did; a failure becomes a failed result with its reason, never an exception.
 */
final class CandidateTraining implements Callable<OptimizationResult> {

    private static final Logger LOG = LoggerFactory.getLogger(CandidateTraining.class);

    private final Candidate<?> candidate;
    private final CandidateData data;
    private final ScoreFunction scoreFunction;
    private final List<StatusListener> statusListeners;
    private final IOptimizationRunner runner;
    private final Consumer<CandidateReport> reports;
    private final IterationStatistics statistics = new IterationStatistics();
    private Model network;

    CandidateTraining(Candidate<?> candidate, CandidateData data, ScoreFunction scoreFunction,
                      List<StatusListener> statusListeners, IOptimizationRunner runner,
                      Consumer<CandidateReport> reports) {
        this.candidate = candidate;
        this.data = data;
        this.scoreFunction = scoreFunction;
        this.statusListeners = statusListeners == null ? List.of() : statusListeners;
        this.runner = runner;
        this.reports = reports;
    }

    @Override
    public OptimizationResult call() {
        long start = System.currentTimeMillis();
        CandidateInfo info = new CandidateInfo(candidate.getIndex(), CandidateStatus.Running, null, start, start, null,
                candidate.getFlatParameters(), null);
        PrecisionSettings settings = PrecisionSettings.FP32;
        try {
            Object value = candidate.getValue();
            if (value instanceof PrecisionCandidate precisionCandidate) {
                settings = precisionCandidate.precisionSettings();
            }
            network = train(value, settings, info);
            double score = data.score(scoreFunction, network);
            if (!Double.isFinite(score)) {
                return failed(info, settings, "score " + score + ": training diverged", null);
            }
            info.setCandidateStatus(CandidateStatus.Complete);
            info.setScore(score);
            info.setEndTime(System.currentTimeMillis());
            CandidateReport report = report(settings, score, null);
            OptimizationResult result = new OptimizationResult(candidate, score, candidate.getIndex(), report, info, null);
            result.setResultReference(save(result));
            reports.accept(report);
            for (StatusListener listener : statusListeners) {
                listener.onCandidateStatusChange(info, runner, result);
            }
            return result;
        } catch (Throwable e) {
            return failed(info, settings, e.getClass().getSimpleName() + ": " + e.getMessage(), e);
        } finally {
            Nd4j.getWorkspaceManager().destroyAllWorkspacesForCurrentThread();
        }
    }

    private Model train(Object value, PrecisionSettings settings, CandidateInfo info) {
        List<TrainingListener> listeners = new ArrayList<>(List.of(statistics));
        if (!statusListeners.isEmpty()) {
            listeners.add(new DL4JArbiterStatusReportingListener(statusListeners, info));
        }
        if (value instanceof DL4JConfiguration configuration) {
            MultiLayerNetwork net = new MultiLayerNetwork(configuration.getMultiLayerConfiguration());
            net.init();
            if (settings.isMixed()) {
                net = MixedPrecision.enable(net, settings.config());
            }
            net.addListeners(listeners.toArray(new TrainingListener[0]));
            network = net;
            EarlyStoppingConfiguration<MultiLayerNetwork> earlyStopping = configuration.getEarlyStoppingConfiguration();
            if (earlyStopping != null) {
                return best(new EarlyStoppingTrainer(earlyStopping, net, ScoreUtil.getIterator(data.trainData())).fit());
            }
            for (int epoch = 0; epoch < configuration.getNumEpochs(); epoch++) {
                net.fit(ScoreUtil.getIterator(data.trainData()));
            }
            return net;
        }
        if (!(value instanceof GraphConfiguration configuration)) {
            throw new IllegalArgumentException("MixedPrecisionTaskCreator trains DL4JConfiguration and GraphConfiguration"
                    + " candidates (from MultiLayerSpace, ComputationGraphSpace or their PrecisionSpace), not "
                    + (value == null ? "null" : value.getClass().getName()));
        }
        ComputationGraph graph = new ComputationGraph(configuration.getConfiguration());
        graph.init();
        if (settings.isMixed()) {
            graph = MixedPrecision.enable(graph, settings.config());
        }
        graph.addListeners(listeners.toArray(new TrainingListener[0]));
        network = graph;
        EarlyStoppingConfiguration<ComputationGraph> earlyStopping = configuration.getEarlyStoppingConfiguration();
        if (earlyStopping != null) {
            return best(new EarlyStoppingGraphTrainer(earlyStopping, graph,
                    ScoreUtil.getMultiIterator(data.trainData()), null).fit());
        }
        for (int epoch = 0; epoch < configuration.getNumEpochs(); epoch++) {
            graph.fit(ScoreUtil.getMultiIterator(data.trainData()));
        }
        return graph;
    }

    private static <T extends Model> T best(EarlyStoppingResult<T> result) {
        if (result.getTerminationReason() == EarlyStoppingResult.TerminationReason.Error) {
            throw new IllegalStateException("early stopping ended with an error: " + result.getTerminationDetails());
        }
        if (result.getBestModel() == null) {
            throw new IllegalStateException("early stopping kept no best model (" + result.getTerminationDetails() + ")");
        }
        return result.getBestModel();
    }

    /** Saves through the search's saver; see {@link MixedPrecisionTaskCreator} for mixed-precision candidates. */
    private ResultReference save(OptimizationResult result) throws IOException {
        ResultSaver saver = runner.getConfiguration().getResultSaver();
        if (saver == null) {
            return null;
        }
        return saver.saveModel(result, network);
    }

    private OptimizationResult failed(CandidateInfo info, PrecisionSettings settings, String reason, Throwable error) {
        LOG.warn("Candidate {} ({}) failed: {}", candidate.getIndex(), settings.precision(), reason);
        info.setCandidateStatus(CandidateStatus.Failed);
        info.setEndTime(System.currentTimeMillis());
        info.setExceptionStackTrace(error == null ? reason : ExceptionUtils.getStackTrace(error));
        CandidateReport report = report(settings, Double.NaN, reason);
        reports.accept(report);
        return new OptimizationResult(candidate, null, candidate.getIndex(), report, info, null);
    }

    private CandidateReport report(PrecisionSettings settings, double score, String failure) {
        LossScaleStatus status = network != null && MixedPrecision.isMixedPrecision(network)
                ? MixedPrecision.status(network) : null;
        return new CandidateReport(candidate.getIndex(), settings, score, statistics.iterations(),
                statistics.medianMillis(), status == null ? 0 : status.skippedSteps(),
                status == null ? 1.0 : status.scale(), failure);
    }
}
