package org.dl4j.mixedprecision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.List;
import java.util.stream.Stream;
import org.deeplearning4j.nn.api.Updater;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.constraint.MaxNormConstraint;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
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
 * Drives the mixed-precision updater with a known stream of HALF gradients and compares the FP32 master
 * with an FP32 network updated by DL4J alone with the same, unscaled gradients.
 */
class MasterWeightsUpdateTest {

    private static final int BATCH = 4;

    static Stream<Arguments> updaters() {
        return Stream.of(new Sgd(0.1), new Nesterovs(0.1, 0.9), new Adam(1e-2), new AMSGrad(1e-2), new Nadam(1e-2),
                        new AdaMax(1e-2), new RmsProp(1e-2), new AdaGrad(1e-1), new AdaDelta(), new NoOp(),
                        new Adam(new ExponentialSchedule(ScheduleType.ITERATION, 1e-2, 0.9)))
                .map(Arguments::of);
    }

    @ParameterizedTest
    @MethodSource("updaters")
    void masterEqualsAnFp32ReferenceUpdateOfTheUnscaledGradients(IUpdater updater) {
        assertMasterFollowsReference(TestNets.mlp(updater, 7), false);
    }

    @Test
    void regularizationClippingAndConstraintsActOnTheFp32Master() {
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
        assertMasterFollowsReference(conf, false);
    }

    @Test
    void skippedStepLeavesMasterUpdaterStateAndHalfParametersBitIdentical() {
        assertMasterFollowsReference(TestNets.mlp(new Adam(1e-2), 11), true);
    }

    /**
     * Runs six steps; with {@code skipThirdStep}, step 3 gets a NaN and an Inf and must change nothing
     * (the reference simply does not take it, and its updater counts applied steps only, so Adam's bias
     * correction after the skip is that of the third applied step). The gradients are synthetic, so the
     * scale is fixed (calibration would compute a real one).
     */
    private static void assertMasterFollowsReference(MultiLayerConfiguration conf, boolean skipThirdStep) {
        MultiLayerNetwork reference = TestNets.init(conf);
        reference.initGradientsView();
        MultiLayerNetwork mixed = MixedPrecision.enable(TestNets.init(conf),
                MixedPrecisionConfig.builder().initialScale(65536).build());
        MixedPrecisionUpdater mixedUpdater = (MixedPrecisionUpdater) mixed.getUpdater();
        MultiLayerNetwork master = MixedPrecision.master(mixed);
        Updater referenceUpdater = reference.getUpdater();
        Gradient referenceGradient = new MasterWeights(reference.getLayers(), new String[] {"0", "1", "2"},
                reference.params(), reference.params(), reference.getFlattenedGradients()).gradient();
        INDArray halfGradient = mixed.getFlattenedGradients();
        LayerWorkspaceMgr workspaces = LayerWorkspaceMgr.noWorkspaces();

        int appliedSteps = 0;
        for (int step = 0; step < 6; step++) {
            INDArray gradient = exactInHalf(reference.numParams(), step);
            double scale = MixedPrecision.status(mixed).scale();
            halfGradient.assign(gradient.mul(scale).reshape(halfGradient.shape()));
            boolean skip = skipThirdStep && step == 3;
            if (skip) {
                halfGradient.putScalar(new long[] {0, 5}, Double.NaN);
                halfGradient.putScalar(new long[] {0, halfGradient.length() - 1}, Double.POSITIVE_INFINITY);
            }
            float[] masterBefore = TestNets.values(master.params());
            float[] halfBefore = TestNets.values(mixed.params());
            INDArray state = mixedUpdater.getStateViewArray();
            float[] stateBefore = state == null ? null : TestNets.values(state);

            mixedUpdater.update(mixed, new DefaultGradient(halfGradient), step, 0, BATCH, workspaces);

            if (skip) {
                assertArrayEquals(masterBefore, TestNets.values(master.params()), "master weights changed on a skipped step");
                assertArrayEquals(halfBefore, TestNets.values(mixed.params()), "HALF params changed on a skipped step");
                if (stateBefore != null) {
                    assertArrayEquals(stateBefore, TestNets.values(state), "updater state changed on a skipped step");
                }
                LossScaleStatus status = MixedPrecision.status(mixed);
                assertEquals(scale / 2, status.scale());
                assertEquals(1, status.skippedSteps());
                assertEquals(2, status.overflowCount());
                assertEquals(List.of("0_W", "2_b"), status.overflowParameters());
                continue;
            }
            reference.getFlattenedGradients().assign(gradient.reshape(reference.getFlattenedGradients().shape()));
            referenceUpdater.update(reference, referenceGradient, appliedSteps++, 0, BATCH, workspaces);
            reference.params().subi(reference.getFlattenedGradients().reshape(reference.numParams()));
            reference.applyConstraints(step, 0);

            assertArrayEquals(TestNets.values(reference.params()), TestNets.values(master.params()),
                    "master differs from the FP32 reference after step " + step);
            assertArrayEquals(TestNets.values(master.params().castTo(DataType.HALF)), TestNets.values(mixed.params()),
                    "HALF params are not the master's values after step " + step);
            if (referenceUpdater.getStateViewArray() != null) {
                assertNotNull(state);
                assertEquals(DataType.FLOAT, state.dataType());
                assertArrayEquals(TestNets.values(referenceUpdater.getStateViewArray()), TestNets.values(state),
                        "updater state differs after step " + step);
            }
        }
    }

    /** Gradient values that FP16 holds exactly, also after multiplying by a power-of-two scale up to 2^16. */
    private static INDArray exactInHalf(long length, int step) {
        INDArray random = Nd4j.getRandomFactory().getNewRandomInstance(100 + step).nextDouble(new long[] {length});
        return Nd4j.getExecutioner().exec(new org.nd4j.linalg.api.ops.impl.transforms.same.Round(
                random.subi(0.5).muli(512))).divi(1024).castTo(DataType.FLOAT);
    }
}
