package org.dl4j.mixedprecision.samples.detection;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Anchor boxes suited to a dataset, found the way YOLOv2 finds them: k-means over the widths and heights
 * of the training boxes, with 1 - IoU (of boxes sharing a center) as the distance, so that large and small
 * boxes count alike. Deterministic: the clusters start at the boxes ranked by area at evenly spaced
 * quantiles.
 */
public final class Anchors {

    private static final int MAX_ROUNDS = 100;

    private Anchors() {
    }

    /**
     * @param boxes the training boxes (only their sizes count)
     * @param count how many anchors, {@code >= 1} and at most the number of boxes
     * @return {@code count} anchors, (width, height) in the boxes' units, smallest area first
     */
    public static double[][] fit(List<Box> boxes, int count) {
        if (count < 1 || count > boxes.size()) {
            throw new IllegalArgumentException("Cannot fit " + count + " anchors to " + boxes.size()
                    + " boxes: use between 1 and the number of boxes");
        }
        List<double[]> sizes = new ArrayList<>();
        for (Box box : boxes) {
            sizes.add(new double[] {box.x2() - box.x1(), box.y2() - box.y1()});
        }
        sizes.sort(Comparator.comparingDouble(size -> size[0] * size[1]));
        double[][] anchors = new double[count][];
        for (int k = 0; k < count; k++) {
            anchors[k] = sizes.get((int) ((k + 0.5) * sizes.size() / count)).clone();
        }
        for (int round = 0; round < MAX_ROUNDS; round++) {
            double[][] sums = new double[count][3];
            for (double[] size : sizes) {
                double[] sum = sums[nearest(anchors, size)];
                sum[0] += size[0];
                sum[1] += size[1];
                sum[2]++;
            }
            boolean moved = false;
            for (int k = 0; k < count; k++) {
                if (sums[k][2] > 0) {
                    double[] mean = {sums[k][0] / sums[k][2], sums[k][1] / sums[k][2]};
                    moved |= mean[0] != anchors[k][0] || mean[1] != anchors[k][1];
                    anchors[k] = mean;
                }
            }
            if (!moved) {
                break;
            }
        }
        Arrays.sort(anchors, Comparator.comparingDouble(anchor -> anchor[0] * anchor[1]));
        return anchors;
    }

    private static int nearest(double[][] anchors, double[] size) {
        int best = 0;
        for (int k = 1; k < anchors.length; k++) {
            if (centeredIou(anchors[k], size) > centeredIou(anchors[best], size)) {
                best = k;
            }
        }
        return best;
    }

    /** @return the IoU of two boxes (width, height) sharing a center */
    static double centeredIou(double[] a, double[] b) {
        double intersection = Math.min(a[0], b[0]) * Math.min(a[1], b[1]);
        return intersection / (a[0] * a[1] + b[0] * b[1] - intersection);
    }
}
