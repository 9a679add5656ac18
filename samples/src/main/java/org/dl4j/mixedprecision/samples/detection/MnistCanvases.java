package org.dl4j.mixedprecision.samples.detection;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import javax.imageio.ImageIO;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.dl4j.mixedprecision.samples.CachedFolder;
import org.dl4j.mixedprecision.samples.MnistData;
import org.dl4j.mixedprecision.samples.MnistFiles;
import org.nd4j.linalg.dataset.DataSet;

/**
 * A detection dataset made of real MNIST digits: each grayscale canvas holds 1 to 4 digits pasted at
 * random positions and scales (20 to 42 pixels), without heavy overlap and with the centers of no two
 * digits in the same cell of the detector's grid (DL4J's YOLO labels hold one object per cell); each
 * digit's box is the tight bounds of its ink. Written as PNG images plus Pascal VOC XML annotations (class names "0" to "9"), the
 * format DataVec's {@code ObjectDetectionRecordReader} reads. The same digits, canvas size and seed give
 * the same files.
 */
public final class MnistCanvases {

    /** Ink darker than this fraction of white does not count towards a digit's box. */
    static final double INK_THRESHOLD = 0.25;
    private static final int MNIST_SIZE = 28;
    private static final int MIN_DIGIT = 20;
    private static final int MAX_DIGIT = 42;
    private static final double MAX_OVERLAP_IOU = 0.2;
    private static final int TRAIN_DIGITS = 20000;
    private static final int TEST_DIGITS = 5000;

    private MnistCanvases() {
    }

    /**
     * The canvases of one configuration, written on first use into {@code cache} and reused afterwards:
     * training canvases from MNIST's training digits, test canvases from its test digits. A folder is
     * written as a {@link CachedFolder}: under a temporary name, renamed when complete, removed when the run
     * fails or, if it was killed, by the next.
     *
     * @param cache   the folder holding the datasets of every configuration
     * @param files   the MNIST files
     * @param size    canvas width and height in pixels
     * @param cell    the detector's grid cell in pixels
     * @param classes the digits used: 0 to {@code classes - 1}, 1 to 10 of them
     * @param train   training canvases
     * @param test    test canvases
     * @param seed    the seed of both sets
     * @return the dataset folder, with {@code train/} and {@code test/} VOC folders
     */
    public static Path cached(Path cache, MnistFiles files, int size, int cell, int classes, int train, int test,
                              long seed) {
        checkSettings(size, classes);
        Path folder = cache.resolve(String.format(Locale.ROOT, "%dpx-cell%d-%dclasses-%d-%d-seed%d", size, cell,
                classes, train, test, seed));
        return CachedFolder.written(folder, partial -> {
            write(digitsBelow(MnistData.train(files, TRAIN_DIGITS), classes), partial.resolve("train"), train, size, cell,
                    seed);
            write(digitsBelow(MnistData.test(files, TEST_DIGITS), classes), partial.resolve("test"), test, size, cell,
                    seed + 1);
        });
    }

    private static DataSet digitsBelow(DataSet digits, int classes) {
        List<DataSet> kept = new ArrayList<>();
        for (DataSet digit : digits) {
            if (digit.getLabels().argMax(1).getInt(0) < classes) {
                kept.add(digit);
            }
        }
        return DataSet.merge(kept);
    }

    /**
     * Checks the canvases' settings before any work is done.
     *
     * @throws IllegalArgumentException for a canvas under 48 pixels or a class count outside 1 to 10
     */
    static void checkSettings(int size, int classes) {
        checkSize(size);
        if (classes < 1 || classes > 10) {
            throw new IllegalArgumentException("MNIST has the digits 0 to 9: use 1 to 10 classes (--classes), got "
                    + classes);
        }
    }

    private static void checkSize(int size) {
        if (size < 48) {
            throw new IllegalArgumentException("MNIST canvases must be >= 48 pixels wide (--size), got " + size);
        }
    }

    /** One canvas: its pixels (row-major, 0 to 1) and its digits' boxes. */
    record Canvas(int size, float[] pixels, List<Box> boxes) {
    }

