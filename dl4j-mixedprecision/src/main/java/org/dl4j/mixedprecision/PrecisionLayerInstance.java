package org.dl4j.mixedprecision;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.api.TrainingConfig;
import org.deeplearning4j.nn.api.layers.LayerConstraint;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.wrapper.BaseWrapperLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.indexing.conditions.Conditions;
import org.nd4j.linalg.learning.regularization.Regularization;

/**
 * The runtime layer of a {@link PrecisionLayer}: the wrapped DL4J layer, computing in HALF or FLOAT, in a
 * network whose parameters and gradients are FLOAT.
 *
 * <p>Everything DL4J reads or writes through the layer's parameter methods ({@code params()},
 * {@code paramTable()}, {@code setParam}, constraints, the regularization score) is the FLOAT parameters.
 * In HALF, the wrapped layer runs on a HALF copy of them, refreshed before every forward pass, so that any
 * change DL4J makes to the FLOAT parameters (the step, {@code setParams}, parameter averaging) is what the
 * next forward pass computes with.
 */
class PrecisionLayerInstance extends BaseWrapperLayer {

    private final DataType computeType;
    private final HalfConversion conversion = HalfConversion.forBackend();
    private NeuralNetConfiguration conf;
    private INDArray params;
    private Map<String, INDArray> paramTable;
    private final INDArray halfParams;
    private INDArray gradientView;
    private Map<String, INDArray> gradientTable = Map.of();
    private INDArray halfGradients;
    private final List<INDArray> lossScaledGradients = new ArrayList<>();
    private Gradient lastGradient;

    /**
     * @param inner       the wrapped layer, instantiated on the FLOAT parameters (FLOAT) or on a HALF copy
     * @param conf        the network's configuration of this layer (its layer is the {@link PrecisionLayer})
     * @param computeType HALF or FLOAT
     * @param paramsView  this layer's view of the network's FLOAT parameters
     * @param paramTable  the FLOAT parameters by key
     */
    PrecisionLayerInstance(Layer inner, NeuralNetConfiguration conf, DataType computeType, INDArray paramsView,
                           Map<String, INDArray> paramTable) {
        super(inner);
        this.conf = conf;
        this.computeType = computeType;
        this.params = paramsView;
        this.paramTable = paramTable;
        NetworkStep.ownsParameters(paramsView, key());
        this.halfParams = computeType == DataType.HALF && paramsView != null && paramsView.length() > 0
                ? inner.params() : null;
    }

    /** @return the key this layer reports under: its index and name */
    String key() {
        return getIndex() + " (" + conf.getLayer().getLayerName() + ")";
    }

    // ---- forward pass

