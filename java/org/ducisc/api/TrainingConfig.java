package org.ducisc.api;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import org.ducisc.core.InvalidSettingException;
import org.ducisc.eval.MetricRules;
import org.ducisc.train.DuciscConfig;
import org.ducisc.train.SettingRanges;
import org.ducisc.train.Trainer;

/**
 * Every option of a training run, in one immutable object: what {@code ./ducisc train} and
 * {@link TrainingRun#create} take. Each default is written once, in {@link Builder}, and is the
 * reference's value (method page, section 3): DuCiSC on the left-atrium data set, 8 labeled cases,
 * 15000 iterations, seed 1337, 16 base filters, the data set's patch. {@link #DEFAULTS} holds them;
 * {@link #validate()} checks each option against its documented range ({@link SettingRanges},
 * {@link DuciscConfig#validate()}) and throws {@link InvalidSettingException}, whose message names the
 * setting as config.json does ("ema_decay must be in [0.0, 1.0], got 2.0"); a front end may name it its own
 * way ({@link InvalidSettingException#setting()}).
 *
 * <pre>{@code
 * TrainingConfig config = TrainingConfig.builder().labelnum(16).maxIterations(6000)
 *         .output(Path.of("runs/la16")).build();
 * TrainingResult result = TrainingRun.create(Path.of("data"), config).run(null);
 * }</pre>
 */
public final class TrainingConfig {
    /** Every option at its default. */
    public static final TrainingConfig DEFAULTS = builder().build();

    private final Builder b;

    private TrainingConfig(Builder b) {
        this.b = b;
    }

    /** A builder with every option at its default. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration's options, to change some of them. */
    public Builder toBuilder() {
        return b.copy();
    }

    /** The data set's name: LA, Pancreas or IAN. */
    public String dataset() {
        return b.dataset;
    }

    /** ducisc, supervised or mean-teacher. */
    public String method() {
        return b.method;
    }

    public int labelnum() {
        return b.labelnum;
    }

    public long maxIterations() {
        return b.maxIterations;
    }

    public long seed() {
        return b.seed;
    }

    public int baseFilters() {
        return b.baseFilters;
    }

    /** The training patch (W, H, D, voxels), or null for the data set's. */
    public int[] patch() {
        return b.patch == null ? null : b.patch.clone();
    }

    public boolean padding() {
        return b.padding;
    }

    public Path output() {
        return b.output;
    }

    public long checkpointEvery() {
        return b.checkpointEvery;
    }

    public long validationStart() {
        return b.validationStart;
    }

    public long validationEvery() {
        return b.validationEvery;
    }

    /** The validation list, or null for the data set's test.list. */
    public Path validationList() {
        return b.validationList;
    }

    public boolean resume() {
        return b.resume;
    }

    public boolean overwrite() {
        return b.overwrite;
    }

    /** reference or monai: the metrics of empty predictions or ground truths. */
    public String metricRules() {
        return b.metricRules;
    }

    /** "auto", "cpu", "cuda" or "cuda:N". */
    public String device() {
        return b.device;
    }

    public long warmup() {
        return b.warmup;
    }

    public double lambdaTeacher() {
        return b.lambdaTeacher;
    }

    public double lambdaMix() {
        return b.lambdaMix;
    }

    public double lambdaProto() {
        return b.lambdaProto;
    }

    public double lambdaMixProto() {
        return b.lambdaMixProto;
    }

    public int protoLevels() {
        return b.protoLevels;
    }

    public double learningRate() {
        return b.learningRate;
    }

    public double emaDecay() {
        return b.emaDecay;
    }

    public boolean prototypes() {
        return b.prototypes;
    }

    public boolean fusion() {
        return b.fusion;
    }

    /** The fixed confidence threshold, or null for the self-aware ones. */
    public Double fixedThreshold() {
        return b.fixedThreshold;
    }

