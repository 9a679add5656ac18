package org.dl4j.mixedprecision.samples.detection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.datavec.api.records.metadata.RecordMetaData;
import org.datavec.image.recordreader.objdetect.ImageObject;
import org.deeplearning4j.datasets.datavec.RecordReaderDataSetIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/** Canvases written as PNG + VOC XML come back through DataVec as YOLO labels; broken annotations are named. */
class VocDataSetsTest {

    @TempDir
    Path folder;

    @Test
    void canvasesReadBackAsYoloLabelsThroughDataVec() {
        MnistCanvases.write(MnistCanvasesTest.rectangles(), folder, 12, 64, 32, 5);
        RecordReaderDataSetIterator iterator = VocDataSets.iterator(folder, 64, 1, 2, 4, 7);
        iterator.setCollectMetaData(true);
        List<String> classes = iterator.getLabels();
        assertEquals(List.of("0", "1", "2"), classes);
        int images = 0;
        while (iterator.hasNext()) {
            DataSet batch = iterator.next();
            assertEquals(1, batch.getFeatures().size(1));
            assertTrue(batch.getFeatures().maxNumber().doubleValue() <= 1.0, "scaled to [0, 1]");
            List<RecordMetaData> meta = batch.getExampleMetaData(RecordMetaData.class);
            for (int i = 0; i < meta.size(); i++, images++) {
                URI image = meta.get(i).getURI();
                List<VocAnnotations.VocObject> objects = VocAnnotations.read(folder.resolve("Annotations")
                        .resolve(Paths.get(image).getFileName().toString().replace(".png", ".xml")));
                INDArray labels = batch.getLabels().get(org.nd4j.linalg.indexing.NDArrayIndex.point(i));
                for (ImageObject object : objects.stream().map(VocAnnotations.VocObject::box).toList()) {
                    int cellX = (int) (object.getXCenterPixels() / 32);
                    int cellY = (int) (object.getYCenterPixels() / 32);
                    int cls = classes.indexOf(object.getLabel());
                    assertEquals(1.0, labels.getDouble(4 + cls, cellY, cellX), 1e-6, "class in the object's cell");
                    assertEquals(object.getX1() / 32.0, labels.getDouble(0, cellY, cellX), 1e-4, "x1 in grid units");
                    assertEquals(object.getY2() / 32.0, labels.getDouble(3, cellY, cellX), 1e-4, "y2 in grid units");
                }
            }
        }
        assertEquals(12, images);
    }

    @Test
    void decimalCoordinatesAreRounded() throws IOException {
        Path file = folder.resolve("a.xml");
        Files.writeString(file, "<annotation>\n<object>\n<name>cat</name>\n<bndbox><xmin>10.4</xmin><ymin>5.5</ymin>"
                + "<xmax>20.6</xmax><ymax>30</ymax></bndbox>\n</object>\n</annotation>\n");
        List<VocAnnotations.VocObject> objects = VocAnnotations.read(file);
        assertEquals(List.of(new ImageObject(10, 6, 21, 30, "cat")),
                objects.stream().map(VocAnnotations.VocObject::box).toList());
    }

    @Test
    void brokenAnnotationsAreNamedWithFileAndLine() throws IOException {
        assertRefused(null, "Missing annotation");
        assertRefused("<annotation>\n<object>\n<name>cat</name>\n<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>9</xmax>"
                + "</bndbox>\n</object>\n</annotation>", ":2: <object> has no <ymax>");
        assertRefused("<annotation>\n\n<object><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>9</xmax><ymax>9</ymax></bndbox>"
                + "</object>\n</annotation>", ":3: <object> has no <name>");
        assertRefused("<annotation>\n<object><name>dog</name><bndbox><xmin>one</xmin><ymin>1</ymin><xmax>9</xmax>"
                + "<ymax>9</ymax></bndbox></object>\n</annotation>", ":2: <object>: <xmin> is not a number: \"one\"");
        assertRefused("<annotation>\n<object><name>dog</name><bndbox><xmin>9</xmin><ymin>1</ymin><xmax>9</xmax>"
                + "<ymax>9</ymax></bndbox></object>\n</annotation>", "an empty box");
        assertRefused("<annotation>\n<object>\n<name>cat</name>\n</annotation>", ":4: malformed XML");
    }

    private void assertRefused(String xml, String problem) throws IOException {
        Path file = folder.resolve("broken.xml");
        Files.deleteIfExists(file);
        if (xml != null) {
            Files.writeString(file, xml);
        }
        VocAnnotations.InvalidAnnotationException error = assertThrows(VocAnnotations.InvalidAnnotationException.class,
                () -> VocAnnotations.read(file));
        assertTrue(error.getMessage().contains(file.toString()), error.getMessage());
        assertTrue(error.getMessage().contains(problem), error.getMessage());
    }
}
