package org.ducisc.api;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.ducisc.core.Device;
import org.ducisc.data.Dataset;
import org.ducisc.eval.CaseMetrics;
import org.ducisc.eval.MetricRules;
import org.ducisc.eval.MetricSummary;
import org.ducisc.train.DuciscConfig;
import org.ducisc.train.DuciscStep;
import org.ducisc.train.RunFolder;
import org.ducisc.train.Thresholds;
import org.ducisc.train.Trainer;

/**
 * A training run configured in code, with the options and defaults of {@code ./ducisc train} (the
 * reference's values): DuCiSC on the left-atrium data set, 8 labeled cases, 15000 iterations, seed
 * 1337, 16 base filters, the data set's patch.
 *
 * <pre>{@code
 * TrainingRun run = TrainingRun.builder(Path.of("data")).labelnum(16).maxIterations(6000)
 *         .output(Path.of("runs/la16")).build();
 * TrainingResult result = run.run(report -> log(report.iteration(), report.loss()));
 * }</pre>
 *
 * <p>The run folder gets what {@code ./ducisc train} writes there: config.json, log.txt, metrics.csv,
 * {@code last.safetensors} and {@code best.safetensors} (loadable with {@link Segmenter#builder(Path)}),
 * periodic checkpoints, the state {@link Builder#resume resume} continues from, and test_metrics.csv.
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
     * Starts configuring a run on the data under {@code rootPath}: the folder holding the data set's
     * folder (e.g. {@code LA/}), as the reference's {@code --root_path}, or the data set folder itself;
     * or a NIfTI folder in the Medical Segmentation Decathlon / nnU-Net v2 layout ({@code imagesTr/},
     * {@code labelsTr/}, {@code imagesTs/}, optional {@code labelsTs/}, {@code validation.list}), recognised
     * by its {@code imagesTr/} folder: images without a label file are unlabeled cases.
     */
    public static Builder builder(Path rootPath) {
        return new Builder(Objects.requireNonNull(rootPath, "rootPath"));
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
        Trainer.Result r = Trainer.run(dataset, settings, device, new Trainer.Listener() {
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
        });
        LOG.log(Level.DEBUG, () -> "training ended" + (stop.get() ? " on request" : "") + "; last checkpoint " + r.last());
        return new TrainingResult(r.last(), mean(r.lastTest()), r.best(), r.bestIteration(), mean(r.bestTest()),
                r.lastTest().cases());
    }

    private static Metrics mean(MetricSummary summary) {
        if (summary == null) {
            return null;
        }
        CaseMetrics m = summary.mean();
        return new Metrics(m.dice(), m.jaccard(), m.hd95(), m.asd());
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

    /**
     * The options of a {@link TrainingRun}; each defaults to {@code ./ducisc train}'s default (named on
     * its method). {@link #build()} checks them against the data set.
     */
    public static final class Builder {
        private static final DuciscConfig DEFAULTS = DuciscConfig.defaults();
        private final Path rootPath;
        private String dataset = "LA";
        private String method = "ducisc";
        private int labelnum = 8;
        private long maxIterations = 15000;
        private long seed = 1337;
        private int baseFilters = 16;
        private int[] patch;
        private boolean padding = true;
        private Path output = Path.of("runs", "train");
        private long checkpointEvery = 1000;
        private String device = "cpu";
        private Double fixedThreshold;
        private boolean prototypes = true;
        private boolean fusion = true;
        private long warmup = DEFAULTS.warmup();
        private double lambdaTeacher = DEFAULTS.lambdaTeacher();
        private double lambdaMix = DEFAULTS.lambdaMix();
        private double lambdaProto = DEFAULTS.lambdaProto();
        private double lambdaMixProto = DEFAULTS.lambdaMixProto();
        private int protoLevels = DEFAULTS.protoLevels();
        private double learningRate = DEFAULTS.lr();
        private double emaDecay = DEFAULTS.emaDecay();
        private Trainer.Validation validation = Trainer.Validation.reference();
        private MetricRules metricRules = MetricRules.REFERENCE;
        private boolean resume;
        private boolean overwrite;

        private Builder(Path rootPath) {
            this.rootPath = rootPath;
        }

        /** LA (default), Pancreas or IAN. */
        public Builder dataset(String name) {
            this.dataset = Objects.requireNonNull(name, "dataset");
            return this;
        }

        /** ducisc (default), supervised (labeled cases only, the plain loss), supervised-matched (labeled cases only, DuCiSC's loss normalisation) or mean-teacher. */
        public Builder method(String name) {
            this.method = Objects.requireNonNull(name, "method");
            return this;
        }

        /** Labeled training cases: the first N of train.list (default 8). */
        public Builder labelnum(int n) {
            this.labelnum = n;
            return this;
        }

        /** Iterations (default 15000). */
        public Builder maxIterations(long n) {
            this.maxIterations = n;
            return this;
        }

        /** Seed of every random draw of the run (default 1337). */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** V-Net base filters (default 16). */
        public Builder baseFilters(int n) {
            this.baseFilters = n;
            return this;
        }

        /** Training patch (default: the data set's, e.g. 112x112x80 for LA); multiples of 16. */
        public Builder patch(int w, int h, int d) {
            this.patch = new int[] {w, h, d};
            return this;
        }

        /**
         * Zero-pad training volumes smaller than the patch before cropping, as the reference does (default
         * true); without it every side of every training volume must exceed the patch.
         */
        public Builder padding(boolean on) {
            this.padding = on;
            return this;
        }

        /** Run folder (default runs/train). */
        public Builder output(Path dir) {
            this.output = Objects.requireNonNull(dir, "output");
            return this;
        }

        /** Periodic checkpoints every N iterations (default 1000; 0 = only the last). */
        public Builder checkpointEvery(long n) {
            this.checkpointEvery = n;
            return this;
        }

        /**
         * Validation on the student every {@code every} iterations from iteration {@code start} (defaults 800
         * and 200, the reference's; {@code every} 0 = none), on the cases of {@code list} (null = the data
         * set's test.list, as the reference validates).
         */
        public Builder validation(long start, long every, Path list) {
            this.validation = new Trainer.Validation(start, every, list);
            return this;
        }

        /**
         * How validation and the final test report score cases with an empty prediction or ground truth:
         * "reference" (the default: the authors' code, an empty prediction scores 0 on all four metrics) or
         * "monai" (NaN, left out of the means); either way such cases are counted.
         */
        public Builder metricRules(String name) {
            this.metricRules = MetricRules.parse(Objects.requireNonNull(name, "metric rules"));
            return this;
        }

        /**
         * Continue the interrupted run in the {@link #output} folder from its saved state, exactly as if it
         * had not stopped (default false). The other options must be the run's (checked).
         */
        public Builder resume(boolean on) {
            this.resume = on;
            return this;
        }

        /**
         * Discard a run already in the {@link #output} folder (its checkpoints, state, metrics and log) when
         * {@link #build()} is called (default false: such a folder is refused with an IllegalArgumentException).
         * Not with {@link #resume}.
         */
        public Builder overwrite(boolean on) {
            this.overwrite = on;
            return this;
        }

        /**
         * "cpu" (the default), "cuda" or "cuda:N", or "auto" (cuda:0 when it works, else the CPU). A CUDA
         * device that cannot be used makes {@link #build()} fail with the reason.
         */
        public Builder device(String device) {
            this.device = Objects.requireNonNull(device, "device");
            return this;
        }

        /** Iterations before the unlabeled terms start (default 2000). */
        public Builder warmup(long iterations) {
            this.warmup = iterations;
            return this;
        }

        /**
         * Loss weights (defaults 0.3, 0.1, 0.1, 0.1): pseudo-label consistency, fused-volume, prototype and
         * fused-volume prototype terms (the reference's lamda_teacher, lamda_mix, lamda_proto, lamda_mix_proto).
         */
        public Builder lossWeights(double teacher, double mix, double proto, double mixProto) {
            this.lambdaTeacher = teacher;
            this.lambdaMix = mix;
            this.lambdaProto = proto;
            this.lambdaMixProto = mixProto;
            return this;
        }

        /** The coarsest N decoder levels whose prototypes are aligned, 0..4 (default 4). */
        public Builder protoLevels(int levels) {
            this.protoLevels = levels;
            return this;
        }

        /** Ablation switch: prototype alignment (default on). */
        public Builder prototypes(boolean on) {
            this.prototypes = on;
            return this;
        }

        /** Ablation switch: volume fusion (default on). */
        public Builder fusion(boolean on) {
            this.fusion = on;
            return this;
        }

        /** Ablation: a fixed confidence threshold in (0, 1) instead of the self-aware ones. */
        public Builder fixedThreshold(double threshold) {
            this.fixedThreshold = threshold;
            return this;
        }

        /** SGD base learning rate (default 0.01). */
        public Builder learningRate(double lr) {
            this.learningRate = lr;
            return this;
        }

        /** Decay of the teacher's exponential moving average (default 0.99). */
        public Builder emaDecay(double decay) {
            this.emaDecay = decay;
            return this;
        }

        /**
         * Opens the data set and checks the options against it (labelnum against train.list, patch sizes,
         * the run folder's writability).
         *
         * @throws IllegalArgumentException an option is invalid (the message names it)
         * @throws IOException              the data set's lists cannot be read or the run folder not created
         */
        public TrainingRun build() throws IOException {
            Device dev = DeviceOption.select(device);
            if (fixedThreshold != null && !(fixedThreshold > 0 && fixedThreshold < 1)) {
                throw new IllegalArgumentException("fixed threshold must be in (0, 1), got " + fixedThreshold);
            }
            DuciscConfig d = DEFAULTS;
            DuciscConfig cfg = new DuciscConfig(warmup, lambdaTeacher, lambdaMix, lambdaProto, lambdaMixProto,
                    protoLevels, d.fusionLow(), d.fusionHigh(), fixedThreshold == null ? d.thresholdInit() : fixedThreshold,
                    d.thresholdDecay(), d.thresholdLow(), d.thresholdHigh(), learningRate, d.momentum(), d.weightDecay(),
                    emaDecay, prototypes, fusion, fixedThreshold == null);
            if (overwrite && resume) {
                throw new IllegalArgumentException("overwrite and resume exclude each other");
            }
            Dataset data = Dataset.open(dataset, rootPath);
            if (overwrite) {
                RunFolder.discard(output);
            }
            Trainer.Settings settings = new Trainer.Settings(Trainer.Method.parse(method), labelnum, maxIterations, seed,
                    baseFilters, patch, padding, cfg, output, checkpointEvery, validation.withRules(metricRules), resume);
            Trainer.validate(data, settings);
            return new TrainingRun(data, settings, dev);
        }
    }
}
