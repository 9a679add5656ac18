package org.dl4j.mixedprecision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.graph.AttentionVertex;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.L2NormalizeVertex;
import org.deeplearning4j.nn.conf.graph.L2Vertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.PreprocessorVertex;
import org.deeplearning4j.nn.conf.graph.ReshapeVertex;
import org.deeplearning4j.nn.conf.graph.ScaleVertex;
import org.deeplearning4j.nn.conf.graph.ShiftVertex;
import org.deeplearning4j.nn.conf.graph.StackVertex;
import org.deeplearning4j.nn.conf.graph.SubsetVertex;
import org.deeplearning4j.nn.conf.graph.UnstackVertex;
import org.deeplearning4j.nn.conf.graph.rnn.LastTimeStepVertex;
import org.deeplearning4j.nn.conf.graph.rnn.ReverseTimeSeriesVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.AutoEncoder;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.Convolution1DLayer;
import org.deeplearning4j.nn.conf.layers.Convolution3D;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Deconvolution2D;
import org.deeplearning4j.nn.conf.layers.Deconvolution3D;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.EmbeddingLayer;
import org.deeplearning4j.nn.conf.layers.EmbeddingSequenceLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.GravesBidirectionalLSTM;
import org.deeplearning4j.nn.conf.layers.GravesLSTM;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.LearnedSelfAttentionLayer;
import org.deeplearning4j.nn.conf.layers.LocalResponseNormalization;
import org.deeplearning4j.nn.conf.layers.LocallyConnected1D;
import org.deeplearning4j.nn.conf.layers.LocallyConnected2D;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PReLULayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.RecurrentAttentionLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.SelfAttentionLayer;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.deeplearning4j.nn.conf.layers.SpaceToBatchLayer;
import org.deeplearning4j.nn.conf.layers.SpaceToDepthLayer;
import org.deeplearning4j.nn.conf.layers.Subsampling1DLayer;
import org.deeplearning4j.nn.conf.layers.Subsampling3DLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.Upsampling1D;
import org.deeplearning4j.nn.conf.layers.Upsampling2D;
import org.deeplearning4j.nn.conf.layers.Upsampling3D;
import org.deeplearning4j.nn.conf.layers.ZeroPadding1DLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPadding3DLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.conf.layers.convolutional.Cropping1D;
import org.deeplearning4j.nn.conf.layers.convolutional.Cropping2D;
import org.deeplearning4j.nn.conf.layers.convolutional.Cropping3D;
import org.deeplearning4j.nn.conf.layers.misc.ElementWiseMultiplicationLayer;
import org.deeplearning4j.nn.conf.layers.misc.RepeatVector;
import org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional;
import org.deeplearning4j.nn.conf.layers.recurrent.LastTimeStep;
import org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn;
import org.deeplearning4j.nn.conf.layers.recurrent.TimeDistributed;
import org.deeplearning4j.nn.conf.layers.util.MaskZeroLayer;
import org.deeplearning4j.nn.conf.layers.variational.VariationalAutoencoder;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToRnnPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The layer survey: each DL4J layer and graph vertex type, trained three steps with the layer under test
 * computing in HALF (every other layer in FP32) against FP32 from the same initial weights. Verdicts:
 * {@code HALF} when the mixed-precision update is within 5% of FP32's (relative L2 error of the parameter
 * update after three Sgd steps) with no skipped step, otherwise why not. The table it writes
 * ({@code target/layer-survey.md}) must agree with {@code docs/layer-survey.md}, and every layer type that
 * is not accurate in HALF must be one {@link PrecisionPolicy#mixedFloat16()} keeps in FLOAT.
 */
class LayerSurveyTest {

    private static final String TESTED = "tested";
    private static final double MAX_UPDATE_ERROR = 0.05;
    private static final int BATCH = 8;
    private static final int CLASSES = 3;
    private static final int STEPS = 3;

    /**
     * One surveyed type: a network around it and its data.
     *
     * @param tested     the layer or vertex configuration under test
     * @param halfLayers the layers that compute in HALF: the tested layer, or the layers feeding the vertex
     */
    private record Case(String type, Object tested, Set<String> halfLayers, Model fp32, MultiDataSet data) {
    }

    /** What the survey found for one type. */
    private record Finding(String type, String verdict, double updateError) {
    }

    /** @return a table row: the type, the verdict, what the default policy does */
    private static String row(Case c, Finding finding) {
        return "| " + c.type() + " | " + finding.verdict() + " | " + defaultPolicy(c) + " |";
    }

    /** @return what {@link PrecisionPolicy#mixedFloat16()} computes the tested layer (or the vertex's inputs) in */
    private static String defaultPolicy(Case c) {
        if (c.tested() instanceof Layer layer) {
            return PrecisionPolicy.mixedFloat16().computeTypeOf(layer).name();
        }
        ComputationGraphConfiguration mixed;
        try {
            mixed = MixedPrecision.configure(((ComputationGraph) c.fp32()).getConfiguration());
        } catch (IllegalArgumentException e) {
            return "refused";
        }
        Set<DataType> types = new java.util.HashSet<>();
        for (String name : c.halfLayers()) {
            types.add(((PrecisionLayer) ((org.deeplearning4j.nn.conf.graph.LayerVertex) mixed.getVertices().get(name))
                    .getLayerConf().getLayer()).getComputeType());
        }
        return "inputs " + (types.size() == 1 ? types.iterator().next().name() : types.toString());
    }

    @Test
    void everyLayerAndVertexTypeHasAVerdictThatTheDefaultPolicyAndTheDocsFollow() throws IOException {
        List<String> rows = new ArrayList<>();
        for (Case c : cases()) {
            Finding finding = survey(c);
            String row = row(c, finding);
            rows.add(row);
            System.out.printf("layer survey: %s (update error %.4f)%n", row, finding.updateError());
            if (finding.verdict().contains("in HALF")) {
                assertTrue(defaultPolicy(c).endsWith("FLOAT"), c.type() + " is not accurate in HALF ("
                        + finding.verdict() + "): the default policy must compute it (or its inputs) in FLOAT");
            }
        }
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target", "layer-survey.md"), String.join("\n", rows) + "\n");
        List<String> documented = Files.readAllLines(Path.of("..", "docs", "layer-survey.md"), StandardCharsets.UTF_8)
                .stream().filter(line -> line.startsWith("| ") && !line.startsWith("| type ")).toList();
        assertEquals(rows, documented, "docs/layer-survey.md: replace its table rows by those of"
                + " dl4j-mixedprecision/target/layer-survey.md");
    }

    /**
     * Every mixed-precision configuration reads back from its JSON (ModelSerializer files, ParallelWrapper's
     * workers, transfer learning): the precision wrapper is a DL4J BaseLayer, and DL4J's deserializers take a
     * BaseLayer without an updater, weight init or activation for a legacy file (a wrapped pooling layer, an
     * output layer like Yolo2OutputLayer that is no BaseLayer) and failed with a ClassCastException.
     */
    @Test
    void everyMixedConfigurationReadsBackFromItsJson() {
        for (Case c : cases()) {
            Model mixed;
            try {
                mixed = c.fp32() instanceof MultiLayerNetwork net ? MixedPrecision.enable(net)
                        : MixedPrecision.enable((ComputationGraph) c.fp32());
            } catch (RuntimeException e) {
                continue; // refused types: in the survey's table
            }
            if (mixed instanceof MultiLayerNetwork net) {
                String json = net.getLayerWiseConfigurations().toJson();
                assertEquals(net.getLayerWiseConfigurations(),
                        org.deeplearning4j.nn.conf.MultiLayerConfiguration.fromJson(json), c.type());
            } else {
                String json = ((ComputationGraph) mixed).getConfiguration().toJson();
                assertEquals(((ComputationGraph) mixed).getConfiguration(), ComputationGraphConfiguration.fromJson(json),
                        c.type());
            }
        }
    }

    private static Finding survey(Case c) {
        INDArray initial = c.fp32().params().dup();
        Model mixed;
        try {
            MixedPrecisionConfig config = MixedPrecisionConfig.builder().precisionPolicy(onlyInHalf(c))
                    .maxConsecutiveSkippedSteps(STEPS).build();
            mixed = c.fp32() instanceof MultiLayerNetwork net ? MixedPrecision.enable(net, config)
                    : MixedPrecision.enable((ComputationGraph) c.fp32(), config);
        } catch (RuntimeException e) {
            return new Finding(c.type(), "refused: " + firstLine(e), Double.NaN);
        }
        try {
            for (int i = 0; i < STEPS; i++) {
                fit(c.fp32(), c.data());
            }
        } catch (RuntimeException e) {
            return new Finding(c.type(), "fails in FP32 too (DL4J): " + firstLine(e), Double.NaN);
        }
        try {
            for (int i = 0; i < STEPS; i++) {
                fit(mixed, c.data());
            }
        } catch (RuntimeException e) {
            return new Finding(c.type(), "fails in HALF: " + firstLine(e), Double.NaN);
        }
        long skipped = MixedPrecision.status(mixed).skippedSteps();
        INDArray fp32Update = c.fp32().params().sub(initial);
        INDArray mixedUpdate = mixed.params().sub(initial);
        double error = fp32Update.sub(mixedUpdate).norm2Number().doubleValue() / fp32Update.norm2Number().doubleValue();
        if (skipped > 0) {
            return new Finding(c.type(), "Inf/NaN in HALF: " + skipped + " of " + STEPS + " steps skipped", error);
        }
        if (!(error <= MAX_UPDATE_ERROR)) {
            return new Finding(c.type(), "inaccurate in HALF: update error above " + MAX_UPDATE_ERROR, error);
        }
        return new Finding(c.type(), "HALF", error);
    }

    /** @return a policy computing the case's HALF layers in HALF and every other layer in FLOAT */
    private static PrecisionPolicy onlyInHalf(Case c) {
        PrecisionPolicy policy = PrecisionPolicy.allHalf();
        for (Layer layer : Network.of(c.fp32()).layerConfigurations()) {
            String name = layer.getLayerName();
            policy = policy.withLayer(name, c.halfLayers().contains(name) ? DataType.HALF : DataType.FLOAT);
        }
        return policy;
    }

    private static void fit(Model network, MultiDataSet data) {
        if (network instanceof MultiLayerNetwork net) {
            net.fit(new org.nd4j.linalg.dataset.DataSet(data.getFeatures(0), data.getLabels(0)));
        } else {
            ((ComputationGraph) network).fit(data);
        }
    }

    private static String firstLine(RuntimeException e) {
        String message = String.valueOf(e.getMessage()).split("\n")[0];
        return (e.getClass().getSimpleName() + ": " + (message.length() > 90 ? message.substring(0, 90) + "..." : message))
                .trim();
    }

    // ---- the cases

    private static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        // feed-forward input [batch, 8]
        cases.add(ff("DenseLayer", new DenseLayer.Builder().nOut(8).activation(Activation.TANH)));
        cases.add(ff("DenseLayer with layer norm", new DenseLayer.Builder().nOut(8).hasLayerNorm(true)
                .activation(Activation.TANH)));
        cases.add(ff("ActivationLayer", new ActivationLayer.Builder().activation(Activation.TANH)));
        cases.add(ff("PReLULayer", new PReLULayer.Builder().inputShape(8)));
        cases.add(ff("ElementWiseMultiplicationLayer", new ElementWiseMultiplicationLayer.Builder().nOut(8)
                .activation(Activation.TANH)));
        cases.add(ff("AutoEncoder", new AutoEncoder.Builder().nOut(8).activation(Activation.TANH)));
        cases.add(ff("VariationalAutoencoder", new VariationalAutoencoder.Builder().nOut(4).encoderLayerSizes(8)
                .decoderLayerSizes(8).activation(Activation.TANH)));
        cases.add(ff("BatchNormalization (dense)", new BatchNormalization.Builder()));
        cases.add(mln("EmbeddingLayer", new EmbeddingLayer.Builder().nIn(10).nOut(8), InputType.feedForward(1),
                indices(BATCH, 1, 10), oneHot(BATCH, 0)));
        cases.add(mln("RepeatVector", new RepeatVector.Builder().repetitionFactor(4), InputType.feedForward(8),
                gaussian(BATCH, 8), oneHot(BATCH, 4)));
        // convolutional input [batch, 2, 12, 12]
        cases.add(cnn("ConvolutionLayer", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU)));
        cases.add(cnn("DepthwiseConvolution2D", new DepthwiseConvolution2D.Builder(3, 3).depthMultiplier(2)
                .activation(Activation.RELU)));
        cases.add(cnn("SeparableConvolution2D", new SeparableConvolution2D.Builder(3, 3).nOut(4)
                .activation(Activation.RELU)));
        cases.add(cnn("Deconvolution2D", new Deconvolution2D.Builder(3, 3).nOut(4).activation(Activation.RELU)));
        cases.add(cnn("SubsamplingLayer (max)", new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2)));
        cases.add(cnn("SubsamplingLayer (avg)", new SubsamplingLayer.Builder(PoolingType.AVG).kernelSize(2, 2).stride(2, 2)));
        cases.add(cnn("SubsamplingLayer (pnorm)", new SubsamplingLayer.Builder(PoolingType.PNORM).kernelSize(2, 2).pnorm(2)
                .stride(2, 2)));
        cases.add(cnn("Upsampling2D", new Upsampling2D.Builder(2)));
        cases.add(cnn("ZeroPaddingLayer", new ZeroPaddingLayer.Builder(1, 1)));
        cases.add(mln("Cropping2D", null, new Cropping2D(1, 1), InputType.convolutional(12, 12, 2),
                gaussian(BATCH, 2, 12, 12), oneHot(BATCH, 0)));
        cases.add(cnn("SpaceToDepthLayer", new SpaceToDepthLayer.Builder(2, SpaceToDepthLayer.DataFormat.NCHW)));
        cases.add(mln("SpaceToBatchLayer", new SpaceToBatchLayer.Builder(new int[] {2, 2}),
                InputType.convolutional(12, 12, 2), gaussian(BATCH, 2, 12, 12), oneHot(4 * BATCH, 0)));
        cases.add(cnn("LocallyConnected2D", new LocallyConnected2D.Builder().kernelSize(3, 3).nOut(3)
                .activation(Activation.TANH)));
        cases.add(mln("LocalResponseNormalization", new LocalResponseNormalization.Builder(),
                InputType.convolutional(12, 12, 6), gaussian(BATCH, 6, 12, 12), oneHot(BATCH, 0)));
        cases.add(mln("BatchNormalization (convolutional, 9216 values per channel)", new BatchNormalization.Builder(),
                InputType.convolutional(24, 24, 2), gaussian(16, 2, 24, 24).addi(1.5), oneHot(16, 0)));
        cases.add(mln("GlobalPoolingLayer (avg over 9216 values)", new GlobalPoolingLayer.Builder(PoolingType.AVG),
                InputType.convolutional(24, 24, 2), gaussian(16, 2, 24, 24).addi(1.5), oneHot(16, 0)));
        // convolutional 3D input [batch, 2, 6, 6, 6]
        cases.add(cnn3d("Convolution3D", new Convolution3D.Builder(2, 2, 2).dataFormat(Convolution3D.DataFormat.NCDHW).nOut(3).activation(Activation.RELU)));
        cases.add(cnn3d("Deconvolution3D", new Deconvolution3D.Builder().kernelSize(2, 2, 2).nOut(3).activation(Activation.RELU)));
        cases.add(cnn3d("Subsampling3DLayer", new Subsampling3DLayer.Builder(2, 2, 2).stride(2, 2, 2)));
        cases.add(cnn3d("Upsampling3D", new Upsampling3D.Builder(2)));
        cases.add(cnn3d("ZeroPadding3DLayer", new ZeroPadding3DLayer.Builder(1, 1, 1)));
        cases.add(cnn3d("Cropping3D", new Cropping3D.Builder(1, 1, 1)));
        // recurrent input [batch, 4, 6]
        cases.add(rnn("LSTM", new LSTM.Builder().nOut(6).activation(Activation.TANH)));
        cases.add(rnn("GravesLSTM", new GravesLSTM.Builder().nOut(6).activation(Activation.TANH)));
        cases.add(rnn("GravesBidirectionalLSTM", new GravesBidirectionalLSTM.Builder().nOut(6)
                .activation(Activation.TANH)));
        cases.add(rnn("SimpleRnn", new SimpleRnn.Builder().nOut(6).activation(Activation.TANH)));
        cases.add(mln("Bidirectional", null, new Bidirectional(new LSTM.Builder().nOut(6).build()),
                InputType.recurrent(4, 6), gaussian(BATCH, 4, 6), oneHot(BATCH, 6)));
        cases.add(rnnLayer("MaskZeroLayer", new MaskZeroLayer(new LSTM.Builder().nOut(6).build(), 0.0)));
        cases.add(rnnLayer("TimeDistributed", new TimeDistributed(new DenseLayer.Builder().nOut(6)
                .activation(Activation.TANH).build())));
        cases.add(mln("LastTimeStep", null, new LastTimeStep(new LSTM.Builder().nOut(6).build()),
                InputType.recurrent(4, 6), gaussian(BATCH, 4, 6), oneHot(BATCH, 0)));
        cases.add(rnn("Convolution1DLayer", new Convolution1DLayer.Builder(2).nOut(4).activation(Activation.RELU)));
        cases.add(rnn("Subsampling1DLayer", new Subsampling1DLayer.Builder(2).stride(2)));
        cases.add(rnn("Upsampling1D", new Upsampling1D.Builder(2)));
        cases.add(rnn("ZeroPadding1DLayer", new ZeroPadding1DLayer.Builder(1)));
        cases.add(rnnLayer("Cropping1D", new Cropping1D(1)));
        cases.add(rnn("SelfAttentionLayer", new SelfAttentionLayer.Builder().nOut(4).nHeads(1).projectInput(true)));
        cases.add(rnn("LearnedSelfAttentionLayer", new LearnedSelfAttentionLayer.Builder().nOut(4).nHeads(1)
                .nQueries(3).projectInput(true)));
        cases.add(rnn("RecurrentAttentionLayer", new RecurrentAttentionLayer.Builder().nOut(4).nHeads(1)
                .projectInput(true).activation(Activation.TANH)));
        cases.add(rnn("LocallyConnected1D", new LocallyConnected1D.Builder().kernelSize(2).nOut(3)
                .activation(Activation.TANH)));
        cases.add(mln("EmbeddingSequenceLayer", new EmbeddingSequenceLayer.Builder().nIn(10).nOut(6).inputLength(6),
                InputType.recurrent(1, 6), indices(BATCH, 1, 10, 6), oneHot(BATCH, 6)));
        // graph vertices, fed by two HALF dense layers
        cases.add(vertex("MergeVertex", new MergeVertex()));
        cases.add(vertex("ElementWiseVertex (Add)", new ElementWiseVertex(ElementWiseVertex.Op.Add)));
        cases.add(vertex("ElementWiseVertex (Product)", new ElementWiseVertex(ElementWiseVertex.Op.Product)));
        cases.add(vertex("ElementWiseVertex (Max)", new ElementWiseVertex(ElementWiseVertex.Op.Max)));
        cases.add(vertex("StackVertex", new StackVertex()));
        cases.add(vertex("L2Vertex", new L2Vertex()));
        cases.add(oneInputVertex("SubsetVertex", new SubsetVertex(0, 3)));
        cases.add(oneInputVertex("ScaleVertex", new ScaleVertex(2.0)));
        cases.add(oneInputVertex("ShiftVertex", new ShiftVertex(1.0)));
        cases.add(oneInputVertex("L2NormalizeVertex", new L2NormalizeVertex()));
        cases.add(oneInputVertex("UnstackVertex", new UnstackVertex(0, 2)));
        cases.add(oneInputVertex("ReshapeVertex", new ReshapeVertex(BATCH, 6)));
        cases.add(oneInputVertex("PreprocessorVertex", new PreprocessorVertex(new FeedForwardToRnnPreProcessor())));
        cases.add(attentionVertex());
        cases.add(recurrentVertex("LastTimeStepVertex", new LastTimeStepVertex("in"), false));
        cases.add(recurrentVertex("ReverseTimeSeriesVertex", new ReverseTimeSeriesVertex("in"), true));
        return cases;
    }

    private static NeuralNetConfiguration.Builder base() {
        return new NeuralNetConfiguration.Builder().seed(7).dataType(DataType.FLOAT).updater(new Sgd(0.05));
    }

    private static Case ff(String type, Layer.Builder<?> layer) {
        return mln(type, layer, InputType.feedForward(8), gaussian(BATCH, 8), oneHot(BATCH, 0));
    }

    private static Case cnn(String type, Layer.Builder<?> layer) {
        return mln(type, layer, InputType.convolutional(12, 12, 2), gaussian(BATCH, 2, 12, 12), oneHot(BATCH, 0));
    }

    private static Case cnn3d(String type, Layer.Builder<?> layer) {
        return mln(type, layer, InputType.convolutional3D(Convolution3D.DataFormat.NCDHW, 6, 6, 6, 2), gaussian(BATCH, 2, 6, 6, 6), oneHot(BATCH, 0));
    }

    private static Case rnn(String type, Layer.Builder<?> layer) {
        return mln(type, layer, InputType.recurrent(4, 6), gaussian(BATCH, 4, 6), null);
    }

    private static Case rnnLayer(String type, Layer layer) {
        return mln(type, null, layer, InputType.recurrent(4, 6), gaussian(BATCH, 4, 6), null);
    }

    private static Case mln(String type, Layer.Builder<?> builder, InputType input, INDArray features, INDArray labels) {
        return mln(type, builder, null, input, features, labels);
    }

    /**
     * @param labels null for a recurrent output (labels one-hot per time step, as long as the layer's output)
     */
    private static Case mln(String type, Layer.Builder<?> builder, Layer built, InputType input, INDArray features,
                            INDArray labels) {
        Layer tested = built != null ? built : builder.build();
        tested.setLayerName(TESTED);
        InputType output = base().list().layer(tested.clone()).setInputType(input).build()
                .getLayerActivationTypes(input).get(0);
        boolean recurrentOutput = output.getType() == InputType.Type.RNN || labels != null && labels.rank() == 3;
        Layer outputLayer = recurrentOutput
                ? new RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(CLASSES).activation(Activation.SOFTMAX).build()
                : new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(CLASSES).activation(Activation.SOFTMAX).build();
        outputLayer.setLayerName("output");
        boolean threeD = output.getType() == InputType.Type.CNN3D;
        // DL4J M2.1 fails 3D layers followed by an output layer in FP32 too (its Cnn3DToFeedForwardPreProcessor
        // rejects NCDHW activations; a global pooling layer in between fails workspace validation): pool,
        // without workspaces
        NeuralNetConfiguration.ListBuilder list = (threeD ? base().trainingWorkspaceMode(WorkspaceMode.NONE)
                .inferenceWorkspaceMode(WorkspaceMode.NONE) : base()).list().layer(tested);
        if (threeD) {
            list.layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).name("pool").build());
        }
        MultiLayerConfiguration conf = list.layer(outputLayer).setInputType(input).overrideNinUponBuild(false).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        INDArray y = labels;
        if (y == null || recurrentOutput && y.rank() == 2) {
            long steps = ((InputType.InputTypeRecurrent) output).getTimeSeriesLength();
            y = oneHot(BATCH, steps);
        }
        return new Case(type, tested, Set.of(TESTED), net, new org.nd4j.linalg.dataset.MultiDataSet(features, y));
    }

    private static Case vertex(String type, GraphVertex vertex) {
        ComputationGraphConfiguration conf = base().graphBuilder()
                .addInputs("in")
                .addLayer("a", new DenseLayer.Builder().nIn(8).nOut(6).activation(Activation.TANH).build(), "in")
                .addLayer("b", new DenseLayer.Builder().nIn(8).nOut(6).activation(Activation.SIGMOID).build(), "in")
                .addVertex(TESTED, vertex, "a", "b")
                .addLayer("output", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(CLASSES)
                        .activation(Activation.SOFTMAX).build(), TESTED)
                .setOutputs("output")
                .setInputTypes(InputType.feedForward(8))
                .build();
        int examples = vertex instanceof StackVertex ? 2 * BATCH : BATCH;
        return graph(type, vertex, conf, gaussian(BATCH, 8), oneHot(examples, 0), "a", "b");
    }

    private static Case oneInputVertex(String type, GraphVertex vertex) {
        ComputationGraphConfiguration conf = base().graphBuilder()
                .addInputs("in")
                .addLayer("a", new DenseLayer.Builder().nIn(8).nOut(6).activation(Activation.TANH).build(), "in")
                .addVertex(TESTED, vertex, "a")
                .addLayer("output", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(CLASSES)
                        .activation(Activation.SOFTMAX).build(), TESTED)
                .setOutputs("output")
                .setInputTypes(InputType.feedForward(8))
                .build();
        int examples = vertex instanceof UnstackVertex ? BATCH / 2 : BATCH;
        return graph(type, vertex, conf, gaussian(BATCH, 8), oneHot(examples, 0), "a");
    }

    private static Case attentionVertex() {
        AttentionVertex vertex = new AttentionVertex.Builder().nInKeys(6).nInQueries(6).nInValues(6).nOut(6).nHeads(1)
                .projectInput(true).build();
        ComputationGraphConfiguration conf = base().graphBuilder()
                .addInputs("in")
                .addLayer("a", new LSTM.Builder().nIn(4).nOut(6).activation(Activation.TANH).build(), "in")
                .addVertex(TESTED, vertex, "a", "a", "a")
                .addLayer("output", new RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(CLASSES)
                        .activation(Activation.SOFTMAX).build(), TESTED)
                .setOutputs("output")
                .setInputTypes(InputType.recurrent(4, 6))
                .build();
        return graph("AttentionVertex", vertex, conf, gaussian(BATCH, 4, 6), oneHot(BATCH, 6), "a");
    }

    private static Case recurrentVertex(String type, GraphVertex vertex, boolean recurrentOutput) {
        Layer output = recurrentOutput
                ? new RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(CLASSES).activation(Activation.SOFTMAX).build()
                : new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(CLASSES).activation(Activation.SOFTMAX).build();
        ComputationGraphConfiguration conf = base().graphBuilder()
                .addInputs("in")
                .addLayer("a", new LSTM.Builder().nIn(4).nOut(6).activation(Activation.TANH).build(), "in")
                .addVertex(TESTED, vertex, "a")
                .addLayer("output", output, TESTED)
                .setOutputs("output")
                .setInputTypes(InputType.recurrent(4, 6))
                .build();
        return graph(type, vertex, conf, gaussian(BATCH, 4, 6), oneHot(BATCH, recurrentOutput ? 6 : 0), "a");
    }

    private static Case graph(String type, GraphVertex vertex, ComputationGraphConfiguration conf, INDArray features,
                              INDArray labels, String... halfLayers) {
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        return new Case(type, vertex, Set.of(halfLayers), graph, new org.nd4j.linalg.dataset.MultiDataSet(features, labels));
    }

    private static INDArray gaussian(long... shape) {
        return Nd4j.getRandomFactory().getNewRandomInstance(11).nextGaussian(shape).castTo(DataType.FLOAT);
    }

    private static INDArray indices(long... shapeAndRange) {
        long examples = shapeAndRange[0];
        long range = shapeAndRange[2];
        long steps = shapeAndRange.length > 3 ? shapeAndRange[3] : 1;
        INDArray indices = Nd4j.create(DataType.FLOAT, steps > 1 ? new long[] {examples, 1, steps} : new long[] {examples, 1});
        for (long i = 0; i < indices.length(); i++) {
            indices.putScalar(i, i % range);
        }
        return indices;
    }

    /** @return one-hot labels, [examples, classes], or [examples, classes, steps] for {@code steps > 0} */
    private static INDArray oneHot(long examples, long steps) {
        INDArray labels = Nd4j.zeros(DataType.FLOAT, steps > 0 ? new long[] {examples, CLASSES, steps}
                : new long[] {examples, CLASSES});
        for (int i = 0; i < examples; i++) {
            for (long t = 0; t < Math.max(1, steps); t++) {
                if (steps > 0) {
                    labels.putScalar(new long[] {i, (i + t) % CLASSES, t}, 1.0);
                } else {
                    labels.putScalar(new long[] {i, i % CLASSES}, 1.0);
                }
            }
        }
        return labels;
    }
}
