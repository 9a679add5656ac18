package org.dl4j.mixedprecision.samples;

import java.io.PrintStream;
import java.math.BigDecimal;
import java.util.Locale;
import java.util.function.LongSupplier;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.dl4j.mixedprecision.MixedPrecision;

/**
 * Shows how far training is: epoch, iteration out of the total, a bar, the loss, the loss scale of a
 * mixed-precision network and the time left. On a terminal one line is redrawn after every iteration;
 * when the output is not a terminal (a log, CI), a plain line is printed every tenth of the run.
 */
public final class ProgressListener extends BaseTrainingListener {

    private static final int BAR = 20;

    private final String name;
    private final int total;
    private final PrintStream out;
    private final boolean terminal;
    private final LongSupplier nanoClock;
    private final int every;
    private long start = -1;
    private int done;

    /**
     * @param name      what is training, printed first ("fp32", "mixed")
     * @param total     the iterations the run will take
     * @param out       where to print
     * @param terminal  true to redraw one line, false for plain lines
     * @param nanoClock the clock, {@link System#nanoTime} outside tests
     */
    public ProgressListener(String name, int total, PrintStream out, boolean terminal, LongSupplier nanoClock) {
        if (total < 1) {
            throw new IllegalArgumentException("total iterations must be >= 1, got " + total);
        }
        this.name = name;
        this.total = total;
        this.out = out;
        this.terminal = terminal;
        this.nanoClock = nanoClock;
        this.every = Math.max(1, total / 10);
    }

    /** @return a listener printing to standard output, redrawing its line when that is a terminal */
    public static ProgressListener toStandardOutput(String name, int total) {
        return new ProgressListener(name, total, System.out, System.console() != null, System::nanoTime);
    }

    @Override
    public void onEpochStart(Model model) {
        if (start < 0) {
            start = nanoClock.getAsLong();
        }
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        if (start < 0) {
            start = nanoClock.getAsLong();
        }
        done = Math.min(total, done + 1);
        if (terminal) {
            out.print("\r" + line(model, epoch) + (done == total ? "\n" : ""));
            out.flush();
        } else if (done % every == 0 || done == total) {
            out.println(line(model, epoch));
        }
    }

    private String line(Model model, int epoch) {
        int filled = done * BAR / total;
        double seconds = (nanoClock.getAsLong() - start) / 1e9;
        long left = Math.round(seconds / done * (total - done));
        String scale = MixedPrecision.isMixedPrecision(model) ? "  scale " + number(MixedPrecision.status(model).scale()) : "";
        return String.format(Locale.ROOT, "  %s  epoch %d  iteration %d/%d [%s%s]  loss %.4f%s  ETA %s", name,
                epoch + 1, done, total, "#".repeat(filled), ".".repeat(BAR - filled), model.score(), scale,
                duration(left));
    }

    /** @return a power-of-two scale as it is (65536, 0.25), without trailing zeros */
    private static String number(double scale) {
        return BigDecimal.valueOf(scale).stripTrailingZeros().toPlainString();
    }

    private static String duration(long seconds) {
        return seconds >= 60 ? seconds / 60 + "m " + seconds % 60 + "s" : seconds + "s";
    }
}
