package org.ducisc.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.ducisc.api.IterationReport;
import org.ducisc.api.TrainingListener;
import org.ducisc.api.ValidationReport;

/**
 * Training progress on the console: on a terminal a progress bar (iteration, losses, it/s, ETA);
 * otherwise, for logs and pipes, a plain line every {@code lineEvery} iterations and at the end.
 */
final class TrainProgress implements TrainingListener, AutoCloseable {
    private final PrintWriter out;
    private final String task;
    private final long total;
    private final long lineEvery;
    private final boolean terminal;
    private ProgressBar bar;
    private long firstIteration = -1;
    private final long startNanos = System.nanoTime();

    /** A plain line about 20 times per run (at least every 50 iterations for long runs is too chatty). */
    TrainProgress(PrintWriter out, String task, long total) {
        this(out, task, total, Math.max(1, total / 20), isTerminal());
    }

    TrainProgress(PrintWriter out, String task, long total, long lineEvery, boolean terminal) {
        this.out = out;
        this.task = task;
        this.total = total;
        this.lineEvery = lineEvery;
        this.terminal = terminal;
    }

    static boolean isTerminal() {
        java.io.Console c = System.console();
        return c != null && c.isTerminal();
    }

    @Override
    public void onIteration(IterationReport losses) {
        long done = losses.iteration();
        if (firstIteration < 0) {
            firstIteration = done - 1;
            if (terminal) {
                bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
                        .setUnit(" it", 1).showSpeed().setUpdateIntervalMillis(500).startsFrom(firstIteration, Duration.ZERO)
                        // stdout: the launcher filters stderr line by line, which would hold back the bar's
                        // carriage-return updates until the end.
                        .setConsumer(new ConsoleProgressBarConsumer(System.out)).build();
            }
        }
        if (bar != null) {
            bar.stepTo(done);
            // Kept short: a line longer than the terminal leaves the bar no width, and the library's
            // refresh task then fails and stops for good.
            bar.setExtraMessage(String.format(Locale.ROOT, " loss %.4f sup %.4f", losses.loss(), losses.supervised()));
            if (done == total) {
                close(); // the final state drawn; what follows (validation, the report) goes on lines of its own
            }
            return;
        }
        if (done % lineEvery == 0 || done == total) {
            double seconds = (System.nanoTime() - startNanos) / 1e9;
            double rate = (done - firstIteration) / Math.max(seconds, 1e-9);
            out.printf(Locale.ROOT, "%s %d/%d  %s  %.2f it/s  ETA %s%n", task, done, total, losses(losses), rate,
                    eta((total - done) / rate));
            out.flush();
        }
    }

    @Override
    public void onValidation(ValidationReport v) {
        String text = String.format(Locale.ROOT, "%s %d: validation Dice %.4f%s", task, v.iteration(), v.dice(),
                v.best() ? " (best)" : "");
        if (bar != null) {
            bar.setExtraMessage(String.format(Locale.ROOT, " val Dice %.4f", v.dice()));
        } else {
            out.println(text);
            out.flush();
        }
    }

    private static String losses(IterationReport l) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "loss %.4f sup %.4f", l.loss(), l.supervised()));
        String[] names = {"cons", "proto", "mix", "mixproto"};
        double[] values = {l.pseudoLabel(), l.prototype(), l.mix(), l.mixPrototype()};
        for (int i = 0; i < names.length; i++) {
            if (!Double.isNaN(values[i])) {
                b.append(String.format(Locale.ROOT, " %s %.4f", names[i], values[i]));
            }
        }
        return b.toString();
    }

    private static String eta(double seconds) {
        long s = Math.round(seconds);
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
