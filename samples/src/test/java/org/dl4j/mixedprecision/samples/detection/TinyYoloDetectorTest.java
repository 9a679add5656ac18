package org.dl4j.mixedprecision.samples.detection;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

class TinyYoloDetectorTest {

    @Test
    void theGridIsAThirtySecondOfTheInputAndTheOutputDecodes() {
        ComputationGraph network = new ComputationGraph(TinyYoloDetector.configuration(64, 1, 3, 4, new Adam(1e-3), 1));
        network.init();
        INDArray images = Nd4j.rand(DataType.FLOAT, 2, 1, 64, 64);
        INDArray output = network.outputSingle(images);
        assertArrayEquals(new long[] {2, TinyYoloDetector.PRIORS.length * (5 + 3), 2, 2}, output.shape());
        List<List<Box>> boxes = TinyYoloDetector.detect(network, images, 0.0);
        assertEquals(2, boxes.size());
        assertEquals(TinyYoloDetector.PRIORS.length * 4, boxes.get(0).size(), "every anchor of every cell at threshold 0");
        assertThrows(IllegalArgumentException.class,
                () -> TinyYoloDetector.configuration(50, 1, 3, 4, new Adam(1e-3), 1));
    }

    @Test
    void decodingPlacesTheBoxInItsCellInPixels() {
        // One example, 2 anchors, 3 classes, a 2x2 grid. Anchor 1 in cell (row 0, column 1): x 0.5 and y 0.25
        // within the cell, 1 x 0.5 cells, objectness 0.9, class probabilities 0.1 / 0.8 / 0.1.
        INDArray perAnchor = Nd4j.zeros(DataType.FLOAT, 1, 2, 8, 2, 2);
        float[] values = {0.5f, 0.25f, 1f, 0.5f, 0.9f, 0.1f, 0.8f, 0.1f};
        for (int v = 0; v < values.length; v++) {
            perAnchor.putScalar(new long[] {0, 1, v, 0, 1}, values[v]);
        }
        List<Box> boxes = TinyYoloDetector.decode(perAnchor.reshape('c', 1, 16, 2, 2), 0.5).get(0);
        assertEquals(1, boxes.size());
        Box box = boxes.get(0);
        assertEquals(1, box.classIndex());
        assertEquals(0.72, box.confidence(), 1e-6);
        // Center (1.5, 0.25) cells = (48, 8) pixels; 32 x 16 pixels.
        assertEquals(32, box.x1(), 1e-4);
        assertEquals(0, box.y1(), 1e-4);
        assertEquals(64, box.x2(), 1e-4);
        assertEquals(16, box.y2(), 1e-4);
        assertTrue(TinyYoloDetector.decode(perAnchor.reshape('c', 1, 16, 2, 2), 0.75).get(0).isEmpty());
    }
}
