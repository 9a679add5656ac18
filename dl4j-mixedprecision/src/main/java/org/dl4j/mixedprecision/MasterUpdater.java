package org.dl4j.mixedprecision;

import org.deeplearning4j.nn.api.Model;

/**
 * What the updaters of mixed-precision networks ({@link MixedPrecisionUpdater} for a
 * {@code MultiLayerNetwork}, {@link MixedPrecisionGraphUpdater} for a {@code ComputationGraph}) share:
 * both are DL4J's own updater of the FP32 master network, extended with one {@link MixedPrecisionStep}.
 */
interface MasterUpdater {

    /** @return the FP32 master network */
    Model master();

    /** @return the loss scaling state after the last step */
    LossScaleStatus status();

    /** @return the diagnosis of the most recent skipped step, or null if no step was skipped */
    OverflowDiagnosis lastDiagnosis();

    /** @return the loss scaling configuration */
    MixedPrecisionConfig config();

    /** Puts the loss scaling back into a state saved with the network. */
    void restore(LossScaleStatus status);
}
