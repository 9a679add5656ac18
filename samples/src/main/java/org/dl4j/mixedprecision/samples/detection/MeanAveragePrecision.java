package org.dl4j.mixedprecision.samples.detection;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Mean average precision of a detector, computed the standard way (PASCAL VOC 2010+): non-maximum
 * suppression per image and class, then per class every prediction of the test set, in order of
 * confidence, is matched to the ground-truth box of its image and class with the highest IoU; if that
 * IoU reaches the threshold and the box is not yet matched, the prediction is a true positive, otherwise
 * a false positive (a miss or a duplicate); a prediction whose best match is a ground-truth box VOC marks
 * difficult counts as neither, and difficult boxes are not among the boxes to find. Average precision
 * is the area under the precision/recall curve with all-point interpolation (precision at each recall
 * replaced by the highest precision at that recall or above). The mean runs over the classes that have
 * ground truth in the test set.
 *
 * <pre>{@code
 * MeanAveragePrecision map = new MeanAveragePrecision(10, 0.45);
 * map.add(truthBoxesOfImage1, predictionsOfImage1);
 * ...
 * double map50 = map.at(0.5);
 * double map50to95 = map.averagedOverCocoThresholds();
 * }</pre>
 */
public final class MeanAveragePrecision {

    private final int classes;
    private final double nmsThreshold;
    private final List<List<Box>> truths = new ArrayList<>();
    private final List<List<Box>> difficults = new ArrayList<>();
    private final List<List<Box>> predictions = new ArrayList<>();

    /**
     * @param classes      the number of classes
     * @param nmsThreshold predictions of a class overlapping a more confident one of the same image by more
     *                     than this IoU are dropped (YOLO uses 0.45)
     */
    public MeanAveragePrecision(int classes, double nmsThreshold) {
        if (classes < 1) {
            throw new IllegalArgumentException("classes must be >= 1, got " + classes);
        }
        this.classes = classes;
        this.nmsThreshold = nmsThreshold;
    }

    /**
     * Adds one test image.
     *
     * @param truth     its ground-truth boxes
     * @param predicted the detector's boxes for it, with confidences, before non-maximum suppression
     */
    public void add(List<Box> truth, List<Box> predicted) {
        add(truth, List.of(), predicted);
    }

    /**
     * Adds one test image with ground-truth boxes VOC marks difficult (neither to be found nor wrong to find).
     *
     * @param truth     its ground-truth boxes to find
     * @param difficult its difficult ground-truth boxes
     * @param predicted the detector's boxes for it, with confidences, before non-maximum suppression
     */
    public void add(List<Box> truth, List<Box> difficult, List<Box> predicted) {
        for (List<Box> boxes : List.of(truth, difficult, predicted)) {
            boxes.forEach(this::checkClass);
        }
        truths.add(List.copyOf(truth));
        difficults.add(List.copyOf(difficult));
        predictions.add(nonMaximumSuppression(predicted, nmsThreshold));
    }

    /** @return mAP at one IoU threshold (0.5 for VOC's mAP@0.5) */
    public double at(double iouThreshold) {
        double sum = 0.0;
        int counted = 0;
        for (int c = 0; c < classes; c++) {
            int truthCount = countTruths(c);
            if (truthCount > 0) {
                sum += averagePrecision(c, truthCount, iouThreshold);
                counted++;
            }
        }
        return counted == 0 ? 0.0 : sum / counted;
    }

    /** @return COCO's mAP@[0.5:0.95]: the mean of {@link #at} over IoU 0.50, 0.55, ..., 0.95 */
    public double averagedOverCocoThresholds() {
        double sum = 0.0;
        for (int percent = 50; percent <= 95; percent += 5) {
            sum += at(percent / 100.0);
        }
        return sum / 10;
    }

    /**
     * Greedy non-maximum suppression within each class: keeps the most confident box, drops the boxes of
     * its class that overlap it by more than {@code iouThreshold}, and repeats with the rest.
     *
     * @return the kept boxes, most confident first
     */
    public static List<Box> nonMaximumSuppression(List<Box> boxes, double iouThreshold) {
        List<Box> sorted = new ArrayList<>(boxes);
        sorted.sort(Comparator.comparingDouble(Box::confidence).reversed());
        List<Box> kept = new ArrayList<>();
        for (Box candidate : sorted) {
            boolean suppressed = kept.stream().anyMatch(box -> box.classIndex() == candidate.classIndex()
                    && box.iou(candidate) > iouThreshold);
            if (!suppressed) {
                kept.add(candidate);
            }
        }
        return kept;
    }

    private double averagePrecision(int classIndex, int truthCount, double iouThreshold) {
        record Scored(int image, Box box) {
        }
        List<Scored> scored = new ArrayList<>();
        List<boolean[]> matched = new ArrayList<>();
        for (int image = 0; image < truths.size(); image++) {
            matched.add(new boolean[truths.get(image).size()]);
            for (Box box : predictions.get(image)) {
                if (box.classIndex() == classIndex) {
                    scored.add(new Scored(image, box));
                }
            }
        }
        scored.sort(Comparator.comparingDouble((Scored s) -> s.box().confidence()).reversed());
        List<Double> precision = new ArrayList<>();
        List<Double> recall = new ArrayList<>();
        int truePositives = 0;
        for (Scored prediction : scored) {
            List<Box> imageTruths = truths.get(prediction.image());
            boolean[] imageMatched = matched.get(prediction.image());
            int best = -1;
            double bestIou = -1;
            for (int t = 0; t < imageTruths.size(); t++) {
                Box truth = imageTruths.get(t);
                double iou = truth.iou(prediction.box());
                if (truth.classIndex() == classIndex && iou > bestIou) {
                    best = t;
                    bestIou = iou;
                }
            }
            boolean difficult = false;
            for (Box truth : difficults.get(prediction.image())) {
                double iou = truth.iou(prediction.box());
                if (truth.classIndex() == classIndex && iou > bestIou) {
                    difficult = true;
                    bestIou = iou;
                }
            }
            if (difficult && bestIou >= iouThreshold) {
                continue; // VOC: a detection of a difficult object is neither right nor wrong
            }
            if (best >= 0 && bestIou >= iouThreshold && !imageMatched[best]) {
                imageMatched[best] = true;
                truePositives++;
            }
            precision.add((double) truePositives / (precision.size() + 1));
            recall.add((double) truePositives / truthCount);
        }
        return areaUnderInterpolatedCurve(precision.stream().mapToDouble(Double::doubleValue).toArray(),
                recall.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** All-point interpolation: sum over recall steps of the highest precision at that recall or above. */
    private static double areaUnderInterpolatedCurve(double[] precision, double[] recall) {
        double area = 0.0;
        double envelope = 0.0;
        for (int i = precision.length - 1; i >= 0; i--) {
            envelope = Math.max(envelope, precision[i]);
            double previousRecall = i == 0 ? 0.0 : recall[i - 1];
            area += (recall[i] - previousRecall) * envelope;
        }
        return area;
    }

    private int countTruths(int classIndex) {
        return (int) truths.stream().flatMap(List::stream).filter(box -> box.classIndex() == classIndex).count();
    }

    private void checkClass(Box box) {
        if (box.classIndex() >= classes) {
            throw new IllegalArgumentException("Box class " + box.classIndex() + " is not below the number of classes, "
                    + classes);
        }
    }
}
