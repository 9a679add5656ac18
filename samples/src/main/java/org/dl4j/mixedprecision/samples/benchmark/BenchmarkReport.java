package org.dl4j.mixedprecision.samples.benchmark;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.dl4j.mixedprecision.samples.LineChart;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;

/**
 * The benchmark's results and how they are written: {@code report.md} (Markdown tables),
 * {@code report.json} and {@code loss-scale.png} (the loss scale per iteration of each mixed-precision
 * accuracy run, log2). The JSON's fields:
 * <ul>
 *   <li>{@code machine}: cpu, cores, ompNumThreads, java, os, backend, nd4jVersion, nd4jEnvironment (ND4J's
 *       own environment information: BLAS vendor, threads, ...);</li>
 *   <li>{@code settings}: the options the run used;</li>
 *   <li>{@code update[]}: parameters, updater, fp32Millis, mixedMillis, ratio (mixed / FP32; medians);</li>
 *   <li>{@code iteration[]}: model, batch, fp32Millis, halfMillis, mixedMillis, mixedOverHalf,
 *       mixedOverFp32, fp32Bytes, halfBytes, mixedBytes, mixedOverFp32Memory;</li>
 *   <li>{@code accuracy[]}: precision, seed, accuracy, iterations, skippedAfterSettling (mixed: steps
 *       skipped after the first 100 iterations), scales (mixed: the loss scale after every iteration);</li>
 *   <li>{@code accuracySummary[]}: precision, mean, standardDeviation (sample), runs;</li>
 *   <li>{@code parallel[]}: model, batch, workers, fp32Millis, mixedMillis, mixedOverFp32, fp32Bytes, mixedBytes,
 *       mixedOverFp32Memory (ParallelWrapper, per iteration and per worker).</li>
 * </ul>
 *
 * @param machine    what it ran on
 * @param settings   the options
 * @param update     part 1
 * @param iteration  parts 2 to 4
 * @param accuracy   parts 5 and 6
 * @param parallel   part 7
 */
