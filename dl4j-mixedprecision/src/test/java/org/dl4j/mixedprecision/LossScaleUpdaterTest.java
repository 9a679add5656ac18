package org.dl4j.mixedprecision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.constraint.MaxNormConstraint;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.nd4j.linalg.dataset.DataSet;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.AMSGrad;
import org.nd4j.linalg.learning.config.AdaDelta;
import org.nd4j.linalg.learning.config.AdaGrad;
import org.nd4j.linalg.learning.config.AdaMax;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nadam;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.config.RmsProp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.schedule.ExponentialSchedule;
import org.nd4j.linalg.schedule.ScheduleType;

/**
 * Runs DL4J's updater on a mixed-precision network and on an FP32 network with the same gradient (the
 * unscaled one the mixed-precision network computed) and compares parameters and updater state bit for bit:
 * the {@link LossScaleUpdater} around each updater changes nothing but the skip and the step count.
 */
class LossScaleUpdaterTest {

    private static final int BATCH = 8;

    static Stream<Arguments> updaters() {
        return Stream.of(new Sgd(0.1), new Nesterovs(0.1, 0.9), new Adam(1e-2), new AMSGrad(1e-2), new Nadam(1e-2),
                        new AdaMax(1e-2), new RmsProp(1e-2), new AdaGrad(1e-1), new AdaDelta(), new NoOp(),
                        new Adam(new ExponentialSchedule(ScheduleType.ITERATION, 1e-2, 0.9)))
                .map(Arguments::of);
    }

    @ParameterizedTest
    @MethodSource("updaters")
    void eachUpdaterStepsAsDl4jsFp32UpdaterDoes(IUpdater updater) {
        assertUpdatesFollowFp32(TestNets.mlp(updater, 7), false);
    }

    @Test
    void regularizationClippingAndConstraintsActOnTheFp32Parameters() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(3)
                .dataType(DataType.FLOAT)
                .updater(new Adam(new ExponentialSchedule(ScheduleType.ITERATION, 5e-2, 0.95)))
                .l1(1e-4).l2(1e-3)
                .gradientNormalization(GradientNormalization.ClipL2PerLayer).gradientNormalizationThreshold(0.5)
                .constrainWeights(new MaxNormConstraint(0.6, 0))
                .list()
                .layer(new DenseLayer.Builder().nIn(TestNets.FEATURES).nOut(16).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(16).nOut(TestNets.CLASSES)
                        .weightDecay(1e-3).activation(Activation.SOFTMAX).build())
                .build();
        assertUpdatesFollowFp32(conf, false);
    }

    @Test
    void aSkippedStepChangesNothingAndAdamCountsAppliedStepsOnly() {
        assertUpdatesFollowFp32(TestNets.mlp(new Adam(1e-2), 11), true);
    }

    /**
     * Runs six steps; with {@code skipThirdStep}, step 3's minibatch holds a NaN, so its gradient does: the
     * mixed-precision step must change nothing, and the FP32 reference does not take it (its updater counts
     * applied steps only, so Adam's bias correction after the skip is that of the third applied step).
     */
    private static void assertUpdatesFollowFp32(MultiLayerConfiguration conf, boolean skipThirdStep) {
        MultiLayerNetwork reference = TestNets.init(conf);
        MultiLayerNetwork mixed = MixedPrecision.enable(reference.clone(),
                MixedPrecisionConfig.builder().initialScale(1024).build());
        LayerWorkspaceMgr workspaces = LayerWorkspaceMgr.noWorkspaces();

        int appliedSteps = 0;
        for (int step = 0; step < 6; step++) {
            DataSet batch = TestNets.blobs(BATCH, 100 + step);
            boolean skip = skipThirdStep && step == 3;
            if (skip) {
                batch.getFeatures().putScalar(0, 1, Double.NaN);
            }
            mixed.setInput(batch.getFeatures());
            mixed.setLabels(batch.getLabels());
            mixed.computeGradientAndScore();
            Gradient gradient = mixed.gradient();
            float[] paramsBefore = TestNets.values(mixed.params());
            INDArray state = mixed.getUpdater().getStateViewArray();
            float[] stateBefore = state == null ? null : TestNets.values(state);
            if (!skip) {
                reference.setInput(batch.getFeatures());
                reference.setLabels(batch.getLabels());
                reference.computeGradientAndScore();
                reference.getFlattenedGradients().assign(mixed.getFlattenedGradients());
                step(reference, reference.gradient(), appliedSteps++, workspaces);
            }
            double scale = MixedPrecision.status(mixed).scale();
            step(mixed, gradient, step, workspaces);

            if (skip) {
                assertArrayEquals(paramsBefore, TestNets.values(mixed.params()), "weights changed on a skipped step");
                if (stateBefore != null) {
                    assertArrayEquals(stateBefore, TestNets.values(state), "updater state changed on a skipped step");
                }
                LossScaleStatus status = MixedPrecision.status(mixed);
                assertEquals(scale / 2, status.scale());
                assertEquals(1, status.skippedSteps());
                assertTrue(status.overflowCount() > 0, status.toString());
                assertTrue(status.overflowParameters().contains("layer0_W"), status.toString());
                continue;
            }
            assertArrayEquals(TestNets.values(reference.params()), TestNets.values(mixed.params()),
                    "weights differ from the FP32 reference after step " + step);
            if (reference.getUpdater().getStateViewArray() != null) {
                assertNotNull(state);
                assertEquals(DataType.FLOAT, state.dataType());
                assertArrayEquals(TestNets.values(reference.getUpdater().getStateViewArray()), TestNets.values(state),
                        "updater state differs after step " + step);
            }
        }
    }

    /** One step as DL4J's step function takes it: the updater turns the gradient into the update. */
    private static void step(MultiLayerNetwork net, Gradient gradient, int iteration, LayerWorkspaceMgr workspaces) {
        net.getUpdater().update(net, gradient, iteration, 0, BATCH, workspaces);
        net.params().subi(net.getFlattenedGradients().reshape(net.numParams()));
        net.applyConstraints(iteration, 0);
    }
}
