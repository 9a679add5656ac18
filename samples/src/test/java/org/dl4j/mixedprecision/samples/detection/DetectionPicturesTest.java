package org.dl4j.mixedprecision.samples.detection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class DetectionPicturesTest {

    @TempDir
    Path folder;

    @Test
    void boxesAreDrawnOnTheEnlargedImage() throws Exception {
        INDArray image = Nd4j.zeros(DataType.FLOAT, 1, 32, 32);
        image.putScalar(0, 16, 16, 1.0);
        Path file = folder.resolve("detections.png");
        DetectionPictures.write(image, List.of(Box.truth(0, 2, 2, 10, 10)),
                List.of(new Box(1, 20, 20, 30, 30, 0.87)), List.of("0", "1"), 3, file);

        BufferedImage picture = ImageIO.read(file.toFile());
        assertEquals(96, picture.getWidth());
        assertEquals(96, picture.getHeight());
        assertEquals(0xFFFFFF, picture.getRGB(16 * 3 + 1, 16 * 3 + 1) & 0xFFFFFF, "the white pixel, enlarged");
        assertEquals(0x2ca02c, picture.getRGB(2 * 3, 5 * 3) & 0xFFFFFF, "the truth box's left edge, green");
        assertEquals(0xd62728, picture.getRGB(30 * 3, 25 * 3) & 0xFFFFFF, "the prediction's right edge, red");
        assertEquals(0x000000, picture.getRGB(40, 80) & 0xFFFFFF, "background");
    }

    @Test
    void aColorImageIsDrawnInColorFromDataVecsBlueGreenRedChannels() throws Exception {
        INDArray image = Nd4j.zeros(DataType.FLOAT, 3, 8, 8);
        image.putScalar(2, 1, 1, 1.0);   // red channel (DataVec's third)
        image.putScalar(1, 1, 1, 0.5);   // green
        image.putScalar(0, 6, 6, 1.0);   // blue channel (DataVec's first)
        Path file = folder.resolve("color.png");
        DetectionPictures.write(image, List.of(), List.of(), List.of("bus"), 1, file);
        BufferedImage picture = ImageIO.read(file.toFile());
        assertEquals(0xFF8000, picture.getRGB(1, 1) & 0xFFFFFF, "orange stays orange");
        assertEquals(0x0000FF, picture.getRGB(6, 6) & 0xFFFFFF, "blue stays blue");
    }

    @Test
    void labelsOfOverlappingBoxesDoNotCoverEachOther() {
        BufferedImage picture = new BufferedImage(200, 200, BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = picture.createGraphics();
        List<java.awt.Rectangle> labels = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            DetectionPictures.label(g, "person 0.9" + i, new java.awt.Rectangle(50 + i, 60 + i, 40, 40), labels, 200);
        }
        for (int i = 0; i < labels.size(); i++) {
            for (int j = i + 1; j < labels.size(); j++) {
                assertTrue(!labels.get(i).intersects(labels.get(j)), labels.get(i) + " and " + labels.get(j));
            }
        }
    }
}