    /**
     * Runs the wrapped layer on the input it was given with {@code setInput}, cast to the compute type here,
     * in the workspace of the forward pass.
     */
    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        refreshComputeParams();
        castHeldInput(workspaceMgr);
        return underlying.activate(training, workspaceMgr);
    }

    /**
     * Casts the input the wrapped layer holds (from {@code setInput}) to the compute type. DL4J sets the
     * input of an output layer and computes its score and gradient without a call to {@code activate}.
     */
    void castHeldInput(LayerWorkspaceMgr workspaceMgr) {
        INDArray input = underlying.input();
        if (input != null && input.dataType() != computeType) {
            underlying.setInput(inComputeType(input, ArrayType.INPUT, workspaceMgr), workspaceMgr);
        }
    }

    @Override
    public INDArray activate(INDArray input, boolean training, LayerWorkspaceMgr workspaceMgr) {
        return underlying.activate(prepareForward(input, workspaceMgr), training, workspaceMgr);
    }

    /**
     * Refreshes the compute parameters before a forward pass.
     *
     * @return {@code input} in the compute type
     */
    INDArray prepareForward(INDArray input, LayerWorkspaceMgr workspaceMgr) {
        refreshComputeParams();
        return inComputeType(input, ArrayType.INPUT, workspaceMgr);
    }

    /**
     * @return {@code array} in the compute type, in the workspace of its array type where that is open (as
     *         in training, where the backward pass reads the input again), else detached (as in DL4J's inference
     *         paths, which open no input workspace)
     */
    private INDArray inComputeType(INDArray array, ArrayType type, LayerWorkspaceMgr workspaceMgr) {
        return castTo(computeType, array, type, workspaceMgr);
    }

    /** @see #inComputeType(INDArray, ArrayType, LayerWorkspaceMgr) */
    static INDArray castTo(DataType dataType, INDArray array, ArrayType type, LayerWorkspaceMgr workspaceMgr) {
        if (array == null || array.dataType() == dataType) {
            return array;
        }
        if (workspaceMgr != null && workspaceMgr.hasConfiguration(type) && workspaceMgr.isWorkspaceOpen(type)) {
            return workspaceMgr.castTo(type, dataType, array, false);
        }
        try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
            return array.castTo(dataType);
        }
    }

    /** @return {@code array} (a mask or recurrent state) in the compute type; null stays null */
    INDArray inComputeType(INDArray array) {
        return array == null ? null : array.castTo(computeType);
    }

    @Override
    public void setMaskArray(INDArray maskArray) {
        underlying.setMaskArray(inComputeType(maskArray));
    }

    @Override
    public Pair<INDArray, MaskState> feedForwardMaskArray(INDArray maskArray, MaskState currentMaskState,
                                                         int minibatchSize) {
        return underlying.feedForwardMaskArray(inComputeType(maskArray), currentMaskState, minibatchSize);
    }

    /** Copies the FLOAT parameters into the HALF ones the wrapped layer computes with. */
    private void refreshComputeParams() {
        if (halfParams != null) {
            conversion.toHalf(flat(params), flat(halfParams));
        }
    }

    // ---- backward pass

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        return finishBackprop(underlying.backpropGradient(computeEpsilon(epsilon, workspaceMgr), workspaceMgr));
    }

    /** @return {@code epsilon} in the compute type */
    INDArray computeEpsilon(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        return inComputeType(epsilon, ArrayType.ACTIVATION_GRAD, workspaceMgr);
    }

    /**
     * Reports the wrapped layer's backward pass to the network's step.
     *
     * @return its result with the gradient replaced by this layer's FLOAT gradient
     */
    Pair<Gradient, INDArray> finishBackprop(Pair<Gradient, INDArray> result) {
        reportGradient();
        lastGradient = floatGradient(result.getFirst());
        return new Pair<>(lastGradient, result.getSecond());
    }

    /**
     * Moves the wrapped layer's gradient into the network's FLOAT gradient, divided by the loss scale, and
     * reports its Inf/NaN values to the network's step.
     */
    void reportGradient() {
        if (gradientView == null || gradientView.length() == 0) {
            return;
        }
        NetworkStep step = NetworkStep.of(gradientView);
        double scale = step.scale();
        long nonFinite;
        if (halfGradients != null) {
            nonFinite = conversion.toFloat(flat(halfGradients), flat(gradientView), lossScaledGradients, scale);
        } else {
            if (scale != 1.0) {
                float reciprocal = (float) (1.0 / scale);
                for (INDArray part : lossScaledGradients) {
                    part.muli(reciprocal);
                }
            }
            nonFinite = gradientView.scan(Conditions.notFinite()).longValue();
        }
        double largest = 0.0;
        if (nonFinite == 0 && step.calibrating()) {
            for (INDArray part : lossScaledGradients) {
                largest = Math.max(largest, part.amaxNumber().doubleValue());
            }
        }
        step.hiddenBackprop(key(), check(nonFinite), largest);
    }

    /**
     * @param nonFinite the Inf/NaN values found in this layer's gradient
     * @return the check to report; on Inf/NaN it names the parameters that hold them (one scan each)
     */
    NetworkStep.GradientCheck check(long nonFinite) {
        if (nonFinite == 0) {
            return NetworkStep.GradientCheck.FINITE;
        }
        List<String> parameters = new ArrayList<>();
        gradientTable.forEach((key, gradient) -> {
            if (gradient.scan(Conditions.notFinite()).longValue() > 0) {
                parameters.add(conf.getLayer().getLayerName() + "_" + key);
            }
        });
        return new NetworkStep.GradientCheck(nonFinite, parameters);
    }

    /** @return the wrapped layer's gradient keys, mapped to this layer's FLOAT gradient views */
    private Gradient floatGradient(Gradient computed) {
        if (computed == null) {
            return null;
        }
        Gradient gradient = new DefaultGradient(gradientView);
        for (String key : computed.gradientForVariable().keySet()) {
            gradient.setGradientFor(key, gradientTable.get(key), computed.flatteningOrderForVariable(key));
        }
        return gradient;
    }

    // ---- parameters and gradients: the network's FLOAT arrays

    @Override
    public INDArray params() {
        return params;
    }

    @Override
    public long numParams() {
        return params == null ? 0 : params.length();
    }

    @Override
    public long numParams(boolean backwards) {
        return numParams();
    }

    @Override
    public void setParams(INDArray newParams) {
        if (newParams != params) {
            params.assign(newParams);
        }
    }

    @Override
    public void setParamsViewArray(INDArray paramsView) {
        this.params = paramsView;
        this.paramTable = conf.getLayer().initializer().init(conf, paramsView, false);
        if (halfParams == null) {
            underlying.setParamsViewArray(paramsView);
        }
    }

    @Override
    public INDArray getParam(String param) {
        return paramTable.get(param);
    }

    @Override
    public Map<String, INDArray> paramTable() {
        return paramTable(false);
    }

    @Override
    public Map<String, INDArray> paramTable(boolean backpropParamsOnly) {
        Map<String, INDArray> table = new LinkedHashMap<>();
        for (String key : underlying.paramTable(backpropParamsOnly).keySet()) {
            table.put(key, paramTable.get(key));
        }
        return table;
    }

    @Override
    public void setParamTable(Map<String, INDArray> table) {
        table.forEach(this::setParam);
    }

    @Override
    public void setParam(String key, INDArray value) {
        INDArray param = paramTable.get(key);
        if (param == null) {
            throw new IllegalArgumentException("Layer " + key() + " has no parameter \"" + key + "\", only "
                    + paramTable.keySet());
        }
        if (param != value) {
            param.assign(value);
        }
    }

    @Override
    public INDArray getGradientsViewArray() {
        return gradientView;
    }

    @Override
    public void setBackpropGradientsViewArray(INDArray gradients) {
        this.gradientView = gradients;
        if (gradients != null && gradients.length() > 0) {
            NetworkStep.of(gradients).parametersIn(params);
        }
        this.gradientTable = conf.getLayer().initializer().getGradientsFromFlattened(conf, gradients);
        lossScaledGradients.clear();
        INDArray flatGradients = flat(gradients);
        for (Map.Entry<String, INDArray> entry : gradientTable.entrySet()) {
            if (underlying.updaterDivideByMinibatch(entry.getKey())) {
                long start = entry.getValue().offset() - flatGradients.offset();
                lossScaledGradients.add(flatGradients.get(NDArrayIndex.interval(start, start + entry.getValue().length())));
            }
        }
        // Initializers list parameters in their own order (DepthwiseConvolution2D: weights, then the bias
        // that precedes them); the conversion walks the parts in memory order.
        lossScaledGradients.sort(Comparator.comparingLong(INDArray::offset));
        if (halfParams != null) {
            halfGradients = Nd4j.createUninitializedDetached(DataType.HALF, gradients.shape());
            underlying.setBackpropGradientsViewArray(halfGradients);
        } else {
            underlying.setBackpropGradientsViewArray(gradients);
        }
    }

    @Override
    public Gradient gradient() {
        return lastGradient;
    }

    @Override
    public void applyConstraints(int iteration, int epoch) {
        List<LayerConstraint> constraints = conf.getLayer() instanceof PrecisionLayer layer
                ? layer.getUnderlying().getConstraints() : null;
        if (constraints != null) {
            for (LayerConstraint constraint : constraints) {
                constraint.applyConstraint(this, iteration, epoch);
            }
        }
    }

    @Override
    public double calcRegularizationScore(boolean backpropParamsOnly) {
        double score = 0.0;
        org.deeplearning4j.nn.conf.layers.Layer inner = ((PrecisionLayer) conf.getLayer()).getUnderlying();
        for (Map.Entry<String, INDArray> entry : paramTable(backpropParamsOnly).entrySet()) {
            List<Regularization> regularizations = inner.getRegularizationByParam(entry.getKey());
            if (regularizations != null) {
                for (Regularization regularization : regularizations) {
                    score += regularization.score(entry.getValue(), getIterationCount(), getEpochCount());
                }
            }
        }
        return score;
    }

    // ---- configuration

    @Override
    public NeuralNetConfiguration conf() {
        return conf;
    }

    @Override
    public void setConf(NeuralNetConfiguration conf) {
        this.conf = conf;
    }

    @Override
    public TrainingConfig getConfig() {
        return conf.getLayer();
    }

    // ---- what a mixed-precision layer refuses

    @Override
    public void fit() {
        throw pretrainingRefused();
    }

    @Override
    public void fit(INDArray data, LayerWorkspaceMgr workspaceMgr) {
        throw pretrainingRefused();
    }

    @Override
    public void update(Gradient gradient) {
        throw pretrainingRefused();
    }

    @Override
    public void update(INDArray gradient, String paramType) {
        throw pretrainingRefused();
    }

    private UnsupportedOperationException pretrainingRefused() {
        return new UnsupportedOperationException("Layer " + key() + " of a mixed-precision network cannot be"
                + " trained on its own (pretrain/pretrainLayer): pretrain the FP32 network first, then"
                + " make it mixed precision with MixedPrecision.configure");
    }

    static INDArray flat(INDArray array) {
        return array.rank() == 1 ? array : array.reshape(array.length());
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "(" + computeType + ", " + underlying + ")";
    }
}
