package org.dl4j.mixedprecision.samples.detection;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.datavec.image.recordreader.objdetect.ImageObject;
import org.datavec.image.recordreader.objdetect.ImageObjectLabelProvider;

/**
 * One Pascal VOC dataset folder ({@code JPEGImages/} and {@code Annotations/}), read and checked once:
 * which images train (a readable image with its annotation), what was left out and why (files that are not
 * images, images without annotation, annotations without image, unreadable or truncated images,
 * {@code difficult} objects), and which boxes reaching past the image's edge were clipped to it. It then
 * gives DataVec's {@code ObjectDetectionRecordReader} each image's objects, as read here, and the evaluation
 * each image's difficult objects.
 */
public final class VocFolder implements ImageObjectLabelProvider {

    /** The image formats read, in any letter case. */
    static final List<String> IMAGE_EXTENSIONS = List.of("png", "jpg", "jpeg", "bmp");
    private static final int NAMES_SHOWN = 3;

    private final Path folder;
    private final Map<String, List<ImageObject>> objectsByImage;
    private final Map<String, List<ImageObject>> difficultByImage;
    private final Map<String, int[]> sizeByImage;
    private final Map<String, List<String>> leftOut;
    private final List<String> clipped;

    private VocFolder(Path folder, Map<String, List<ImageObject>> objectsByImage,
                      Map<String, List<ImageObject>> difficultByImage, Map<String, int[]> sizeByImage,
                      Map<String, List<String>> leftOut, List<String> clipped) {
        this.folder = folder;
        this.objectsByImage = objectsByImage;
        this.difficultByImage = difficultByImage;
        this.sizeByImage = sizeByImage;
        this.leftOut = leftOut;
        this.clipped = clipped;
    }

    /**
     * Reads a dataset folder's images and annotations.
     *
     * @throws IllegalArgumentException for a folder without images, or an annotation that is malformed or holds
     *                                  a box that lies outside its image (naming the file and line)
     */
    public static VocFolder read(Path folder) {
        Path images = folder.resolve("JPEGImages");
        Path annotations = folder.resolve("Annotations");
        for (Path needed : List.of(images, annotations)) {
            if (!Files.isDirectory(needed)) {
                throw new IllegalArgumentException("No folder " + needed + ": a VOC dataset folder holds JPEGImages/"
                        + " (the images) and Annotations/ (one XML file per image, of the same name)");
            }
        }
        Map<String, List<String>> leftOut = new LinkedHashMap<>();
        for (String reason : List.of("files that are not images", "images without annotation",
                "annotations without image", "unreadable or truncated images", "objects marked difficult")) {
            leftOut.put(reason, new ArrayList<>());
        }
        Set<String> imageStems = new TreeSet<>();
        Map<String, List<ImageObject>> objectsByImage = new LinkedHashMap<>();
        Map<String, List<ImageObject>> difficultByImage = new LinkedHashMap<>();
        Map<String, int[]> sizeByImage = new LinkedHashMap<>();
        List<String> clipped = new ArrayList<>();
        for (Path image : list(images)) {
            String name = image.getFileName().toString();
            if (!IMAGE_EXTENSIONS.contains(extension(name))) {
                leftOut.get("files that are not images").add(name);
                continue;
            }
            imageStems.add(stem(name));
            Path annotation = annotations.resolve(stem(name) + ".xml");
            if (!Files.isRegularFile(annotation)) {
                leftOut.get("images without annotation").add(name);
                continue;
            }
            int[] size = sizeOfReadableImage(image);
            if (size == null) {
                leftOut.get("unreadable or truncated images").add(name);
                continue;
            }
            List<ImageObject> objects = new ArrayList<>();
            List<ImageObject> difficult = new ArrayList<>();
            for (VocAnnotations.VocObject object : VocAnnotations.read(annotation)) {
                ImageObject inside = clip(object, size[0], size[1]);
                if (object.difficult()) {
                    leftOut.get("objects marked difficult").add(object.where());
                    difficult.add(inside);
                    continue;
                }
                if (!inside.equals(object.box())) {
                    clipped.add(object.where());
                }
                objects.add(inside);
            }
            objectsByImage.put(key(image), objects);
            difficultByImage.put(key(image), difficult);
            sizeByImage.put(key(image), size);
        }
        for (Path annotation : list(annotations)) {
            String name = annotation.getFileName().toString();
            if (name.toLowerCase(Locale.ROOT).endsWith(".xml") && !imageStems.contains(stem(name))) {
                leftOut.get("annotations without image").add(name);
            }
        }
        if (objectsByImage.isEmpty()) {
            throw new IllegalArgumentException("No images to read in " + images + " (it reads ." + String.join(", .",
                    IMAGE_EXTENSIONS) + " in any letter case, each with an XML file of the same name in " + annotations
                    + ")" + (imageStems.isEmpty() ? "" : "; left out: " + describe(leftOut)));
        }
        return new VocFolder(folder, objectsByImage, difficultByImage, sizeByImage, leftOut, clipped);
    }

