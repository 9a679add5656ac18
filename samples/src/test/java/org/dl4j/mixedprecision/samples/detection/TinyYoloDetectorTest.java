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

    private static final double[][] ANCHORS = {{8, 16}, {16, 16}};

    @Test
    void theGridIsTheInputOverTheCellAndTheOutputDecodes() {
        TinyYoloDetector detector = new TinyYoloDetector(64, 1, 3, 4, 16, ANCHORS);
        ComputationGraph network = new ComputationGraph(detector.configuration(new Adam(1e-3), 1));
        network.init();
        assertEquals(5, network.getConfiguration().getVertices().keySet().stream().filter(n -> n.startsWith("conv")).count(),
                "4 poolings to a 16-pixel cell, then one more block");
        INDArray images = Nd4j.rand(DataType.FLOAT, 2, 1, 64, 64);
        INDArray output = network.outputSingle(images);
        assertArrayEquals(new long[] {2, ANCHORS.length * (5 + 3), 4, 4}, output.shape());
        List<List<Box>> boxes = detector.detect(network, images, 0.0);
        assertEquals(2, boxes.size());
        assertEquals(ANCHORS.length * 16, boxes.get(0).size(), "every anchor of every cell at threshold 0");
    }

    @Test
    void aSizeThatIsNotAMultipleOfAPowerOfTwoCellIsRefused() {
        IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
                () -> new TinyYoloDetector(50, 1, 3, 4, 16, ANCHORS));
        assertTrue(size.getMessage().contains("multiple of the grid cell (16 pixels), got 50"), size.getMessage());
        IllegalArgumentException cell = assertThrows(IllegalArgumentException.class, () -> TinyYoloDetector.grid(48, 12));
        assertTrue(cell.getMessage().contains("power of 2"), cell.getMessage());
        assertEquals(3, TinyYoloDetector.grid(48, 16));
    }

    @Test
    void dataVecLabelsDecodeToBoxesInPixels() {
        // [examples, 4 + classes, grid height, grid width]: one object of class 1 in cell (row 1, column 0)
        // with corners (0.25, 1.0) and (0.75, 1.5) in cells.
        INDArray labels = Nd4j.zeros(DataType.FLOAT, 1, 6, 2, 2);
        float[] values = {0.25f, 1.0f, 0.75f, 1.5f, 0f, 1f};
        for (int v = 0; v < values.length; v++) {
            labels.putScalar(new long[] {0, v, 1, 0}, values[v]);
        }
        List<Box> boxes = TinyYoloDetector.truth(labels, 32).get(0);
        assertEquals(List.of(Box.truth(1, 8, 32, 24, 48)), boxes);
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
        TinyYoloDetector detector = new TinyYoloDetector(64, 1, 3, 4, 32, ANCHORS);
        List<Box> boxes = detector.decode(perAnchor.reshape('c', 1, 16, 2, 2), 0.5).get(0);
        assertEquals(1, boxes.size());
        Box box = boxes.get(0);
        assertEquals(1, box.classIndex());
        assertEquals(0.72, box.confidence(), 1e-6);
        // Center (1.5, 0.25) cells = (48, 8) pixels; 32 x 16 pixels.
        assertEquals(32, box.x1(), 1e-4);
        assertEquals(0, box.y1(), 1e-4);
        assertEquals(64, box.x2(), 1e-4);
        assertEquals(16, box.y2(), 1e-4);
        assertTrue(detector.decode(perAnchor.reshape('c', 1, 16, 2, 2), 0.75).get(0).isEmpty());
    }
}
