package org.dl4j.mixedprecision.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.dl4j.mixedprecision.samples.benchmark.MixedPrecisionBenchmark;
import org.dl4j.mixedprecision.samples.benchmark.MixedPrecisionBenchmark.Options;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/** The benchmark in a reduced configuration: every part runs and the report is complete and well formed. */
class MixedPrecisionBenchmarkTest {

    @TempDir
    Path output;

    @Test
    void aReducedRunWritesACompleteReport() throws IOException {
        Options options = new Options(List.of("update", "iteration", "accuracy", "parallel"), List.of(20_000L), List.of("Adam", "Nesterovs"),
                List.of("lenet", "detector"), List.of(4), 1, 1, List.of(1L, 2L), 200, 100, 1, 16, output);
        MixedPrecisionBenchmark.run(options, List.of("--parts", "update,iteration,accuracy,parallel"));

        JsonNode report = new ObjectMapper().readTree(output.resolve("benchmarks.json").toFile());
        assertEquals(List.of("--parts", "update,iteration,accuracy,parallel"),
                List.of(report.get("run").get("arguments").get(0).asText(), report.get("run").get("arguments").get(1).asText()));
        JsonNode machine = report.get("machine");
        for (String field : List.of("cpu", "cores", "java", "os", "backend", "nd4jVersion", "nd4jEnvironment")) {
            assertTrue(machine.hasNonNull(field), "machine." + field);
        }
        assertTrue(machine.get("nd4jVersion").asText().contains("nd4j-api-1.0.0-M2.1"), machine.get("nd4jVersion").asText());

        JsonNode update = report.get("update");
        assertEquals(2, update.size(), "one row per parameter count and updater");
        for (JsonNode row : update) {
            assertEquals(20_164, row.get("parameters").asLong(), "a 141x141 dense layer and a 141x1 output layer, with biases");
            assertPositive(row, "fp32Millis", "mixedMillis");
            assertEquals(row.get("mixedMillis").asDouble() / row.get("fp32Millis").asDouble(), row.get("ratio").asDouble(), 1e-9);
        }

        JsonNode iteration = report.get("iteration");
        assertEquals(List.of("lenet", "detector"), List.of(iteration.get(0).get("model").asText(), iteration.get(1).get("model").asText()));
        for (JsonNode row : iteration) {
            assertEquals(4, row.get("batch").asInt());
            assertPositive(row, "fp32Millis", "halfMillis", "mixedMillis", "fp32Bytes", "halfBytes", "mixedBytes");
            assertTrue(row.get("mixedBytes").asLong() < row.get("fp32Bytes").asLong(), "HALF activations and parameters");
            assertTrue(row.get("halfBytes").asLong() < row.get("mixedBytes").asLong(), "pure HALF keeps no FP32 parameters beside the HALF ones");
        }

        JsonNode accuracy = report.get("accuracy");
        assertEquals(6, accuracy.size(), "3 precisions x 2 seeds");
        for (JsonNode run : accuracy) {
            assertEquals(13, run.get("iterations").asInt(), "200 digits in minibatches of 16");
            boolean mixed = run.get("precision").asText().equals("mixed");
            assertEquals(mixed ? 13 : 0, run.get("scales").size(), "the loss scale of every mixed iteration");
            if (!run.get("precision").asText().equals("half")) {
                assertTrue(run.get("accuracy").asDouble() > 0.2, "learns something in 13 iterations: " + run);
            }
        }
        assertEquals(3, report.get("accuracySummary").size());

        JsonNode parallel = report.get("parallel");
        assertEquals(2, parallel.size(), "one ParallelWrapper row per model");
        for (JsonNode row : parallel) {
            assertEquals(2, row.get("workers").asInt());
            assertPositive(row, "fp32Millis", "mixedMillis", "fp32Bytes", "mixedBytes");
            assertEquals(row.get("mixedBytes").asDouble() / row.get("fp32Bytes").asDouble(),
                    row.get("mixedOverFp32Memory").asDouble(), 1e-9);
        }

        String markdown = Files.readString(output.resolve("benchmarks.md"));
        assertTrue(markdown.contains("-Dsample.args=\"--parts update,iteration,accuracy,parallel\""), "the command that ran");
        for (String heading : List.of("## 1. Update phase", "## 2-4. Whole iteration", "## 5. Accuracy", "## 6. Loss scaler",
                "## 7. ParallelWrapper")) {
            assertTrue(markdown.contains(heading), heading);
        }
        assertEquals(2 + 2 + 2, markdown.lines().filter(line -> line.startsWith("| lenet") || line.startsWith("| detector")
                || line.startsWith("| 20,164")).count(), markdown);
        assertNotNull(ImageIO.read(output.resolve("loss-scale.png").toFile()), "loss-scale.png is a PNG");
    }

    private static void assertPositive(JsonNode row, String... fields) {
        for (String field : fields) {
            assertTrue(row.get(field).asDouble() > 0, field + " in " + row);
        }
    }
}
