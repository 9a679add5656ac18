package org.dl4j.mixedprecision.samples.detection;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** Canvases from stand-in digits: filled rectangles whose ink bounds are known. */
class MnistCanvasesTest {

    @TempDir
    Path folder;

    @Test
    void everyBoxIsTheTightBoundOfItsDigitsInk() {
        DataSet digits = rectangles();
        Random random = new Random(3);
        for (int i = 0; i < 50; i++) {
            MnistCanvases.Canvas canvas = MnistCanvases.draw(digits, 96, 32, random);
            assertTrue(canvas.boxes().size() >= 1 && canvas.boxes().size() <= 4, "1 to 4 digits");
            assertEquals(canvas.boxes().size(), canvas.boxes().stream()
                    .map(box -> (int) ((box.x1() + box.x2()) / 64) + "," + (int) ((box.y1() + box.y2()) / 64))
                    .distinct().count(), "no two digits centered in the same 32-pixel cell");
            boolean[] covered = new boolean[96 * 96];
            for (Box box : canvas.boxes()) {
                assertTrue(box.x1() >= 0 && box.y1() >= 0 && box.x2() <= 96 && box.y2() <= 96, box.toString());
                assertTrue(box.classIndex() < 3);
                for (int r = (int) box.y1(); r < box.y2(); r++) {
                    for (int c = (int) box.x1(); c < box.x2(); c++) {
                        covered[r * 96 + c] = true;
                    }
                }
                assertTrue(hasInk(canvas, (int) box.y1(), (int) box.x1(), (int) box.x2(), true), "ink on the top edge");
                assertTrue(hasInk(canvas, (int) box.y2() - 1, (int) box.x1(), (int) box.x2(), true), "on the bottom edge");
                assertTrue(hasInk(canvas, (int) box.x1(), (int) box.y1(), (int) box.y2(), false), "on the left edge");
                assertTrue(hasInk(canvas, (int) box.x2() - 1, (int) box.y1(), (int) box.y2(), false), "on the right edge");
            }
            for (int p = 0; p < covered.length; p++) {
                assertTrue(covered[p] || canvas.pixels()[p] <= MnistCanvases.INK_THRESHOLD, "ink outside every box");
            }
        }
    }

    @Test
    void theFilesAreDeterministicPngAndVocXml() throws Exception {
        MnistCanvases.write(rectangles(), folder.resolve("a"), 5, 64, 32, 11);
        MnistCanvases.write(rectangles(), folder.resolve("b"), 5, 64, 32, 11);
        MnistCanvases.write(rectangles(), folder.resolve("c"), 5, 64, 32, 12);
        for (String file : new String[] {"JPEGImages/000004.png", "Annotations/000004.xml"}) {
            assertArrayEquals(Files.readAllBytes(folder.resolve("a").resolve(file)),
                    Files.readAllBytes(folder.resolve("b").resolve(file)), "the same seed writes the same " + file);
        }
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(folder.resolve("a/JPEGImages/000000.png")),
                Files.readAllBytes(folder.resolve("c/JPEGImages/000000.png"))), "another seed, other canvases");

        BufferedImage image = ImageIO.read(folder.resolve("a/JPEGImages/000000.png").toFile());
        assertEquals(64, image.getWidth());
        assertEquals(64, image.getHeight());
        Document xml = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(folder.resolve("a/Annotations/000000.xml").toFile());
        assertEquals("000000.png", xml.getElementsByTagName("filename").item(0).getTextContent());
        NodeList objects = xml.getElementsByTagName("object");
        assertTrue(objects.getLength() >= 1 && objects.getLength() <= 4);
        Element box = (Element) ((Element) objects.item(0)).getElementsByTagName("bndbox").item(0);
        int xmin = Integer.parseInt(box.getElementsByTagName("xmin").item(0).getTextContent());
        int xmax = Integer.parseInt(box.getElementsByTagName("xmax").item(0).getTextContent());
        assertTrue(xmin < xmax && xmax <= 64);
        int ink = 0;
        for (int y = 0; y < 64; y++) {
            ink = Math.max(ink, image.getRaster().getSample(xmin, y, 0));
        }
        assertTrue(ink > 255 * MnistCanvases.INK_THRESHOLD, "the PNG has ink on the box's left edge");
    }

    @Test
    void tooSmallACanvasIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> MnistCanvases.draw(rectangles(), 40, 32, new Random(1)));
    }

    /** Three stand-in "digits" of classes 0, 1, 2: white rectangles of different shapes on black. */
    static DataSet rectangles() {
        float[][] features = new float[3][28 * 28];
        float[][] labels = new float[3][10];
        int[][] shapes = {{6, 20, 10, 18}, {4, 24, 12, 15}, {10, 16, 5, 23}};
        for (int d = 0; d < 3; d++) {
            for (int r = shapes[d][0]; r < shapes[d][1]; r++) {
                for (int c = shapes[d][2]; c < shapes[d][3]; c++) {
                    features[d][r * 28 + c] = 1f;
                }
            }
            labels[d][d] = 1f;
        }
        return new DataSet(Nd4j.create(features), Nd4j.create(labels));
    }

    private static boolean hasInk(MnistCanvases.Canvas canvas, int line, int from, int to, boolean row) {
        for (int i = from; i < to; i++) {
            float value = row ? canvas.pixels()[line * canvas.size() + i] : canvas.pixels()[i * canvas.size() + line];
            if (value > MnistCanvases.INK_THRESHOLD) {
                return true;
            }
        }
        return false;
    }
}
