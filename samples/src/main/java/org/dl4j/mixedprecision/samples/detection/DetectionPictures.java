package org.dl4j.mixedprecision.samples.detection;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Draws an image with boxes on it (ground truth in green, predictions in red with their class and
 * confidence), enlarged so that small canvases stay readable, and writes it as a PNG.
 */
public final class DetectionPictures {

    private static final Color TRUTH = new Color(0x2ca02c);
    private static final Color PREDICTION = new Color(0xd62728);

    private DetectionPictures() {
    }

    /**
     * @param image       one image, [channels, height, width] with values in [0, 1] (the first channel is drawn)
     * @param truth       its ground-truth boxes, in pixels
     * @param predictions the detector's boxes, in pixels
     * @param classNames  the name of each class index
     * @param zoom        how many screen pixels per image pixel
     * @param file        the PNG to write
     */
    public static void write(INDArray image, List<Box> truth, List<Box> predictions, List<String> classNames,
                             int zoom, Path file) throws IOException {
        int height = (int) image.size(1);
        int width = (int) image.size(2);
        BufferedImage picture = new BufferedImage(width * zoom, height * zoom, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height * zoom; y++) {
            for (int x = 0; x < width * zoom; x++) {
                int gray = (int) Math.round(Math.min(1.0, Math.max(0.0, image.getDouble(0, y / zoom, x / zoom))) * 255);
                picture.setRGB(x, y, gray << 16 | gray << 8 | gray);
            }
        }
        Graphics2D g = picture.createGraphics();
        g.setStroke(new BasicStroke(2f));
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
        for (Box box : truth) {
            draw(g, box, zoom, TRUTH, null);
        }
        for (Box box : predictions) {
            draw(g, box, zoom, PREDICTION, String.format(Locale.ROOT, "%s %.2f", classNames.get(box.classIndex()),
                    box.confidence()));
        }
        g.dispose();
        ImageIO.write(picture, "png", file.toFile());
    }

    private static void draw(Graphics2D g, Box box, int zoom, Color color, String label) {
        g.setColor(color);
        int x = (int) Math.round(box.x1() * zoom);
        int y = (int) Math.round(box.y1() * zoom);
        g.drawRect(x, y, (int) Math.round((box.x2() - box.x1()) * zoom), (int) Math.round((box.y2() - box.y1()) * zoom));
        if (label != null) {
            g.drawString(label, x + 2, Math.max(12, y - 3));
        }
    }
}