record BenchmarkReport(Map<String, Object> machine, Map<String, Object> settings, List<UpdateBenchmark.Row> update,
                       List<IterationBenchmark.Row> iteration, List<AccuracyBenchmark.Run> accuracy,
                       List<ParallelBenchmark.Row> parallel) {

    /** Writes report.md, report.json and, with accuracy runs, loss-scale.png into {@code folder}. */
    void writeTo(Path folder) throws IOException {
        Files.createDirectories(folder);
        Files.writeString(folder.resolve("report.md"), markdown(), StandardCharsets.UTF_8);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(folder.resolve("report.json").toFile(),
                json());
        List<AccuracyBenchmark.Run> mixed = accuracy.stream().filter(run -> !run.scales().isEmpty()).toList();
        if (!mixed.isEmpty()) {
            LineChart scales = new LineChart("Loss scale per iteration, mixed-precision LeNet runs", "loss scale", true);
            mixed.forEach(run -> scales.add("seed " + run.seed(), run.scales()));
            scales.write(folder.resolve("loss-scale.png"));
        }
    }

    /** @return the Markdown tables */
    String markdown() {
        StringBuilder md = new StringBuilder("# Mixed-precision benchmark\n\n");
        md.append(String.format(Locale.ROOT, "Machine: %s, %s cores, OMP_NUM_THREADS=%s, %s, ND4J %s (%s)%n%n",
                machine.get("cpu"), machine.get("cores"), machine.get("ompNumThreads"), machine.get("java"),
                machine.get("nd4jVersion"), machine.get("backend")));
        if (!update.isEmpty()) {
            md.append("## 1. Update phase (median ms per update)\n\n")
                    .append("| parameters | updater | FP32 update + step | mixed-precision step | mixed / FP32 |\n")
                    .append("|---:|---|---:|---:|---:|\n");
            for (UpdateBenchmark.Row r : update) {
                md.append(String.format(Locale.ROOT, "| %,d | %s | %.2f | %.2f | %.2f |%n", r.parameters(), r.updater(),
                        r.fp32Millis(), r.mixedMillis(), r.ratio()));
            }
            md.append('\n');
        }
        if (!iteration.isEmpty()) {
            md.append("## 2-4. Whole iteration (median ms) and training memory (MB)\n\n")
                    .append("| model | batch | FP32 ms | pure HALF ms | mixed ms | mixed / HALF | mixed / FP32 |"
                            + " FP32 MB | HALF MB | mixed MB | mixed / FP32 memory |\n")
                    .append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for (IterationBenchmark.Row r : iteration) {
                md.append(String.format(Locale.ROOT, "| %s | %d | %.1f | %.1f | %.1f | %.3f | %.1f | %.2f | %.2f | %.2f | %.2f |%n",
                        r.model(), r.batch(), r.fp32Millis(), r.halfMillis(), r.mixedMillis(), r.mixedOverHalf(),
                        r.mixedOverFp32(), r.fp32Bytes() / 1e6, r.halfBytes() / 1e6, r.mixedBytes() / 1e6,
                        r.memoryRatio()));
            }
            md.append('\n');
        }
        if (!accuracy.isEmpty()) {
            md.append("## 5. Accuracy (LeNet-5, real MNIST, test accuracy)\n\n")
                    .append("| precision | mean | std | runs |\n|---|---:|---:|---|\n");
            for (Map<String, Object> s : summary()) {
                md.append(String.format(Locale.ROOT, "| %s | %.2f%% | %.2f | %s |%n", s.get("precision"),
                        100 * (double) s.get("mean"), 100 * (double) s.get("standardDeviation"), s.get("runs")));
            }
            md.append("\n## 6. Loss scaler (mixed-precision runs)\n\n")
                    .append("| seed | iterations | skipped after iteration ").append(AccuracyBenchmark.SETTLING_ITERATIONS)
                    .append(" | skipped fraction | final scale |\n|---:|---:|---:|---:|---:|\n");
            for (AccuracyBenchmark.Run r : accuracy) {
                if (!r.scales().isEmpty()) {
                    int counted = r.iterations() - AccuracyBenchmark.SETTLING_ITERATIONS;
                    md.append(String.format(Locale.ROOT, "| %d | %d | %s | %s | %.0f |%n", r.seed(), r.iterations(),
                            counted > 0 ? Long.toString(r.skippedAfterSettling()) : "-",
                            counted > 0 ? String.format(Locale.ROOT, "%.4f", (double) r.skippedAfterSettling() / counted) : "-",
                            r.scales().get(r.scales().size() - 1)));
                }
            }
            md.append("\nLoss-scale trajectories: `loss-scale.png`.\n");
        }
        if (!parallel.isEmpty()) {
            md.append("\n## 7. ParallelWrapper, ").append(ParallelBenchmark.WORKERS)
                    .append(" workers averaging every iteration (median ms per iteration, MB per worker)\n\n")
                    .append("| model | batch per worker | FP32 ms | mixed ms | mixed / FP32 | FP32 MB | mixed MB |"
                            + " mixed / FP32 memory |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
            for (ParallelBenchmark.Row r : parallel) {
                md.append(String.format(Locale.ROOT, "| %s | %d | %.1f | %.1f | %.1f | %.2f | %.2f | %.2f |%n", r.model(),
                        r.batch(), r.fp32Millis(), r.mixedMillis(), r.mixedOverFp32(), r.fp32Bytes() / 1e6,
                        r.mixedBytes() / 1e6, r.memoryRatio()));
            }
        }
        return md.toString();
    }

    private Map<String, Object> json() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("machine", machine);
        json.put("settings", settings);
        List<Map<String, Object>> updates = new ArrayList<>();
        for (UpdateBenchmark.Row r : update) {
            updates.add(ordered("parameters", r.parameters(), "updater", r.updater(), "fp32Millis", r.fp32Millis(),
                    "mixedMillis", r.mixedMillis(), "ratio", r.ratio()));
        }
        json.put("update", updates);
        List<Map<String, Object>> iterations = new ArrayList<>();
        for (IterationBenchmark.Row r : iteration) {
            iterations.add(ordered("model", r.model(), "batch", r.batch(), "fp32Millis", r.fp32Millis(),
                    "halfMillis", r.halfMillis(), "mixedMillis", r.mixedMillis(),
                    "mixedOverHalf", r.mixedOverHalf(), "mixedOverFp32", r.mixedOverFp32(), "fp32Bytes", r.fp32Bytes(),
                    "halfBytes", r.halfBytes(), "mixedBytes", r.mixedBytes(), "mixedOverFp32Memory", r.memoryRatio()));
        }
        json.put("iteration", iterations);
        List<Map<String, Object>> runs = new ArrayList<>();
        for (AccuracyBenchmark.Run r : accuracy) {
            runs.add(ordered("precision", r.precision(), "seed", r.seed(), "accuracy", r.accuracy(),
                    "iterations", r.iterations(), "skippedAfterSettling", r.skippedAfterSettling(), "scales", r.scales()));
        }
        json.put("accuracy", runs);
        json.put("accuracySummary", summary());
        List<Map<String, Object>> parallels = new ArrayList<>();
        for (ParallelBenchmark.Row r : parallel) {
            parallels.add(ordered("model", r.model(), "batch", r.batch(), "workers", ParallelBenchmark.WORKERS,
                    "fp32Millis", r.fp32Millis(), "mixedMillis", r.mixedMillis(), "mixedOverFp32", r.mixedOverFp32(),
                    "fp32Bytes", r.fp32Bytes(), "mixedBytes", r.mixedBytes(), "mixedOverFp32Memory", r.memoryRatio()));
        }
        json.put("parallel", parallels);
        return json;
    }

    /** @return mean and sample standard deviation of the test accuracy per precision */
    private List<Map<String, Object>> summary() {
        List<Map<String, Object>> summary = new ArrayList<>();
        for (String precision : List.of("fp32", "half", "mixed")) {
            double[] values = accuracy.stream().filter(r -> r.precision().equals(precision))
                    .mapToDouble(AccuracyBenchmark.Run::accuracy).toArray();
            if (values.length == 0) {
                continue;
            }
            double mean = Arrays.stream(values).average().orElse(Double.NaN);
            double squares = Arrays.stream(values).map(v -> (v - mean) * (v - mean)).sum();
            double std = values.length > 1 ? Math.sqrt(squares / (values.length - 1)) : 0;
            List<String> each = Arrays.stream(values)
                    .mapToObj(v -> String.format(Locale.ROOT, "%.2f%%", 100 * v)).toList();
            summary.add(ordered("precision", precision, "mean", mean, "standardDeviation", std,
                    "runs", String.join(", ", each)));
        }
        return summary;
    }

    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }
}
