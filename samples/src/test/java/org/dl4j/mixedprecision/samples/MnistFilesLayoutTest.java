package org.dl4j.mixedprecision.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;

/**
 * {@code --data DIR} of the MNIST samples takes any IDX dataset in MNIST's layout (Fashion-MNIST, KMNIST,
 * EMNIST digits), saying that it is not MNIST; files not in that layout are refused by name.
 */
class MnistFilesLayoutTest {

    @TempDir
    Path folder;

    private void idx(String set, int count, int rows, int[] labels) throws IOException {
        ByteArrayOutputStream images = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(images);
        out.writeInt(2051);
        out.writeInt(count);
        out.writeInt(rows);
        out.writeInt(28);
        for (int i = 0; i < count * rows * 28; i++) {
            out.writeByte(i % 251);
        }
        Files.write(folder.resolve(set + "-images-idx3-ubyte"), images.toByteArray());
        ByteArrayOutputStream labelBytes = new ByteArrayOutputStream();
        DataOutputStream labelOut = new DataOutputStream(labelBytes);
        labelOut.writeInt(2049);
        labelOut.writeInt(labels.length);
        for (int label : labels) {
            labelOut.writeByte(label);
        }
        Files.write(folder.resolve(set + "-labels-idx1-ubyte"), labelBytes.toByteArray());
    }

    @Test
    void anotherIdxDatasetInMnistsLayoutIsReadWithANote() throws IOException {
        idx("train", 3, 28, new int[] {9, 0, 5});
        idx("t10k", 2, 28, new int[] {1, 2});
        MnistFiles files = MnistFiles.in(folder);
        assertEquals("the IDX files in " + folder + " (not the original MNIST: their SHA-256 differ; read in MNIST's"
                + " layout)", files.description());
        DataSet train = MnistData.train(files, 3);
        assertEquals(9, train.getLabels().getRow(0).argMax().getInt(0));
        assertEquals((250 % 251) / 255f, train.getFeatures().getFloat(0, 250), 1e-6);
    }

    @Test
    void filesNotInMnistsLayoutAreRefusedByName() throws IOException {
        idx("train", 3, 28, new int[] {9, 0, 26});
        idx("t10k", 2, 32, new int[] {1, 2});
        String error = assertThrows(IllegalArgumentException.class, () -> MnistFiles.in(folder)).getMessage();
        assertTrue(error.startsWith("Folder " + folder + " does not hold an IDX dataset in MNIST's layout: "
                + "train-labels-idx1-ubyte holds the label 26: the samples read 10 classes, 0 to 9; t10k-images-idx3-ubyte"
                + " is not an IDX file of 28 x 28 images (header [2051, 2, 32, 28], expected [2051, count, 28, 28])"), error);

        idx("train", 3, 28, new int[] {9, 0});
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MnistFiles.in(folder)).getMessage()
                .contains("train-labels-idx1-ubyte is not an IDX label file for the 3 images of train-images-idx3-ubyte"));

        Files.delete(folder.resolve("t10k-labels-idx1-ubyte"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MnistFiles.in(folder)).getMessage()
                .contains("t10k-labels-idx1-ubyte is missing (plain or .gz)"));
    }
}
