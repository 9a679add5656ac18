package org.dl4j.mixedprecision.samples;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Paint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.DoubleSummaryStatistics;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * A PNG line chart of a few series over iterations (loss curves, the loss scale), drawn by JFreeChart: axes
 * with ticks, a legend, a linear or base-2 logarithmic y axis. A series has the same colour in every chart
 * ({@code fp32} blue, {@code mixed} red, {@code half} green; others by their order).
 */
public final class LineChart {

    static final int WIDTH = 800;
    static final int HEIGHT = 450;
    private static final Map<String, Color> COLORS_BY_NAME = Map.of("fp32", new Color(0x1f77b4),
            "mixed", new Color(0xd62728), "half", new Color(0x2ca02c));
    private static final Color[] OTHER_COLORS = {new Color(0x9467bd), new Color(0xff7f0e), new Color(0x8c564b),
            new Color(0xe377c2), new Color(0x7f7f7f), new Color(0x17becf)};

    private final String title;
    private final String yLabel;
    private final boolean logarithmic;
    private final Map<String, List<Double>> series = new LinkedHashMap<>();

    /**
     * @param title       the chart's title
     * @param yLabel      what the y axis shows
     * @param logarithmic true for a base-2 logarithmic y axis (values must be > 0)
     */
    public LineChart(String title, String yLabel, boolean logarithmic) {
        this.title = title;
        this.yLabel = yLabel;
        this.logarithmic = logarithmic;
    }

    /** Adds a series, one value per iteration; non-finite values (and, on a log axis, values <= 0) leave a gap. */
    public LineChart add(String name, List<Double> values) {
        series.put(name, List.copyOf(values));
        return this;
    }

    /** Writes the chart as a PNG file. */
    public void write(Path file) throws IOException {
        ChartUtils.saveChartAsPNG(file.toFile(), chart(), WIDTH, HEIGHT);
    }

    /** @return the chart JFreeChart draws */
    JFreeChart chart() {
        XYSeriesCollection data = new XYSeriesCollection();
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
        int other = 0;
        for (Map.Entry<String, List<Double>> entry : series.entrySet()) {
            XYSeries line = new XYSeries(entry.getKey(), false, true);
            List<Double> values = entry.getValue();
            for (int i = 0; i < values.size(); i++) {
                double value = values.get(i);
                boolean drawable = Double.isFinite(value) && (!logarithmic || value > 0);
                line.add(i + 1, drawable ? value : Double.NaN);
            }
            int index = data.getSeriesCount();
            data.addSeries(line);
            Paint color = COLORS_BY_NAME.containsKey(entry.getKey()) ? COLORS_BY_NAME.get(entry.getKey())
                    : OTHER_COLORS[other++ % OTHER_COLORS.length];
            renderer.setSeriesPaint(index, color);
            renderer.setSeriesStroke(index, new BasicStroke(2f));
        }
        NumberAxis iterations = new NumberAxis("iteration");
        iterations.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        XYPlot plot = new XYPlot(data, iterations, yAxis(), renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    private ValueAxis yAxis() {
        if (!logarithmic) {
            NumberAxis linear = new NumberAxis(yLabel);
            linear.setAutoRangeIncludesZero(false);
            return linear;
        }
        LogAxis log = new LogAxis(yLabel);
        log.setBase(2);
        log.setBaseSymbol("2");
        log.setStandardTickUnits(NumberAxis.createIntegerTickUnits()); // whole powers of two
        log.setMinorTickMarksVisible(false);
        DoubleSummaryStatistics drawn = series.values().stream().flatMap(List::stream)
                .filter(value -> Double.isFinite(value) && value > 0).mapToDouble(Double::doubleValue).summaryStatistics();
        if (drawn.getCount() > 0) {
            log.setRange(drawn.getMin() / 2, drawn.getMax() * 2); // a power of two of room: no line on the frame
        }
        return log;
    }
}