    /**
     * Writes {@code count} canvases into {@code folder}/JPEGImages and {@code folder}/Annotations (VOC's
     * folder names), named 000000.png / 000000.xml and up.
     *
     * @param digits MNIST examples (features 784 wide, one-hot labels), e.g. from {@code MnistData}
     * @param count  canvases to write
     * @param size   canvas width and height in pixels, {@code >= 48}
     * @param cell   the width of a grid cell of the detector, in pixels (32 for TinyYOLO)
     * @param seed   the seed of digit choice, positions and scales
     */
    public static void write(DataSet digits, Path folder, int count, int size, int cell, long seed) {
        Random random = new Random(seed);
        try {
            Files.createDirectories(folder.resolve("JPEGImages"));
            Files.createDirectories(folder.resolve("Annotations"));
            for (int i = 0; i < count; i++) {
                String name = String.format(Locale.ROOT, "%06d", i);
                Canvas canvas = draw(digits, size, cell, random);
                ImageIO.write(image(canvas), "png", folder.resolve("JPEGImages").resolve(name + ".png").toFile());
                Files.writeString(folder.resolve("Annotations").resolve(name + ".xml"), voc(name + ".png", canvas),
                        StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the MNIST detection canvases to " + folder, e);
        }
    }

    /** @return one canvas with 1 to 4 digits drawn from {@code digits} */
    static Canvas draw(DataSet digits, int size, int cell, Random random) {
        checkSize(size);
        float[] pixels = new float[size * size];
        List<Box> boxes = new ArrayList<>();
        int wanted = 1 + random.nextInt(4);
        for (int attempt = 0; boxes.size() < wanted && attempt < 50; attempt++) {
            int index = random.nextInt((int) digits.numExamples());
            int side = MIN_DIGIT + random.nextInt(Math.min(MAX_DIGIT, size / 2) - MIN_DIGIT + 1);
            int x = random.nextInt(size - side + 1);
            int y = random.nextInt(size - side + 1);
            float[] digit = scaled(digits.getFeatures().getRow(index), side);
            Box box = inkBounds(digit, side, x, y, digits.getLabels().getRow(index).argMax().getInt(0));
            if (box == null || boxes.stream().anyMatch(other -> other.iou(box) > MAX_OVERLAP_IOU
                    || cellOf(other, cell) == cellOf(box, cell))) {
                continue;
            }
            for (int r = 0; r < side; r++) {
                for (int c = 0; c < side; c++) {
                    int p = (y + r) * size + x + c;
                    pixels[p] = Math.max(pixels[p], digit[r * side + c]);
                }
            }
            boxes.add(box);
        }
        return new Canvas(size, pixels, List.copyOf(boxes));
    }

    private static long cellOf(Box box, int cell) {
        long column = (long) ((box.x1() + box.x2()) / 2 / cell);
        long row = (long) ((box.y1() + box.y2()) / 2 / cell);
        return row << 32 | column;
    }

    /** Bilinear resampling of a 28x28 digit to {@code side} x {@code side}. */
    private static float[] scaled(INDArray digit, int side) {
        float[] source = digit.toFloatVector();
        float[] out = new float[side * side];
        double ratio = (double) MNIST_SIZE / side;
        for (int r = 0; r < side; r++) {
            double sy = Math.min(MNIST_SIZE - 1.0, Math.max(0.0, (r + 0.5) * ratio - 0.5));
            int y0 = (int) sy;
            int y1 = Math.min(MNIST_SIZE - 1, y0 + 1);
            double fy = sy - y0;
            for (int c = 0; c < side; c++) {
                double sx = Math.min(MNIST_SIZE - 1.0, Math.max(0.0, (c + 0.5) * ratio - 0.5));
                int x0 = (int) sx;
                int x1 = Math.min(MNIST_SIZE - 1, x0 + 1);
                double fx = sx - x0;
                double top = source[y0 * MNIST_SIZE + x0] * (1 - fx) + source[y0 * MNIST_SIZE + x1] * fx;
                double bottom = source[y1 * MNIST_SIZE + x0] * (1 - fx) + source[y1 * MNIST_SIZE + x1] * fx;
                out[r * side + c] = (float) (top * (1 - fy) + bottom * fy);
            }
        }
        return out;
    }

    /** @return the box around the digit's ink, in canvas pixels (edges exclusive), or null if it has none */
    private static Box inkBounds(float[] digit, int side, int x, int y, int label) {
        int left = side;
        int top = side;
        int right = -1;
        int bottom = -1;
        for (int r = 0; r < side; r++) {
            for (int c = 0; c < side; c++) {
                if (digit[r * side + c] > INK_THRESHOLD) {
                    left = Math.min(left, c);
                    right = Math.max(right, c);
                    top = Math.min(top, r);
                    bottom = Math.max(bottom, r);
                }
            }
        }
        return right < 0 ? null : Box.truth(label, x + left, y + top, x + right + 1, y + bottom + 1);
    }

    private static BufferedImage image(Canvas canvas) {
        BufferedImage image = new BufferedImage(canvas.size(), canvas.size(), BufferedImage.TYPE_BYTE_GRAY);
        for (int r = 0; r < canvas.size(); r++) {
            for (int c = 0; c < canvas.size(); c++) {
                int gray = Math.round(canvas.pixels()[r * canvas.size() + c] * 255);
                image.getRaster().setSample(c, r, 0, gray);
            }
        }
        return image;
    }

    private static String voc(String fileName, Canvas canvas) {
        StringBuilder xml = new StringBuilder();
        xml.append("<annotation>\n  <folder>JPEGImages</folder>\n  <filename>").append(fileName).append("</filename>\n")
                .append("  <size><width>").append(canvas.size()).append("</width><height>").append(canvas.size())
                .append("</height><depth>1</depth></size>\n");
        for (Box box : canvas.boxes()) {
            xml.append("  <object>\n    <name>").append(box.classIndex()).append("</name>\n")
                    .append("    <bndbox><xmin>").append((int) box.x1()).append("</xmin><ymin>").append((int) box.y1())
                    .append("</ymin><xmax>").append((int) box.x2()).append("</xmax><ymax>").append((int) box.y2())
                    .append("</ymax></bndbox>\n  </object>\n");
        }
        return xml.append("</annotation>\n").toString();
    }
}
