package org.dl4j.mixedprecision.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.Test;

class CommandLineTest {

    private static final List<CommandLine.Option> OPTIONS = List.of(
            new CommandLine.Option("--epochs", "N", "3", "epochs"),
            new CommandLine.Option("--lr", "X", "0.005", "learning rate"),
            new CommandLine.Option("--seed", "N", "42", "seed"),
            new CommandLine.Option("--data", "DIR", null, "data folder"),
            new CommandLine.Option("--precision", "P", "both", "fp32, mixed or both"),
            CommandLine.Option.flag("--full", "everything"));

    private static String error(Runnable action) {
        return assertThrows(IllegalArgumentException.class, action::run).getMessage();
    }

    @Test
    void valuesComeFromTheArgumentsOrTheDefaults() {
        // Maven passes -Dsample.args="..." as one argument holding several words.
        CommandLine line = CommandLine.parse(OPTIONS, "--epochs 7  --data /tmp/x", "--full", "--precision", "mixed");
        assertEquals(7, line.positiveInt("--epochs"));
        assertEquals(0.005, line.positiveNumber("--lr"));
        assertEquals(42, line.wholeNumber("--seed"));
        assertEquals(Paths.get("/tmp/x"), line.path("--data"));
        assertTrue(line.has("--full"));
        assertEquals(List.of("mixed"), line.precisions("--precision"));
        CommandLine defaults = CommandLine.parse(OPTIONS);
        assertNull(defaults.path("--data"));
        assertFalse(defaults.has("--full"));
        assertEquals(List.of("fp32", "mixed"), defaults.precisions("--precision"));
    }

    @Test
    void badArgumentsGetErrorsNamingTheOptionAndTheValue() {
        assertEquals("Unknown option --epoch: the options are --epochs, --lr, --seed, --data, --precision, --full",
                error(() -> CommandLine.parse(OPTIONS, "--epoch", "3")));
        assertEquals("Option --epochs needs a value (N)", error(() -> CommandLine.parse(OPTIONS, "--epochs")));
        assertEquals("--epochs must be a positive whole number, got 0",
                error(() -> CommandLine.parse(OPTIONS, "--epochs", "0").positiveInt("--epochs")));
        assertEquals("--lr must be a number above 0, got -1",
                error(() -> CommandLine.parse(OPTIONS, "--lr", "-1").positiveNumber("--lr")));
        assertEquals("--lr must be a number above 0, got NaN",
                error(() -> CommandLine.parse(OPTIONS, "--lr", "NaN").positiveNumber("--lr")));
        assertEquals("--seed must be a whole number, got x",
                error(() -> CommandLine.parse(OPTIONS, "--seed", "x").wholeNumber("--seed")));
        assertEquals("--precision must be one of fp32, mixed, both; got half",
                error(() -> CommandLine.parse(OPTIONS, "--precision", "half").precisions("--precision")));
    }

    @Test
    void theHelpListsEveryOptionWithItsDefault() {
        String help = CommandLine.help("Trains a thing", OPTIONS);
        String[] lines = help.split("\\R");
        assertEquals("Trains a thing", lines[0]);
        assertEquals(OPTIONS.size() + 2, lines.length);
        assertTrue(help.contains("--epochs N") && help.contains("epochs (default 3)"), help);
        assertTrue(help.contains("--full") && help.contains("everything\n") || help.contains("everything\r\n"), help);
        assertTrue(help.contains("data folder\n") || help.contains("data folder\r\n"), "no default shown when there is none");
    }
}
