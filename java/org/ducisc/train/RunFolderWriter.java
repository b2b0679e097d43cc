package org.ducisc.train;

import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.ducisc.eval.MetricRules;
import org.ducisc.eval.MetricSummary;
import org.ducisc.io.EventWriter;
import org.ducisc.io.FileBytes;
import org.ducisc.io.Json;

/**
 * The files a training run writes into its folder besides checkpoints and state: config.json (the
 * resolved configuration), metrics.csv (one row per iteration: losses, learning rate, the 8 class
 * thresholds), log.txt (timestamped lines), the TensorBoard events file ({@link EventWriter}) and
 * test_metrics.csv (the final report). {@link Trainer} runs the loop and hands this its numbers.
 * Not thread-safe; one per run, inside the folder's {@link RunFolder#lock}.
 */
final class RunFolderWriter implements Closeable {
    /** metrics.csv's header line. */
    static final String METRICS_HEADER = "iteration,epoch,loss,sup,cons,proto,mix,mixproto,lr,"
            + "thr_bg_0,thr_bg_1,thr_bg_2,thr_bg_3,thr_fg_0,thr_fg_1,thr_fg_2,thr_fg_3\n";

    /** test_metrics.csv's header line. */
    static final String TEST_METRICS_HEADER = "checkpoint,iteration,cases,dice,dice_std,jaccard,jaccard_std,hd95,"
            + "hd95_std,asd,asd_std,undefined_cases,metric_rules\n";

    private final Path dir;
    private final BufferedWriter log;
    private final BufferedWriter csv;
    private final EventWriter events;

    private RunFolderWriter(Path dir, BufferedWriter log, BufferedWriter csv, EventWriter events) {
        this.dir = dir;
        this.log = log;
        this.csv = csv;
        this.events = events;
    }

    /** Writes config.json (atomically), {@code config} in its order, indented. */
    static void writeConfig(Path dir, Map<String, Object> config) throws IOException {
        FileBytes.writeText(dir.resolve("config.json"), Json.write(config, Json.Layout.INDENTED) + "\n");
    }

    /**
     * Starts metrics.csv: a new run's is the header alone; a resumed run's keeps the rows up to
     * {@code iteration}, its saved state's (later rows were written after that state, or cut short by a
     * kill), rewritten atomically.
     */
    static void startMetrics(Path dir, boolean resume, long iteration) throws IOException {
        Path csvFile = dir.resolve("metrics.csv");
        if (!resume) {
            Files.writeString(csvFile, METRICS_HEADER, StandardCharsets.UTF_8);
            return;
        }
        List<String> lines = Files.exists(csvFile) ? Files.readAllLines(csvFile, StandardCharsets.UTF_8) : List.of();
        StringBuilder kept = new StringBuilder(METRICS_HEADER);
        for (String row : lines.subList(Math.min(1, lines.size()), lines.size())) {
            int comma = row.indexOf(',');
            if (comma > 0 && Long.parseLong(row.substring(0, comma)) <= iteration) {
                kept.append(row).append('\n');
            }
        }
        FileBytes.writeText(csvFile, kept.toString());
    }

    /**
     * Opens log.txt (appended to when {@code resume}, else emptied), metrics.csv for appending (after
     * {@link #startMetrics}) and a new events file.
     */
    static RunFolderWriter open(Path dir, boolean resume) throws IOException {
        BufferedWriter log = Files.newBufferedWriter(dir.resolve("log.txt"), StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, resume ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
        BufferedWriter csv = null;
        try {
            csv = Files.newBufferedWriter(dir.resolve("metrics.csv"), StandardCharsets.UTF_8, StandardOpenOption.APPEND);
            return new RunFolderWriter(dir, log, csv, new EventWriter(dir));
        } catch (IOException | RuntimeException e) {
            try (log; BufferedWriter c = csv) {
                throw e;
            }
        }
    }

    /** A timestamped line in log.txt, flushed. */
    void log(String text) throws IOException {
        log.write(java.time.Instant.now() + " " + text + "\n");
        log.flush();
    }

    /** Iteration {@code it} (0-based; its row and events step are it + 1) in metrics.csv and the events. */
    void iteration(long it, int perEpoch, DuciscStep.Losses losses, double lr, Thresholds thresholds) throws IOException {
        csv.write(csvRow(it, perEpoch, losses, lr, thresholds));
        events.scalars(it + 1, scalars(losses, lr, thresholds));
    }

    /** The validation Dice after {@code iteration} iterations, as the events' val/dice. */
    void validation(long iteration, double dice) throws IOException {
        events.scalars(iteration, Map.of("val/dice", dice));
    }

    /** Flushes metrics.csv, then the events: before a state is saved, which promises every row up to it. */
    void flush() throws IOException {
        csv.flush();
        events.flush();
    }

    /** Writes test_metrics.csv (atomically): {@link #TEST_METRICS_HEADER} then {@link #testMetricsRow}s. */
    void testMetrics(String csvText) throws IOException {
        FileBytes.writeText(dir.resolve("test_metrics.csv"), csvText);
    }

    /** One row of test_metrics.csv: a checkpoint's name and iteration, its metrics' means and deviations. */
    static String testMetricsRow(String name, long iteration, MetricSummary m, MetricRules rules) {
        return String.format(Locale.ROOT, "%s,%d,%d,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%d,%s%n", name, iteration,
                m.cases(), m.mean().dice(), m.std().dice(), m.mean().jaccard(), m.std().jaccard(), m.mean().hd95(),
                m.std().hd95(), m.mean().asd(), m.std().asd(), m.undefined(), rules.label());
    }

    @Override
    public void close() throws IOException {
        // The events first, then metrics.csv, then the log: the order the loop's try-with-resources had.
        try (log; csv) {
            events.close();
        }
    }

    /** The TensorBoard scalars of an iteration: every loss term, the learning rate and the 8 thresholds. */
    private static Map<String, Double> scalars(DuciscStep.Losses l, double lr, Thresholds t) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("loss/total", l.logged());
        m.put("loss/sup", l.supervised());
        m.put("loss/cons", l.pseudoLabel());
        m.put("loss/proto", l.prototype());
        m.put("loss/mix", l.mix());
        m.put("loss/mixproto", l.mixPrototype());
        m.put("lr", lr);
        for (int i = 0; i < t.backgroundValues().length; i++) {
            m.put("threshold/bg_" + i, t.background(i));
            m.put("threshold/fg_" + i, t.foreground(i));
        }
        return m;
    }

    private static String csvRow(long it, int perEpoch, DuciscStep.Losses l, double lr, Thresholds t) {
        StringBuilder b = new StringBuilder();
        b.append(it + 1).append(',').append(it / Math.max(1, perEpoch));
        for (double v : new double[] {l.logged(), l.supervised(), l.pseudoLabel(), l.prototype(), l.mix(),
            l.mixPrototype(), lr}) {
            b.append(',').append(Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.6g", v));
        }
        for (double v : t.backgroundValues()) {
            b.append(',').append(String.format(Locale.ROOT, "%.6f", v));
        }
        for (double v : t.foregroundValues()) {
            b.append(',').append(String.format(Locale.ROOT, "%.6f", v));
        }
        return b.append('\n').toString();
    }
}
