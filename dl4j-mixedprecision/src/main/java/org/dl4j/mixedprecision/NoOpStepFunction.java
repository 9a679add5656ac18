package org.dl4j.mixedprecision;

import java.lang.reflect.Field;
import org.deeplearning4j.optimize.api.ConvexOptimizer;
import org.deeplearning4j.optimize.api.StepFunction;
import org.deeplearning4j.optimize.solvers.BaseOptimizer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The step function of a mixed-precision network's optimizer: it does nothing, because the
 * {@link MixedPrecisionUpdater} has already written the new HALF parameters from the FP32 master (or
 * left them untouched on a skipped step). Without it DL4J would make one more full pass over the HALF
 * parameters to subtract an update that is already applied.
 */
final class NoOpStepFunction implements StepFunction {

    private static final long serialVersionUID = 1L;

    /**
     * Installs this step function in the optimizer. DL4J keeps the step function in a protected field
     * of {@link BaseOptimizer}, and configurations only accept DL4J's four built-in step functions.
     */
    static void installIn(ConvexOptimizer optimizer) {
        try {
            Field field = BaseOptimizer.class.getDeclaredField("stepFunction");
            field.setAccessible(true);
            field.set(optimizer, new NoOpStepFunction());
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("Cannot install the mixed-precision step function in "
                    + optimizer.getClass().getName() + ": this DL4J version is not supported (use 1.0.0-M2.1)", e);
        }
    }

    @Override
    public void step(INDArray x, INDArray line, double step) {
    }

    @Override
    public void step(INDArray x, INDArray line) {
    }

    @Override
    public void step() {
    }
}
