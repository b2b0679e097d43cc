package org.ducisc.api;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.ducisc.core.Device;
import org.ducisc.data.Dataset;
import org.ducisc.train.DuciscStep;
import org.ducisc.train.RunFolder;
import org.ducisc.train.Thresholds;
import org.ducisc.train.Trainer;

/**
 * A training run configured in code: {@code ./ducisc train} as a library call, with the same options
 * and defaults (one {@link TrainingConfig}).
 *
 * <pre>{@code
 * TrainingConfig config = TrainingConfig.builder().labelnum(16).maxIterations(6000)
 *         .output(Path.of("runs/la16")).build();
 * TrainingRun run = TrainingRun.create(Path.of("data"), config);
 * TrainingResult result = run.run(report -> log(report.iteration(), report.loss()));
 * }</pre>
 *
 * <p>The run folder gets what {@code ./ducisc train} writes there: config.json, log.txt, metrics.csv,
 * {@code last.safetensors} and {@code best.safetensors} (loadable with {@link Segmenter#builder(Path)}),
 * periodic checkpoints, the state {@link TrainingConfig.Builder#resume resume} continues from, and test_metrics.csv.
 *
 * <p><b>Threads.</b> {@link #run} trains on the calling thread and returns when the run ends. Any other
 * thread may call {@link #stop()}: the run then ends after the iteration in progress, with its
 * checkpoint and resumable state written, and {@code run} returns normally. All native memory of the run is freed before
 * {@code run} returns (or throws). A {@code TrainingRun} runs once.
 */
public final class TrainingRun {
    private static final System.Logger LOG = System.getLogger(TrainingRun.class.getName());

    private final Dataset dataset;
    private final Trainer.Settings settings;
    private final Device device;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicBoolean started = new AtomicBoolean();

    private TrainingRun(Dataset dataset, Trainer.Settings settings, Device device) {
        this.dataset = dataset;
        this.settings = settings;
        this.device = device;
    }

    /**
     * A run of {@code config} on the data under {@code rootPath}: the folder holding the data set's folder
     * (e.g. {@code LA/}), as the reference's {@code --root_path}, or the data set folder itself; or a NIfTI
     * folder in the Medical Segmentation Decathlon / nnU-Net v2 layout ({@code imagesTr/}, {@code labelsTr/},
     * {@code imagesTs/}, optional {@code labelsTs/}, {@code validation.list}), recognised by its
     * {@code imagesTr/} folder: images without a label file are unlabeled cases. Opens the data set and
     * checks the configuration: its ranges ({@link TrainingConfig#validate()}), then against the data set
     * (labelnum against train.list, the patch against the volumes when padding is off, the run folder's
     * writability, a resumed run's saved configuration).
     *
     * @throws org.ducisc.core.ExistingRunException the run folder already holds a run, and neither resume nor overwrite is set
     * @throws IllegalArgumentException an option is invalid (the message names it, in neutral words)
     * @throws IOException              the data set's lists cannot be read or the run folder not created
     */
    public static TrainingRun create(Path rootPath, TrainingConfig config) throws IOException {
        Opened o = open(rootPath, config);
        Trainer.validate(o.dataset(), o.settings());
        return new TrainingRun(o.dataset(), o.settings(), o.device());
    }

    /** A configuration's data set, trainer settings and device, its run folder discarded when asked to. */
    record Opened(Dataset dataset, Trainer.Settings settings, Device device) {
    }

    /** Checks {@code config}'s ranges, selects its device, opens the data set and discards an old run when asked. */
    static Opened open(Path rootPath, TrainingConfig config) throws IOException {
        Objects.requireNonNull(rootPath, "rootPath");
        config.validate();
        Device dev = DeviceOption.select(config.device());
        Dataset data = Dataset.open(config.dataset(), rootPath);
        if (config.overwrite()) {
            RunFolder.discard(config.output());
        }
        return new Opened(data, config.settings(), dev);
    }

    /**
     * Trains until the configured number of iterations or until {@link #stop()}, reporting every
     * iteration and validation to {@code listener} (may be null), then evaluates the last and best
     * checkpoints on the test list.
     *
     * @throws IOException           reading the data or writing the run folder failed
     * @throws InterruptedException  the calling thread was interrupted while waiting for a batch
     * @throws IllegalStateException the run was already started, or the loss stayed non-finite (the
     *                               message says since when; the last checkpoint holds the last good weights)
     */
    public TrainingResult run(TrainingListener listener) throws IOException, InterruptedException {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("this training run was already started; build a new one");
        }
        LOG.log(Level.DEBUG, () -> "training " + settings.method() + " on " + dataset.dir() + " into "
                + settings.runDir());
        Trainer.Result r = Trainer.run(dataset, settings, device, listener(listener, stop));
        LOG.log(Level.DEBUG, () -> "training ended" + (stop.get() ? " on request" : "") + "; last checkpoint " + r.last());
        return result(r);
    }

    /** The trainer's form of {@code listener} (may be null), asking {@code stop} after each iteration. */
    static Trainer.Listener listener(TrainingListener listener, AtomicBoolean stop) {
        return new Trainer.Listener() {
            @Override
            public void iteration(long iteration, DuciscStep.Losses losses, Thresholds thresholds) {
                if (listener != null) {
                    listener.onIteration(new IterationReport(iteration + 1, losses.logged(), losses.supervised(),
                            losses.pseudoLabel(), losses.prototype(), losses.mix(), losses.mixPrototype(),
                            thresholds.backgroundValues(), thresholds.foregroundValues()));
                }
            }

            @Override
            public void validated(long iteration, double dice, boolean best) {
                if (listener != null) {
                    listener.onValidation(new ValidationReport(iteration, dice, best));
                }
            }

            @Override
            public boolean stopRequested() {
                return stop.get();
            }
        };
    }

    /** A finished run's checkpoints and test metrics as the API's record. */
    static TrainingResult result(Trainer.Result r) {
        return new TrainingResult(r.last(), MetricStats.of(r.lastTest()), r.best(), r.bestIteration(),
                MetricStats.of(r.bestTest()));
    }

    /**
     * Asks the run to end after the iteration in progress; its checkpoint is written and {@link #run}
     * returns normally. Safe to call from any thread, any number of times, before or during the run.
     */
    public void stop() {
        stop.set(true);
    }

    /** Whether {@link #stop()} was called. */
    public boolean stopRequested() {
        return stop.get();
    }

    /** The run folder. */
    public Path output() {
        return settings.runDir();
    }
}
