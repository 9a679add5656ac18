package org.dl4j.mixedprecision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.learning.config.Adam;

/**
 * Mixed-precision configurations survive Java serialization, as DL4J's own do: Spark broadcasts a network's
 * configuration to its workers that way (dl4j-spark's parameter averaging failed with
 * {@code NotSerializableException: org.dl4j.mixedprecision.LossScaler}).
 */
class JavaSerializationTest {

    @Test
    void configurationsAndNetworksRoundTripWithTheirScalerState() throws Exception {
        MultiLayerNetwork mixed = MixedPrecision.enable(TestNets.init(TestNets.mlp(new Adam(1e-2), 1)),
                MixedPrecisionConfig.builder().precisionPolicy(PrecisionPolicy.mixedFloat16()
                        .withLayer("layer1", org.nd4j.linalg.api.buffer.DataType.FLOAT)).build());
        mixed.fit(TestNets.blobs(32, 2));
        MultiLayerConfiguration conf = mixed.getLayerWiseConfigurations();
        assertEquals(conf, roundTrip(conf));
        ComputationGraphConfiguration graph = MixedPrecision.configure(ComputationGraphTest.twoHeadGraph(new Adam(1e-2), 3));
        assertEquals(graph, roundTrip(graph));

        MultiLayerNetwork copy = roundTrip(mixed);
        assertTrue(MixedPrecision.isMixedPrecision(copy));
        assertEquals(MixedPrecision.status(mixed), MixedPrecision.status(copy));
        assertEquals(mixed.params(), copy.params());
    }

    @SuppressWarnings("unchecked")
    private static <T> T roundTrip(T object) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(object);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (T) in.readObject();
        }
    }
}
