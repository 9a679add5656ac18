package org.dl4j.mixedprecision;

import java.util.LinkedHashMap;
import java.util.Map;
import org.deeplearning4j.nn.api.layers.RecurrentLayer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The runtime layer of a {@link PrecisionLayer} around a recurrent layer (LSTM, SimpleRnn, Bidirectional,
 * ...). DL4J's networks call the {@link RecurrentLayer} methods of a layer for {@code rnnTimeStep} and
 * truncated BPTT; this layer runs them on the wrapped layer in its compute type, as
 * {@link PrecisionLayerInstance} does for the plain forward and backward pass.
 */
final class RecurrentPrecisionLayerInstance extends PrecisionLayerInstance implements RecurrentLayer {

    private final RecurrentLayer recurrent;

    RecurrentPrecisionLayerInstance(RecurrentLayer inner, NeuralNetConfiguration conf, DataType computeType,
                                    INDArray paramsView, Map<String, INDArray> paramTable) {
        super(inner, conf, computeType, paramsView, paramTable);
        this.recurrent = inner;
    }

    @Override
    public INDArray rnnTimeStep(INDArray input, LayerWorkspaceMgr workspaceMgr) {
        return recurrent.rnnTimeStep(prepareForward(input, workspaceMgr), workspaceMgr);
    }

    @Override
    public INDArray rnnActivateUsingStoredState(INDArray input, boolean training, boolean storeLastForTBPTT,
                                                LayerWorkspaceMgr workspaceMgr) {
        return recurrent.rnnActivateUsingStoredState(prepareForward(input, workspaceMgr), training, storeLastForTBPTT,
                workspaceMgr);
    }

    @Override
    public Pair<Gradient, INDArray> tbpttBackpropGradient(INDArray epsilon, int tbpttBackLength,
                                                          LayerWorkspaceMgr workspaceMgr) {
        return finishBackprop(recurrent.tbpttBackpropGradient(computeEpsilon(epsilon, workspaceMgr), tbpttBackLength,
                workspaceMgr));
    }

    @Override
    public Map<String, INDArray> rnnGetPreviousState() {
        return recurrent.rnnGetPreviousState();
    }

    @Override
    public void rnnSetPreviousState(Map<String, INDArray> stateMap) {
        recurrent.rnnSetPreviousState(inComputeType(stateMap));
    }

    @Override
    public void rnnClearPreviousState() {
        recurrent.rnnClearPreviousState();
    }

    @Override
    public Map<String, INDArray> rnnGetTBPTTState() {
        return recurrent.rnnGetTBPTTState();
    }

    @Override
    public void rnnSetTBPTTState(Map<String, INDArray> state) {
        recurrent.rnnSetTBPTTState(inComputeType(state));
    }

    private Map<String, INDArray> inComputeType(Map<String, INDArray> state) {
        if (state == null) {
            return null;
        }
        Map<String, INDArray> cast = new LinkedHashMap<>();
        state.forEach((key, value) -> cast.put(key, inComputeType(value)));
        return cast;
    }
}