    /**
     * Checks every option against its documented range (see the {@link Builder} methods); the data set
     * dependent checks (labelnum against train.list, the patch against the volumes) come when a run is
     * created.
     *
     * @return this configuration
     * @throws IllegalArgumentException naming the first option out of range, its value and the range
     */
    public TrainingConfig validate() {
        Trainer.Method.parse(b.method);
        MetricRules.parse(b.metricRules);
        if (b.labelnum < 2) {
            throw new InvalidSettingException("labelnum", "must be >= 2 (the labeled batch), got " + b.labelnum);
        }
        if (b.overwrite && b.resume) {
            throw new InvalidSettingException("overwrite", "and resume exclude each other: one discards the run, the"
                    + " other continues it");
        }
        if (b.fixedThreshold != null && !(b.fixedThreshold > 0 && b.fixedThreshold < 1)) {
            throw new InvalidSettingException("threshold_init", "must be in (0, 1), got " + b.fixedThreshold);
        }
        SettingRanges.check(settings());
        return this;
    }

    /** The trainer's form of these options (after {@link #validate()}), for {@link TrainingRun} and {@link SeedSweepRun}. */
    Trainer.Settings settings() {
        DuciscConfig d = DuciscConfig.defaults();
        double thresholdInit = b.fixedThreshold == null ? d.thresholdInit() : b.fixedThreshold;
        DuciscConfig loss = new DuciscConfig(b.warmup, b.lambdaTeacher, b.lambdaMix, b.lambdaProto, b.lambdaMixProto,
                b.protoLevels, d.fusionLow(), d.fusionHigh(), thresholdInit, d.thresholdDecay(), d.thresholdLow(),
                d.thresholdHigh(), b.learningRate, d.momentum(), d.weightDecay(), b.emaDecay, b.prototypes, b.fusion,
                b.fixedThreshold == null);
        return new Trainer.Settings(Trainer.Method.parse(b.method), b.labelnum, b.maxIterations, b.seed, b.baseFilters,
                patch(), b.padding, loss, b.output, b.checkpointEvery,
                new Trainer.Validation(b.validationStart, b.validationEvery, b.validationList,
                        MetricRules.parse(b.metricRules)), b.resume);
    }

    @Override
    public String toString() {
        return "TrainingConfig[dataset=" + b.dataset + ", method=" + b.method + ", labelnum=" + b.labelnum
                + ", maxIterations=" + b.maxIterations + ", seed=" + b.seed + ", baseFilters=" + b.baseFilters
                + ", patch=" + Arrays.toString(b.patch) + ", output=" + b.output + ", device=" + b.device
                + ", warmup=" + b.warmup + ", learningRate=" + b.learningRate + "]";
    }

    /** The options of a {@link TrainingConfig}; each starts at its default (named on its method). */
    public static final class Builder {
        /** The loss knobs' defaults are the reference's, written in {@link DuciscConfig#defaults()}. */
        private static final DuciscConfig LOSS_DEFAULTS = DuciscConfig.defaults();
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
        private long validationStart = Trainer.Validation.reference().start();
        private long validationEvery = Trainer.Validation.reference().every();
        private Path validationList;
        private boolean resume;
        private boolean overwrite;
        private String metricRules = MetricRules.REFERENCE.label();
        private String device = "auto";
        private Double fixedThreshold;
        private long warmup = LOSS_DEFAULTS.warmup();
        private double lambdaTeacher = LOSS_DEFAULTS.lambdaTeacher();
        private double lambdaMix = LOSS_DEFAULTS.lambdaMix();
        private double lambdaProto = LOSS_DEFAULTS.lambdaProto();
        private double lambdaMixProto = LOSS_DEFAULTS.lambdaMixProto();
        private int protoLevels = LOSS_DEFAULTS.protoLevels();
        private double learningRate = LOSS_DEFAULTS.lr();
        private double emaDecay = LOSS_DEFAULTS.emaDecay();
        private boolean prototypes = LOSS_DEFAULTS.prototypes();
        private boolean fusion = LOSS_DEFAULTS.fusion();

        private Builder() {
        }

        private Builder copy() {
            Builder c = new Builder();
            c.dataset = dataset;
            c.method = method;
            c.labelnum = labelnum;
            c.maxIterations = maxIterations;
            c.seed = seed;
            c.baseFilters = baseFilters;
            c.patch = patch == null ? null : patch.clone();
            c.padding = padding;
            c.output = output;
            c.checkpointEvery = checkpointEvery;
            c.validationStart = validationStart;
            c.validationEvery = validationEvery;
            c.validationList = validationList;
            c.resume = resume;
            c.overwrite = overwrite;
            c.metricRules = metricRules;
            c.device = device;
            c.fixedThreshold = fixedThreshold;
            c.warmup = warmup;
            c.lambdaTeacher = lambdaTeacher;
            c.lambdaMix = lambdaMix;
            c.lambdaProto = lambdaProto;
            c.lambdaMixProto = lambdaMixProto;
            c.protoLevels = protoLevels;
            c.learningRate = learningRate;
            c.emaDecay = emaDecay;
            c.prototypes = prototypes;
            c.fusion = fusion;
            return c;
        }

