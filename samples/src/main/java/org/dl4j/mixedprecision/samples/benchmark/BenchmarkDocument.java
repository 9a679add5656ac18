package org.dl4j.mixedprecision.samples.benchmark;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import java.util.stream.StreamSupport;
import org.nd4j.shade.jackson.databind.JsonNode;

/**
 * The benchmark's Markdown page ({@code benchmarks.md}), rendered from its JSON report ({@code benchmarks.json})
 * alone: the command and machine, what each part measures, its table, and the range of each ratio as measured.
 * Because nothing else goes into the page, {@code docs/benchmarks.md} can be checked against
 * {@code docs/benchmarks.json}: the page is what the program measured, not text edited by hand.
 */
final class BenchmarkDocument {

    /** The class the page's command runs. */
    static final String MAIN_CLASS = MixedPrecisionBenchmark.class.getName();

    private BenchmarkDocument() {
    }

    /** @return the page for a report as {@link BenchmarkReport} writes it */
    static String render(JsonNode report) {
        StringBuilder md = new StringBuilder();
        header(md, report.get("run"), report.get("machine"), report.get("settings"));
        update(md, rows(report, "update"));
        iteration(md, rows(report, "iteration"));
        accuracy(md, rows(report, "accuracy"), rows(report, "accuracySummary"));
        parallel(md, rows(report, "parallel"));
        return md.toString();
    }

    private static void header(StringBuilder md, JsonNode run, JsonNode machine, JsonNode settings) {
        String arguments = String.join(" ", texts(run.get("arguments")));
        md.append("# Benchmarks: what mixed precision costs and saves\n\n")
                .append("<!-- Written by MixedPrecisionBenchmark from benchmarks.json: change the program"
                        + " (BenchmarkDocument), not this page. -->\n\n")
                .append("What mixed precision costs and saves, measured side by side in one run against DL4J's own FP32"
                        + " training and its pure-HALF training (`convertDataType(HALF)`: HALF parameters, gradients and"
                        + " updater state, no FP32 copy, no loss scaling). This page is the benchmark program's output,"
                        + " written on ").append(run.get("date").asText())
                .append(format(" after %.0f minutes by this command (from the repository's root, after"
                        + " `mvn -B -q install -DskipTests`):%n%n", run.get("minutes").asDouble()))
                .append("```bash\nmvn -B -q -pl samples exec:exec -Dsample.main=").append(MAIN_CLASS)
                .append(arguments.isEmpty() ? "" : " -Dsample.args=\"" + arguments + "\"").append("\n```\n\n")
                .append("`--help` lists the options; it runs unchanged with `-Pcuda`. By default it writes this page,"
                        + " `benchmarks.json` (every number, fields documented in `BenchmarkReport`) and `loss-scale.png`"
                        + " into `samples/target/benchmark/`.\n\n")
                .append(format("- **Machine:** %s, %s cores, OMP_NUM_THREADS=%s, %s, %s, ND4J %s (%s).%n",
                        machine.get("cpu").asText(), machine.get("cores").asText(), machine.get("ompNumThreads").asText(),
                        machine.get("os").asText(), machine.get("java").asText(), machine.get("nd4jVersion").asText(),
                        machine.get("backend").asText()))
                .append(format("- **Timing:** medians of %d timed repetitions after %d warm-up ones, the precisions"
                        + " timed in turns.%n", settings.get("repeats").asInt(), settings.get("warmups").asInt()))
                .append(format("- **Accuracy:** LeNet-5 trained on %d MNIST digits for %d epoch(s) of batch %d, tested on"
                        + " %d, seeds %s.%n%n", settings.get("train").asInt(), settings.get("epochs").asInt(),
                        settings.get("accuracyBatch").asInt(), settings.get("test").asInt(),
                        String.join(", ", texts(settings.get("seeds")))));
    }

    private static void update(StringBuilder md, List<JsonNode> rows) {
        if (rows.isEmpty()) {
            return;
        }
        md.append("## 1. Update phase (median ms per update)\n\n")
                .append("DL4J's updater and step on the FP32 gradient of one square dense layer, without (FP32) and with"
                        + " (mixed precision) the `LossScaleUpdater` around each block: the skip decision and the"
                        + " applied-step count. The casts to and from HALF, the unscale and the Inf/NaN count run inside"
                        + " the layers and are timed in part 2.\n\n")
                .append("| parameters | updater | FP32 update + step | mixed-precision step | mixed / FP32 |\n")
                .append("|---:|---|---:|---:|---:|\n");
        for (JsonNode r : rows) {
            md.append(format("| %,d | %s | %.2f | %.2f | %.2f |%n", r.get("parameters").asLong(), r.get("updater").asText(),
                    r.get("fp32Millis").asDouble(), r.get("mixedMillis").asDouble(), r.get("ratio").asDouble()));
        }
        md.append("\nMixed / FP32: ").append(range(rows, r -> r.get("ratio").asDouble(), "%.2f")).append(".\n\n");
    }

