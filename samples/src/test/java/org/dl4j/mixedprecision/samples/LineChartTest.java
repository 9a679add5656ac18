package org.dl4j.mixedprecision.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LineChartTest {

    @TempDir
    Path folder;

    @Test
    void writesAPngWithTheSeriesDrawn() throws Exception {
        Path file = folder.resolve("loss.png");
        new LineChart("Training loss", false)
                .add("fp32", List.of(2.0, 1.5, 1.0, 0.5))
                .add("mixed", List.of(2.0, Double.NaN, 1.1, 0.6))
                .write(file);
        BufferedImage image = ImageIO.read(file.toFile());
        assertEquals(800, image.getWidth());
        assertEquals(450, image.getHeight());
        // The first series starts at the top left corner of the plot area (its largest value, first iteration).
        assertNotEquals(0xFFFFFF, image.getRGB(61, 61) & 0xFFFFFF, "a line at the first point");

        Path scale = folder.resolve("scale.png");
        new LineChart("Loss scale", true).add("mixed", List.of(65536.0, 32768.0, 1024.0)).write(scale);
        assertEquals(800, ImageIO.read(scale.toFile()).getWidth());
    }

    @Test
    void atMostFourSeries() {
        LineChart chart = new LineChart("c", false);
        for (int i = 0; i < 4; i++) {
            chart.add("s" + i, List.of(1.0));
        }
        assertThrows(IllegalArgumentException.class, () -> chart.add("s4", List.of(1.0)));
    }
}
