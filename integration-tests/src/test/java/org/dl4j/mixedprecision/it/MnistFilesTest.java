package org.dl4j.mixedprecision.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.dl4j.mixedprecision.samples.MnistData;
import org.dl4j.mixedprecision.samples.MnistFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;

/** The MNIST files are found or obtained, verified, and read as the original release. */
class MnistFilesTest {

    @Test
    void filesAreObtainedVerifiedAndReadInOrder() {
        MnistFiles files = MnistFiles.findOrObtain();
        DataSet test = MnistData.test(files, 10);
        assertEquals(784, test.getFeatures().columns());
        // The first ten test labels of the original MNIST release.
        int[] expected = {7, 2, 1, 0, 4, 1, 4, 9, 5, 9};
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], test.getLabels().getRow(i).argMax().getInt(0));
        }
        assertTrue(test.getFeatures().maxNumber().doubleValue() <= 1.0);
    }

    @Test
    void aFileNotInMnistsLayoutIsRefusedByName(@TempDir Path folder) throws IOException {
        for (String name : new String[] {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte"}) {
            try (InputStream in = MnistFiles.findOrObtain().open(name)) {
                Files.copy(in, folder.resolve(name));
            }
        }
        Files.write(folder.resolve("t10k-labels-idx1-ubyte"), new byte[] {0, 0, 8, 1, 0, 0, 0, 1, 3});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MnistFiles.in(folder));
        assertTrue(e.getMessage().contains("t10k-labels-idx1-ubyte is not an IDX label file for the 10000 images"),
                e.getMessage());
        assertTrue(e.getMessage().contains(folder.toString()), e.getMessage());
    }

    @Test
    void aMissingFileIsRefusedByName(@TempDir Path folder) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MnistFiles.in(folder));
        assertTrue(e.getMessage().contains("train-images-idx3-ubyte is missing (plain or .gz)"), e.getMessage());
    }
}
