package org.dl4j.mixedprecision.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * The samples' command lines (picocli): defaults, values, one-line errors naming the option and the value,
 * and a help listing every option with its default. Shown on {@link MnistLeNet}'s; every sample declares its
 * options the same way (their own checks are in their tests).
 */
class SampleCliTest {

    private static MnistLeNet.Options parse(String... args) {
        MnistLeNet.Cli cli = new MnistLeNet.Cli();
        SampleCli.commandLine(cli).parseArgs(args);
        return cli.options();
    }

    private static String error(String... args) {
        return assertThrows(ParameterException.class, () -> parse(args)).getMessage();
    }

    @Test
    void valuesComeFromTheArgumentsOrTheDefaults() {
        assertEquals(new MnistLeNet.Options(null, 5000, 2000, 2, 64, 123, List.of("fp32", "mixed")), parse());
        assertEquals(new MnistLeNet.Options(Paths.get("/tmp/my data"), 60000, 10000, 7, 64, -5, List.of("mixed")),
                parse("--epochs", "7", "--data", "/tmp/my data", "--full", "--precision", "MIXED", "--seed=-5"));
        assertEquals(List.of("fp32"), parse("--precision", "fp32").precisions());
    }

    @Test
    void badArgumentsGetErrorsNamingTheOptionAndTheValue() {
        assertTrue(error("--epoch", "3").startsWith("Unknown options: '--epoch', '3'"), error("--epoch", "3"));
        assertEquals("Missing required parameter for option '--epochs' (N)", error("--epochs"));
        assertEquals("Invalid value for option '--epochs': must be a whole number >= 1, got 0", error("--epochs", "0"));
        assertEquals("Invalid value for option '--train': must be a whole number, got many", error("--train", "many"));
        assertEquals("Invalid value for option '--seed': 'x' is not a long", error("--seed", "x"));
        assertTrue(error("--precision", "half").startsWith("Invalid value for option '--precision': expected one of"),
                error("--precision", "half"));
    }

    @Test
    void typesEverySampleSharesAreChecked() {
        assertEquals(0, new SampleCli.NonNegativeInt().convert("0"));
        assertThrows(CommandLine.TypeConversionException.class, () -> new SampleCli.NonNegativeInt().convert("-1"));
        assertEquals(0.005, new SampleCli.PositiveNumber().convert("0.005"));
        for (String bad : List.of("0", "-1", "NaN", "Infinity", "x")) {
            assertThrows(CommandLine.TypeConversionException.class, () -> new SampleCli.PositiveNumber().convert(bad), bad);
        }
    }

    @Test
    void badInputFoundWhileRunningEndsWithOneErrorLineAndStatus2() {
        StringWriter err = new StringWriter();
        CommandLine line = SampleCli.commandLine(new MnistLeNet.Cli()).setErr(new PrintWriter(err));
        Path missing = Paths.get("/no such folder");
        assertEquals(2, line.execute("--data", missing.toString()));
        assertTrue(err.toString().startsWith("Error: Folder " + missing + " does not hold an IDX dataset in MNIST's layout"),
                err.toString());
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
    }

    @Test
    void theHelpListsEveryOptionWithItsDefault() {
        StringWriter out = new StringWriter();
        CommandLine line = SampleCli.commandLine(new MnistLeNet.Cli()).setOut(new PrintWriter(out));
        assertEquals(0, line.execute("--help"));
        String help = out.toString();
        assertTrue(help.contains("MNIST LeNet in FP32 and in mixed precision, side by side"), help);
        for (String option : List.of("--data=DIR", "--train=N", "--test=N", "--full", "--epochs=N", "--batch=N", "--seed=N",
                "--precision=P", "--help")) {
            assertTrue(help.contains(option), option + " in " + help);
        }
        assertTrue(help.contains("Default: 5000") && help.contains("Default: both"), help);
    }
}
