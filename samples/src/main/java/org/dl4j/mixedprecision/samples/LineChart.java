package org.dl4j.mixedprecision.samples;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * A PNG line chart of a few series over iterations (loss curves, the loss scale), drawn with Java2D so
 * that the samples need no plotting library. The y axis is linear or base-2 logarithmic.
 */
public final class LineChart {

    private static final int WIDTH = 800;
    private static final int HEIGHT = 450;
    private static final int MARGIN = 60;
    private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
            new Color(0x9467bd)};

    private final String title;
    private final boolean logarithmic;
    private final Map<String, List<Double>> series = new LinkedHashMap<>();

    /**
     * @param title       the chart's title
     * @param logarithmic true for a base-2 logarithmic y axis (values must be > 0)
     */
    public LineChart(String title, boolean logarithmic) {
        this.title = title;
        this.logarithmic = logarithmic;
    }

    /** Adds a series, one value per iteration; non-finite values are left out of the line. */
    public LineChart add(String name, List<Double> values) {
        if (series.size() == COLORS.length) {
            throw new IllegalArgumentException("A chart holds at most " + COLORS.length + " series");
        }
        series.put(name, new ArrayList<>(values));
        return this;
    }

    /** Writes the chart as a PNG file. */
    public void write(Path file) throws IOException {
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, HEIGHT);
        double[] range = range();
        int points = series.values().stream().mapToInt(List::size).max().orElse(1);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString(title, MARGIN, 30);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawRect(MARGIN, MARGIN, WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN);
        g.drawString(label(range[1]), 5, MARGIN + 5);
        g.drawString(label(range[0]), 5, HEIGHT - MARGIN);
        g.drawString("iteration " + points, WIDTH - MARGIN - 80, HEIGHT - MARGIN + 20);
        int index = 0;
        for (Map.Entry<String, List<Double>> entry : series.entrySet()) {
            g.setColor(COLORS[index]);
            g.setStroke(new BasicStroke(2f));
            int previousX = -1;
            int previousY = -1;
            List<Double> values = entry.getValue();
            for (int i = 0; i < values.size(); i++) {
                double value = values.get(i);
                if (!Double.isFinite(value) || logarithmic && value <= 0) {
                    previousX = -1;
                    continue;
                }
                int x = MARGIN + (int) Math.round((WIDTH - 2.0 * MARGIN) * i / Math.max(1, points - 1));
                int y = HEIGHT - MARGIN - (int) Math.round((HEIGHT - 2.0 * MARGIN) * (axis(value) - range[0])
                        / Math.max(1e-12, range[1] - range[0]));
                if (previousX >= 0) {
                    g.drawLine(previousX, previousY, x, y);
                }
                previousX = x;
                previousY = y;
            }
            g.drawString(entry.getKey(), WIDTH - MARGIN - 150, MARGIN + 20 + 16 * index);
            index++;
        }
        g.dispose();
        ImageIO.write(image, "png", file.toFile());
    }

    private double[] range() {
        double low = Double.POSITIVE_INFINITY;
        double high = Double.NEGATIVE_INFINITY;
        for (List<Double> values : series.values()) {
            for (double value : values) {
                if (Double.isFinite(value) && (!logarithmic || value > 0)) {
                    low = Math.min(low, axis(value));
                    high = Math.max(high, axis(value));
                }
            }
        }
        return low > high ? new double[] {0, 1} : new double[] {low, high};
    }

    private double axis(double value) {
        return logarithmic ? Math.log(value) / Math.log(2) : value;
    }

    private String label(double axisValue) {
        return logarithmic ? "2^" + Math.round(axisValue) : String.format(Locale.ROOT, "%.3g", axisValue);
    }
}
