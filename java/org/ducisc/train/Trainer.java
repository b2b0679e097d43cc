package org.ducisc.train;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.ducisc.autograd.Variable;
import org.ducisc.backend.Device;
import org.ducisc.data.Augmentation;
import org.ducisc.data.BatchLoader;
import org.ducisc.data.Dataset;
import org.ducisc.data.TrainBatch;
import org.ducisc.nn.Checkpoint;
import org.ducisc.nn.SegmentationLoss;
import org.ducisc.nn.VNet;
import org.ducisc.tensor.MemoryScope;
import org.ducisc.tensor.Rng;
import org.ducisc.tensor.Tensor;

/**
 * A training run: the student (and, for the semi-supervised methods, its EMA teacher) trained on
 * two-stream batches, with a run folder holding the resolved configuration, the log, metrics.csv,
 * last.safetensors and periodic checkpoints.
 */
public final class Trainer {
    /** Consecutive non-finite supervised losses after which a run stops. */
    public static final int MAX_NON_FINITE = 10;

    public enum Method {
        DUCISC, SUPERVISED, MEAN_TEACHER;

        public static Method parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT).replace('_', '-')) {
                case "ducisc" -> DUCISC;
                case "supervised" -> SUPERVISED;
                case "mean-teacher", "meanteacher", "mt" -> MEAN_TEACHER;
                default -> throw new IllegalArgumentException("unknown method '" + s
                        + "' (expected ducisc, supervised or mean-teacher)");
            };
        }

        String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** Everything a run depends on; a null patch means the data set's own (section 1 of the method page). */
    public record Settings(Method method, int labelnum, long maxIterations, long seed, int baseFilters, int[] patch,
                           DuciscConfig ducisc, Path runDir, long checkpointEvery) {
        int[] patchFor(Dataset dataset) {
            return patch == null ? dataset.kind().patch() : patch.clone();
        }
    }

    /** Receives every iteration's losses and thresholds (from the training thread). */
    public interface Listener {
        void iteration(long iteration, DuciscStep.Losses losses, Thresholds thresholds);

        /** Asked after each iteration: true ends the run there, with its checkpoint written. */
        default boolean stopRequested() {
            return false;
        }
    }

    private Trainer() {
    }

    /** Checks the settings against the data set before anything is trained; throws one clear message. */
    public static void validate(Dataset dataset, Settings s) throws IOException {
        int train = dataset.trainCases().size();
        if (s.labelnum() < 2) {
            throw new IllegalArgumentException("--labelnum must be at least the labeled batch of 2, got " + s.labelnum());
        }
        if (s.labelnum() > train) {
            throw new IllegalArgumentException("--labelnum " + s.labelnum() + " is larger than the " + train
                    + " cases of " + dataset.dir().resolve("train.list"));
        }
        if (s.labelnum() == train && s.method() != Method.SUPERVISED) {
            throw new IllegalArgumentException("--labelnum " + s.labelnum() + " labels every training case, leaving no"
                    + " unlabeled ones for " + s.method().label() + "; --method supervised gives the fully supervised upper bound");
        }
        for (int side : s.patchFor(dataset)) {
            if (side < VNet.SIZE_MULTIPLE || side % VNet.SIZE_MULTIPLE != 0) {
                throw new IllegalArgumentException("patch " + java.util.Arrays.toString(s.patchFor(dataset))
                        + ": every side must be a positive multiple of " + VNet.SIZE_MULTIPLE);
            }
        }
        if (s.maxIterations() < 1) {
            throw new IllegalArgumentException("--max-iterations must be >= 1, got " + s.maxIterations());
        }
        Files.createDirectories(s.runDir());
        if (!Files.isWritable(s.runDir())) {
            throw new IOException(s.runDir() + ": output folder is not writable");
        }
    }

    /** Runs the training; returns the path of the last checkpoint. */
    public static Path run(Dataset dataset, Settings s, Listener listener) throws IOException, InterruptedException {
        validate(dataset, s);
        Path dir = s.runDir();
        writeConfig(dir.resolve("config.json"), dataset, s);
        DuciscConfig cfg = s.method() == Method.MEAN_TEACHER ? s.ducisc().meanTeacher() : s.ducisc();
        Rng root = new Rng(s.seed());
        VNet.Config netConfig = VNet.Config.defaults().withBaseFilters(s.baseFilters());
        boolean semi = s.method() != Method.SUPERVISED;
        Path last = dir.resolve("last.safetensors");
        try (VNet student = new VNet(netConfig, Device.CPU, root.fork(), root.fork());
             VNet teacher = new VNet(netConfig, Device.CPU, root.fork(), root.fork());
             Sgd sgd = new Sgd(student.parameters(), cfg.lr(), cfg.momentum(), cfg.weightDecay());
             BatchLoader loader = BatchLoader.start(dataset, loaderConfig(dataset, s), 0);
             BufferedWriter log = Files.newBufferedWriter(dir.resolve("log.txt"), StandardCharsets.UTF_8);
             BufferedWriter csv = Files.newBufferedWriter(dir.resolve("metrics.csv"), StandardCharsets.UTF_8)) {
            Thresholds thresholds = new Thresholds(4, cfg.thresholdInit());
            csv.write("iteration,epoch,loss,sup,cons,proto,mix,mixproto,lr,thr_bg_0,thr_bg_1,thr_bg_2,thr_bg_3,"
                    + "thr_fg_0,thr_fg_1,thr_fg_2,thr_fg_3\n");
            line(log, "run " + s.method().label() + " on " + dataset.dir() + ", labelnum " + s.labelnum() + ", "
                    + s.maxIterations() + " iterations, seed " + s.seed() + ", " + student.parameterCount() + " parameters");
            int nonFinite = 0;
            for (long it = 0; it < s.maxIterations(); it++) {
                DuciscStep.Losses losses;
                try (TrainBatch batch = loader.take()) {
                    losses = semi ? semiStep(student, teacher, sgd, thresholds, batch, it, cfg, s.seed())
                            : supervisedStep(student, sgd, batch);
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
                if (listener != null) {
                    listener.iteration(it, losses, thresholds);
                }
                boolean stop = listener != null && listener.stopRequested();
                boolean periodic = s.checkpointEvery() > 0 && (it + 1) % s.checkpointEvery() == 0;
                if (periodic || stop || it + 1 == s.maxIterations()) {
                    Map<String, String> meta = metadata(dataset, s, it + 1);
                    Checkpoint.save(last, student, meta);
                    if (periodic) {
                        Checkpoint.save(dir.resolve("iter_" + (it + 1) + ".safetensors"), student, meta);
                    }
                    csv.flush();
                    line(log, String.format(Locale.ROOT, "iteration %d: loss %.5f (sup %.5f), checkpoint %s", it + 1,
                            losses.logged(), losses.supervised(), last.getFileName()));
                }
                if (stop) {
                    line(log, "stopped on request after iteration " + (it + 1));
                    break;
                }
            }
        }
        return last;
    }

    private static BatchLoader.Config loaderConfig(Dataset dataset, Settings s) {
        BatchLoader.Config ref = BatchLoader.Config.reference(dataset.kind(), s.labelnum(), s.seed());
        Augmentation aug = new Augmentation(s.patchFor(dataset), ref.augmentation().rotFlip());
        // The supervised baseline reads labeled cases only.
        int unlabeled = s.method() == Method.SUPERVISED ? 0 : ref.unlabeledBatch();
        return new BatchLoader.Config(ref.labelnum(), ref.labeledBatch(), unlabeled, aug, ref.seed(), ref.prefetch());
    }

    private static DuciscStep.Losses semiStep(VNet student, VNet teacher, Sgd sgd, Thresholds thresholds,
                                              TrainBatch batch, long it, DuciscConfig cfg, long seed) {
        int labeled = batch.labeledCases().size();
        int total = labeled + batch.unlabeledCases().size();
        Tensor image = batch.image();
        try (Tensor lab = image.slice(0, labeled); Tensor unl = image.slice(labeled, total)) {
            // Fusion weights from a generator of their own per iteration, so a resumed run draws the same ones.
            Rng draws = new Rng(seed * 0x9E3779B97F4A7C15L + it);
            double[] w = new double[labeled];
            for (int j = 0; j < labeled; j++) {
                w[j] = cfg.fusionLow() + (cfg.fusionHigh() - cfg.fusionLow()) * draws.nextDouble();
            }
            return DuciscStep.run(student, teacher, sgd, thresholds, new DuciscStep.Batch(lab, batch.label(), unl), w,
                    it, cfg);
        }
    }

    private static DuciscStep.Losses supervisedStep(VNet student, Sgd sgd, TrainBatch batch) {
        try (MemoryScope scope = MemoryScope.open()) {
            Tensor lab = batch.image().slice(0, batch.labeledCases().size());
            Variable sup = SegmentationLoss.supervised(student.forward(Variable.constant(lab)).outputs(), batch.label())
                    .total();
            double v = sup.value().item();
            if (Double.isFinite(v)) {
                sgd.zeroGrad();
                sup.backward();
                sgd.step();
                sgd.zeroGrad();
            }
            return new DuciscStep.Losses(v, Double.NaN, Double.NaN, Double.NaN, Double.NaN, v, v);
        }
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

    private static void writeConfig(Path file, Dataset dataset, Settings s) throws IOException {
        DuciscConfig c = s.ducisc();
        StringBuilder b = new StringBuilder("{\n");
        List<String[]> fields = List.of(
                new String[] {"method", q(s.method().label())}, new String[] {"dataset", q(dataset.kind().name())},
                new String[] {"root_path", q(dataset.dir().toString())},
                new String[] {"labelnum", Integer.toString(s.labelnum())},
                new String[] {"max_iterations", Long.toString(s.maxIterations())},
                new String[] {"seed", Long.toString(s.seed())}, new String[] {"base_filters", Integer.toString(s.baseFilters())},
                new String[] {"patch", java.util.Arrays.toString(s.patchFor(dataset))},
                new String[] {"warmup", Long.toString(c.warmup())},
                new String[] {"lamda_teacher", Double.toString(c.lambdaTeacher())},
                new String[] {"lamda_mix", Double.toString(c.lambdaMix())},
                new String[] {"lamda_proto", Double.toString(c.lambdaProto())},
                new String[] {"lamda_mix_proto", Double.toString(c.lambdaMixProto())},
                new String[] {"proto_levels", Integer.toString(c.protoLevels())},
                new String[] {"fusion_range", "[" + c.fusionLow() + ", " + c.fusionHigh() + "]"},
                new String[] {"threshold_init", Double.toString(c.thresholdInit())},
                new String[] {"threshold_decay", Double.toString(c.thresholdDecay())},
                new String[] {"threshold_bounds", "[" + c.thresholdLow() + ", " + c.thresholdHigh() + "]"},
                new String[] {"adaptive_thresholds", Boolean.toString(c.adaptiveThresholds())},
                new String[] {"prototypes", Boolean.toString(c.prototypes())},
                new String[] {"fusion", Boolean.toString(c.fusion())},
                new String[] {"lr", Double.toString(c.lr())}, new String[] {"momentum", Double.toString(c.momentum())},
                new String[] {"weight_decay", Double.toString(c.weightDecay())},
                new String[] {"ema_decay", Double.toString(c.emaDecay())},
                new String[] {"checkpoint_every", Long.toString(s.checkpointEvery())});
        for (int i = 0; i < fields.size(); i++) {
            b.append("  \"").append(fields.get(i)[0]).append("\": ").append(fields.get(i)[1])
                    .append(i + 1 < fields.size() ? ",\n" : "\n");
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, b.append("}\n"), StandardCharsets.UTF_8);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static String q(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static void line(BufferedWriter log, String text) throws IOException {
        log.write(java.time.Instant.now() + " " + text + "\n");
        log.flush();
    }
}