    private static void iteration(StringBuilder md, List<JsonNode> rows) {
        if (rows.isEmpty()) {
            return;
        }
        md.append("## 2-4. Whole iteration (median ms) and training memory (MB)\n\n")
                .append("One `fit` on one minibatch of the same network in FP32, in pure HALF and in mixed precision"
                        + " with every hidden layer in HALF (`PrecisionPolicy.allHalf()`, so that both HALF runs use the"
                        + " same kernels and their difference is the mixed-precision machinery: casts, unscale, check,"
                        + " FP32 loss and updater). Every repetition is the first iteration from the same initial"
                        + " weights: pure HALF with Adam turns the weights into NaN in its first step (Adam's epsilon"
                        + " 1e-8 is 0 in FP16), and ND4J's HALF kernels run at speeds that depend on the values."
                        + " Memory: parameters, gradients, the HALF copies of both, updater state and workspaces,"
                        + " counted array by array (`TrainingMemory`) after two iterations of that network alone.\n\n")
                .append("| model | batch | FP32 ms | pure HALF ms | mixed ms | mixed / HALF | mixed / FP32 |"
                        + " FP32 MB | HALF MB | mixed MB | mixed / FP32 memory |\n")
                .append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (JsonNode r : rows) {
            md.append(format("| %s | %d | %.1f | %.1f | %.1f | %.3f | %.1f | %.2f | %.2f | %.2f | %.2f |%n",
                    r.get("model").asText(), r.get("batch").asInt(), r.get("fp32Millis").asDouble(),
                    r.get("halfMillis").asDouble(), r.get("mixedMillis").asDouble(), r.get("mixedOverHalf").asDouble(),
                    r.get("mixedOverFp32").asDouble(), r.get("fp32Bytes").asLong() / 1e6, r.get("halfBytes").asLong() / 1e6,
                    r.get("mixedBytes").asLong() / 1e6, r.get("mixedOverFp32Memory").asDouble()));
        }
        md.append("\n- Mixed / pure HALF time: ").append(range(rows, r -> r.get("mixedOverHalf").asDouble(), "%.2f"))
                .append(" (what the mixed-precision machinery adds to DL4J's HALF kernels).\n")
                .append("- Mixed / FP32 time: ").append(range(rows, r -> r.get("mixedOverFp32").asDouble(), "%.1f"))
                .append(". On a CPU without FP16 arithmetic ND4J's HALF kernels are generic loops, so HALF compute is"
                        + " slower than FP32 there; on a GPU with tensor cores they are the fast path.\n")
                .append("- Mixed / FP32 memory: ").append(range(rows, r -> r.get("mixedOverFp32Memory").asDouble(), "%.2f"))
                .append("; mixed minus pure HALF memory: ")
                .append(range(rows, r -> (r.get("mixedBytes").asLong() - r.get("halfBytes").asLong()) / 1e6, "%.2f"))
                .append(" MB.\n\n");
    }

