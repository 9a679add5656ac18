package org.dl4j.mixedprecision.samples.benchmark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/** The benchmark's page is rendered from its JSON alone, with the ranges it states computed from the rows. */
class BenchmarkDocumentTest {

    private static final Path DOCS = Path.of("..", "docs");

    @TempDir
    Path folder;

    @Test
    void theDocumentationsBenchmarkPageIsWhatTheProgramWroteFromItsNumbers() throws IOException {
        String page = Files.readString(DOCS.resolve("benchmarks.md"), StandardCharsets.UTF_8);
        String rendered = BenchmarkDocument.render(new ObjectMapper().readTree(DOCS.resolve("benchmarks.json").toFile()));
        assertEquals(rendered, page, "docs/benchmarks.md differs from what MixedPrecisionBenchmark renders from"
                + " docs/benchmarks.json: regenerate it with the command on the page, do not edit it by hand");
    }

    @Test
    void thePageStatesTheCommandMachineTablesAndTheRangesOfTheRows() throws IOException {
        Map<String, Object> run = new LinkedHashMap<>(Map.of("date", "2026-12-03", "minutes", 14.4,
                "arguments", List.of("--output", "../docs")));
        Map<String, Object> machine = new LinkedHashMap<>(Map.of("cpu", "Some CPU", "cores", 2, "ompNumThreads", "1",
                "java", "OpenJDK 17", "os", "Linux amd64", "backend", "CpuBackend", "nd4jVersion", "nd4j-api-1.0.0-M2.1.jar"));
        Map<String, Object> settings = new LinkedHashMap<>(Map.of("warmups", 2, "repeats", 5, "seeds", List.of(1, 2),
                "train", 4000, "test", 2000, "epochs", 1, "accuracyBatch", 16));
        List<Double> scales = java.util.Collections.nCopies(250, 2048.0);
        BenchmarkReport report = new BenchmarkReport(run, machine, settings,
                List.of(new UpdateBenchmark.Row(1_002_001, "Adam", 7.0, 6.65), new UpdateBenchmark.Row(1_002_001, "Nesterovs", 2.0, 2.2)),
                List.of(new IterationBenchmark.Row("lenet", 32, 50, 500, 600, 8_000_000, 4_000_000, 5_000_000),
                        new IterationBenchmark.Row("lenet", 128, 200, 2000, 2000, 32_000_000, 16_000_000, 20_000_000)),
                List.of(new AccuracyBenchmark.Run("fp32", 1, 0.9, 250, 0, List.of()),
                        new AccuracyBenchmark.Run("fp32", 2, 0.92, 250, 0, List.of()),
                        new AccuracyBenchmark.Run("half", 1, Double.NaN, 250, 0, List.of()),
                        new AccuracyBenchmark.Run("half", 2, 0.5, 250, 0, List.of()),
                        new AccuracyBenchmark.Run("mixed", 1, 0.91, 250, 3, scales),
                        new AccuracyBenchmark.Run("mixed", 2, 0.915, 250, 0, List.of(1.0, 4096.0))),
                List.of(new ParallelBenchmark.Row("lenet", 32, 100, 700, 9_000_000, 5_000_000)));
        report.writeTo(folder);

        String page = Files.readString(folder.resolve("benchmarks.md"), StandardCharsets.UTF_8);
        assertEquals(BenchmarkDocument.render(new ObjectMapper().readTree(folder.resolve("benchmarks.json").toFile())), page);
        for (String expected : List.of(
                "written on 2026-12-03 after 14 minutes",
                "-Dsample.main=org.dl4j.mixedprecision.samples.benchmark.MixedPrecisionBenchmark -Dsample.args=\"--output ../docs\"",
                "**Machine:** Some CPU, 2 cores, OMP_NUM_THREADS=1, Linux amd64, OpenJDK 17, ND4J nd4j-api-1.0.0-M2.1.jar (CpuBackend).",
                "medians of 5 timed repetitions after 2 warm-up ones",
                "LeNet-5 trained on 4000 MNIST digits for 1 epoch(s) of batch 16, tested on 2000, seeds 1, 2.",
                "| 1,002,001 | Adam | 7.00 | 6.65 | 0.95 |",
                "Mixed / FP32: 0.95 to 1.10.",
                "| lenet | 32 | 50.0 | 500.0 | 600.0 | 1.200 | 12.0 | 8.00 | 4.00 | 5.00 | 0.63 |",
                "Mixed / pure HALF time: 1.00 to 1.20",
                "Mixed / FP32 time: 10.0 to 12.0.",
                "Mixed / FP32 memory: 0.63; mixed minus pure HALF memory: 1.00 to 4.00 MB.",
                "| mixed | 91.25% | 0.35 | 91.00%, 91.50% |",
                "Pure HALF diverged (NaN) in 1 of 2 runs.",
                "| 1 | 250 | 3 | 0.0200 | 2048 |",
                "| 2 | 250 | 0 | 0.0000 | 4096 |",
                "Final scales 2048 to 4096",
                "| lenet | 32 | 100.0 | 700.0 | 7.0 | 9.00 | 5.00 | 0.56 |",
                "Mixed / FP32 time: 7.0; memory: 0.56.")) {
            assertTrue(page.contains(expected), expected + "\n---\n" + page);
        }
        assertTrue(Files.isRegularFile(folder.resolve("loss-scale.png")));
    }
}