    /** @return the images that train or test, in file-name order */
    public List<URI> images() {
        return objectsByImage.keySet().stream().map(path -> Paths.get(path).toUri()).toList();
    }

    /** @return the class names of this folder's objects, sorted */
    public Set<String> classes() {
        return objectsByImage.values().stream().flatMap(List::stream).map(ImageObject::getLabel)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** @return one line: what is read, and what was left out or clipped, with the first few names of each */
    public String summary() {
        int objects = objectsByImage.values().stream().mapToInt(List::size).sum();
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%s: %d images, %d objects", folder,
                objectsByImage.size(), objects));
        String leftOutText = describe(leftOut);
        if (!leftOutText.isEmpty()) {
            line.append("; left out: ").append(leftOutText);
        }
        if (!clipped.isEmpty()) {
            line.append("; ").append(clipped.size()).append(" boxes reaching past the image's edge clipped to it (")
                    .append(firstFew(clipped)).append(')');
        }
        return line.toString();
    }

    /**
     * @param image   one of {@link #images()}
     * @param classes the class names, in the order of class indices (a difficult object of another class is left out)
     * @param size    the width and height the image is resized to
     * @return the image's objects VOC marks difficult, as ground truth in the resized image's pixels
     */
    public List<Box> difficultBoxes(URI image, List<String> classes, int size) {
        String key = key(Paths.get(image));
        int[] original = sizeByImage.get(key);
        return difficultByImage.getOrDefault(key, List.of()).stream().filter(o -> classes.contains(o.getLabel()))
                .map(o -> Box.truth(classes.indexOf(o.getLabel()), o.getX1() * (double) size / original[0],
                        o.getY1() * (double) size / original[1], o.getX2() * (double) size / original[0],
                        o.getY2() * (double) size / original[1]))
                .toList();
    }

    @Override
    public List<ImageObject> getImageObjectsForPath(String path) {
        List<ImageObject> objects = objectsByImage.get(key(Paths.get(path)));
        if (objects == null) {
            throw new IllegalStateException("Not an image of " + folder + ": " + path);
        }
        return objects;
    }

    @Override
    public List<ImageObject> getImageObjectsForPath(URI uri) {
        return getImageObjectsForPath(Paths.get(uri).toString());
    }

    private static ImageObject clip(VocAnnotations.VocObject object, int width, int height) {
        ImageObject box = object.box();
        int x1 = Math.max(0, box.getX1());
        int y1 = Math.max(0, box.getY1());
        int x2 = Math.min(width - 1, box.getX2());
        int y2 = Math.min(height - 1, box.getY2());
        if (x1 >= x2 || y1 >= y2) {
            throw new VocAnnotations.InvalidAnnotationException(object.where() + ": the box (" + box.getX1() + ", "
                    + box.getY1() + ") - (" + box.getX2() + ", " + box.getY2() + ") lies outside its image of " + width
                    + " x " + height + " pixels");
        }
        return new ImageObject(x1, y1, x2, y2, box.getLabel());
    }

    /** @return {width, height} of an image Java can decode completely, or null for one it cannot */
    private static int[] sizeOfReadableImage(Path image) {
        try (ImageInputStream in = ImageIO.createImageInputStream(image.toFile())) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                return null;
            }
            ImageReader reader = readers.next();
            try {
                boolean[] warned = {false};
                reader.addIIOReadWarningListener((source, warning) -> warned[0] = true); // "Premature end of JPEG file"
                reader.setInput(in);
                reader.read(0);
                return warned[0] ? null : new int[] {reader.getWidth(0), reader.getHeight(0)};
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static String describe(Map<String, List<String>> leftOut) {
        return leftOut.entrySet().stream().filter(entry -> !entry.getValue().isEmpty())
                .map(entry -> entry.getValue().size() + " " + entry.getKey() + " (" + firstFew(entry.getValue()) + ")")
                .collect(Collectors.joining(", "));
    }

    private static String firstFew(List<String> names) {
        return names.stream().limit(NAMES_SHOWN).collect(Collectors.joining(", "))
                + (names.size() > NAMES_SHOWN ? ", ..." : "");
    }

    private static List<Path> list(Path folder) {
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list " + folder, e);
        }
    }

    private static String key(Path image) {
        return image.toAbsolutePath().normalize().toString();
    }

    private static String extension(String name) {
        int dot = name.lastIndexOf('.');
        return dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    private static String stem(String name) {
        int dot = name.lastIndexOf('.');
        return dot < 0 ? name : name.substring(0, dot);
    }
}