        /** LA (default), Pancreas or IAN. */
        public Builder dataset(String name) {
            this.dataset = Objects.requireNonNull(name, "dataset");
            return this;
        }

        /** ducisc (default), supervised (labeled cases only) or mean-teacher. */
        public Builder method(String name) {
            this.method = Objects.requireNonNull(name, "method");
            return this;
        }

        /** Labeled training cases: the first N of train.list (default 8; at least 2, the labeled batch). */
        public Builder labelnum(int n) {
            this.labelnum = n;
            return this;
        }

        /** Iterations (default 15000; at least 1). */
        public Builder maxIterations(long n) {
            this.maxIterations = n;
            return this;
        }

        /** Seed of every random draw of the run (default 1337; any value). */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** V-Net base filters (default 16; at least 1). */
        public Builder baseFilters(int n) {
            this.baseFilters = n;
            return this;
        }

        /** Training patch in voxels (default: the data set's, e.g. 112x112x80 for LA); positive multiples of 16. */
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
         * and 200, the reference's; both at least 0, {@code every} 0 = none), on the cases of {@code list}
         * (null = the data set's test.list, as the reference validates).
         */
        public Builder validation(long start, long every, Path list) {
            this.validationStart = start;
            this.validationEvery = every;
            this.validationList = list;
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
         * the run is created (default false: such a folder is refused with an IllegalArgumentException). Not
         * with {@link #resume}.
         */
        public Builder overwrite(boolean on) {
            this.overwrite = on;
            return this;
        }

        /**
         * The metrics of empty predictions or ground truths, in validation and the test report: "reference"
         * (the default: an empty prediction scores 0) or "monai" (NaN, left out of the means); see
         * {@link org.ducisc.eval.MetricRules}.
         */
        public Builder metricRules(String rules) {
            this.metricRules = Objects.requireNonNull(rules, "metric rules");
            return this;
        }

        /**
         * "auto" (the default: cuda:0 when it works, else the CPU), "cpu", "cuda" or "cuda:N". A CUDA device
         * that cannot be used makes {@link TrainingRun#create} fail with the reason.
         */
        public Builder device(String device) {
            this.device = Objects.requireNonNull(device, "device");
            return this;
        }

        /** Iterations before the unlabeled terms start (default 2000; at least 0). */
        public Builder warmup(long iterations) {
            this.warmup = iterations;
            return this;
        }

        /**
         * Loss weights (defaults 0.3, 0.1, 0.1, 0.1; each finite and at least 0): pseudo-label consistency,
         * fused-volume, prototype and fused-volume prototype terms (the reference's lamda_teacher, lamda_mix,
         * lamda_proto, lamda_mix_proto).
         */
        public Builder lossWeights(double teacher, double mix, double proto, double mixProto) {
            this.lambdaTeacher = teacher;
            this.lambdaMix = mix;
            this.lambdaProto = proto;
            this.lambdaMixProto = mixProto;
            return this;
        }

        /** The coarsest N decoder levels whose prototypes are aligned (default 4; 0..4). */
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

        /** Ablation: a fixed confidence threshold in (0, 1) instead of the self-aware ones (default: self-aware). */
        public Builder fixedThreshold(double threshold) {
            this.fixedThreshold = threshold;
            return this;
        }

        /** SGD base learning rate (default 0.01; positive and finite). */
        public Builder learningRate(double lr) {
            this.learningRate = lr;
            return this;
        }

        /** Decay of the teacher's exponential moving average (default 0.99; 0..1). */
        public Builder emaDecay(double decay) {
            this.emaDecay = decay;
            return this;
        }

        /** The configuration; {@link TrainingConfig#validate()} checks the ranges. */
        public TrainingConfig build() {
            return new TrainingConfig(copy());
        }
    }
}
