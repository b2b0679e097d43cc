package org.ducisc.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.ducisc.api.Image;
import org.ducisc.api.MetricStats;
import org.ducisc.api.SeedSweepRun;
import org.ducisc.api.Segmenter;
import org.ducisc.api.TrainingConfig;
import org.ducisc.api.TrainingRun;
import org.ducisc.core.Counts;
import org.ducisc.core.SideBySide;
import org.ducisc.data.Dataset;
import org.ducisc.data.Phantom;
import org.ducisc.io.CaseData;
import org.ducisc.io.Volume;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The main job on the built-in data set: DuCiSC against a supervised-only baseline, trained at a
 * small scale on the phantom, evaluated on its test cases, with a table and PNG figures. The baseline is
 * by default the matched one ({@code supervised-matched}: DuCiSC without its unlabeled
 * terms, the same loss normalisation and so the same step size); {@code --baseline plain} compares with
 * the plain supervised loss instead.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Trains DuCiSC and a supervised-only baseline on the synthetic phantom data set (generated"
            + " under DIR/data if absent) at a small scale, evaluates both on its test cases, prints a side-by-side"
            + " table and writes PNG plots to DIR/plots. The baseline is DuCiSC without its unlabeled terms (same"
            + " loss normalisation, so the same step size) unless --baseline plain. Runs of an earlier demo in DIR"
            + " are replaced."})
