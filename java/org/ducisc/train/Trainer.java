package org.ducisc.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.ducisc.autograd.Variable;
import org.ducisc.core.Counts;
import org.ducisc.core.Device;
import org.ducisc.core.InvalidSettingException;
import org.ducisc.core.Sizes;
import org.ducisc.data.Augmentation;
import org.ducisc.data.BatchLoader;
import org.ducisc.data.Dataset;
import org.ducisc.data.SeedStreams;
import org.ducisc.data.TrainBatch;
import org.ducisc.eval.Evaluation;
import org.ducisc.eval.MetricRules;
import org.ducisc.eval.MetricSummary;
import org.ducisc.eval.SlidingWindow;
import org.ducisc.io.FileBytes;
import org.ducisc.io.Json;
import org.ducisc.nn.Checkpoint;
import org.ducisc.nn.SegmentationLoss;
import org.ducisc.nn.VNet;
import org.ducisc.tensor.MemoryScope;
import org.ducisc.tensor.Rng;
import org.ducisc.tensor.Tensor;

/**
 * A training run: the student (and, for the semi-supervised methods, its EMA teacher) trained on
 * two-stream batches, with a run folder holding the resolved configuration, the log, metrics.csv,
 * TensorBoard event files, last.safetensors, best.safetensors, periodic checkpoints, and the training state that {@code --resume} continues
 * from (see {@link TrainState}).
 */
public final class Trainer {
    /** Consecutive non-finite supervised losses after which a run stops. */
    public static final int MAX_NON_FINITE = 10;

    /**
     * What is trained. {@code SUPERVISED_MATCHED} is DuCiSC without its unlabeled terms: the labeled cases
     * only, with DuCiSC's normalisation of the supervised loss ({@code L_sup / sg(L_sup)}, method page step
     * 8), so it differs from DuCiSC only by the unlabeled data and takes the same step size; the demo
     * compares with it. {@code SUPERVISED} optimises the plain {@code L_sup} (the usual lower bound, whose
     * gradient is larger by 1 / L_sup).
     */
    public enum Method {
        DUCISC, SUPERVISED, SUPERVISED_MATCHED, MEAN_TEACHER;

