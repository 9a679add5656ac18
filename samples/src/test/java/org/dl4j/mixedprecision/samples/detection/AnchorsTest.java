package org.dl4j.mixedprecision.samples.detection;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AnchorsTest {

    private static Box sized(double width, double height) {
        return Box.truth(0, 100, 100, 100 + width, 100 + height);
    }

    @Test
    void twoGroupsOfBoxSizesGiveTheirMeanSizes() {
        // Narrow tall boxes around 10x20 and wide ones around 40x30; given in an order that mixes them.
        List<Box> boxes = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            boxes.add(sized(38 + i, 30));
            boxes.add(sized(9 + i % 2 * 2, 20));
        }
        double[][] anchors = Anchors.fit(boxes, 2);
        assertArrayEquals(new double[] {10, 20}, anchors[0], 1e-9, "the smaller group first");
        assertArrayEquals(new double[] {39.5, 30}, anchors[1], 1e-9);
    }

    @Test
    void oneAnchorIsTheMeanOfAllAndTooManyAnchorsAreRefused() {
        double[][] anchors = Anchors.fit(List.of(sized(10, 10), sized(20, 30)), 1);
        assertArrayEquals(new double[] {15, 20}, anchors[0], 1e-9);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Anchors.fit(List.of(sized(10, 10)), 2));
        assertEquals("Cannot fit 2 anchors to 1 boxes: use between 1 and the number of boxes", e.getMessage());
    }

    @Test
    void centeredIouComparesShapesOnly() {
        assertEquals(1.0, Anchors.centeredIou(new double[] {4, 8}, new double[] {4, 8}), 1e-12);
        // 4x8 and 8x4 share a 4x4 square: 16 / (32 + 32 - 16).
        assertEquals(1.0 / 3, Anchors.centeredIou(new double[] {4, 8}, new double[] {8, 4}), 1e-12);
    }
}
