package org.dl4j.mixedprecision.spark;

import org.deeplearning4j.core.storage.StatsStorageRouter;
import org.deeplearning4j.core.storage.listener.RoutingIterationListener;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.dl4j.mixedprecision.MixedPrecision;

/**
 * The worker side of bringing the loss scale back: after each step of a worker's network, reports its loss
 * scaling state to the router dl4j-spark gives the worker, which carries it to the driver's
 * {@link LossScaleCollector}. Reporting only: the worker's layers unscale, check and skip without it.
 */
final class LossScaleReporter extends BaseTrainingListener implements RoutingIterationListener {

    private static final long serialVersionUID = 1L;

    private transient StatsStorageRouter router;
    private String workerId;
    private String sessionId;

    LossScaleReporter(String sessionId) {
        this.sessionId = sessionId;
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        if (router != null && MixedPrecision.isMixedPrecision(model)) {
            router.putUpdate(new LossScaleReport(sessionId, workerId, MixedPrecision.status(model)));
        }
    }

    @Override
    public void setStorageRouter(StatsStorageRouter router) {
        this.router = router;
    }

    @Override
    public StatsStorageRouter getStorageRouter() {
        return router;
    }

    @Override
    public void setWorkerID(String workerId) {
        this.workerId = workerId;
    }

    @Override
    public String getWorkerID() {
        return workerId;
    }

    @Override
    public void setSessionID(String sessionId) {
        this.sessionId = sessionId;
    }

    @Override
    public String getSessionID() {
        return sessionId;
    }

    @Override
    public LossScaleReporter clone() {
        LossScaleReporter clone = new LossScaleReporter(sessionId);
        clone.workerId = workerId;
        clone.router = router;
        return clone;
    }
}
