package org.dl4j.mixedprecision;

import java.util.Objects;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.inputs.InvalidInputTypeException;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffVertex;
import org.deeplearning4j.nn.conf.memory.MemoryReport;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * A graph vertex with parameters (such as {@code AttentionVertex}) in a mixed-precision graph. It computes
 * in FLOAT on the graph's FLOAT parameters, casting HALF inputs; its parameter gradients are divided by the
 * loss scale and checked for Inf/NaN like a {@link PrecisionLayer}'s, and its updater is wrapped in a
 * {@link LossScaleUpdater}, so that a skipped step leaves it untouched.
 *
 * <p>Its class name and its field {@code underlying} are part of the network's JSON configuration.
 */
public final class PrecisionVertex extends GraphVertex {

    private static final long serialVersionUID = 1L;

    /** The graph vertex this vertex wraps. */
    @JsonProperty
    private GraphVertex underlying;

    /** For JSON deserialization only. */
    @SuppressWarnings("unused")
    private PrecisionVertex() {
    }

    /** @param underlying the vertex configuration, with parameters */
    public PrecisionVertex(GraphVertex underlying) {
        this.underlying = Objects.requireNonNull(underlying, "underlying");
    }

    /** @return the wrapped vertex configuration */
    public GraphVertex getUnderlying() {
        return underlying;
    }

    @Override
    public org.deeplearning4j.nn.graph.vertex.GraphVertex instantiate(ComputationGraph graph, String name, int idx,
                                                                      INDArray paramsView, boolean initializeParams,
                                                                      DataType networkDatatype) {
        return new PrecisionVertexInstance(underlying.instantiate(graph, name, idx, paramsView, initializeParams,
                networkDatatype));
    }

    @Override
    public long numParams(boolean backprop) {
        return underlying.numParams(backprop);
    }

    @Override
    public int minVertexInputs() {
        return underlying.minVertexInputs();
    }

    @Override
    public int maxVertexInputs() {
        return underlying.maxVertexInputs();
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType... vertexInputs) throws InvalidInputTypeException {
        return underlying.getOutputType(layerIndex, vertexInputs);
    }

    @Override
    public MemoryReport getMemoryReport(InputType... inputTypes) {
        return underlying.getMemoryReport(inputTypes);
    }

    @Override
    public void setDataType(DataType dataType) {
        underlying.setDataType(dataType);
    }

    @Override
    public PrecisionVertex clone() {
        GraphVertex copy = underlying.clone();
        if (underlying instanceof SameDiffVertex from && copy instanceof SameDiffVertex to) {
            // AttentionVertex.clone() (DL4J 1.0.0-M2.1) drops the training configuration: the cloned graph
            // would have no updater for the vertex
            to.setUpdater(from.getUpdater());
            to.setBiasUpdater(from.getBiasUpdater());
            to.setRegularization(from.getRegularization());
            to.setRegularizationBias(from.getRegularizationBias());
            to.setGradientNormalization(from.getGradientNormalization());
            to.setGradientNormalizationThreshold(from.getGradientNormalizationThreshold());
            to.setDataType(from.getDataType());
        }
        return new PrecisionVertex(copy);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PrecisionVertex other && underlying.equals(other.underlying);
    }

    @Override
    public int hashCode() {
        return 31 * underlying.hashCode() + 7;
    }

    @Override
    public String toString() {
        return "PrecisionVertex(" + underlying + ")";
    }
}
