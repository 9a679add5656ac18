package org.dl4j.mixedprecision.samples.detection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.dl4j.mixedprecision.samples.SampleCli;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The detection sample checks its settings together before it generates, reads or trains anything. */
class MnistDetectionOptionsTest {

    private static MnistDetection.Options options(int size, int cell, int channels, int classes, Path data) {
        return new MnistDetection.Options(List.of("fp32"), 1, 8, size, cell, 4, channels, classes, 10, 10, 0.005, data,
                Paths.get("out"), 42);
    }

    private static String refused(int size, int cell, int channels, int classes, Path data) {
        return assertThrows(IllegalArgumentException.class, () -> options(size, cell, channels, classes, data)).getMessage();
    }

    @Test
    void settingsThatDoNotFitTogetherAreRefusedNamingTheOption() {
        assertEquals("MNIST canvases must be >= 48 pixels wide (--size), got 32", refused(32, 16, 1, 10, null));
        assertEquals("MNIST has the digits 0 to 9: use 1 to 10 classes (--classes), got 11", refused(48, 16, 1, 11, null));
        assertEquals("--channels must be 1 (grayscale) or 3 (color), got 2", refused(48, 16, 2, 10, null));
        assertEquals("The grid cell must be a power of 2 pixels, got 12", refused(48, 12, 1, 10, null));
        assertEquals("The image size must be a multiple of the grid cell (16 pixels), got 40", refused(40, 16, 1, 10, null));
        // a user's own images may be smaller than the canvases, and their classes are theirs
        assertEquals(32, options(32, 16, 3, 11, Paths.get("voc")).size());
    }

    @Test
    void theCommandLineEndsWithOneErrorLineBeforeAnyWork() {
        StringWriter err = new StringWriter();
        CommandLine line = SampleCli.commandLine(new MnistDetection.Cli()).setErr(new PrintWriter(err));
        assertEquals(2, line.execute("--size", "32"));
        assertEquals("Error: MNIST canvases must be >= 48 pixels wide (--size), got 32", err.toString().strip());
    }
}
