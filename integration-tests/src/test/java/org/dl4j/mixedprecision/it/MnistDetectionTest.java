package org.dl4j.mixedprecision.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.dl4j.mixedprecision.samples.detection.MnistDetection;
import org.dl4j.mixedprecision.samples.detection.MnistDetection.Options;
import org.dl4j.mixedprecision.samples.detection.MnistDetection.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * The detection sample end to end, reduced to two digit classes and a few hundred canvases: MNIST
 * canvases generated and cached as VOC, read back through DataVec, a detector trained in FP32 and in
 * mixed precision, mAP computed, results and pictures written.
 */
class MnistDetectionTest {

    /** mAP@0.5 of the untrained detector on this test set is about 0.001. */
    private static final double WELL_ABOVE_CHANCE = 0.1;

    @TempDir
    Path output;

    @Test
    void bothPrecisionsLearnToDetectDigitsAndTheOutputsAreWritten() throws IOException {
        Options options = new Options(List.of("fp32", "mixed"), 2, 4, 48, 16, 4, 1, 2, 400, 100, 1e-2, null, output, 42);
        List<Result> results = MnistDetection.runExample(options);
        System.out.println(MnistDetection.table(results));

        Result fp32 = results.get(0);
        Result mixed = results.get(1);
        assertEquals(200, fp32.iterations());
        assertEquals(200, mixed.iterations());
        assertTrue(fp32.map50() > WELL_ABOVE_CHANCE, "FP32 mAP@0.5 " + fp32.map50());
        assertTrue(mixed.map50() > WELL_ABOVE_CHANCE, "mixed mAP@0.5 " + mixed.map50());
        assertTrue(mixed.map50() > 0.5 * fp32.map50(), "mixed " + mixed.map50() + " vs FP32 " + fp32.map50());
        assertTrue(mixed.map() <= mixed.map50(), "mAP over IoU 0.5 to 0.95 cannot exceed mAP@0.5");
        assertTrue(mixed.skippedSteps() < 10, "skipped " + mixed.skippedSteps());

        Path canvases = MnistDetection.canvasCache().resolve("48px-cell16-2classes-400-100-seed42");
        assertEquals(400, files(canvases.resolve("train/JPEGImages")));
        assertEquals(400, files(canvases.resolve("train/Annotations")));
        assertEquals(100, files(canvases.resolve("test/JPEGImages")));
        try (Stream<Path> cached = Files.list(canvases.getParent())) {
            assertTrue(cached.noneMatch(f -> f.getFileName().toString().contains(".partial-")), "no half-written dataset");
        }

        JsonNode runs = new ObjectMapper().readTree(output.resolve("results.json").toFile()).get("runs");
        assertEquals(2, runs.size());
        for (int i = 0; i < 2; i++) {
            JsonNode run = runs.get(i);
            Result result = results.get(i);
            assertEquals(result.precision(), run.get("precision").asText());
            assertEquals(result.map50(), run.get("mAP50").asDouble());
            assertEquals(result.map(), run.get("mAP50to95").asDouble());
            assertEquals(result.iterations(), run.get("iterations").asInt());
            assertEquals(result.skippedSteps(), run.get("skippedSteps").asLong());
            assertEquals(result.finalScale(), run.get("finalLossScale").asDouble());
            assertTrue(run.get("msPerIteration").asDouble() > 0);
            assertTrue(run.get("memoryBytes").asLong() > 0);
        }
        assertPng(output.resolve("loss.png"), 800, 450);
        assertPng(output.resolve("loss-scale.png"), 800, 450);
        for (String precision : List.of("fp32", "mixed")) {
            for (int n = 0; n < 4; n++) {
                assertPng(output.resolve("detections-" + precision + "-" + n + ".png"), 384, 384);
            }
        }
    }

    private static void assertPng(Path file, int width, int height) throws IOException {
        BufferedImage image = ImageIO.read(file.toFile());
        assertNotNull(image, file + " is not an image");
        assertEquals(width, image.getWidth(), file.toString());
        assertEquals(height, image.getHeight(), file.toString());
    }

    private static long files(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.count();
        }
    }
}
