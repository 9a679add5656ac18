package org.dl4j.mixedprecision.samples.detection;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.datavec.api.split.CollectionInputSplit;
import org.datavec.api.split.InputSplit;
import org.datavec.image.recordreader.objdetect.ObjectDetectionRecordReader;
import org.deeplearning4j.datasets.datavec.RecordReaderDataSetIterator;
import org.nd4j.linalg.dataset.api.preprocessor.ImagePreProcessingScaler;

/**
 * Reads a detection dataset in Pascal VOC layout ({@code JPEGImages/} with the images,
 * {@code Annotations/} with one XML file each), as {@link VocFolder} found it, through DataVec's own
 * pipeline: {@code ObjectDetectionRecordReader}, then {@code RecordReaderDataSetIterator}. Features are scaled
 * to [0, 1]; labels are in {@code Yolo2OutputLayer}'s format, [4 + classes, grid, grid] per image, boxes in
 * grid units, classes numbered by one list given for every set (DataVec would number each set's own classes).
 * Works for the MNIST canvases and for a user's own folder.
 */
public final class VocDataSets {

    private VocDataSets() {
    }

    /**
     * @param data     the dataset folder, read
     * @param classes  the class names, in the order of the labels' class indices; must hold every class of
     *                 {@code data}
     * @param size     the size images are resized to (width and height)
     * @param channels 1 for grayscale, 3 for color
     * @param grid     the detector's output grid (size / cell)
     * @param batch    the minibatch size
     * @param seed     the seed of the (fixed) image order
     * @return the iterator; its {@code getLabels()} is {@code classes}
     */
    public static RecordReaderDataSetIterator iterator(VocFolder data, List<String> classes, int size, int channels,
                                                      int grid, int batch, long seed) {
        Set<String> unknown = new TreeSet<>(data.classes());
        unknown.removeAll(classes);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("Classes " + unknown + " are not in the class list " + classes);
        }
        ObjectDetectionRecordReader reader = new ObjectDetectionRecordReader(size, size, channels, grid, grid, data) {
            @Override
            public void initialize(InputSplit split) throws IOException {
                super.initialize(split);
                labels = new ArrayList<>(classes);
            }
        };
        List<URI> images = new ArrayList<>(data.images());
        Collections.shuffle(images, new Random(seed));
        try {
            reader.initialize(new CollectionInputSplit(images));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the images of " + data, e);
        }
        RecordReaderDataSetIterator iterator = new RecordReaderDataSetIterator(reader, batch, 1, 1, true);
        iterator.setPreProcessor(new ImagePreProcessingScaler(0, 1));
        return iterator;
    }

    /** @return an iterator over one folder, with its own classes (sorted) */
    public static RecordReaderDataSetIterator iterator(Path folder, int size, int channels, int grid, int batch,
                                                      long seed) {
        VocFolder data = VocFolder.read(folder);
        return iterator(data, new ArrayList<>(data.classes()), size, channels, grid, batch, seed);
    }
}
