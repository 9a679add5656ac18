package org.dl4j.mixedprecision.arbiter;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.arbiter.optimize.api.ParameterSpace;
import org.deeplearning4j.arbiter.optimize.serde.jackson.JsonMapper;
import org.deeplearning4j.arbiter.util.LeafUtils;
import org.nd4j.shade.jackson.core.JsonProcessingException;

/**
 * The search space of a network together with its precision and, optionally, loss-scaling settings:
 * wrap Arbiter's {@code MultiLayerSpace} ({@link MultiLayerPrecisionSpace}) or
 * {@code ComputationGraphSpace} ({@link ComputationGraphPrecisionSpace}) and hand this to a candidate
 * generator in its place. Random and grid search then sample precision, initial loss scale and growth
 * interval like any other hyperparameter, and every candidate carries its {@link PrecisionSettings}
 * for {@link MixedPrecisionTaskCreator}.
 *
 * @param <S> the network's space
 * @param <C> the candidate type: Arbiter's configuration type with {@link PrecisionSettings} added
 */
public abstract class PrecisionSpace<S extends ParameterSpace<?>, C> implements ParameterSpace<C> {

    private static final long serialVersionUID = 1L;

    private S network;
    private ParameterSpace<Precision> precision;
    private ParameterSpace<Double> initialScale;
    private ParameterSpace<Integer> growthInterval;
    private int numParameters;

    /** For JSON deserialization only. */
    PrecisionSpace() {
    }

    /**
     * @param network        the network's space
     * @param precision      the precisions, e.g. {@code new PrecisionParameterSpace(Precision.FP32, Precision.MIXED)}
     * @param initialScale   initial loss scales, or null to calibrate the scale on the first minibatch
     * @param growthInterval growth intervals, or null for the default
     */
    PrecisionSpace(S network, ParameterSpace<Precision> precision, ParameterSpace<Double> initialScale,
                   ParameterSpace<Integer> growthInterval) {
        if (network == null || precision == null) {
            throw new IllegalArgumentException("A PrecisionSpace needs the network's space and a precision space");
        }
        this.network = network;
        this.precision = precision;
        this.initialScale = initialScale;
        this.growthInterval = growthInterval;
        // The network's space numbered its own leaves; number them again together with ours.
        for (ParameterSpace leaf : LeafUtils.getUniqueObjects(collectLeaves())) {
            int[] indices = new int[leaf.numParameters()];
            for (int i = 0; i < indices.length; i++) {
                indices[i] = numParameters++;
            }
            leaf.setIndices(indices);
        }
    }

    /** @return the candidate: the network's configuration with the precision settings */
    abstract C combine(Object networkValue, PrecisionSettings settings);

    /** @return the network's space */
    public S network() {
        return network;
    }

    @Override
    public C getValue(double[] parameterValues) {
        PrecisionSettings settings = new PrecisionSettings(precision.getValue(parameterValues),
                initialScale == null ? null : initialScale.getValue(parameterValues),
                growthInterval == null ? null : growthInterval.getValue(parameterValues));
        return combine(network.getValue(parameterValues), settings);
    }

    @Override
    public int numParameters() {
        return numParameters;
    }

    @Override
    public List<ParameterSpace> collectLeaves() {
        List<ParameterSpace> leaves = new ArrayList<>();
        for (ParameterSpace<?> space : getNestedSpaces().values()) {
            leaves.addAll(space.collectLeaves());
        }
        return leaves;
    }

    @Override
    public Map<String, ParameterSpace> getNestedSpaces() {
        Map<String, ParameterSpace> spaces = new LinkedHashMap<>();
        spaces.put("network", network);
        spaces.put("precision", precision);
        if (initialScale != null) {
            spaces.put("initialScale", initialScale);
        }
        if (growthInterval != null) {
            spaces.put("growthInterval", growthInterval);
        }
        return spaces;
    }

    /** @return the space as Arbiter's JSON (Arbiter's own {@code JsonMapper}) */
    public String toJson() {
        try {
            return JsonMapper.getMapper().writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Cannot write the space as JSON", e);
        }
    }

    static <T extends PrecisionSpace<?, ?>> T fromJson(String json, Class<T> type) {
        try {
            return JsonMapper.getMapper().readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("Not a " + type.getSimpleName() + " in JSON: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean isLeaf() {
        return false;
    }

    @Override
    public void setIndices(int... indices) {
        throw new UnsupportedOperationException("A PrecisionSpace is not a leaf: it numbers its leaves itself");
    }
}
