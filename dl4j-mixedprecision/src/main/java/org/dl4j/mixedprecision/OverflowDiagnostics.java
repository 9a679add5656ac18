package org.dl4j.mixedprecision;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.deeplearning4j.nn.api.Model;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Diagnoses the skipped steps of one mixed-precision network (see {@link OverflowDiagnosis}) and logs
 * each distinct cause once. Called only for skipped steps: it checks the minibatch the network still
 * holds, runs one forward pass ({@link ForwardOverflow}) and reads which parameters' gradients overflowed.
 */
final class OverflowDiagnostics {

    private static final Logger log = LoggerFactory.getLogger(OverflowDiagnostics.class);

    private final Set<String> loggedCauses = new HashSet<>();
    private int epoch = -1;
    private int firstIterationOfEpoch;
    private OverflowDiagnosis last;

    /**
     * Counts minibatches within the epoch; called for every step, costs a comparison.
     *
     * @return the index of the step's minibatch in its epoch
     */
    int minibatch(int iteration, int epoch) {
        if (epoch != this.epoch) {
            this.epoch = epoch;
            firstIterationOfEpoch = iteration;
        }
        return iteration - firstIterationOfEpoch;
    }

    /**
     * Diagnoses a skipped step, logs its cause if it is new, and keeps it as {@link #last()}.
     *
     * @param network            the mixed-precision network, still holding the step's minibatch
     * @param overflowParameters the parameters whose gradients hold Inf/NaN ("layerName_param"), in parameter
     *                           order
     * @param scale              the loss scale of the step
     * @param minibatch          the step's minibatch index in its epoch, from {@link #minibatch(int, int)}
     */
    void diagnose(Model network, List<String> overflowParameters, double scale, int minibatch, int iteration,
                  int epoch) {
        ForwardOverflow forwardPass = ForwardOverflow.of(network);
        Network.LayerActivation forward = forwardPass.firstNonFinite().orElse(null);
        String nearestOutput = overflowParameters.isEmpty() ? "?_?" : overflowParameters.get(overflowParameters.size() - 1);
        String layerName = nearestOutput.substring(0, Math.max(0, nearestOutput.lastIndexOf('_')));
        String parameter = nearestOutput.substring(nearestOutput.lastIndexOf('_') + 1);
        int layerIndex = forwardPass.indexOf(layerName);
        boolean badFeatures = !finite(Network.of(network).features());
        boolean badLabels = !finite(Network.of(network).labels());
        OverflowDiagnosis diagnosis = forward != null
                ? new OverflowDiagnosis(OverflowDiagnosis.Pass.FORWARD, forward.index(), forward.name(), null,
                        badFeatures, badLabels, minibatch, epoch, iteration, scale)
                : new OverflowDiagnosis(OverflowDiagnosis.Pass.BACKWARD, layerIndex, layerName, parameter, badFeatures,
                        badLabels, minibatch, epoch, iteration, scale);
        if (loggedCauses.add(diagnosis.cause())) {
            String smallBatchNormalizations = forwardPass.smallBatchNormalizations();
            if (diagnosis.badInput() || diagnosis.pass() == OverflowDiagnosis.Pass.FORWARD
                    || !smallBatchNormalizations.isEmpty()) {
                log.warn("Mixed precision: step skipped. {}{} (Logged once per cause.)", diagnosis,
                        smallBatchNormalizations);
            } else {
                log.info("Mixed precision: step skipped. {} (Logged once per cause.)", diagnosis);
            }
        }
        last = diagnosis;
    }

    /** @return the diagnosis of the most recent skipped step, or null if no step was skipped */
    OverflowDiagnosis last() {
        return last;
    }

    private static boolean finite(INDArray[] arrays) {
        if (arrays != null) {
            for (INDArray array : arrays) {
                if (!ForwardOverflow.finite(array)) {
                    return false;
                }
            }
        }
        return true;
    }
}
