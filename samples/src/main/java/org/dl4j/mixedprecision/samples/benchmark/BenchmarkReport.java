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
import org.apache.commons.math3.stat.descriptive.moment.Mean;
import org.apache.commons.math3.stat.descriptive.moment.StandardDeviation;
import org.dl4j.mixedprecision.samples.LineChart;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;

/**
 * The benchmark's results and how they are written: {@code benchmarks.json}, the page {@code benchmarks.md}
 * rendered from that JSON alone ({@link BenchmarkDocument}) and {@code loss-scale.png} (the loss scale per
 * iteration of each mixed-precision accuracy run, log2). The JSON's fields:
 * <ul>
 *   <li>{@code run}: date, minutes (the whole run), arguments (the command line's);</li>
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
 * @param run        when and how it ran
 * @param machine    what it ran on
 * @param settings   the options
 * @param update     part 1
 * @param iteration  parts 2 to 4
 * @param accuracy   parts 5 and 6
 * @param parallel   part 7
 */
record BenchmarkReport(Map<String, Object> run, Map<String, Object> machine, Map<String, Object> settings, List<UpdateBenchmark.Row> update,
                       List<IterationBenchmark.Row> iteration, List<AccuracyBenchmark.Run> accuracy,
                       List<ParallelBenchmark.Row> parallel) {

    /** Writes benchmarks.json, benchmarks.md and, with accuracy runs, loss-scale.png into {@code folder}. */
    void writeTo(Path folder) throws IOException {
        Files.createDirectories(folder);
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        JsonNode json = mapper.valueToTree(json());
        mapper.writeValue(folder.resolve("benchmarks.json").toFile(), json);
        Files.writeString(folder.resolve("benchmarks.md"), BenchmarkDocument.render(json), StandardCharsets.UTF_8);
        List<AccuracyBenchmark.Run> mixed = accuracy.stream().filter(run -> !run.scales().isEmpty()).toList();
        if (!mixed.isEmpty()) {
            LineChart scales = new LineChart("Loss scale per iteration, mixed-precision LeNet runs", "loss scale", true);
            mixed.forEach(run -> scales.add("seed " + run.seed(), run.scales()));
            scales.write(folder.resolve("loss-scale.png"));
        }
    }

    private Map<String, Object> json() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("run", run);
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
            double mean = new Mean().evaluate(values);
            double std = new StandardDeviation().evaluate(values); // bias-corrected: the sample standard deviation
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
