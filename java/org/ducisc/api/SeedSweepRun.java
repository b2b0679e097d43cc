package org.ducisc.api;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongFunction;
import org.ducisc.core.Device;
import org.ducisc.data.Dataset;
import org.ducisc.train.SeedSweep;
import org.ducisc.train.Trainer;

/**
 * Several {@link TrainingRun}s of one configuration that differ only in the seed, as {@code ./ducisc train
 * --seeds} runs them: run {@code N} in the sub-folder {@code seed_N} of the configured output folder, then the
 * mean and population standard deviation over seeds of each run's mean test metrics, also written to
 * {@code seeds.csv} there. The configuration's own seed is ignored.
 *
 * <pre>{@code
 * SeedSweepRun sweep = SeedSweepRun.create(Path.of("data"), config, List.of(1337L, 1338L, 1339L));
 * SeedSweepResult result = sweep.run(seed -> null);
 * String dice = result.last().mean().dice() + " ± " + result.last().std().dice();
 * }</pre>
 *
 * <p><b>Threads.</b> {@link #run} trains the seeds one after another on the calling thread. {@link #stop()}
 * (any thread) ends the run in progress after its current iteration, as {@link TrainingRun#stop()} does, and
 * starts no further seed; the result then covers the runs that ended. A {@code SeedSweepRun} runs once.
 */
public final class SeedSweepRun {
    private static final System.Logger LOG = System.getLogger(SeedSweepRun.class.getName());

    private final Dataset dataset;
    private final Trainer.Settings base;
    private final Device device;
    private final List<Long> seeds;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicBoolean started = new AtomicBoolean();

    private SeedSweepRun(Dataset dataset, Trainer.Settings base, Device device, List<Long> seeds) {
        this.dataset = dataset;
        this.base = base;
        this.device = device;
        this.seeds = seeds;
    }

    /**
     * A sweep of {@code config} over {@code seeds} on the data under {@code rootPath} (as
     * {@link TrainingRun#create}). Every seed's run is checked before the first one starts.
     *
     * @throws IllegalArgumentException the seeds are empty or repeat one (setting {@code seeds}), or an option
     *                                  is invalid for some seed's run (see {@link TrainingRun#create});
     *                                  {@link org.ducisc.core.ExistingRunException} when a seed's folder holds a
     *                                  run and neither resume nor overwrite is set
     * @throws IOException              the data set's lists cannot be read or a run folder not created
     */
    public static SeedSweepRun create(Path rootPath, TrainingConfig config, List<Long> seeds) throws IOException {
        List<Long> copy = List.copyOf(seeds);
        TrainingRun.Opened o = TrainingRun.open(rootPath, config);
        SeedSweep.settings(o.dataset(), o.settings(), copy);
        return new SeedSweepRun(o.dataset(), o.settings(), o.device(), copy);
    }

    /**
     * Trains every seed in turn, reporting to the listener {@code listeners} gives for that seed (it may
     * give null), then summarises over seeds and writes {@code seeds.csv}.
     *
     * @throws IOException           reading the data or writing a run folder failed
     * @throws InterruptedException  the calling thread was interrupted while waiting for a batch
     * @throws IllegalStateException the sweep was already started, a run's loss stayed non-finite, or
     *                               {@link #stop()} came before the first run ended
     */
    public SeedSweepResult run(LongFunction<TrainingListener> listeners) throws IOException, InterruptedException {
        return run(listeners, 1);
    }

    /**
     * As {@link #run(LongFunction)}, with up to {@code parallel} seeds training at the same time, each on its own
     * thread (their listeners are then called from those threads). The numbers of every run are the same as
     * one seed after the other; on a machine whose cores a small run leaves idle, the sweep ends sooner.
     *
     * @param parallel seeds trained at once, >= 1
     * @throws IllegalArgumentException {@code parallel} is below 1
     */
    public SeedSweepResult run(LongFunction<TrainingListener> listeners, int parallel)
            throws IOException, InterruptedException {
        if (parallel < 1) {
            throw new IllegalArgumentException("seeds trained at once must be at least 1, got " + parallel);
        }
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("this seed sweep was already started; build a new one");
        }
        LOG.log(Level.DEBUG, () -> "seed sweep " + seeds + " of " + base.method() + " into " + base.runDir());
        SeedSweep.Outcome o = SeedSweep.run(dataset, base, device, seeds,
                seed -> TrainingRun.listener(listeners == null ? null : listeners.apply(seed), stop), parallel);
        return new SeedSweepResult(o.seeds(), o.runs().stream().map(TrainingRun::result).toList(),
                MetricStats.of(o.last()), MetricStats.of(o.best()), o.table());
    }

    /**
     * Asks the sweep to end: the run in progress ends after its iteration (checkpoint and state written) and
     * no further seed starts. Safe to call from any thread, any number of times.
     */
    public void stop() {
        stop.set(true);
    }

    /** The sweep's folder, holding {@code seed_N/} and {@code seeds.csv}. */
    public Path output() {
        return base.runDir();
    }

    /** The run folder of {@code seed} in a sweep whose folder is {@code output}: {@code output/seed_N}. */
    public static Path folder(Path output, long seed) {
        return SeedSweep.folder(output, seed);
    }
}
