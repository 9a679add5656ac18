package org.dl4j.mixedprecision.samples.detection;

/**
 * An axis-aligned box around one object, in pixels of its image: a ground-truth annotation or, with a
 * confidence, a prediction.
 *
 * @param classIndex the object's class, from 0
 * @param x1         left edge
 * @param y1         top edge
 * @param x2         right edge, {@code >= x1}
 * @param y2         bottom edge, {@code >= y1}
 * @param confidence the detector's confidence for a prediction (1 for ground truth)
 */
public record Box(int classIndex, double x1, double y1, double x2, double y2, double confidence) {

    /** Checks the corners and the class. */
    public Box {
        if (classIndex < 0) {
            throw new IllegalArgumentException("classIndex must be >= 0, got " + classIndex);
        }
        if (!(x2 >= x1 && y2 >= y1)) {
            throw new IllegalArgumentException("A box needs x1 <= x2 and y1 <= y2, got (" + x1 + ", " + y1 + ") - ("
                    + x2 + ", " + y2 + ")");
        }
    }

    /** @return a ground-truth box (confidence 1) */
    public static Box truth(int classIndex, double x1, double y1, double x2, double y2) {
        return new Box(classIndex, x1, y1, x2, y2, 1.0);
    }

    /** @return the box's area */
    public double area() {
        return (x2 - x1) * (y2 - y1);
    }

    /** @return intersection over union with another box, 0 when they do not overlap */
    public double iou(Box other) {
        double width = Math.min(x2, other.x2) - Math.max(x1, other.x1);
        double height = Math.min(y2, other.y2) - Math.max(y1, other.y1);
        if (width <= 0 || height <= 0) {
            return 0.0;
        }
        double intersection = width * height;
        return intersection / (area() + other.area() - intersection);
    }
}
