package org.dl4j.mixedprecision.samples.detection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.datavec.image.recordreader.objdetect.ImageObject;
import org.deeplearning4j.datasets.datavec.RecordReaderDataSetIterator;
import org.dl4j.mixedprecision.samples.SampleCli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/** Real VOC folders as users have them: parts, difficult objects, odd files, boxes past the edge, class lists. */
class VocFolderTest {

    @TempDir
    Path root;

    /** An object of an annotation: class, box, and extra XML inside the {@code <object>}. */
    private record Obj(String name, int x1, int y1, int x2, int y2, String extra) {
        Obj(String name, int x1, int y1, int x2, int y2) {
            this(name, x1, y1, x2, y2, "");
        }
    }

    private static void image(Path folder, String file, int width, int height, Color color) throws IOException {
        Files.createDirectories(folder.resolve("JPEGImages"));
        BufferedImage picture = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = picture.createGraphics();
        g.setColor(color);
        g.fillRect(0, 0, width, height);
        g.dispose();
        String format = file.toLowerCase().endsWith(".png") ? "png" : "jpg";
        ImageIO.write(picture, format, folder.resolve("JPEGImages").resolve(file).toFile());
    }

    private static void annotation(Path folder, String stem, Obj... objects) throws IOException {
        Files.createDirectories(folder.resolve("Annotations"));
        StringBuilder xml = new StringBuilder("<annotation>\n<folder>VOC2012</folder>\n<filename>" + stem
                + ".jpg</filename>\n<size><width>64</width><height>64</height><depth>3</depth></size>\n");
        for (Obj o : objects) {
            xml.append("<object>\n<name>").append(o.name()).append("</name>\n<pose>Left</pose>\n<truncated>0</truncated>\n")
                    .append(o.extra()).append("<bndbox><xmin>").append(o.x1()).append("</xmin><ymin>").append(o.y1())
                    .append("</ymin><xmax>").append(o.x2()).append("</xmax><ymax>").append(o.y2())
                    .append("</ymax></bndbox>\n</object>\n");
        }
        Files.writeString(folder.resolve("Annotations").resolve(stem + ".xml"), xml.append("</annotation>\n"));
    }

    @Test
    void partsActionsAndPointsAreNotPartOfTheObject() throws IOException {
        Path set = root.resolve("train");
        image(set, "a.jpg", 64, 64, Color.GRAY);
        annotation(set, "a", new Obj("person", 10, 12, 40, 60,
                "<part><name>head</name><bndbox><xmin>20</xmin><ymin>12</ymin><xmax>30</xmax><ymax>22</ymax></bndbox></part>\n"
                        + "<part><name>hand</name><bndbox><xmin>11</xmin><ymin>30</ymin><xmax>15</xmax><ymax>35</ymax></bndbox></part>\n"
                        + "<actions><jumping>1</jumping><phoning>0</phoning></actions>\n<point><x>25</x><y>30</y></point>\n"
                        + "<occluded>0</occluded>\n"));
        VocFolder folder = VocFolder.read(set);
        assertEquals(List.of(new ImageObject(10, 12, 40, 60, "person")), folder.getImageObjectsForPath(folder.images().get(0)));
        assertEquals(List.of("person"), List.copyOf(folder.classes()));
    }

    @Test
    void difficultObjectsAreLeftOutAndReported() throws IOException {
        Path set = root.resolve("train");
        image(set, "a.jpg", 64, 64, Color.GRAY);
        annotation(set, "a", new Obj("cat", 1, 1, 30, 30), new Obj("dog", 30, 30, 60, 60, "<difficult>1</difficult>\n"),
                new Obj("bird", 5, 40, 20, 60, "<difficult>0</difficult>\n"));
        VocFolder folder = VocFolder.read(set);
        assertEquals(List.of("bird", "cat"), List.copyOf(folder.classes()));
        assertTrue(folder.summary().contains("1 images, 2 objects; left out: 1 objects marked difficult (" + set
                .resolve("Annotations/a.xml") + ":"), folder.summary());
        // for the evaluation, in the resized image's pixels (64 -> 32) and the class list's numbering
        assertEquals(List.of(Box.truth(2, 15, 15, 30, 30)),
                folder.difficultBoxes(folder.images().get(0), List.of("bird", "cat", "dog"), 32));
        assertEquals(List.of(), folder.difficultBoxes(folder.images().get(0), List.of("bird", "cat"), 32),
                "a difficult object of a class outside the list is left out");
    }

    @Test
    void filesThatAreNotReadAreReportedWithTheirNames() throws IOException {
        Path set = root.resolve("train");
        image(set, "upper.JPG", 64, 64, Color.GRAY);
        annotation(set, "upper", new Obj("cat", 1, 1, 30, 30));
        image(set, "unlabelled.png", 64, 64, Color.GRAY);
        annotation(set, "deleted", new Obj("cat", 1, 1, 30, 30));
        Files.writeString(set.resolve("JPEGImages/notes.txt"), "not an image");
        image(set, "truncated.jpg", 64, 64, Color.ORANGE);
        byte[] jpeg = Files.readAllBytes(set.resolve("JPEGImages/truncated.jpg"));
        Files.write(set.resolve("JPEGImages/truncated.jpg"), Arrays.copyOf(jpeg, jpeg.length / 2));
        annotation(set, "truncated", new Obj("cat", 1, 1, 30, 30));

        VocFolder folder = VocFolder.read(set);
        assertEquals(1, folder.images().size(), "upper.JPG is read");
        assertTrue(folder.images().get(0).toString().endsWith("upper.JPG"));
        assertEquals(set + ": 1 images, 1 objects; left out: 1 files that are not images (notes.txt), 1 images without"
                + " annotation (unlabelled.png), 1 annotations without image (deleted.xml), 1 unreadable or truncated"
                + " images (truncated.jpg)", folder.summary());
    }

