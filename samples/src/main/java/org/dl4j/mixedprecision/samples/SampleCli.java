package org.dl4j.mixedprecision.samples;

import java.io.UncheckedIOException;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * What the samples' command lines share, on picocli: running a command (bad input the sample reports ends
 * the program with one {@code Error: ...} line and exit status 2, as a bad option does), the value types
 * every sample checks, and the precision choice.
 */
public final class SampleCli {

    private SampleCli() {
    }

    /** Runs a sample's picocli command on the program's arguments and exits with its status. */
    public static void run(Object command, String[] args) {
        System.exit(commandLine(command).execute(args));
    }

    /**
     * @return picocli's command line for a sample: enum values in any case, and the one-line error for bad
     *         input found while the sample runs (an {@link IllegalArgumentException} or {@link UncheckedIOException},
     *         or one that DL4J's or DataVec's iterators wrapped)
     */
    public static CommandLine commandLine(Object command) {
        CommandLine line = new CommandLine(command).setCaseInsensitiveEnumValuesAllowed(true);
        line.setExecutionExceptionHandler((e, failed, parsed) -> {
            for (Throwable cause = e; cause != null; cause = cause.getCause()) {
                if (cause instanceof IllegalArgumentException || cause instanceof UncheckedIOException) {
                    failed.getErr().println("Error: " + cause.getMessage().replaceAll("\\s*\\R\\s*", " ").strip());
                    return 2;
                }
            }
            throw e;
        });
        return line;
    }

    /** The {@code --help} option every sample has (a picocli mixin). */
    public static final class Help {
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "print this help and exit")
        boolean requested;
    }

    /** Which runs a sample makes: FP32, mixed precision, or both side by side. */
    public enum Precisions {
        /** FP32 only. */
        FP32(List.of("fp32")),
        /** Mixed precision only. */
        MIXED(List.of("mixed")),
        /** FP32, then mixed precision. */
        BOTH(List.of("fp32", "mixed"));

        private final List<String> runs;

        Precisions(List<String> runs) {
            this.runs = runs;
        }

        /** @return the runs' names, "fp32" before "mixed" */
        public List<String> runs() {
            return runs;
        }
    }

    /** A whole number {@code >= 1}. */
    public static final class PositiveInt extends AtLeast {
        /** For picocli. */
        public PositiveInt() {
            super(1);
        }
    }

    /** A whole number {@code >= 0}. */
    public static final class NonNegativeInt extends AtLeast {
        /** For picocli. */
        public NonNegativeInt() {
            super(0);
        }
    }

    /** A whole number at or above a least value. */
    abstract static class AtLeast implements ITypeConverter<Integer> {
        private final int least;

        AtLeast(int least) {
            this.least = least;
        }

        @Override
        public Integer convert(String value) {
            int n;
            try {
                n = Integer.parseInt(value);
            } catch (NumberFormatException e) {
                throw new TypeConversionException("must be a whole number, got " + value);
            }
            if (n < least) {
                throw new TypeConversionException("must be a whole number >= " + least + ", got " + value);
            }
            return n;
        }
    }

    /** A finite number {@code > 0}. */
    public static final class PositiveNumber implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            double x;
            try {
                x = Double.parseDouble(value);
            } catch (NumberFormatException e) {
                x = Double.NaN;
            }
            if (!(x > 0) || Double.isInfinite(x)) {
                throw new TypeConversionException("must be a number above 0, got " + value);
            }
            return x;
        }
    }
}
