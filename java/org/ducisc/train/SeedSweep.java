package org.ducisc.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.LongFunction;
import org.ducisc.core.Device;
import org.ducisc.core.InvalidSettingException;
import org.ducisc.core.SideBySide;
import org.ducisc.data.Dataset;
import org.ducisc.eval.CaseMetrics;
import org.ducisc.eval.MetricRules;
import org.ducisc.eval.MetricSummary;
import org.ducisc.io.FileBytes;

/**
 * One run per seed, each in its own sub-folder {@code seed_N} of the run folder, then the mean and
 * standard deviation over seeds of each run's mean test metrics (population standard deviation,
 * as {@link MetricSummary} computes it, under the run's {@link MetricRules}), written to {@code seeds.csv}
 * with the number of undefined test cases (empty prediction or ground truth) per run and in all.
 */
public final class SeedSweep {
    /**
     * The runs in seed order (those that ran: a stop requested between runs starts no further one), the
     * summaries over them (best is null unless every run has a best), and seeds.csv.
     */
    public record Outcome(List<Long> seeds, List<Trainer.Result> runs, MetricSummary last, MetricSummary best,
                          Path table) {
    }

    private SeedSweep() {
    }

    public static Path folder(Path runDir, long seed) {
        return runDir.resolve("seed_" + seed);
    }

    /** Checks every seed's settings before the first run starts. */
    public static List<Trainer.Settings> settings(Dataset dataset, Trainer.Settings base, List<Long> seeds)
            throws IOException {
        if (seeds.isEmpty() || seeds.stream().distinct().count() != seeds.size()) {
            throw new InvalidSettingException("seeds", "must be distinct, and at least one, got " + seeds);
        }
        List<Trainer.Settings> out = new ArrayList<>();
        for (long seed : seeds) {
            Trainer.Settings s = base.withSeed(seed, folder(base.runDir(), seed));
            Trainer.validate(dataset, s);
            out.add(s);
        }
        return out;
    }

    /**
     * Trains every seed's run in turn ({@link Trainer#run}), each reporting to {@code listeners.apply(seed)};
     * when a run's listener asks to stop, no further seed starts. Then writes seeds.csv (atomically).
     *
     * @throws IllegalStateException a stop was requested before the first run ended
     */
    public static Outcome run(Dataset dataset, Trainer.Settings base, Device device, List<Long> seeds,
                              LongFunction<Trainer.Listener> listeners) throws IOException, InterruptedException {
        return run(dataset, base, device, seeds, listeners, 1);
    }

    /**
     * As {@link #run(Dataset, Trainer.Settings, Device, List, LongFunction)}, with up to {@code parallel} seeds
     * training at the same time, each on its own thread, started in seed order. A run's numbers do not depend
     * on it (each run has its own random streams, and the kernels give the same bits for any thread count).
     * When a run fails, the seeds not yet started are skipped and the first failure is rethrown after the
     * running ones end.
     *
     * @param parallel seeds trained at once, >= 1
     */
    public static Outcome run(Dataset dataset, Trainer.Settings base, Device device, List<Long> seeds,
                              LongFunction<Trainer.Listener> listeners, int parallel) throws IOException, InterruptedException {
        if (parallel < 1) {
            throw new IllegalArgumentException("seeds trained at once must be at least 1, got " + parallel);
        }
        List<Trainer.Settings> all = settings(dataset, base, seeds);
        List<Trainer.Result> runs = new ArrayList<>();
        if (parallel == 1) {
            for (Trainer.Settings s : all) {
                Trainer.Listener listener = listeners.apply(s.seed());
                if (!runs.isEmpty() && listener != null && listener.stopRequested()) {
                    break;
                }
                runs.add(Trainer.run(dataset, s, device, listener));
            }
        } else {
            runs.addAll(runConcurrently(dataset, all, device, listeners, parallel));
        }
        seeds = seeds.subList(0, runs.size());
        List<CaseMetrics> last = new ArrayList<>();
        List<CaseMetrics> best = new ArrayList<>();
        MetricRules rules = base.validation().rules();
        StringBuilder csv = new StringBuilder("seed,checkpoint,dice,jaccard,hd95,asd,undefined_cases\n");
        int undefinedLast = 0;
        int undefinedBest = 0;
        for (int i = 0; i < runs.size(); i++) {
            Trainer.Result r = runs.get(i);
            last.add(r.lastTest().mean());
            csv.append(row(Long.toString(seeds.get(i)), "last", r.lastTest().mean(), r.lastTest().undefined()));
            undefinedLast += r.lastTest().undefined();
            if (r.bestTest() != null) {
                best.add(r.bestTest().mean());
                csv.append(row(Long.toString(seeds.get(i)), "best", r.bestTest().mean(), r.bestTest().undefined()));
                undefinedBest += r.bestTest().undefined();
            }
        }
        MetricSummary lastSummary = rules.summarize(last);
        MetricSummary bestSummary = best.size() == runs.size() ? rules.summarize(best) : null;
        csv.append(row("mean", "last", lastSummary.mean(), undefinedLast)).append(row("std", "last", lastSummary.std(), 0));
        if (bestSummary != null) {
            csv.append(row("mean", "best", bestSummary.mean(), undefinedBest))
                    .append(row("std", "best", bestSummary.std(), 0));
        }
        Path file = base.runDir().resolve("seeds.csv");
        FileBytes.writeText(file, csv.toString());
        return new Outcome(List.copyOf(seeds), runs, lastSummary, bestSummary, file);
    }

    /**
     * The runs of {@code all}, {@code parallel} at a time, in seed order. A seed whose listener asks to stop
     * before it starts is skipped, and so is every later one (a FIFO pool starts them in order), so the runs
     * returned are a prefix of {@code all}.
     */
    private static List<Trainer.Result> runConcurrently(Dataset dataset, List<Trainer.Settings> all, Device device,
                                                        LongFunction<Trainer.Listener> listeners, int parallel)
            throws IOException, InterruptedException {
        java.util.concurrent.atomic.AtomicBoolean halt = new java.util.concurrent.atomic.AtomicBoolean();
        List<java.util.concurrent.Callable<Trainer.Result>> jobs = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            Trainer.Settings s = all.get(i);
            boolean first = i == 0;
            jobs.add(() -> {
                Trainer.Listener listener = listeners.apply(s.seed());
                if (halt.get() || (!first && listener != null && listener.stopRequested())) {
                    halt.set(true);
                    return null;
                }
                return Trainer.run(dataset, s, device, listener);
            });
        }
        List<Trainer.Result> runs = new ArrayList<>();
        for (Trainer.Result r : SideBySide.run(jobs, parallel, "seed-sweep", () -> halt.set(true))) {
            if (r == null) {
                break; // after a skipped seed nothing is kept, so the runs stay a prefix of the seeds
            }
            runs.add(r);
        }
        return runs;
    }

    /** One row; {@code undefined}: the undefined test cases of that run (in the mean rows: of all runs). */
    private static String row(String seed, String checkpoint, CaseMetrics m, int undefined) {
        return String.format(Locale.ROOT, "%s,%s,%.6f,%.6f,%.6f,%.6f,%s%n", seed, checkpoint, m.dice(), m.jaccard(), m.hd95(),
                m.asd(), seed.equals("std") ? "" : Integer.toString(undefined));
    }
}
