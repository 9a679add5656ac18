package org.dl4j.mixedprecision.samples.detection;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.datavec.api.split.FileSplit;
import org.datavec.image.recordreader.objdetect.ObjectDetectionRecordReader;
import org.deeplearning4j.datasets.datavec.RecordReaderDataSetIterator;
import org.nd4j.linalg.dataset.api.preprocessor.ImagePreProcessingScaler;

/**
 * Reads a detection dataset in Pascal VOC layout ({@code JPEGImages/} with the images,
 * {@code Annotations/} with one XML file each) through DataVec's own pipeline:
 * {@code ObjectDetectionRecordReader} with {@link VocAnnotations}, then {@code RecordReaderDataSetIterator}.
 * Features are scaled to [0, 1]; labels are in {@code Yolo2OutputLayer}'s format, [4 + classes, grid,
 * grid] per image, boxes in grid units. Works for the MNIST canvases and for a user's own folder.
 */
public final class VocDataSets {

    private static final String[] IMAGE_FORMATS = {"png", "jpg", "jpeg", "bmp"};

    private VocDataSets() {
    }

    /**
     * @param folder   the dataset folder, with JPEGImages/ and Annotations/
     * @param size     the size images are resized to (width and height)
     * @param channels 1 for grayscale, 3 for color
     * @param grid     the detector's output grid (size / 32 for a TinyYOLO-style network)
     * @param batch    the minibatch size
     * @param seed     the seed of the (fixed) image order
     * @return the iterator; its reader's {@code getLabels()} lists the class names, sorted
     */
    public static RecordReaderDataSetIterator iterator(Path folder, int size, int channels, int grid, int batch,
                                                      long seed) {
        Path images = folder.resolve("JPEGImages");
        if (!Files.isDirectory(images)) {
            throw new IllegalArgumentException("No image folder " + images + ": a VOC dataset folder holds"
                    + " JPEGImages/ (the images) and Annotations/ (one XML file per image)");
        }
        ObjectDetectionRecordReader reader = new ObjectDetectionRecordReader(size, size, channels, grid, grid,
                new VocAnnotations(folder.resolve("Annotations")));
        try {
            reader.initialize(new FileSplit(images.toFile(), IMAGE_FORMATS, new Random(seed)));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the images in " + images, e);
        }
        RecordReaderDataSetIterator iterator = new RecordReaderDataSetIterator(reader, batch, 1, 1, true);
        iterator.setPreProcessor(new ImagePreProcessingScaler(0, 1));
        return iterator;
    }
}
