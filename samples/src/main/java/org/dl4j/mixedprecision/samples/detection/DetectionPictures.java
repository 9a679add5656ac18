package org.dl4j.mixedprecision.samples.detection;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Draws an image with boxes on it (ground truth in green, predictions in red with their class and
 * confidence), enlarged so that small canvases stay readable, and writes it as a PNG. A 3-channel image is
 * drawn in colour (DataVec's image loader gives channels in OpenCV's blue, green, red order); labels sit on
 * a filled background and are moved down when they would cover an earlier one.
 */
public final class DetectionPictures {

    private static final Color TRUTH = new Color(0x2ca02c);
    private static final Color PREDICTION = new Color(0xd62728);

    private DetectionPictures() {
    }

    /**
     * @param image       one image, [channels, height, width] with values in [0, 1]: 1 channel (gray) or 3
     *                    (blue, green, red, as DataVec loads them)
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
        boolean color = image.size(0) == 3;
        BufferedImage picture = new BufferedImage(width * zoom, height * zoom, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height * zoom; y++) {
            for (int x = 0; x < width * zoom; x++) {
                int first = level(image, 0, y / zoom, x / zoom); // blue, or gray
                int rgb = color ? level(image, 2, y / zoom, x / zoom) << 16 | level(image, 1, y / zoom, x / zoom) << 8
                        | first : first << 16 | first << 8 | first;
                picture.setRGB(x, y, rgb);
            }
        }
        Graphics2D g = picture.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setStroke(new BasicStroke(2f));
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
        for (Box box : truth) {
            g.setColor(TRUTH);
            g.draw(rectangle(box, zoom));
        }
        List<Rectangle> labels = new ArrayList<>();
        for (Box box : predictions) {
            Rectangle drawn = rectangle(box, zoom);
            g.setColor(PREDICTION);
            g.draw(drawn);
            label(g, String.format(Locale.ROOT, "%s %.2f", classNames.get(box.classIndex()), box.confidence()), drawn,
                    labels, picture.getHeight());
        }
        g.dispose();
        ImageIO.write(picture, "png", file.toFile());
    }

    private static int level(INDArray image, int channel, int y, int x) {
        return (int) Math.round(Math.min(1.0, Math.max(0.0, image.getDouble(channel, y, x))) * 255);
    }

    private static Rectangle rectangle(Box box, int zoom) {
        int x = (int) Math.round(box.x1() * zoom);
        int y = (int) Math.round(box.y1() * zoom);
        return new Rectangle(x, y, (int) Math.round((box.x2() - box.x1()) * zoom),
                (int) Math.round((box.y2() - box.y1()) * zoom));
    }

    /** Draws a label above its box (inside the picture), below any earlier label it would cover. */
    static Rectangle label(Graphics2D g, String text, Rectangle box, List<Rectangle> earlier, int pictureHeight) {
        FontMetrics metrics = g.getFontMetrics();
        Rectangle place = new Rectangle(box.x, Math.max(0, box.y - metrics.getHeight()), metrics.stringWidth(text) + 4,
                metrics.getHeight());
        while (earlier.stream().anyMatch(place::intersects) && place.y + place.height < pictureHeight) {
            place.y += metrics.getHeight();
        }
        earlier.add(place);
        g.setColor(PREDICTION);
        g.fill(place);
        g.setColor(Color.WHITE);
        g.drawString(text, place.x + 2, place.y + metrics.getAscent());
        return place;
    }
}