final class DemoCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Option(names = "--dir", defaultValue = "demo", description = "Demo folder: data, runs and plots (default ${DEFAULT-VALUE}).")
    Path dir;

    @Option(names = "--iterations", defaultValue = "400", description = "Iterations per method (default ${DEFAULT-VALUE}).")
    long iterations;

    @Option(names = "--warmup", defaultValue = "80", description = "Iterations before the unlabeled terms (default ${DEFAULT-VALUE}).")
    long warmup;

    @Option(names = "--labelnum", defaultValue = "2", description = "Labeled training cases (default ${DEFAULT-VALUE}).")
    int labelnum;

    @Option(names = "--patch", defaultValue = "32,32,16", description = "Training patch W,H,D (default ${DEFAULT-VALUE}).")
    String patch;

    @Option(names = "--base-filters", defaultValue = "4", description = "V-Net base filters (default ${DEFAULT-VALUE}).")
    int baseFilters;

    @Option(names = "--cases", defaultValue = "20", description = "Phantom cases when generating it (default ${DEFAULT-VALUE}; 80%% train).")
    int cases;

    @Option(names = "--size", defaultValue = "48,48,32", description = "Phantom volume size when generating it (default ${DEFAULT-VALUE}).")
    String size;

    @Option(names = "--seeds", split = ",", defaultValue = "1337,1338,1339", paramLabel = "S1,S2,...", description = "Training seeds (default ${DEFAULT-VALUE}); with several, the table gives mean ± standard deviation over seeds.")
    List<Long> seeds;

    @Option(names = "--data-seed", defaultValue = "1337", description = "Seed of the phantom when generating it (default ${DEFAULT-VALUE}).")
    long dataSeed;

    @Option(names = "--baseline", defaultValue = "matched", description = "matched (DuCiSC minus the unlabeled terms, with"
            + " its loss normalisation) or plain (the plain supervised loss) (default ${DEFAULT-VALUE}).")
    String baseline;

    @Option(names = "--jobs", paramLabel = "N", description = "Seeds of each method trained at the same time, each on"
            + " its own thread, the two methods too when N >= 2 (default: 2 where the machine has 2 cores or more,"
            + " else 1). A small demo run keeps about one core busy, so runs side by side shorten the wall time;"
            + " every run's numbers are the same either way.")
    Integer jobs;

    private static final int OVERLAY_CASES = 3;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        System.setProperty("java.awt.headless", "true"); // the plots need no display
        int parallel = jobs != null ? jobs : Runtime.getRuntime().availableProcessors() >= 2 ? 2 : 1;
        if (parallel < 1) {
            throw new IllegalArgumentException("--jobs must be at least 1, got " + parallel);
        }
        if (iterations < 1) { // checked here: the training setting's message would name train's --max-iterations
            throw new IllegalArgumentException("--iterations must be >= 1, got " + iterations);
        }
        int[] patchSize = Options.parseSize("--patch", patch);
        int[] volumeSize = Options.parseSize("--size", size);
        String baselineMethod = switch (baseline) {
            case "matched" -> "supervised-matched";
            case "plain" -> "supervised";
            default -> throw new IllegalArgumentException("--baseline must be matched or plain, got '" + baseline + "'");
        };
        try {
            Path data = dir.resolve("data");
            boolean generate = !Files.isRegularFile(data.resolve("LA").resolve("train.list"));
            // No validation: the demo reports the last checkpoints, so nothing is selected on the test cases.
            TrainingConfig.Builder config = TrainingConfig.builder().labelnum(labelnum).maxIterations(iterations)
                    .seed(seeds.get(0)).baseFilters(baseFilters).patch(patchSize[0], patchSize[1], patchSize[2])
                    .checkpointEvery(0).validation(0, 0, null).warmup(warmup).device("cpu");
            // Options first, data second: a bad option must not leave a freshly generated phantom behind.
            Options.withFlags(() -> config.output(dir).build().validate());
            if (generate) {
                Options.withFlags(() -> {
                    Phantom.checkOptions(cases, volumeSize);
                    return null;
                });
                int train = Phantom.trainCount(cases);
                if (labelnum < 2 || labelnum + 2 > train) {
                    throw new IllegalArgumentException("--labelnum " + labelnum + " with --cases " + cases + ": the phantom's"
                            + " train.list gets " + Counts.of(train, "case") + ", and training needs 2.." + (train - 2)
                            + " labeled ones (2 unlabeled at least)");
                }
            }
            out.printf(Locale.ROOT, "demo: phantom %s (%s), labelnum %d, patch %s, %d base filters, %d iterations per"
                            + " method, warm-up %d, seeds %s; DuCiSC vs %s, last checkpoints on the test cases%n",
                    data, generate ? cases + " cases of " + size + ", generating" : "already there", labelnum, patch,
                    baseFilters, iterations, warmup,
                    seeds.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(",")), title(baselineMethod));
            out.flush();
            if (generate) {
                Phantom.writeDataset(data, cases, dataSeed, volumeSize);
            }
            List<String> methods = List.of("ducisc", baselineMethod);
            // Every run is created (options checked against the data, the previous demo's run discarded) before
            // the first one trains.
            List<TrainingRun> runs = new ArrayList<>();
            List<SeedSweepRun> sweeps = new ArrayList<>();
            for (String m : methods) {
                TrainingConfig c = config.method(m).output(dir.resolve(m)).overwrite(true).build();
                if (seeds.size() > 1) {
                    sweeps.add(Options.withFlags(() -> SeedSweepRun.create(data, c, seeds)));
                } else {
                    runs.add(Options.withFlags(() -> TrainingRun.create(data, c)));
                }
            }
            long t0 = System.nanoTime();
            List<MetricStats> results = trainAll(out, methods, runs, sweeps, parallel);
            // The plots show the first seed's runs.
            List<Path> shownRuns = methods.stream().map(m -> seeds.size() > 1
                    ? SeedSweepRun.folder(dir.resolve(m), seeds.get(0)) : dir.resolve(m)).toList();
            out.print(table(methods, results, seeds.size() > 1 ? seeds.size() + " seeds, each the mean over the test cases"
                    : Counts.of(results.get(0).count(), "test case")));
            Path plots = Files.createDirectories(dir.resolve("plots"));
            DemoPlots.training(plots.resolve("training.png"),
                    DemoPlots.readMetrics(shownRuns.get(0).resolve("metrics.csv")),
                    DemoPlots.readMetrics(shownRuns.get(1).resolve("metrics.csv")));
            DemoPlots.overlays(plots.resolve("test-slices.png"),
                    overlays(Dataset.open("LA", data), methods, shownRuns, patchSize));
            out.printf(Locale.ROOT, "demo: plots in %s (training.png, test-slices.png); runs in %s and %s; %.1f minutes%n",
                    plots, shownRuns.get(0), shownRuns.get(1), (System.nanoTime() - t0) / 60e9);
            out.flush();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /**
     * Trains every method's run (or seed sweep), up to {@code parallel} methods at a time, each on its own thread,
     * each sweep with up to {@code parallel} seeds at a time, and returns their last checkpoints' test metrics in
     * method order. Concurrent runs share the CPU backend's thread pool;
     * each run's numbers do not depend on it (the kernels are bitwise the same for any thread count). Concurrent
     * runs report on plain lines, which interleave legibly, rather than on progress bars. When a run fails, the
     * others are asked to stop and the first failure is rethrown.
     */
    private List<MetricStats> trainAll(PrintWriter out, List<String> methods, List<TrainingRun> runs,
                                       List<SeedSweepRun> sweeps, int parallel) throws IOException, InterruptedException {
        boolean bars = parallel == 1 && TrainProgress.isTerminal();
        int seedsAtOnce = parallel; // a DuCiSC seed costs about 7 baseline seeds: seeds in parallel keep both cores busy
        List<java.util.concurrent.Callable<MetricStats>> tasks = new ArrayList<>();
        for (int i = 0; i < methods.size(); i++) {
            String m = methods.get(i);
            int k = i;
            tasks.add(() -> {
                if (!sweeps.isEmpty()) {
                    return sweeps.get(k).run(seed -> new TrainProgress(out, m + " seed " + seed, iterations,
                            Math.max(1, iterations / 20), bars), seedsAtOnce).last();
                }
                try (TrainProgress progress = new TrainProgress(out, m, iterations, Math.max(1, iterations / 20), bars)) {
                    return runs.get(k).run(progress).lastTest();
                }
            });
        }
        return SideBySide.run(tasks, Math.min(parallel, methods.size()), "demo-run", () -> {
            runs.forEach(TrainingRun::stop);
            sweeps.forEach(SeedSweepRun::stop);
        });
    }

    /** The method's column title. */
    static String title(String method) {
        return switch (method) {
            case "ducisc" -> "DuCiSC";
            case "supervised-matched" -> "supervised (matched)";
            case "supervised" -> "supervised (plain)";
            case "mean-teacher" -> "mean teacher";
            default -> method;
        };
    }

    /** Metric rows, one column per method: mean ± standard deviation over {@code over}. */
    static String table(List<String> methods, List<MetricStats> results, String over) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-10s", "metric"));
        for (String m : methods) {
            b.append(String.format(Locale.ROOT, " | %-20s", title(m)));
        }
        b.append('\n');
        String[] names = {"Dice", "Jaccard", "HD95", "ASD"};
        for (int k = 0; k < names.length; k++) {
            b.append(String.format(Locale.ROOT, "%-10s", names[k]));
            for (MetricStats r : results) {
                double[] mean = {r.mean().dice(), r.mean().jaccard(), r.mean().hd95(), r.mean().asd()};
                double[] std = {r.std().dice(), r.std().jaccard(), r.std().hd95(), r.std().asd()};
                b.append(String.format(Locale.ROOT, k < 2 ? " | %7.4f ± %-10.4f" : " | %7.2f ± %-10.2f", mean[k], std[k]));
            }
            b.append('\n');
        }
        b.append("(mean ± standard deviation over ").append(over).append("; HD95 and ASD in voxels)\n");
        for (int m = 0; m < results.size(); m++) {
            if (results.get(m).undefined() > 0) {
                b.append(title(methods.get(m))).append(": ").append(Counts.of(results.get(m).undefined(), "case"))
                        .append(" with an empty prediction or ground truth, scored by the reference's rule\n");
            }
        }
        return b.toString();
    }

    /**
     * The first test cases with each run's last checkpoint's prediction, through {@link Segmenter}: the sliding
     * window of the runs' final test (the training patch, the data set's strides capped at it, 0.5 threshold).
     */
    private static List<DemoPlots.Overlay> overlays(Dataset dataset, List<String> methods, List<Path> runs, int[] patch)
            throws IOException {
        int[] strides = dataset.kind().strides(patch);
        List<String> test = dataset.testCases();
        List<CaseData> shown = new ArrayList<>();
        for (String name : test.subList(0, Math.min(OVERLAY_CASES, test.size()))) {
            shown.add(dataset.read(name));
        }
        List<List<Volume>> predictions = new ArrayList<>();
        for (int c = 0; c < shown.size(); c++) {
            predictions.add(new ArrayList<>());
        }
        for (Path run : runs) {
            try (Segmenter segmenter = Segmenter.builder(run.resolve("last.safetensors")).device("cpu").largestComponent(false)
                    .patch(patch[0], patch[1], patch[2]).strides(strides[0], strides[1]).largestComponent(false).build()) {
                for (int c = 0; c < shown.size(); c++) {
                    Volume image = shown.get(c).image();
                    byte[] labels = segmenter.predict(Image.of(image.floats(), image.shape(), image.spacing())).labels();
                    predictions.get(c).add(Volume.ofLabels(image.shape(), labels));
                }
            }
        }
        List<DemoPlots.Overlay> rows = new ArrayList<>();
        for (CaseData data : shown) {
            rows.add(new DemoPlots.Overlay(data.name(), data.image(), data.label(),
                    methods.stream().map(DemoCommand::title).toList(), predictions.get(rows.size())));
        }
        return rows;
    }
}