        public static Method parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT).replace('_', '-')) {
                case "ducisc" -> DUCISC;
                case "supervised" -> SUPERVISED;
                case "supervised-matched" -> SUPERVISED_MATCHED;
                case "mean-teacher", "meanteacher", "mt" -> MEAN_TEACHER;
                default -> throw new IllegalArgumentException("unknown method '" + s
                        + "' (expected ducisc, supervised, supervised-matched or mean-teacher)");
            };
        }

        /** True for the baselines trained on the labeled cases alone. */
        public boolean labeledOnly() {
            return this == SUPERVISED || this == SUPERVISED_MATCHED;
        }

        String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /**
     * Everything a run depends on; a null patch means the data set's own (section 1 of the method
     * page); {@code padding} false turns the training crop's zero padding off.
     */
    public record Settings(Method method, int labelnum, long maxIterations, long seed, int baseFilters, int[] patch,
                           boolean padding, DuciscConfig ducisc, Path runDir, long checkpointEvery,
                           Validation validation, boolean resume) {
        int[] patchFor(Dataset dataset) {
            return patch == null ? dataset.kind().patch() : patch.clone();
        }

        /** The same run with another seed, in another folder. */
        public Settings withSeed(long otherSeed, Path otherDir) {
            return new Settings(method, labelnum, maxIterations, otherSeed, baseFilters, patch, padding, ducisc,
                    otherDir, checkpointEvery, validation, resume);
        }
    }

    /**
     * Validation as the reference does it: after iteration {@code start} and every {@code every}
     * iterations (0 = never) the student's mean Dice on {@code list} (null = the test list, as in the
     * reference) picks best.safetensors. {@code rules} are the metric rules of validation and of the
     * final test report.
     */
    public record Validation(long start, long every, Path list, MetricRules rules) {
        public Validation {
            java.util.Objects.requireNonNull(rules, "metric rules");
        }

        /** With the reference's metric rules. */
        public Validation(long start, long every, Path list) {
            this(start, every, list, MetricRules.REFERENCE);
        }

        public static Validation reference() {
            return new Validation(800, 200, null);
        }

        /** The same schedule with other metric rules. */
        public Validation withRules(MetricRules other) {
            return new Validation(start, every, list, other);
        }

        boolean due(long completedIterations) {
            return every > 0 && completedIterations >= start && completedIterations % every == 0;
        }
    }

    /**
     * What a finished run leaves: the last and best checkpoints (best is null when no validation
     * ran) and their metrics on the test list (bestTest null likewise).
     */
    public record Result(Path last, MetricSummary lastTest, Path best, long bestIteration, MetricSummary bestTest) {
    }

    /** Receives every iteration's losses and thresholds, and each validation (from the training thread). */
    public interface Listener {
        void iteration(long iteration, DuciscStep.Losses losses, Thresholds thresholds);

        /** Validation after {@code iteration} completed iterations; {@code best} when it set a new best. */
        default void validated(long iteration, double dice, boolean best) {
        }

        /** Asked after each iteration: true ends the run there, with its checkpoint and state written. */
        default boolean stopRequested() {
            return false;
        }
    }

    private Trainer() {
    }

    /** Checks the settings against the data set before anything is trained; throws one clear message. */
    public static void validate(Dataset dataset, Settings s) throws IOException {
        SettingRanges.check(s);
        dataset = dataset.holdingOut(validationCases(dataset, s));
        int train = dataset.trainCases().size();
        if (s.labelnum() < 2) {
            throw new IllegalArgumentException("labelnum must be at least the labeled batch of 2, got " + s.labelnum());
        }
        if (dataset.isNiftiFolder() && s.labelnum() > dataset.labeledCount()) {
            throw new IllegalArgumentException("labelnum " + s.labelnum() + " is larger than the "
                    + Counts.of(dataset.labeledCount(), "labeled training case")
                    + " (images with a label file, less the validation cases) of " + dataset.dir());
        }
        if (s.labelnum() > train) {
            throw new IllegalArgumentException("labelnum " + s.labelnum() + " is larger than the " + Counts.of(train, "case")
                    + " of " + dataset.dir().resolve("train.list"));
        }
        if (s.labelnum() == train && !s.method().labeledOnly()) {
            throw new IllegalArgumentException("labelnum " + s.labelnum() + " labels every training case, leaving no"
                    + " unlabeled ones for " + s.method().label() + "; method supervised gives the fully supervised upper bound");
        }
        int unlabeledBatch = loaderConfig(dataset, s).unlabeledBatch();
        if (train - s.labelnum() < unlabeledBatch) {
            throw new IllegalArgumentException("labelnum " + s.labelnum() + " leaves "
                    + Counts.of(train - s.labelnum(), "unlabeled case") + " in " + dataset.dir().resolve("train.list") + ", fewer than the unlabeled batch of "
                    + unlabeledBatch);
        }
        if (!s.padding()) {
            Augmentation crop = augmentation(dataset, s);
            for (String name : dataset.trainCases()) {
                int[] shape = dataset.readImage(name).shape();
                if (!crop.fits(shape)) {
                    throw new IllegalArgumentException("padding off: patch " + Sizes.of(s.patchFor(dataset))
                            + " does not fit inside case " + name + " of size " + Sizes.of(shape)
                            + " (without padding every side must be larger" + (crop.rotFlip() ? ", W and H either way round" : "")
                            + "); use a smaller patch or keep the padding");
                }
            }
        }
        List<String> validationCases = validationCases(dataset, s);
        if (validationCases.isEmpty() && dataset.isNiftiFolder()) {
            throw new IllegalArgumentException(dataset.dir() + ": no validation cases; list labeled training cases to hold"
                    + " out for model selection in " + dataset.dir().resolve("validation.list") + " (or give a validation list),"
                    + " so that the test cases are never used for it");
        }
        for (String name : dataset.isNiftiFolder() ? validationCases : List.<String>of()) {
            if (!dataset.hasLabel(name)) {
                throw new IllegalArgumentException("validation case '" + name + "' has no label file");
            }
        }
        if (validationCases.isEmpty() || (dataset.testCases().isEmpty() && !dataset.isNiftiFolder())) {
            throw new IllegalArgumentException((validationCases.isEmpty() && s.validation().list() != null
                    ? s.validation().list() : dataset.dir().resolve("test.list")) + ": no cases to evaluate on");
        }
        if (s.resume()) {
            Path state = s.runDir().resolve(TrainState.FILE);
            if (!Files.isRegularFile(state)) {
                throw new InvalidSettingException("resume", s.runDir() + ": no " + TrainState.FILE
                        + " there, so no run to continue");
            }
            long done = TrainState.checkConfig(state, fingerprint(configFields(dataset, s)));
            if (done >= s.maxIterations()) {
                throw new InvalidSettingException("resume", s.runDir() + ": the run already has "
                        + Counts.of(done, "iteration") + "; max iterations must be above that to continue it");
            }
        }
        if (!s.resume()) {
            RunFolder.requireNoRun(s.runDir());
        }
        try {
            Files.createDirectories(s.runDir());
        } catch (IOException e) {
            throw new IOException(s.runDir() + ": cannot create the output folder (" + FileBytes.reason(e) + ")", e);
        }
        if (!Files.isWritable(s.runDir())) {
            throw new IOException(s.runDir() + ": output folder is not writable");
        }
    }

    /**
     * Runs the training, or with {@code s.resume()} continues the run in {@code s.runDir()} from its
     * last saved state, exactly as if it had not been interrupted. At the end the last and the best
     * checkpoints are evaluated on the test list (test_metrics.csv). Runs on the CPU. The run folder is
     * owned by this run while it lasts ({@link RunFolder}); a folder that already holds a run is refused
     * unless resuming ({@link RunFolder#discard} removes an old run explicitly).
     */
    public static Result run(Dataset dataset, Settings s, Listener listener) throws IOException, InterruptedException {
        return run(dataset, s, Device.CPU, listener);
    }

    /** {@link #run(Dataset, Settings, Listener)} on {@code device}: batches are loaded on the host and copied there. */
    public static Result run(Dataset dataset, Settings s, Device device, Listener listener)
            throws IOException, InterruptedException {
        validate(dataset, s);
        try (RunFolder owned = RunFolder.lock(s.runDir())) {
            return runOwned(dataset, s, device, listener);
        }
    }

    /** The run itself, in a folder this process owns. */
    private static Result runOwned(Dataset dataset, Settings s, Device device, Listener listener)
            throws IOException, InterruptedException {
        dataset = dataset.holdingOut(validationCases(dataset, s));
        Path dir = s.runDir();
        Map<String, Object> config = configFields(dataset, s);
        RunFolderWriter.writeConfig(dir, config);
        DuciscConfig cfg = s.method() == Method.MEAN_TEACHER ? s.ducisc().meanTeacher() : s.ducisc();
        VNet.Config netConfig = VNet.Config.defaults().withBaseFilters(s.baseFilters());
        boolean semi = !s.method().labeledOnly();
        Path last = dir.resolve("last.safetensors");
        Path best = dir.resolve("best.safetensors");
        List<String> validationCases = validationCases(dataset, s);
        int[] patch = s.patchFor(dataset);
        SlidingWindow window = testWindow(dataset, patch);
        Path stateFile = dir.resolve(TrainState.FILE);
        try (VNet student = network(netConfig, device, s.seed(), false);
             VNet teacher = network(netConfig, device, s.seed(), true);
             Sgd sgd = new Sgd(student.parameters(), cfg.lr(), cfg.momentum(), cfg.weightDecay())) {
            VNet savedTeacher = semi ? teacher : null;
            TrainState.Progress progress = s.resume()
                    ? TrainState.restore(stateFile, student, savedTeacher, sgd)
                    : new TrainState.Progress(0, new Thresholds(4, cfg.thresholdInit()), 0, Double.NaN, -1);
            Thresholds thresholds = progress.thresholds();
            long start = progress.iteration();
            RunFolderWriter.startMetrics(dir, s.resume(), start);
            if (!s.resume()) {
                // From an earlier run in this folder: a kill before the first checkpoint must not leave
                // its state for --resume, nor its best weights for the report.
                Files.deleteIfExists(stateFile);
                Files.deleteIfExists(best);
            }
            try (BatchLoader loader = BatchLoader.start(dataset, loaderConfig(dataset, s), start);
                 RunFolderWriter out = RunFolderWriter.open(dir, s.resume())) {
                out.log((s.resume() ? "resume at iteration " + start + " of " : "run ") + s.method().label() + " on "
                        + dataset.dir() + (dataset.isNiftiFolder() ? " (" + dataset.layout() + ": "
                        + Counts.of(dataset.trainCases().size(), "training case") + ", " + dataset.labeledCount() + " of them labeled; "
                        + Counts.of(validationCases.size(), "validation case") + " held out)" : "")
                        + ", labelnum " + s.labelnum() + ", " + s.maxIterations() + " iterations, seed "
                        + s.seed() + ", " + student.parameterCount() + " parameters");
                int nonFinite = progress.nonFinite();
                double bestDice = progress.bestDice();
                long bestIteration = progress.bestIteration();
                for (long it = start; it < s.maxIterations(); it++) {
                    DuciscStep.Losses losses;
                    try (TrainBatch batch = loader.take();
                         Tensor image = onDevice(batch.image(), device);
                         Tensor label = onDevice(batch.label(), device)) {
                        losses = semi ? semiStep(student, teacher, sgd, thresholds, batch, image, label, it, cfg, s.seed())
                                : supervisedStep(student, sgd, batch, image, label, s.method() == Method.SUPERVISED_MATCHED);
                    }
                    if (Double.isFinite(losses.supervised())) {
                        nonFinite = 0;
                    } else if (++nonFinite >= MAX_NON_FINITE) {
                        String msg = "the supervised loss was not finite for " + MAX_NON_FINITE
                                + " iterations in a row (last at iteration " + it + "); stopping, " + last
                                + " holds the last good weights";
                        out.log(msg);
                        throw new IllegalStateException(msg);
                    } else {
                        continue;
                    }
                    out.iteration(it, loader.batchesPerEpoch(), losses, sgd.learningRate(), thresholds);
                    if (listener != null) {
                        listener.iteration(it, losses, thresholds);
                    }
                    if (s.validation().due(it + 1)) {
                        double dice = evaluate(student, dataset, validationCases, window, s.validation().rules())
                                .mean().dice();
                        boolean better = bestIteration < 0 || dice > bestDice;
                        if (better) {
                            bestDice = dice;
                            bestIteration = it + 1;
                            Checkpoint.save(best, student, metadata(dataset, s, it + 1));
                        }
                        out.log(String.format(Locale.ROOT, "iteration %d: validation Dice %.4f on %s%s", it + 1,
                                dice, Counts.of(validationCases.size(), "case"), better ? " (best so far, saved)" : ""));
                        out.validation(it + 1, dice);
                        if (listener != null) {
                            listener.validated(it + 1, dice, better);
                        }
                    }
                    boolean stop = listener != null && listener.stopRequested();
                    boolean periodic = s.checkpointEvery() > 0 && (it + 1) % s.checkpointEvery() == 0;
                    if (periodic || stop || it + 1 == s.maxIterations()) {
                        // metrics.csv first: a saved state promises every row up to its iteration.
                        out.flush();
                        Map<String, String> meta = metadata(dataset, s, it + 1);
                        Checkpoint.save(last, student, meta);
                        if (periodic) {
                            Checkpoint.save(dir.resolve("iter_" + (it + 1) + ".safetensors"), student, meta);
                        }
                        TrainState.save(stateFile, fingerprint(config), new TrainState.Progress(it + 1, thresholds,
                                nonFinite, bestDice, bestIteration), student, savedTeacher, sgd);
                        out.log(String.format(Locale.ROOT, "iteration %d: loss %.5f (sup %.5f), checkpoint %s", it + 1,
                                losses.logged(), losses.supervised(), last.getFileName()));
                    }
                    if (stop) {
                        out.log("stopped on request after iteration " + (it + 1));
                        break;
                    }
                }
                return report(dataset, s, student, last, best, bestIteration, window, out);
            }
        }
    }

    /** The test metrics of the last and the best checkpoint, logged and written to test_metrics.csv. */
    private static Result report(Dataset dataset, Settings s, VNet student, Path last, Path best, long bestIteration,
                                 SlidingWindow window, RunFolderWriter out) throws IOException {
        List<String> test = dataset.testCases();
        if (test.isEmpty()) { // a NIfTI folder without labelsTs
            test = validationCases(dataset, s);
            out.log("no labeled test cases (no labelsTs): the final report below is on the "
                    + Counts.of(test.size(), "validation case") + ", which selected the best checkpoint");
        }
        MetricRules rules = s.validation().rules();
        MetricSummary lastTest = evaluate(student, dataset, test, window, rules);
        MetricSummary bestTest = null;
        if (bestIteration >= 0) {
            try (VNet net = Checkpoint.load(best, student.device())) {
                bestTest = evaluate(net, dataset, test, window, rules);
            }
        }
        StringBuilder csv = new StringBuilder(RunFolderWriter.TEST_METRICS_HEADER);
        csv.append(RunFolderWriter.testMetricsRow("last", s.maxIterations(), lastTest, rules));
        out.log("test metrics of " + last.getFileName() + ": " + describe(lastTest));
        if (bestTest != null) {
            csv.append(RunFolderWriter.testMetricsRow("best", bestIteration, bestTest, rules));
            out.log("test metrics of " + best.getFileName() + " (iteration " + bestIteration + "): " + describe(bestTest));
        } else {
            out.log("no validation ran (it starts at iteration " + s.validation().start() + "), so there is no "
                    + best.getFileName());
        }
        out.testMetrics(csv.toString());
        return new Result(last, lastTest, bestTest == null ? null : best, bestIteration, bestTest);
    }

    /**
     * "Dice 0.8812 ± 0.0210, Jaccard ..., HD95 ..., ASD ... (n cases)", then the count of undefined
     * cases when there are any ({@link Evaluation#undefinedNote}).
     */
    public static String describe(MetricSummary m) {
        return describe(m, "case");
    }

    /**
     * As {@link #describe(MetricSummary)}, naming what the summary is over in the singular ("case", "seed"):
     * "(1 case)", "(3 seeds)".
     */
    public static String describe(MetricSummary m, String over) {
        return String.format(Locale.ROOT, "Dice %.4f ± %.4f, Jaccard %.4f ± %.4f, HD95 %.2f ± %.2f, ASD %.2f ± %.2f (%s)",
                m.mean().dice(), m.std().dice(), m.mean().jaccard(), m.std().jaccard(), m.mean().hd95(), m.std().hd95(),
                m.mean().asd(), m.std().asd(), Counts.of(m.cases(), over)) + (Evaluation.undefinedNote(m).isEmpty() ? ""
                : " " + Evaluation.undefinedNote(m));
    }

    /** The reference's evaluation (sliding window, 0.5 threshold, no post-processing) of {@code cases} under {@code rules}. */
    public static MetricSummary evaluate(VNet net, Dataset dataset, List<String> cases, SlidingWindow window,
                                         MetricRules rules) throws IOException {
        return Evaluation.summarize(Evaluation.run(net, net.device(), dataset, cases, window, false, rules, null), rules);
    }

    /** The sliding window for a training patch: the data set's strides, never longer than the patch side. */
    public static SlidingWindow testWindow(Dataset dataset, int[] patch) {
        return SlidingWindow.forTrainingPatch(dataset.kind(), patch);
    }

    private static List<String> validationCases(Dataset dataset, Settings s) throws IOException {
        return s.validation().list() == null ? dataset.validationCases() : dataset.readList(s.validation().list());
    }

    private static BatchLoader.Config loaderConfig(Dataset dataset, Settings s) {
        BatchLoader.Config ref = BatchLoader.Config.reference(dataset.kind(), s.labelnum(), s.seed());
        Augmentation aug = augmentation(dataset, s);
        // The supervised baseline reads labeled cases only.
        int unlabeled = s.method().labeledOnly() ? 0 : ref.unlabeledBatch();
        return new BatchLoader.Config(ref.labelnum(), ref.labeledBatch(), unlabeled, aug, ref.seed(), ref.prefetch());
    }

    private static Augmentation augmentation(Dataset dataset, Settings s) {
        return new Augmentation(s.patchFor(dataset), Augmentation.forKind(dataset.kind()).rotFlip(), s.padding());
    }

    /** The batch tensor itself on the CPU (its owner closes it), a device copy elsewhere; close either. */
    private static Tensor onDevice(Tensor t, Device device) {
        return device.equals(t.device()) ? t.slice(0, t.size(0)) : MemoryScope.unscoped(() -> t.to(device));
    }

    private static DuciscStep.Losses semiStep(VNet student, VNet teacher, Sgd sgd, Thresholds thresholds,
                                              TrainBatch batch, Tensor image, Tensor label, long it,
                                              DuciscConfig cfg, long seed) {
        int labeled = batch.labeledCases().size();
        int total = labeled + batch.unlabeledCases().size();
        try (Tensor lab = image.slice(0, labeled); Tensor unl = image.slice(labeled, total)) {
            double[] w = fusionWeights(seed, it, labeled, cfg);
            return DuciscStep.run(student, teacher, sgd, thresholds, new DuciscStep.Batch(lab, label, unl), w,
                    it, cfg);
        }
    }

    /**
     * The student's or the teacher's network of a run seeded {@code seed}: parameters initialised
     * from stream (seed, WEIGHTS, which), dropout masks from (seed, DROPOUT, which) (see {@link SeedStreams}).
     */
    static VNet network(VNet.Config config, Device device, long seed, boolean teacher) {
        long which = teacher ? SeedStreams.TEACHER : SeedStreams.STUDENT;
        return new VNet(config, device, SeedStreams.of(seed, SeedStreams.WEIGHTS, which),
                SeedStreams.of(seed, SeedStreams.DROPOUT, which));
    }

    /**
     * The fusion weights of iteration {@code it} (one per labeled case, uniform in the configured
     * range), from stream (seed, FUSION, it) so that a resumed run draws the same ones.
     */
    static double[] fusionWeights(long seed, long it, int labeled, DuciscConfig cfg) {
        Rng draws = SeedStreams.of(seed, SeedStreams.FUSION, it);
        double[] w = new double[labeled];
        for (int j = 0; j < labeled; j++) {
            w[j] = cfg.fusionLow() + (cfg.fusionHigh() - cfg.fusionLow()) * draws.nextDouble();
        }
        return w;
    }

    /**
     * A step of a labeled-only baseline: the plain supervised loss, or with {@code matched} DuCiSC's
     * normalised one (L_sup / sg(L_sup)).
     */
    static DuciscStep.Losses supervisedStep(VNet student, Sgd sgd, TrainBatch batch, Tensor image,
                                            Tensor label, boolean matched) {
        try (MemoryScope scope = MemoryScope.open()) {
            Tensor lab = image.slice(0, batch.labeledCases().size());
            Variable sup = SegmentationLoss.supervised(student.forward(Variable.constant(lab)).outputs(), label)
                    .total();
            double v = sup.value().item();
            double optimised = v;
            if (Double.isFinite(v)) {
                Variable loss = matched ? DuciscStep.normalised(sup, 1.0) : sup;
                optimised = loss.value().item();
                sgd.zeroGrad();
                loss.backward();
                sgd.step();
                sgd.zeroGrad();
            }
            return new DuciscStep.Losses(v, Double.NaN, Double.NaN, Double.NaN, Double.NaN, optimised, v);
        }
    }

    private static Map<String, String> metadata(Dataset dataset, Settings s, long iteration) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("iteration", Long.toString(iteration));
        m.put("dataset", dataset.kind().name());
        m.put("labelnum", Integer.toString(s.labelnum()));
        m.put("seed", Long.toString(s.seed()));
        m.put("method", s.method().label());
        return m;
    }

    /** The resolved configuration, by key, in config.json's order (values as {@link Json#write} takes them). */
    private static Map<String, Object> configFields(Dataset dataset, Settings s) {
        DuciscConfig c = s.ducisc();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("method", s.method().label());
        m.put("dataset", dataset.kind().name());
        m.put("root_path", dataset.dir().toString());
        m.put("labelnum", s.labelnum());
        m.put("max_iterations", s.maxIterations());
        m.put("seed", s.seed());
        m.put("base_filters", s.baseFilters());
        m.put("patch", s.patchFor(dataset));
        m.put("padding", s.padding());
        m.put("warmup", c.warmup());
        m.put("lamda_teacher", c.lambdaTeacher());
        m.put("lamda_mix", c.lambdaMix());
        m.put("lamda_proto", c.lambdaProto());
        m.put("lamda_mix_proto", c.lambdaMixProto());
        m.put("proto_levels", c.protoLevels());
        m.put("fusion_range", new double[] {c.fusionLow(), c.fusionHigh()});
        m.put("threshold_init", c.thresholdInit());
        m.put("threshold_decay", c.thresholdDecay());
        m.put("threshold_bounds", new double[] {c.thresholdLow(), c.thresholdHigh()});
        m.put("adaptive_thresholds", c.adaptiveThresholds());
        m.put("prototypes", c.prototypes());
        m.put("fusion", c.fusion());
        m.put("lr", c.lr());
        m.put("momentum", c.momentum());
        m.put("weight_decay", c.weightDecay());
        m.put("ema_decay", c.emaDecay());
        m.put("checkpoint_every", s.checkpointEvery());
        m.put("val_start", s.validation().start());
        m.put("val_every", s.validation().every());
        m.put("val_list", s.validation().list() == null ? null : s.validation().list().toString());
        m.put("metric_rules", s.validation().rules().label());
        // The derivation of the random streams (SeedStreams): a run started under an earlier one cannot
        // be continued draw for draw, so its --resume is refused.
        m.put("seed_streams", 2);
        return m;
    }

    /**
     * The settings a resumed run must share with the interrupted one: all but where the data lie,
     * how long to train and how often to save, none of which changes an iteration.
     */
    private static Map<String, String> fingerprint(Map<String, Object> config) {
        Map<String, String> m = new LinkedHashMap<>();
        config.forEach((k, v) -> m.put(k, Json.write(v, Json.Layout.ONE_LINE)));
        m.keySet().removeAll(List.of("root_path", "max_iterations", "checkpoint_every"));
        return m;
    }
}
