package org.dl4j.mixedprecision;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import org.nd4j.shade.jackson.annotation.JsonProperty;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.LearnedSelfAttentionLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.RecurrentAttentionLayer;
import org.deeplearning4j.nn.conf.layers.SelfAttentionLayer;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Which data type each layer of a mixed-precision network computes in, as Keras's {@code mixed_float16}
 * policy decides it: the network's parameters, gradients and updater state stay FLOAT; a layer computes in
 * HALF unless the policy keeps it in FLOAT.
 *
 * <p>{@link #mixedFloat16()} keeps in FLOAT what is inaccurate or broken in HALF on ND4J: layers that
 * reduce over many values along a dimension (ND4J's CPU backend accumulates such HALF reductions in FP16:
 * {@code BatchNormalization}'s batch mean, {@code GlobalPoolingLayer}) and the attention layers (Inf/NaN
 * in HALF). Output layers always
 * compute in FLOAT: the loss, softmax and the loss scale's first multiplication happen there. In a graph it
 * also keeps in FLOAT the layers that feed an {@code L2Vertex} or {@code L2NormalizeVertex}, which fail with
 * HALF inputs on ND4J. The layer survey ({@code docs/layer-survey.md}) is where these come from. A rule for
 * a layer name wins over a rule for a layer class, which wins over the defaults:
 *
 * <pre>{@code
 * PrecisionPolicy policy = PrecisionPolicy.mixedFloat16()
 *         .withLayer("att", DataType.FLOAT)                       // keep layer "att" in FP32
 *         .withLayerType(ConvolutionLayer.class, DataType.HALF);  // and every convolution in HALF
 * }</pre>
 *
 * <p>Instances are immutable; the {@code with...} methods return new policies.
 */
public final class PrecisionPolicy implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Layer classes {@link #mixedFloat16()} keeps in FLOAT, with why. */
    private static final Set<Class<? extends Layer>> FLOAT_BY_DEFAULT = Set.of(
            BatchNormalization.class,          // batch mean/variance: FP16 accumulation along dimensions on ND4J CPU
            GlobalPoolingLayer.class,          // the same reduction over height x width or time: a sum stalls at 8192
            SelfAttentionLayer.class,          // Inf/NaN in HALF on ND4J
            LearnedSelfAttentionLayer.class,   // not trainable on ND4J M2.1, in FP32 either (scatter_update)
            RecurrentAttentionLayer.class);    // Inf/NaN in HALF on ND4J

    private static final PrecisionPolicy MIXED_FLOAT16 = new PrecisionPolicy(true, Map.of(), Map.of());

    /**
     * True for {@link #mixedFloat16()}, which keeps its default layer classes in FLOAT; false for
     * {@link #allHalf()}.
     */
    @JsonProperty
    private final boolean floatDefaults;
    /** The data type of each layer named in a rule, by layer name. */
    @JsonProperty
    private final Map<String, DataType> byName;
    /** By the layer configuration's class name, so that the policy is plain JSON in a saved configuration. */
    @JsonProperty
    private final Map<String, DataType> byClass;

    /** For JSON: a {@link MixedPrecisionConfig} holds the policy it was built with. */
    @SuppressWarnings("unused")
    private PrecisionPolicy() {
        this(true, Map.of(), Map.of());
    }

    private PrecisionPolicy(boolean floatDefaults, Map<String, DataType> byName, Map<String, DataType> byClass) {
        this.floatDefaults = floatDefaults;
        this.byName = new TreeMap<>(byName);
        this.byClass = new TreeMap<>(byClass);
    }

    /** @return the default policy: HALF compute, but FLOAT for the layer classes listed above */
    public static PrecisionPolicy mixedFloat16() {
        return MIXED_FLOAT16;
    }

    /** @return a policy that runs every layer but the output layers in HALF, without the FLOAT defaults */
    public static PrecisionPolicy allHalf() {
        return new PrecisionPolicy(false, Map.of(), Map.of());
    }

    /**
     * @param layerName the name of a layer (as set with {@code .name(...)} or the graph's vertex name)
     * @param type      HALF or FLOAT
     * @return a policy that computes that layer in {@code type}
     */
    public PrecisionPolicy withLayer(String layerName, DataType type) {
        Objects.requireNonNull(layerName, "layerName");
        Map<String, DataType> names = new LinkedHashMap<>(byName);
        names.put(layerName, checked(type, "layer \"" + layerName + "\""));
        return new PrecisionPolicy(floatDefaults, names, byClass);
    }

    /**
     * @param layerClass a DL4J layer configuration class, such as {@code ConvolutionLayer.class}; its
     *                   subclasses are not included
     * @param type       HALF or FLOAT
     * @return a policy that computes every layer of that class in {@code type}
     */
    public PrecisionPolicy withLayerType(Class<? extends Layer> layerClass, DataType type) {
        Objects.requireNonNull(layerClass, "layerClass");
        Map<String, DataType> classes = new LinkedHashMap<>(byClass);
        classes.put(layerClass.getName(), checked(type, layerClass.getSimpleName()));
        return new PrecisionPolicy(floatDefaults, byName, classes);
    }

    /** @return the names of the layers this policy sets a data type for with {@link #withLayer} */
    Set<String> layerNames() {
        return byName.keySet();
    }

    /**
     * @param layer a hidden (not output) layer configuration
     * @return the data type the layer computes in: HALF or FLOAT
     */
    public DataType computeTypeOf(Layer layer) {
        return computeTypeOf(layer, false);
    }

    /**
     * @param layer              a hidden (not output) layer configuration
     * @param feedsFloatVertices true if the layer's output feeds a graph vertex that fails with HALF inputs
     * @return the data type the layer computes in: HALF or FLOAT
     */
    DataType computeTypeOf(Layer layer, boolean feedsFloatVertices) {
        DataType named = layer.getLayerName() == null ? null : byName.get(layer.getLayerName());
        if (named != null) {
            return named;
        }
        DataType typed = byClass.get(layer.getClass().getName());
        if (typed != null) {
            return typed;
        }
        return floatDefaults && (feedsFloatVertices || FLOAT_BY_DEFAULT.contains(layer.getClass()))
                ? DataType.FLOAT : DataType.HALF;
    }

    private static DataType checked(DataType type, String what) {
        if (type != DataType.HALF && type != DataType.FLOAT) {
            throw new IllegalArgumentException("A layer computes in HALF or FLOAT, got " + type + " for " + what
                    + ": use DataType.HALF or DataType.FLOAT");
        }
        return type;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PrecisionPolicy other && floatDefaults == other.floatDefaults
                && byName.equals(other.byName) && byClass.equals(other.byClass);
    }

    @Override
    public int hashCode() {
        return Objects.hash(floatDefaults, byName, byClass);
    }

    @Override
    public String toString() {
        return "PrecisionPolicy(" + (floatDefaults ? "mixedFloat16" : "allHalf") + ", layers=" + byName
                + ", layerTypes=" + byClass + ")";
    }
}
