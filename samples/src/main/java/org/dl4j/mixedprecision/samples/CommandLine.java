package org.dl4j.mixedprecision.samples;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The command line of a sample: {@code --name value} options and {@code --name} flags, checked against
 * the options the sample declares, with typed getters whose errors name the option and the bad value,
 * and a {@code --help} text listing every option with its default.
 */
public final class CommandLine {

    /**
     * One option a sample accepts.
     *
     * @param name         the option, with its dashes ({@code --epochs})
     * @param valueName    what the value is, shown in the help ({@code N}); null for a flag without value
     * @param defaultValue the value when the option is not given (null: none, or "not set" for a flag)
     * @param description  one line for the help
     */
    public record Option(String name, String valueName, String defaultValue, String description) {

        /** @return a flag: an option without a value */
        public static Option flag(String name, String description) {
            return new Option(name, null, null, description);
        }
    }

    private final Map<String, Option> declared;
    private final Map<String, String> given;

    private CommandLine(Map<String, Option> declared, Map<String, String> given) {
        this.declared = declared;
        this.given = given;
    }

    /**
     * @param options the options the sample accepts
     * @param args    the arguments; each may hold several words (Maven's {@code -Dsample.args="..."})
     * @throws IllegalArgumentException for an unknown option or a missing value
     */
    public static CommandLine parse(List<Option> options, String... args) {
        Map<String, Option> declared = new HashMap<>();
        options.forEach(option -> declared.put(option.name(), option));
        List<String> words = new ArrayList<>();
        for (String arg : args) {
            for (String word : arg.trim().split("\\s+")) {
                if (!word.isEmpty()) {
                    words.add(word);
                }
            }
        }
        Map<String, String> given = new HashMap<>();
        for (int i = 0; i < words.size(); i++) {
            String key = words.get(i);
            Option option = declared.get(key);
            if (option == null) {
                throw new IllegalArgumentException("Unknown option " + key + ": the options are "
                        + options.stream().map(Option::name).collect(Collectors.joining(", ")));
            }
            if (option.valueName() == null) {
                given.put(key, "true");
            } else if (i + 1 >= words.size()) {
                throw new IllegalArgumentException("Option " + key + " needs a value (" + option.valueName() + ")");
            } else {
                given.put(key, words.get(++i));
            }
        }
        return new CommandLine(declared, given);
    }

    /**
     * Runs a sample's main: prints the help for {@code --help}; otherwise parses the arguments and runs the
     * sample. A bad option, or bad input the sample reports as an {@link IllegalArgumentException}, ends
     * the program with its message and exit status 2.
     *
     * @param usage   what the sample does, the first line of the help
     * @param options the options the sample accepts ({@code --help} is added)
     * @param args    the program's arguments
     * @param sample  the sample, given the parsed command line
     */
    public static void run(String usage, List<Option> options, String[] args, Consumer<CommandLine> sample) {
        List<Option> all = new ArrayList<>(options);
        all.add(Option.flag("--help", "print this help and exit"));
        try {
            CommandLine line = parse(all, args);
            if (line.has("--help")) {
                System.out.print(help(usage, all));
                return;
            }
            sample.accept(line);
        } catch (IllegalArgumentException e) {
            System.err.println("Error: " + e.getMessage());
            System.err.println("(--help lists the options)");
            System.exit(2);
        }
    }

    /** @return the help: a usage line, then one line per option with its default */
    public static String help(String usage, List<Option> options) {
        StringBuilder out = new StringBuilder(usage).append(System.lineSeparator()).append(System.lineSeparator());
        for (Option option : options) {
            String name = option.valueName() == null ? option.name() : option.name() + " " + option.valueName();
            String defaultValue = option.defaultValue() == null ? "" : " (default " + option.defaultValue() + ")";
            out.append(String.format(Locale.ROOT, "  %-20s %s%s%n", name, option.description(), defaultValue));
        }
        return out.toString();
    }

    /** @return true if the flag was given */
    public boolean has(String name) {
        return given.containsKey(option(name).name());
    }

    /** @return the option's value, or its default (null when it has none) */
    public String text(String name) {
        return given.getOrDefault(name, option(name).defaultValue());
    }

    /** @return the option's value as a path, or null when neither given nor defaulted */
    public Path path(String name) {
        String value = text(name);
        return value == null ? null : Paths.get(value);
    }

    /** @throws IllegalArgumentException unless the value is a whole number {@code >= 1} */
    public int positiveInt(String name) {
        String value = text(name);
        int n;
        try {
            n = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            n = 0;
        }
        if (n < 1) {
            throw new IllegalArgumentException(name + " must be a positive whole number, got " + value);
        }
        return n;
    }

    /** @throws IllegalArgumentException unless the value is a whole number */
    public long wholeNumber(String name) {
        String value = text(name);
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number, got " + value);
        }
    }

    /** @throws IllegalArgumentException unless the value is a number {@code > 0} */
    public double positiveNumber(String name) {
        String value = text(name);
        double x;
        try {
            x = Double.parseDouble(value);
        } catch (NumberFormatException e) {
            x = Double.NaN;
        }
        if (!(x > 0) || Double.isInfinite(x)) {
            throw new IllegalArgumentException(name + " must be a number above 0, got " + value);
        }
        return x;
    }

    /** @throws IllegalArgumentException unless the value is one of {@code choices} */
    public String choice(String name, String... choices) {
        String value = text(name);
        if (!List.of(choices).contains(value)) {
            throw new IllegalArgumentException(name + " must be one of " + String.join(", ", choices) + "; got " + value);
        }
        return value;
    }

    /** @return the runs {@code --name fp32|mixed|both} asks for, in the order fp32, mixed */
    public List<String> precisions(String name) {
        return switch (choice(name, "fp32", "mixed", "both")) {
            case "fp32" -> List.of("fp32");
            case "mixed" -> List.of("mixed");
            default -> List.of("fp32", "mixed");
        };
    }

    private Option option(String name) {
        Option option = declared.get(name);
        if (option == null) {
            throw new IllegalStateException("The sample asks for " + name + ", which it did not declare");
        }
        return option;
    }
}
