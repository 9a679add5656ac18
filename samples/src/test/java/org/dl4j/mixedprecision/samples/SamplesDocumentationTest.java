package org.dl4j.mixedprecision.samples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * docs/samples.md shows each sample's options as its {@code --help} prints them, so that the page cannot drift
 * from the programs: a changed option, default or description fails this test, which prints the new text.
 */
class SamplesDocumentationTest {

    private static final Path PAGE = Path.of("..", "docs", "samples.md");

    @ParameterizedTest
    @ValueSource(strings = {"detection.MnistDetection", "MnistLeNet", "spark.MnistLeNetSpark", "arbiter.MnistSweep",
            "benchmark.MixedPrecisionBenchmark"})
    void theSamplesPageShowsTheHelpOfEverySample(String sample) throws Exception {
        String help = "```text\n" + usage("org.dl4j.mixedprecision.samples." + sample) + "```\n";
        assertTrue(page().contains(help), "docs/samples.md does not show the --help of " + sample + " as it is now:\n" + help);
    }

    private static String usage(String sampleClass) throws ReflectiveOperationException {
        Constructor<?> cli = Class.forName(sampleClass + "$Cli").getDeclaredConstructor();
        cli.setAccessible(true);
        return SampleCli.commandLine(cli.newInstance()).getUsageMessage(CommandLine.Help.Ansi.OFF);
    }

    private static String page() throws IOException {
        return Files.readString(PAGE, StandardCharsets.UTF_8);
    }
}
