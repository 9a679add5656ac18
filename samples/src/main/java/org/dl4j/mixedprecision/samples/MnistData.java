package org.dl4j.mixedprecision.samples;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reads MNIST IDX files into DL4J {@link DataSet}s: features {@code [n, 784]} in [0, 1] (FLOAT), labels
 * one-hot {@code [n, 10]}, in file order.
 */
public final class MnistData {

    private static final int PIXELS = 28 * 28;
    private static final int CLASSES = 10;

    private MnistData() {
    }

    /** @return the first {@code count} training examples (at most 60000) */
    public static DataSet train(MnistFiles files, int count) {
        return read(files, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", count);
    }

    /** @return the first {@code count} test examples (at most 10000) */
    public static DataSet test(MnistFiles files, int count) {
        return read(files, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", count);
    }

    private static DataSet read(MnistFiles files, String imagesFile, String labelsFile, int count) {
        try (DataInputStream images = new DataInputStream(new java.io.BufferedInputStream(files.open(imagesFile)));
             DataInputStream labels = new DataInputStream(new java.io.BufferedInputStream(files.open(labelsFile)))) {
            int available = header(images, 2051, imagesFile);
            header(labels, 2049, labelsFile);
            images.readInt();
            images.readInt();
            if (count < 1 || count > available) {
                throw new IllegalArgumentException("Asked for " + count + " examples of " + imagesFile
                        + ", which holds " + available + ": use a count between 1 and " + available);
            }
            float[] features = new float[count * PIXELS];
            byte[] row = new byte[PIXELS];
            float[] oneHot = new float[count * CLASSES];
            for (int i = 0; i < count; i++) {
                images.readFully(row);
                for (int p = 0; p < PIXELS; p++) {
                    features[i * PIXELS + p] = (row[p] & 0xFF) / 255f;
                }
                oneHot[i * CLASSES + labels.readUnsignedByte()] = 1f;
            }
            INDArray f = Nd4j.create(features, new long[] {count, PIXELS}, DataType.FLOAT);
            INDArray l = Nd4j.create(oneHot, new long[] {count, CLASSES}, DataType.FLOAT);
            return new DataSet(f, l);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read MNIST from " + files.folder(), e);
        }
    }

    private static int header(DataInputStream in, int magic, String name) throws IOException {
        int actual = in.readInt();
        if (actual != magic) {
            throw new IOException(name + " is not an IDX file: magic number " + actual + ", expected " + magic);
        }
        return in.readInt();
    }

}
