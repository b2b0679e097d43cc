package org.ducisc.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.ducisc.data.DatasetKind;
import org.ducisc.eval.SlidingWindow;
import org.ducisc.io.Json;

/**
 * The sliding window a training run used for its own test report, read from the {@code config.json} in the
 * checkpoint's folder (written by {@code ./ducisc train} and the demo): its {@code patch} and its
 * {@code dataset}'s strides cut to the patch ({@link SlidingWindow#forTrainingPatch}, as the run's validation and
 * final test use them).
 *
 * @param config the config.json it came from
 * @param kind   the run's data set
 * @param patch  the run's training patch (W, H, D) in voxels
 */
record RunWindow(Path config, DatasetKind kind, int[] patch) {
    /**
     * The run's window when {@code checkpoint} sits beside a config.json of a training run (an object with
     * {@code "dataset"} and {@code "patch"} keys), else null: a folder without one, or with some other
     * program's config.json, gives no window.
     *
     * @throws IllegalArgumentException a run's config.json whose dataset or patch cannot be used (names the file)
     * @throws IOException              the config.json cannot be read
     */
    static RunWindow beside(Path checkpoint) throws IOException {
        Path folder = checkpoint.toAbsolutePath().getParent();
        Path config = folder == null ? null : folder.resolve("config.json");
        if (config == null || !Files.isRegularFile(config)) {
            return null;
        }
        Object doc;
        try {
            doc = Json.read(Files.readString(config));
        } catch (IllegalArgumentException | java.nio.charset.CharacterCodingException e) {
            return null; // not JSON: not a run's configuration
        }
        if (!(doc instanceof Map<?, ?> map) || !map.containsKey("dataset") || !map.containsKey("patch")) {
            return null;
        }
        try {
            if (!(map.get("dataset") instanceof String name)) {
                throw new IllegalArgumentException("\"dataset\" is " + map.get("dataset") + ", expected a data set name");
            }
            DatasetKind kind = DatasetKind.parse(name);
            if (!(map.get("patch") instanceof List<?> sides) || sides.size() != 3) {
                throw new IllegalArgumentException("\"patch\" is " + map.get("patch") + ", expected [W, H, D]");
            }
            int[] patch = new int[3];
            for (int a = 0; a < 3; a++) {
                if (!(sides.get(a) instanceof Long side) || side < 1 || side > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException("\"patch\" is " + sides + ", expected three positive sizes");
                }
                patch[a] = (int) (long) side;
            }
            return new RunWindow(config, kind, patch);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(config + ": " + e.getMessage(), e);
        }
    }

    /** The run's data set's strides cut to {@code patch} (W, H, D): {xy, z} ({@link DatasetKind#strides}). */
    int[] strides(int[] patch) {
        return kind.strides(patch);
    }
}
