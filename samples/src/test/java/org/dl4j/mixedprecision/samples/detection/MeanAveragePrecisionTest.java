package org.dl4j.mixedprecision.samples.detection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Hand-made cases whose answers are worked out in the comments. */
class MeanAveragePrecisionTest {

    private static final double EXACT = 1e-12;

    @Test
    void intersectionOverUnion() {
        Box box = Box.truth(0, 0, 0, 10, 10);
        assertEquals(1.0, box.iou(Box.truth(0, 0, 0, 10, 10)), EXACT);
        assertEquals(0.0, box.iou(Box.truth(0, 10, 0, 20, 10)), EXACT, "touching edges do not overlap");
        // Half of each box overlaps: intersection 50, union 150.
        assertEquals(1.0 / 3, box.iou(Box.truth(0, 5, 0, 15, 10)), EXACT);
    }

    @Test
    void perfectDetectionsScoreOne() {
        MeanAveragePrecision map = new MeanAveragePrecision(2, 0.45);
        map.add(List.of(Box.truth(0, 0, 0, 10, 10), Box.truth(1, 20, 20, 30, 30)),
                List.of(prediction(0, 0, 0, 10, 10, 0.9), prediction(1, 20, 20, 30, 30, 0.8)));
        assertEquals(1.0, map.at(0.5), EXACT);
        assertEquals(1.0, map.averagedOverCocoThresholds(), EXACT);
    }

    @Test
    void missesDuplicatesAndFalseAlarmsFollowTheInterpolatedCurve() {
        // Three objects A, B, C. By confidence: a hit on A, a false alarm, a hit on B, a duplicate of A (IoU
        // 0.43 with A: below NMS's 0.45, so it survives, and above the 0.3 threshold used here); C is missed.
        // Precision 1, 1/2, 2/3, 1/2 at recall 1/3, 1/3, 2/3, 2/3. Interpolated: 1 up to recall 1/3, 2/3 up
        // to 2/3, so AP = 1/3 x 1 + 1/3 x 2/3 = 5/9.
        MeanAveragePrecision map = new MeanAveragePrecision(1, 0.45);
        map.add(List.of(Box.truth(0, 0, 0, 10, 10), Box.truth(0, 20, 0, 30, 10), Box.truth(0, 40, 0, 50, 10)),
                List.of(prediction(0, 0, 0, 10, 10, 0.9), prediction(0, 60, 0, 70, 10, 0.8),
                        prediction(0, 20, 0, 30, 10, 0.7), prediction(0, 4, 0, 14, 10, 0.6)));
        assertEquals(5.0 / 9, map.at(0.3), EXACT);
    }

    @Test
    void theMeanRunsOverClassesWithGroundTruth() {
        // Class 0: found, AP 1. Class 1: two objects, one found, AP 1/2. Class 2: no ground truth, ignored
        // although it has a (false) prediction.
        MeanAveragePrecision map = new MeanAveragePrecision(3, 0.45);
        map.add(List.of(Box.truth(0, 0, 0, 10, 10), Box.truth(1, 20, 0, 30, 10), Box.truth(1, 40, 0, 50, 10)),
                List.of(prediction(0, 0, 0, 10, 10, 0.9), prediction(1, 20, 0, 30, 10, 0.8),
                        prediction(2, 60, 0, 70, 10, 0.95)));
        assertEquals(0.75, map.at(0.5), EXACT);
    }

    @Test
    void detectionsOfDifficultObjectsCountAsNeitherRightNorWrong() {
        // One object to find (A) and one difficult (D). By confidence: a hit on D (ignored, as VOC's devkit
        // does), a false alarm, a hit on A. Counted: precision 0, 1/2 at recall 0, 1: AP = 1/2. Without the
        // difficult box the hit on D would be a false alarm too: precision 0, 0, 1/3, AP = 1/3.
        List<Box> predictions = List.of(prediction(0, 20, 0, 30, 10, 0.9), prediction(0, 60, 0, 70, 10, 0.8),
                prediction(0, 0, 0, 10, 10, 0.7));
        MeanAveragePrecision voc = new MeanAveragePrecision(1, 0.45);
        voc.add(List.of(Box.truth(0, 0, 0, 10, 10)), List.of(Box.truth(0, 20, 0, 30, 10)), predictions);
        assertEquals(0.5, voc.at(0.5), EXACT);
        MeanAveragePrecision plain = new MeanAveragePrecision(1, 0.45);
        plain.add(List.of(Box.truth(0, 0, 0, 10, 10)), predictions);
        assertEquals(1.0 / 3, plain.at(0.5), EXACT);
    }

    @Test
    void cocoThresholdsCountAMatchOnlyUpToItsIou() {
        // IoU exactly 0.6: a true positive at thresholds 0.50, 0.55 and 0.60, a false positive at the other 7.
        MeanAveragePrecision map = new MeanAveragePrecision(1, 0.45);
        map.add(List.of(Box.truth(0, 0, 0, 10, 10)), List.of(prediction(0, 0, 0, 10, 6, 0.9)));
        assertEquals(1.0, map.at(0.6), EXACT);
        assertEquals(0.0, map.at(0.65), EXACT);
        assertEquals(0.3, map.averagedOverCocoThresholds(), EXACT);
    }

    @Test
    void nonMaximumSuppressionKeepsTheMostConfidentOfOverlappingBoxesOfAClass() {
        Box best = prediction(0, 0, 0, 10, 10, 0.9);
        Box overlapping = prediction(0, 1, 0, 11, 10, 0.8);   // IoU 9/11 with best
        Box otherClass = prediction(1, 1, 0, 11, 10, 0.7);
        Box apart = prediction(0, 30, 0, 40, 10, 0.6);
        assertEquals(List.of(best, otherClass, apart),
                MeanAveragePrecision.nonMaximumSuppression(List.of(apart, overlapping, otherClass, best), 0.45));

        // Without suppression the overlapping box would be a duplicate (a false positive) and lower AP.
        MeanAveragePrecision map = new MeanAveragePrecision(1, 0.45);
        map.add(List.of(Box.truth(0, 0, 0, 10, 10)), List.of(best, overlapping));
        assertEquals(1.0, map.at(0.5), EXACT);
    }

    @Test
    void badInputIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> Box.truth(0, 10, 0, 5, 10));
        assertThrows(IllegalArgumentException.class, () -> Box.truth(-1, 0, 0, 5, 10));
        MeanAveragePrecision map = new MeanAveragePrecision(2, 0.45);
        assertThrows(IllegalArgumentException.class, () -> map.add(List.of(Box.truth(2, 0, 0, 1, 1)), List.of()));
    }

    private static Box prediction(int classIndex, double x1, double y1, double x2, double y2, double confidence) {
        return new Box(classIndex, x1, y1, x2, y2, confidence);
    }
}
