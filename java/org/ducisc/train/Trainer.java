package org.ducisc.train;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.ducisc.autograd.Variable;
import org.ducisc.core.Device;
import org.ducisc.data.Augmentation;
import org.ducisc.data.BatchLoader;
import org.ducisc.data.Dataset;
import org.ducisc.data.SeedStreams;
import org.ducisc.data.TrainBatch;
import org.ducisc.eval.Evaluation;
import org.ducisc.eval.MetricRules;
import org.ducisc.eval.MetricSummary;
import org.ducisc.eval.SlidingWindow;
import org.ducisc.io.EventWriter;
import org.ducisc.io.FileBytes;
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
            throw new IllegalArgumentException("--labelnum must be at least the labeled batch of 2, got " + s.labelnum());
        }
        if (dataset.isNiftiFolder() && s.labelnum() > dataset.labeledCount()) {
            throw new IllegalArgumentException("--labelnum " + s.labelnum() + " is larger than the " + dataset.labeledCount()
                    + " labeled training cases (images with a label file, less the validation cases) of " + dataset.dir());
        }
        if (s.labelnum() > train) {
            throw new IllegalArgumentException("--labelnum " + s.labelnum() + " is larger than the " + train
                    + " cases of " + dataset.dir().resolve("train.list"));
        }
        if (s.labelnum() == train && !s.method().labeledOnly()) {
            throw new IllegalArgumentException("--labelnum " + s.labelnum() + " labels every training case, leaving no"
                    + " unlabeled ones for " + s.method().label() + "; --method supervised gives the fully supervised upper bound");
        }
        int unlabeledBatch = loaderConfig(dataset, s).unlabeledBatch();
        if (train - s.labelnum() < unlabeledBatch) {
            throw new IllegalArgumentException("labelnum " + s.labelnum() + " leaves " + (train - s.labelnum())
                    + " unlabeled case(s) in " + dataset.dir().resolve("train.list") + ", fewer than the unlabeled batch of "
                    + unlabeledBatch);
        }
        for (int side : s.patchFor(dataset)) {
            if (side < VNet.SIZE_MULTIPLE || side % VNet.SIZE_MULTIPLE != 0) {
                throw new IllegalArgumentException("patch " + java.util.Arrays.toString(s.patchFor(dataset))
                        + ": every side must be a positive multiple of " + VNet.SIZE_MULTIPLE);
            }
        }
        if (!s.padding()) {
            Augmentation crop = augmentation(dataset, s);
            for (String name : dataset.trainCases()) {
                int[] shape = dataset.readImage(name).shape();
                if (!crop.fits(shape)) {
                    throw new IllegalArgumentException("--no-pad: patch " + java.util.Arrays.toString(s.patchFor(dataset))
                            + " does not fit inside case " + name + " of size " + java.util.Arrays.toString(shape)
                            + " (without padding every side must be larger" + (crop.rotFlip() ? ", W and H either way round" : "")
                            + "); use a smaller --patch or keep the padding");
                }
            }
        }
        if (s.maxIterations() < 1) {
            throw new IllegalArgumentException("--max-iterations must be >= 1, got " + s.maxIterations());
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
                throw new IllegalArgumentException("--resume " + s.runDir() + ": no " + TrainState.FILE
                        + " there, so no run to continue");
            }
            long done = TrainState.checkConfig(state, fingerprint(configFields(dataset, s)));
            if (done >= s.maxIterations()) {
                throw new IllegalArgumentException("--resume " + s.runDir() + ": the run already has " + done
                        + " iterations; give --max-iterations above that to continue it");
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
        Map<String, String> config = configFields(dataset, s);
        writeConfig(dir.resolve("config.json"), config);
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
            Path csvFile = dir.resolve("metrics.csv");
            if (s.resume()) {
                keepRowsUpTo(csvFile, start);
            } else {
                Files.writeString(csvFile, CSV_HEADER, StandardCharsets.UTF_8);
                // From an earlier run in this folder: a kill before the first checkpoint must not leave
                // its state for --resume, nor its best weights for the report.
                Files.deleteIfExists(stateFile);
                Files.deleteIfExists(best);
            }
            try (BatchLoader loader = BatchLoader.start(dataset, loaderConfig(dataset, s), start);
                 BufferedWriter log = Files.newBufferedWriter(dir.resolve("log.txt"), StandardCharsets.UTF_8,
                         StandardOpenOption.CREATE, s.resume() ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
                 BufferedWriter csv = Files.newBufferedWriter(csvFile, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
                 EventWriter events = new EventWriter(dir)) {
                line(log, (s.resume() ? "resume at iteration " + start + " of " : "run ") + s.method().label() + " on "
                        + dataset.dir() + (dataset.isNiftiFolder() ? " (" + dataset.layout() + ": " + dataset.trainCases().size()
                        + " training cases, " + dataset.labeledCount() + " of them labeled; " + validationCases.size()
                        + " validation cases held out)" : "")
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
                        line(log, msg);
                        throw new IllegalStateException(msg);
                    } else {
                        continue;
                    }
                    csv.write(csvRow(it, loader.batchesPerEpoch(), losses, sgd.learningRate(), thresholds));
                    events.scalars(it + 1, scalars(losses, sgd.learningRate(), thresholds));
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
                        line(log, String.format(Locale.ROOT, "iteration %d: validation Dice %.4f on %d cases%s", it + 1,
                                dice, validationCases.size(), better ? " (best so far, saved)" : ""));
                        events.scalars(it + 1, Map.of("val/dice", dice));
                        if (listener != null) {
                            listener.validated(it + 1, dice, better);
                        }
                    }
                    boolean stop = listener != null && listener.stopRequested();
                    boolean periodic = s.checkpointEvery() > 0 && (it + 1) % s.checkpointEvery() == 0;
                    if (periodic || stop || it + 1 == s.maxIterations()) {
                        // metrics.csv first: a saved state promises every row up to its iteration.
                        csv.flush();
                        events.flush();
                        Map<String, String> meta = metadata(dataset, s, it + 1);
                        Checkpoint.save(last, student, meta);
                        if (periodic) {
                            Checkpoint.save(dir.resolve("iter_" + (it + 1) + ".safetensors"), student, meta);
                        }
                        TrainState.save(stateFile, fingerprint(config), new TrainState.Progress(it + 1, thresholds,
                                nonFinite, bestDice, bestIteration), student, savedTeacher, sgd);
                        line(log, String.format(Locale.ROOT, "iteration %d: loss %.5f (sup %.5f), checkpoint %s", it + 1,
                                losses.logged(), losses.supervised(), last.getFileName()));
                    }
                    if (stop) {
                        line(log, "stopped on request after iteration " + (it + 1));
                        break;
                    }
                }
                return report(dataset, s, student, last, best, bestIteration, window, log);
            }
        }
    }

    /** The test metrics of the last and the best checkpoint, logged and written to test_metrics.csv. */
    private static Result report(Dataset dataset, Settings s, VNet student, Path last, Path best, long bestIteration,
                                 SlidingWindow window, BufferedWriter log) throws IOException {
        List<String> test = dataset.testCases();
        if (test.isEmpty()) { // a NIfTI folder without labelsTs
            test = validationCases(dataset, s);
            line(log, "no labeled test cases (no labelsTs): the final report below is on the " + test.size()
                    + " validation cases, which selected the best checkpoint");
        }
        MetricRules rules = s.validation().rules();
        MetricSummary lastTest = evaluate(student, dataset, test, window, rules);
        MetricSummary bestTest = null;
        if (bestIteration >= 0) {
            try (VNet net = Checkpoint.load(best, student.parameters().get(0).value().device())) {
                bestTest = evaluate(net, dataset, test, window, rules);
            }
        }
        StringBuilder csv = new StringBuilder("checkpoint,iteration,cases,dice,dice_std,jaccard,jaccard_std,hd95,hd95_std,"
                + "asd,asd_std,undefined_cases,metric_rules\n");
        csv.append(reportRow("last", s.maxIterations(), lastTest, rules));
        line(log, "test metrics of " + last.getFileName() + ": " + describe(lastTest));
        if (bestTest != null) {
            csv.append(reportRow("best", bestIteration, bestTest, rules));
            line(log, "test metrics of " + best.getFileName() + " (iteration " + bestIteration + "): " + describe(bestTest));
        } else {
            line(log, "no validation ran (it starts at iteration " + s.validation().start() + "), so there is no "
                    + best.getFileName());
        }
        FileBytes.writeText(s.runDir().resolve("test_metrics.csv"), csv.toString());
        return new Result(last, lastTest, bestTest == null ? null : best, bestIteration, bestTest);
    }

    private static String reportRow(String name, long iteration, MetricSummary m, MetricRules rules) {
        return String.format(Locale.ROOT, "%s,%d,%d,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%d,%s%n", name, iteration,
                m.cases(), m.mean().dice(), m.std().dice(), m.mean().jaccard(), m.std().jaccard(), m.mean().hd95(),
                m.std().hd95(), m.mean().asd(), m.std().asd(), m.undefined(), rules.label());
    }

    /**
     * "Dice 0.8812 ± 0.0210, Jaccard ..., HD95 ..., ASD ... (n cases)", then the count of undefined
     * cases when there are any ({@link Evaluation#undefinedNote}).
     */
    public static String describe(MetricSummary m) {
        return describe(m, "cases");
    }

    /** As {@link #describe(MetricSummary)}, naming what the summary is over ("cases", "seeds"). */
    public static String describe(MetricSummary m, String over) {
        return String.format(Locale.ROOT, "Dice %.4f ± %.4f, Jaccard %.4f ± %.4f, HD95 %.2f ± %.2f, ASD %.2f ± %.2f (%d %s)",
                m.mean().dice(), m.std().dice(), m.mean().jaccard(), m.std().jaccard(), m.mean().hd95(), m.std().hd95(),
                m.mean().asd(), m.std().asd(), m.cases(), over) + (Evaluation.undefinedNote(m).isEmpty() ? ""
                : " " + Evaluation.undefinedNote(m));
    }

    /** The reference's evaluation (sliding window, 0.5 threshold, no post-processing) of {@code cases} under {@code rules}. */
    public static MetricSummary evaluate(VNet net, Dataset dataset, List<String> cases, SlidingWindow window,
                                         MetricRules rules) throws IOException {
        return Evaluation.summarize(Evaluation.run(net, dataset, cases, window, false, rules, null), rules);
    }

    /** The sliding window for a training patch: the data set's strides, never longer than the patch side. */
    public static SlidingWindow testWindow(Dataset dataset, int[] patch) {
        int xy = Math.min(dataset.kind().strideXY(), Math.min(patch[0], patch[1]));
        return new SlidingWindow(patch, xy, Math.min(dataset.kind().strideZ(), patch[2]));
    }

    private static List<String> validationCases(Dataset dataset, Settings s) throws IOException {
        return s.validation().list() == null ? dataset.validationCases() : dataset.readList(s.validation().list());
    }

    private static final String CSV_HEADER = "iteration,epoch,loss,sup,cons,proto,mix,mixproto,lr,"
            + "thr_bg_0,thr_bg_1,thr_bg_2,thr_bg_3,thr_fg_0,thr_fg_1,thr_fg_2,thr_fg_3\n";

    /**
     * Drops the rows after {@code iteration} (written after the state was saved, or cut short by a
     * kill), rewriting the file atomically.
     */
    private static void keepRowsUpTo(Path csvFile, long iteration) throws IOException {
        List<String> lines = Files.exists(csvFile) ? Files.readAllLines(csvFile, StandardCharsets.UTF_8) : List.of();
        StringBuilder kept = new StringBuilder(CSV_HEADER);
        for (String row : lines.subList(Math.min(1, lines.size()), lines.size())) {
            int comma = row.indexOf(',');
            if (comma > 0 && Long.parseLong(row.substring(0, comma)) <= iteration) {
                kept.append(row).append('\n');
            }
        }
        FileBytes.writeText(csvFile, kept.toString());
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

    private static Map<String, String> metadata(Dataset dataset, Settings s, long iteration) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("iteration", Long.toString(iteration));
        m.put("dataset", dataset.kind().name());
        m.put("labelnum", Integer.toString(s.labelnum()));
        m.put("seed", Long.toString(s.seed()));
        m.put("method", s.method().label());
        return m;
    }

    /** The resolved configuration, as JSON values by key, in config.json's order. */
    private static Map<String, String> configFields(Dataset dataset, Settings s) {
        DuciscConfig c = s.ducisc();
        Map<String, String> m = new LinkedHashMap<>();
        m.put("method", q(s.method().label()));
        m.put("dataset", q(dataset.kind().name()));
        m.put("root_path", q(dataset.dir().toString()));
        m.put("labelnum", Integer.toString(s.labelnum()));
        m.put("max_iterations", Long.toString(s.maxIterations()));
        m.put("seed", Long.toString(s.seed()));
        m.put("base_filters", Integer.toString(s.baseFilters()));
        m.put("patch", java.util.Arrays.toString(s.patchFor(dataset)));
        m.put("padding", Boolean.toString(s.padding()));
        m.put("warmup", Long.toString(c.warmup()));
        m.put("lamda_teacher", Double.toString(c.lambdaTeacher()));
        m.put("lamda_mix", Double.toString(c.lambdaMix()));
        m.put("lamda_proto", Double.toString(c.lambdaProto()));
        m.put("lamda_mix_proto", Double.toString(c.lambdaMixProto()));
        m.put("proto_levels", Integer.toString(c.protoLevels()));
        m.put("fusion_range", "[" + c.fusionLow() + ", " + c.fusionHigh() + "]");
        m.put("threshold_init", Double.toString(c.thresholdInit()));
        m.put("threshold_decay", Double.toString(c.thresholdDecay()));
        m.put("threshold_bounds", "[" + c.thresholdLow() + ", " + c.thresholdHigh() + "]");
        m.put("adaptive_thresholds", Boolean.toString(c.adaptiveThresholds()));
        m.put("prototypes", Boolean.toString(c.prototypes()));
        m.put("fusion", Boolean.toString(c.fusion()));
        m.put("lr", Double.toString(c.lr()));
        m.put("momentum", Double.toString(c.momentum()));
        m.put("weight_decay", Double.toString(c.weightDecay()));
        m.put("ema_decay", Double.toString(c.emaDecay()));
        m.put("checkpoint_every", Long.toString(s.checkpointEvery()));
        m.put("val_start", Long.toString(s.validation().start()));
        m.put("val_every", Long.toString(s.validation().every()));
        m.put("val_list", s.validation().list() == null ? "null" : q(s.validation().list().toString()));
        m.put("metric_rules", q(s.validation().rules().label()));
        // The derivation of the random streams (SeedStreams): a run started under an earlier one cannot
        // be continued draw for draw, so its --resume is refused.
        m.put("seed_streams", "2");
        return m;
    }

    /**
     * The settings a resumed run must share with the interrupted one: all but where the data lie,
     * how long to train and how often to save, none of which changes an iteration.
     */
    private static Map<String, String> fingerprint(Map<String, String> config) {
        Map<String, String> m = new LinkedHashMap<>(config);
        m.keySet().removeAll(List.of("root_path", "max_iterations", "checkpoint_every"));
        return m;
    }

    private static void writeConfig(Path file, Map<String, String> fields) throws IOException {
        StringBuilder b = new StringBuilder("{\n");
        int i = 0;
        for (Map.Entry<String, String> e : fields.entrySet()) {
            b.append("  \"").append(e.getKey()).append("\": ").append(e.getValue())
                    .append(++i < fields.size() ? ",\n" : "\n");
        }
        FileBytes.writeText(file, b.append("}\n").toString());
    }

    private static String q(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static void line(BufferedWriter log, String text) throws IOException {
        log.write(java.time.Instant.now() + " " + text + "\n");
        log.flush();
    }
}
