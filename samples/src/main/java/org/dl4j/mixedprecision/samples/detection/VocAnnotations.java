package org.dl4j.mixedprecision.samples.detection;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import org.datavec.image.recordreader.objdetect.ImageObject;
import org.datavec.image.recordreader.objdetect.ImageObjectLabelProvider;

/**
 * Reads Pascal VOC XML annotations for DataVec's {@code ObjectDetectionRecordReader}, in place of DL4J's
 * {@code VocLabelProvider}: the annotation of {@code images/name.png} is {@code annotations/name.xml};
 * each {@code <object>} gives a {@code <name>} (the class) and a {@code <bndbox>} with {@code xmin},
 * {@code ymin}, {@code xmax}, {@code ymax} in pixels. Unlike {@code VocLabelProvider}, decimal
 * coordinates (written by many labelling tools) are accepted and rounded, and a missing or malformed
 * annotation is an {@link InvalidAnnotationException} naming the file and the line.
 */
public final class VocAnnotations implements ImageObjectLabelProvider {

    private static final List<String> CORNERS = List.of("xmin", "ymin", "xmax", "ymax");

    private final Path folder;

    /** @param folder the folder holding one XML file per image */
    public VocAnnotations(Path folder) {
        if (!Files.isDirectory(folder)) {
            throw new InvalidAnnotationException("The annotation folder " + folder + " does not exist");
        }
        this.folder = folder;
    }

    /** A missing or malformed annotation, with the file and line it was found in. */
    public static final class InvalidAnnotationException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        InvalidAnnotationException(String message) {
            super(message);
        }

        InvalidAnnotationException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    @Override
    public List<ImageObject> getImageObjectsForPath(String path) {
        return read(annotationOf(Paths.get(path)));
    }

    @Override
    public List<ImageObject> getImageObjectsForPath(URI uri) {
        return read(annotationOf(Paths.get(uri)));
    }

    /** @return the path of an image's annotation file */
    Path annotationOf(Path image) {
        String name = image.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return folder.resolve((dot < 0 ? name : name.substring(0, dot)) + ".xml");
    }

    /**
     * @return the objects of one annotation file
     * @throws InvalidAnnotationException naming the file (and line) if it is missing or malformed
     */
    static List<ImageObject> read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new InvalidAnnotationException("Missing annotation " + file + ": every image needs a VOC XML file"
                    + " of the same name in the annotation folder");
        }
        try (InputStream in = Files.newInputStream(file)) {
            XMLStreamReader xml = XMLInputFactory.newFactory().createXMLStreamReader(in);
            List<ImageObject> objects = new ArrayList<>();
            Map<String, String> fields = null;
            int objectLine = 0;
            String element = null;
            while (xml.hasNext()) {
                int event = xml.next();
                if (event == XMLStreamConstants.START_ELEMENT) {
                    element = xml.getLocalName();
                    if (element.equals("object")) {
                        fields = new HashMap<>();
                        objectLine = xml.getLocation().getLineNumber();
                    }
                } else if (event == XMLStreamConstants.CHARACTERS && fields != null && element != null
                        && (element.equals("name") || CORNERS.contains(element)) && !xml.isWhiteSpace()) {
                    fields.merge(element, xml.getText().trim(), String::concat);
                } else if (event == XMLStreamConstants.END_ELEMENT) {
                    if (xml.getLocalName().equals("object") && fields != null) {
                        objects.add(object(file, objectLine, fields));
                        fields = null;
                    }
                    element = null;
                }
            }
            return objects;
        } catch (XMLStreamException e) {
            int line = e.getLocation() == null ? -1 : e.getLocation().getLineNumber();
            throw new InvalidAnnotationException(file + ":" + line + ": malformed XML (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new InvalidAnnotationException("Cannot read annotation " + file + " (" + e.getMessage() + ")", e);
        }
    }

    private static ImageObject object(Path file, int line, Map<String, String> fields) {
        String where = file + ":" + line + ": <object>";
        String name = fields.get("name");
        if (name == null || name.isEmpty()) {
            throw new InvalidAnnotationException(where + " has no <name> (its class)");
        }
        int[] corners = new int[4];
        for (int i = 0; i < 4; i++) {
            String value = fields.get(CORNERS.get(i));
            if (value == null) {
                throw new InvalidAnnotationException(where + " has no <" + CORNERS.get(i) + "> in its <bndbox>");
            }
            try {
                corners[i] = (int) Math.round(Double.parseDouble(value));
            } catch (NumberFormatException e) {
                throw new InvalidAnnotationException(where + ": <" + CORNERS.get(i) + "> is not a number: \"" + value
                        + "\"");
            }
        }
        if (corners[0] >= corners[2] || corners[1] >= corners[3]) {
            throw new InvalidAnnotationException(where + ": an empty box, xmin " + corners[0] + " xmax " + corners[2]
                    + " ymin " + corners[1] + " ymax " + corners[3] + " (xmin must be below xmax, ymin below ymax)");
        }
        return new ImageObject(corners[0], corners[1], corners[2], corners[3], name);
    }
}
