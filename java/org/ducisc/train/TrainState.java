package org.ducisc.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ducisc.core.Device;
import org.ducisc.core.InvalidSettingException;
import org.ducisc.io.Safetensors;
import org.ducisc.nn.Checkpoint;
import org.ducisc.nn.VNet;
import org.ducisc.tensor.MemoryScope;
import org.ducisc.tensor.Tensor;

/**
 * Everything {@code --resume} needs to continue a run exactly, in one safetensors file written
 * atomically: the student and teacher state dicts ({@code student.*}, {@code teacher.*}), the SGD
 * momentum per parameter ({@code momentum.*}), and in the metadata the iteration, the thresholds,
 * both dropout generators, the non-finite streak, the best validation Dice, and the configuration
 * the run was started with ({@code config.*}). The batches and the fusion weights are functions of
 * (seed, iteration) alone, so the iteration is their whole state.
 */
final class TrainState {
    static final String FILE = "state.safetensors";
    private static final String CONFIG_PREFIX = "config.";

    /** The scalar part of the state. */
    record Progress(long iteration, Thresholds thresholds, int nonFinite, double bestDice, long bestIteration) {
    }

    private TrainState() {
    }

    /** Writes the state after {@code progress.iteration()} completed iterations; the teacher may be null. */
    static void save(Path file, Map<String, String> config, Progress progress, VNet student, VNet teacher, Sgd sgd)
            throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        config.forEach((k, v) -> meta.put(CONFIG_PREFIX + k, v));
        meta.put("iteration", Long.toString(progress.iteration()));
        meta.put("thresholds.background", join(progress.thresholds().backgroundValues()));
        meta.put("thresholds.foreground", join(progress.thresholds().foregroundValues()));
        meta.put("non_finite", Integer.toString(progress.nonFinite()));
        meta.put("best_dice", Double.toString(progress.bestDice()));
        meta.put("best_iteration", Long.toString(progress.bestIteration()));
        meta.put("rng.student_dropout", join(student.dropoutRng().snapshot()));
        List<Safetensors.Entry> entries = new ArrayList<>(Checkpoint.entries("student.", student.stateDict()));
        if (teacher != null) {
            meta.put("rng.teacher_dropout", join(teacher.dropoutRng().snapshot()));
            entries.addAll(Checkpoint.entries("teacher.", teacher.stateDict()));
        }
        List<String> names = new ArrayList<>(student.namedParameters().keySet());
        List<Tensor> momentum = sgd.momentumBuffers();
        for (int i = 0; i < names.size(); i++) {
            entries.add(Safetensors.Entry.of("momentum." + names.get(i), momentum.get(i)));
        }
        Safetensors.write(file, entries, meta);
    }

    /**
     * Throws one line naming every setting in which the saved run and {@code config} differ, each with both
     * values ({@link InvalidSettingException} of setting {@code resume}), before anything is loaded; returns the
     * saved iteration.
     */
    static long checkConfig(Path file, Map<String, String> config) throws IOException {
        try (Safetensors st = Safetensors.read(file)) {
            Map<String, String> saved = new LinkedHashMap<>();
            st.metadata().forEach((k, v) -> {
                if (k.startsWith(CONFIG_PREFIX)) {
                    saved.put(k.substring(CONFIG_PREFIX.length()), v);
                }
            });
            List<String> differing = new ArrayList<>();
            for (String key : union(saved.keySet(), config.keySet())) {
                String was = saved.get(key);
                String now = config.get(key);
                if (was == null || !was.equals(now)) {
                    differing.add(key + " " + (was == null ? "(unset)" : was) + " (here " + (now == null ? "(unset)" : now)
                            + ")");
                }
            }
            if (!differing.isEmpty()) {
                throw new InvalidSettingException("resume", file.getParent() + ": the run was started with other settings: "
                        + String.join(", ", differing) + "; resume with the same settings or start a new run");
            }
            try {
                return Long.parseLong(required(st.metadata(), "iteration", file));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(file + ": damaged training state (its iteration '"
                        + st.metadata().get("iteration") + "' is not a whole number)", e);
            }
        }
    }

    /** Loads the state into the (freshly built) networks and optimiser; returns the scalar progress. */
    static Progress restore(Path file, VNet student, VNet teacher, Sgd sgd) throws IOException {
        try (Safetensors st = Safetensors.read(file); MemoryScope scope = MemoryScope.open()) {
            Map<String, String> meta = st.metadata();
            student.loadStateDict(Checkpoint.readState(st, student.stateDict(), "student.", Device.CPU));
            student.dropoutRng().restore(longs(meta, "rng.student_dropout", file));
            if (teacher != null) {
                teacher.loadStateDict(Checkpoint.readState(st, teacher.stateDict(), "teacher.", Device.CPU));
                teacher.dropoutRng().restore(longs(meta, "rng.teacher_dropout", file));
            }
            List<String> names = new ArrayList<>(student.namedParameters().keySet());
            List<Tensor> momentum = sgd.momentumBuffers();
            for (int i = 0; i < names.size(); i++) {
                Checkpoint.checkValues(st, "momentum." + names.get(i), false);
                momentum.get(i).copyFrom(st.tensor("momentum." + names.get(i)));
            }
            Thresholds thresholds = new Thresholds(doubles(meta, "thresholds.background", file),
                    doubles(meta, "thresholds.foreground", file));
            return new Progress(Long.parseLong(required(meta, "iteration", file)), thresholds,
                    Integer.parseInt(required(meta, "non_finite", file)),
                    Double.parseDouble(required(meta, "best_dice", file)),
                    Long.parseLong(required(meta, "best_iteration", file)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(file + ": damaged training state (a number in its metadata is not one: "
                    + e.getMessage().replace("For input string: ", "") + ")", e);
        }
    }

    private static List<String> union(java.util.Set<String> a, java.util.Set<String> b) {
        List<String> keys = new ArrayList<>(a);
        for (String k : b) {
            if (!a.contains(k)) {
                keys.add(k);
            }
        }
        return keys;
    }

    private static String join(double[] values) {
        StringBuilder b = new StringBuilder();
        for (double v : values) {
            b.append(b.isEmpty() ? "" : ",").append(v); // Double.toString round-trips exactly
        }
        return b.toString();
    }

    private static String join(long[] values) {
        StringBuilder b = new StringBuilder();
        for (long v : values) {
            b.append(b.isEmpty() ? "" : ",").append(v);
        }
        return b.toString();
    }

    private static String required(Map<String, String> meta, String key, Path file) {
        String v = meta.get(key);
        if (v == null) {
            throw new IllegalArgumentException(file + ": not a training state (no '" + key + "' in its metadata)");
        }
        return v;
    }

    private static double[] doubles(Map<String, String> meta, String key, Path file) {
        return Arrays.stream(required(meta, key, file).split(",")).mapToDouble(Double::parseDouble).toArray();
    }

    private static long[] longs(Map<String, String> meta, String key, Path file) {
        return Arrays.stream(required(meta, key, file).split(",")).mapToLong(Long::parseLong).toArray();
    }
}