    private static void accuracy(StringBuilder md, List<JsonNode> runs, List<JsonNode> summary) {
        if (runs.isEmpty()) {
            return;
        }
        md.append("## 5. Accuracy (LeNet-5, real MNIST, test accuracy)\n\n")
                .append("The same LeNet-5 (`MnistLeNet`) trained once per seed of its weights in FP32, in pure HALF and"
                        + " in mixed precision with the default policy; NaN: the network diverged.\n\n")
                .append("| precision | mean | std | runs |\n|---|---:|---:|---|\n");
        for (JsonNode s : summary) {
            md.append(format("| %s | %.2f%% | %.2f | %s |%n", s.get("precision").asText(), 100 * s.get("mean").asDouble(),
                    100 * s.get("standardDeviation").asDouble(), s.get("runs").asText()));
        }
        long halfRuns = runs.stream().filter(r -> r.get("precision").asText().equals("half")).count();
        long halfDiverged = runs.stream()
                .filter(r -> r.get("precision").asText().equals("half") && Double.isNaN(r.get("accuracy").asDouble())).count();
        if (halfRuns > 0) {
            md.append(format("%nPure HALF diverged (NaN) in %d of %d runs.%n", halfDiverged, halfRuns));
        }
        List<JsonNode> mixed = runs.stream().filter(r -> r.get("scales").size() > 0).toList();
        md.append(format("%n## 6. Loss scaler (mixed-precision runs)%n%n"))
                .append("The first step calibrates the scale; steps skipped in the first ")
                .append(AccuracyBenchmark.SETTLING_ITERATIONS)
                .append(" iterations are the scale finding its level, those after it count.\n\n")
                .append("| seed | iterations | skipped after iteration ").append(AccuracyBenchmark.SETTLING_ITERATIONS)
                .append(" | skipped fraction | final scale |\n|---:|---:|---:|---:|---:|\n");
        for (JsonNode r : mixed) {
            int counted = r.get("iterations").asInt() - AccuracyBenchmark.SETTLING_ITERATIONS;
            long skipped = r.get("skippedAfterSettling").asLong();
            md.append(format("| %d | %d | %s | %s | %.0f |%n", r.get("seed").asLong(), r.get("iterations").asInt(),
                    counted > 0 ? Long.toString(skipped) : "-",
                    counted > 0 ? format("%.4f", (double) skipped / counted) : "-", finalScale(r)));
        }
        md.append("\nFinal scales ").append(range(mixed, BenchmarkDocument::finalScale, "%.0f"))
                .append("; the loss scale per iteration:\n\n![Loss scale per iteration](loss-scale.png)\n\n");
    }

    private static void parallel(StringBuilder md, List<JsonNode> rows) {
        if (rows.isEmpty()) {
            return;
        }
        md.append("## 7. ParallelWrapper, ").append(rows.get(0).get("workers").asInt())
                .append(" workers averaging every iteration (median ms per iteration, MB per worker)\n\n")
                .append("DL4J's `ParallelWrapper` (`AVERAGING`), FP32 against mixed precision with the default policy"
                        + " (BatchNormalization in FP32): one `fit` over ").append(ParallelBenchmark.ITERATIONS)
                .append(" minibatches per worker, with the wrapper's start and stop, per iteration; the training memory"
                        + " of one worker's network.\n\n")
                .append("| model | batch per worker | FP32 ms | mixed ms | mixed / FP32 | FP32 MB | mixed MB |"
                        + " mixed / FP32 memory |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (JsonNode r : rows) {
            md.append(format("| %s | %d | %.1f | %.1f | %.1f | %.2f | %.2f | %.2f |%n", r.get("model").asText(),
                    r.get("batch").asInt(), r.get("fp32Millis").asDouble(), r.get("mixedMillis").asDouble(),
                    r.get("mixedOverFp32").asDouble(), r.get("fp32Bytes").asLong() / 1e6, r.get("mixedBytes").asLong() / 1e6,
                    r.get("mixedOverFp32Memory").asDouble()));
        }
        md.append("\nMixed / FP32 time: ").append(range(rows, r -> r.get("mixedOverFp32").asDouble(), "%.1f"))
                .append("; memory: ").append(range(rows, r -> r.get("mixedOverFp32Memory").asDouble(), "%.2f")).append(".\n");
    }

    private static double finalScale(JsonNode run) {
        JsonNode scales = run.get("scales");
        return scales.get(scales.size() - 1).asDouble();
    }

    /** @return "lowest to highest" of the values, each in the format, or the one value when they agree in it */
    static String range(List<JsonNode> rows, ToDoubleFunction<JsonNode> value, String valueFormat) {
        double[] values = rows.stream().mapToDouble(value).sorted().toArray();
        String low = format(valueFormat, values[0]);
        String high = format(valueFormat, values[values.length - 1]);
        return low.equals(high) ? low : low + " to " + high;
    }

    private static List<JsonNode> rows(JsonNode report, String field) {
        JsonNode array = report.get(field);
        return array == null ? List.of() : StreamSupport.stream(array.spliterator(), false).toList();
    }

    private static List<String> texts(JsonNode array) {
        List<String> texts = new ArrayList<>();
        array.forEach(node -> texts.add(node.asText()));
        return texts;
    }

    private static String format(String pattern, Object... values) {
        return String.format(Locale.ROOT, pattern, values);
    }
}
