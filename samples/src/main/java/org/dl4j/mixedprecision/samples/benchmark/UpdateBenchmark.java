package org.dl4j.mixedprecision.samples.benchmark;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.dl4j.mixedprecision.MixedPrecision;
import org.dl4j.mixedprecision.MixedPrecisionConfig;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Part 1: the update phase alone, on one square dense layer of about the given parameter count (computing
 * in HALF in mixed precision) and a one-unit output layer. Both precisions: DL4J's updater on the FP32
 * gradient, then the step DL4J's step function takes ({@code params -= update}); in mixed precision the
 * updater is wrapped in {@code LossScaleUpdater}s (the skip decision, the applied-step count). The casts,
 * the unscale and the Inf/NaN check run in the layers' forward and backward passes, timed in part 2. Same
 * gradient every repetition.
 */
final class UpdateBenchmark {

    private static final int BATCH = 8;

    /**
     * One measurement.
     *
     * @param parameters the layer's parameter count
     * @param updater    "Adam" or "Nesterovs"
     * @param fp32Millis median milliseconds of DL4J's FP32 update and step
     * @param mixedMillis median milliseconds of the mixed-precision step
     */
    record Row(long parameters, String updater, double fp32Millis, double mixedMillis) {

        /** @return mixed over FP32 */
        double ratio() {
            return mixedMillis / fp32Millis;
        }
    }

    private UpdateBenchmark() {
    }

    /** @return the update phase of both precisions on about {@code parameters} parameters with this updater */
    static Row measure(long parameters, String updaterName, int warmups, int repetitions) {
        int side = (int) Math.round(Math.sqrt(parameters));
        IUpdater updater = updaterName.equals("Adam") ? new Adam(1e-3) : new Nesterovs(1e-3, 0.9);
        MultiLayerNetwork fp32 = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(1)
                .dataType(DataType.FLOAT).updater(updater).list()
                .layer(new DenseLayer.Builder().nIn(side).nOut(side).activation(Activation.IDENTITY).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(side).nOut(1)
                        .activation(Activation.IDENTITY).build())
                .build());
        fp32.init();
        INDArray features = Nd4j.rand(DataType.FLOAT, BATCH, side);
        INDArray labels = Nd4j.rand(DataType.FLOAT, BATCH, 1);
        MultiLayerNetwork mixed = MixedPrecision.enable(fp32.clone(), MixedPrecisionConfig.builder().initialScale(1024).build());

        fp32.setInput(features);
        fp32.setLabels(labels);
        fp32.computeGradientAndScore();
        Gradient fp32Gradient = fp32.gradient();
        INDArray fp32Params = fp32.params();
        INDArray fp32Update = fp32.getFlattenedGradients().reshape(fp32Params.shape());
        mixed.setInput(features);
        mixed.setLabels(labels);
        mixed.computeGradientAndScore();
        Gradient mixedGradient = mixed.gradient();
        INDArray mixedParams = mixed.params();
        INDArray mixedUpdate = mixed.getFlattenedGradients().reshape(mixedParams.shape());
        int[] iteration = {0};
        double[] millis = Timing.medianMillis(warmups, repetitions, () -> {
            fp32.getUpdater().update(fp32, fp32Gradient, iteration[0], 0, BATCH, LayerWorkspaceMgr.noWorkspaces());
            fp32Params.subi(fp32Update);
        }, () -> {
            mixed.getUpdater().update(mixed, mixedGradient, iteration[0]++, 0, BATCH, LayerWorkspaceMgr.noWorkspaces());
            mixedParams.subi(mixedUpdate);
        });
        return new Row(fp32.numParams(), updaterName, millis[0], millis[1]);
    }
}
