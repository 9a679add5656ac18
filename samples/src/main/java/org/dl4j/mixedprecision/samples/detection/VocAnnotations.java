package org.dl4j.mixedprecision.samples.detection;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import org.datavec.image.recordreader.objdetect.ImageObject;

/**
 * Reads Pascal VOC XML annotation files. Each {@code <object>} of the {@code <annotation>} gives a
 * {@code <name>} (the class), a {@code <bndbox>} with {@code xmin}, {@code ymin}, {@code xmax}, {@code ymax}
 * in pixels and optionally {@code <difficult>1</difficult>}; what else VOC puts in an object (its
 * {@code <part>}s with their own names and boxes, {@code <actions>}, {@code <point>}, {@code <pose>},
 * {@code <truncated>}, {@code <occluded>}) is not part of the object's class or box and is skipped. Unlike
 * DL4J's {@code VocLabelProvider}, decimal coordinates (written by many labelling tools) are accepted and
 * rounded, and a missing or malformed annotation is an {@link InvalidAnnotationException} naming the file and
 * the line.
 */
public final class VocAnnotations {

    private static final List<String> CORNERS = List.of("xmin", "ymin", "xmax", "ymax");
    private static final List<String> READ = List.of("name", "difficult", "bndbox/xmin", "bndbox/ymin", "bndbox/xmax",
            "bndbox/ymax");

    private VocAnnotations() {
    }

    /** A missing or malformed annotation, with the file and line it was found in. */
    public static final class InvalidAnnotationException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        InvalidAnnotationException(String message) {
            super(message);
        }

        InvalidAnnotationException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * One object of an annotation.
     *
     * @param box       its class and box, in the image's pixels
     * @param difficult whether VOC marks it difficult
     * @param where     the file and line of its {@code <object>}, for messages
     */
    public record VocObject(ImageObject box, boolean difficult, String where) {
    }

    /**
     * @return the objects of one annotation file
     * @throws InvalidAnnotationException naming the file (and line) if it is missing or malformed
     */
    public static List<VocObject> read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new InvalidAnnotationException("Missing annotation " + file);
        }
        try (InputStream in = Files.newInputStream(file)) {
            XMLStreamReader xml = XMLInputFactory.newFactory().createXMLStreamReader(in);
            List<VocObject> objects = new ArrayList<>();
            List<String> path = new ArrayList<>();
            Map<String, String> fields = null;
            int objectDepth = 0;
            int objectLine = 0;
            while (xml.hasNext()) {
                int event = xml.next();
                if (event == XMLStreamConstants.START_ELEMENT) {
                    path.add(xml.getLocalName());
                    if (fields == null && path.equals(List.of("annotation", "object"))) {
                        fields = new HashMap<>();
                        objectDepth = path.size();
                        objectLine = xml.getLocation().getLineNumber();
                    }
                } else if (event == XMLStreamConstants.CHARACTERS && fields != null && !xml.isWhiteSpace()) {
                    String field = String.join("/", path.subList(objectDepth, path.size()));
                    if (READ.contains(field)) {
                        fields.merge(field, xml.getText().trim(), String::concat);
                    }
                } else if (event == XMLStreamConstants.END_ELEMENT) {
                    if (fields != null && path.size() == objectDepth) {
                        objects.add(object(file + ":" + objectLine + ": <object>", fields));
                        fields = null;
                    }
                    path.remove(path.size() - 1);
                }
            }
            return objects;
        } catch (XMLStreamException e) {
            int line = e.getLocation() == null ? -1 : e.getLocation().getLineNumber();
            String problem = e.getMessage().replaceFirst("(?s)^ParseError at \\[row,col\\]:\\[\\d+,\\d+\\]\\s*Message:", "");
            throw new InvalidAnnotationException(file + ":" + line + ": malformed XML (" + problem.replaceAll("\\s+", " ")
                    .strip() + ")", e);
        } catch (IOException e) {
            throw new InvalidAnnotationException("Cannot read annotation " + file + " (" + e.getMessage() + ")", e);
        }
    }

    private static VocObject object(String where, Map<String, String> fields) {
        String name = fields.get("name");
        if (name == null || name.isEmpty()) {
            throw new InvalidAnnotationException(where + " has no <name> (its class)");
        }
        int[] corners = new int[4];
        for (int i = 0; i < 4; i++) {
            String value = fields.get("bndbox/" + CORNERS.get(i));
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
        String difficult = fields.getOrDefault("difficult", "0");
        if (!difficult.equals("0") && !difficult.equals("1")) {
            throw new InvalidAnnotationException(where + ": <difficult> must be 0 or 1, got \"" + difficult + "\"");
        }
        return new VocObject(new ImageObject(corners[0], corners[1], corners[2], corners[3], name),
                difficult.equals("1"), where);
    }
}
