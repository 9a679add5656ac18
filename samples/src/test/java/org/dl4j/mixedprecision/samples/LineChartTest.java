package org.dl4j.mixedprecision.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The samples' charts: real axes and a legend, the loss scale on a log2 axis, one colour per series name. */
class LineChartTest {

    @TempDir
    Path folder;

    @Test
    void writesAPngWithAxesAndALegend() throws Exception {
        Path file = folder.resolve("loss.png");
        LineChart losses = new LineChart("Training loss", "loss", false)
                .add("fp32", List.of(2.0, 1.5, 1.0, 0.5))
                .add("mixed", List.of(2.0, Double.NaN, 1.1, 0.6));
        losses.write(file);
        BufferedImage image = ImageIO.read(file.toFile());
        assertEquals(LineChart.WIDTH, image.getWidth());
        assertEquals(LineChart.HEIGHT, image.getHeight());

        JFreeChart chart = losses.chart();
        XYPlot plot = chart.getXYPlot();
        assertEquals("iteration", plot.getDomainAxis().getLabel());
        assertEquals("loss", plot.getRangeAxis().getLabel());
        assertTrue(chart.getLegend() != null && plot.getLegendItems().getItemCount() == 2);
        assertEquals("mixed", plot.getLegendItems().get(1).getLabel());
        assertTrue(Double.isNaN(plot.getDataset().getYValue(1, 1)), "a non-finite loss leaves a gap");
        assertInstanceOf(NumberAxis.class, plot.getRangeAxis());
    }

    @Test
    void aConstantScaleLiesInsideItsLogAxis() {
        XYPlot plot = new LineChart("Loss scale", "loss scale", true).add("mixed", List.of(4.0, 4.0, 4.0)).chart()
                .getXYPlot();
        LogAxis axis = assertInstanceOf(LogAxis.class, plot.getRangeAxis());
        assertEquals(2.0, axis.getBase());
        assertEquals(2.0, axis.getLowerBound(), 1e-9);
        assertEquals(8.0, axis.getUpperBound(), 1e-9);
    }

    @Test
    void aSeriesHasTheSameColourInEveryChart() {
        XYPlot both = new LineChart("Loss", "loss", false).add("fp32", List.of(1.0)).add("mixed", List.of(1.0)).chart()
                .getXYPlot();
        XYPlot mixedOnly = new LineChart("Scale", "loss scale", true).add("mixed", List.of(8.0)).chart().getXYPlot();
        assertEquals(both.getRenderer().getSeriesPaint(1), mixedOnly.getRenderer().getSeriesPaint(0));
        assertTrue(!both.getRenderer().getSeriesPaint(0).equals(both.getRenderer().getSeriesPaint(1)));
    }
}