    @Test
    void anEmptyImageFolderNamesTheFolderAndTheFormatsRead() throws IOException {
        Path set = root.resolve("test");
        Files.createDirectories(set.resolve("JPEGImages"));
        Files.createDirectories(set.resolve("Annotations"));
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> VocFolder.read(set));
        assertEquals("No images to read in " + set.resolve("JPEGImages") + " (it reads .png, .jpg, .jpeg, .bmp in any"
                + " letter case, each with an XML file of the same name in " + set.resolve("Annotations") + ")",
                error.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> VocFolder.read(root.resolve("none"))).getMessage()
                .startsWith("No folder " + root.resolve("none/JPEGImages")));
    }

    @Test
    void boxesPastTheEdgeAreClippedAndBoxesOutsideAreRefusedByFileAndLine() throws IOException {
        Path set = root.resolve("train");
        image(set, "a.jpg", 64, 48, Color.GRAY);
        annotation(set, "a", new Obj("cat", -5, 10, 70, 40), new Obj("dog", 50, 30, 90, 100));
        VocFolder folder = VocFolder.read(set);
        assertEquals(List.of(new ImageObject(0, 10, 63, 40, "cat"), new ImageObject(50, 30, 63, 47, "dog")),
                folder.getImageObjectsForPath(folder.images().get(0)));
        assertTrue(folder.summary().endsWith("; 2 boxes reaching past the image's edge clipped to it (" + set
                .resolve("Annotations/a.xml") + ":5: <object>, " + set.resolve("Annotations/a.xml") + ":11: <object>)"),
                folder.summary());
        // the clipped centre now lies inside the image: DataVec reads it (it refused such a box before)
        RecordReaderDataSetIterator iterator = VocDataSets.iterator(folder, List.of("cat", "dog"), 64, 1, 4, 1, 1);
        INDArray labels = iterator.next().getLabels();
        assertEquals(2.0, labels.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(4, 6)).sumNumber().doubleValue(), "one class mark per object");

        annotation(set, "a", new Obj("cat", 1, 1, 30, 30), new Obj("dog", 70, 50, 90, 60));
        String error = assertThrows(IllegalArgumentException.class, () -> VocFolder.read(set)).getMessage();
        assertEquals(set.resolve("Annotations/a.xml") + ":11: <object>: the box (70, 50) - (90, 60) lies outside its"
                + " image of 64 x 48 pixels", error);
    }

    @Test
    void everySetNumbersTheClassesOfOneList() throws IOException {
        Path train = root.resolve("train");
        Path test = root.resolve("test");
        image(train, "a.png", 32, 32, Color.GRAY);
        annotation(train, "a", new Obj("cat", 1, 1, 10, 10), new Obj("dog", 16, 16, 30, 30));
        image(test, "b.png", 32, 32, Color.GRAY);
        annotation(test, "b", new Obj("dog", 1, 1, 10, 10));
        List<String> classes = List.of("cat", "dog");
        DataSet testBatch = VocDataSets.iterator(VocFolder.read(test), classes, 32, 1, 2, 1, 1).next();
        assertEquals(4 + 2, testBatch.getLabels().size(1), "both classes, though the test set has dogs only");
        assertEquals(1.0, testBatch.getLabels().getDouble(0, 4 + 1, 0, 0), "the dog is class 1, as in training");
        assertThrows(IllegalArgumentException.class,
                () -> VocDataSets.iterator(VocFolder.read(train), List.of("dog"), 32, 1, 2, 1, 1));
    }

    @Test
    void aColourPhotoIsDrawnInColour() throws IOException {
        Path set = root.resolve("train");
        image(set, "bus.png", 16, 16, new Color(0xFF8000));
        annotation(set, "bus", new Obj("bus", 2, 2, 12, 12));
        INDArray image = VocDataSets.iterator(set, 16, 3, 1, 1, 1).next().getFeatures().slice(0);
        Path picture = root.resolve("bus-detections.png");
        DetectionPictures.write(image, List.of(), List.of(), List.of("bus"), 1, picture);
        int rgb = ImageIO.read(picture.toFile()).getRGB(8, 8) & 0xFFFFFF;
        assertEquals(0xFF, rgb >> 16, "red");
        assertEquals(0x80, rgb >> 8 & 0xFF, 1, "green");
        assertEquals(0x00, rgb & 0xFF, "blue");
    }

    @Test
    void aBrokenAnnotationEndsTheSampleWithOneErrorLine() throws IOException {
        Path data = root.resolve("voc");
        for (String set : List.of("train", "test")) {
            image(data.resolve(set), "a.png", 48, 48, Color.GRAY);
            annotation(data.resolve(set), "a", new Obj("cat", 1, 1, 30, 30));
        }
        Files.writeString(data.resolve("test/Annotations/a.xml"), "<annotation>\n<object><name>cat</name>\n</annotation>");
        StringWriter err = new StringWriter();
        int status = SampleCli.commandLine(new MnistDetection.Cli()).setErr(new PrintWriter(err))
                .execute("--data", data.toString(), "--output", root.resolve("out").toString());
        assertEquals(2, status);
        assertTrue(err.toString().startsWith("Error: " + data.resolve("test/Annotations/a.xml") + ":3: malformed XML"),
                err.toString());
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
        assertFalse(Files.exists(root.resolve("out")), "nothing was trained or written");
    }
}
