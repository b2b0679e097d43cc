package org.ducisc.api;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.ducisc.core.Device;
import org.ducisc.nn.Checkpoint;
import org.ducisc.nn.VNet;
import org.ducisc.tensor.Rng;
import org.ducisc.testing.DeterministicWeights;

/** Small checkpoints and volumes for the API tests. */
final class TinyModels {
    private TinyModels() {
    }

    /**
     * A 4-filter V-Net saved as a checkpoint, as ./ducisc train would save it, with the formula weights
     * of the parity tests (He-scaled, so its output labels part of a random volume, unlike a fresh
     * network's).
     */
    static Path checkpoint(Path dir) throws IOException {
        Path file = dir.resolve("tiny.safetensors");
        try (VNet net = new VNet(VNet.Config.defaults().withBaseFilters(4), Device.CPU, new Rng(1), new Rng(2))) {
            DeterministicWeights.fill(net);
            Checkpoint.save(file, net, Map.of("iteration", "1"));
        }
        return file;
    }

    /** Gaussian intensities of the given shape (fresh per seed). */
    static float[] volume(int[] shape, long seed) {
        Rng rng = new Rng(seed);
        float[] v = new float[shape[0] * shape[1] * shape[2]];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rng.nextGaussian();
        }
        return v;
    }

    /** A ball of foreground in the middle of the volume. */
    static byte[] ball(int[] shape) {
        byte[] b = new byte[shape[0] * shape[1] * shape[2]];
        double r = Math.min(shape[0], Math.min(shape[1], shape[2])) / 3.0;
        for (int x = 0; x < shape[0]; x++) {
            for (int y = 0; y < shape[1]; y++) {
                for (int z = 0; z < shape[2]; z++) {
                    double dx = x - shape[0] / 2.0;
                    double dy = y - shape[1] / 2.0;
                    double dz = z - shape[2] / 2.0;
                    b[(x * shape[1] + y) * shape[2] + z] = (byte) (dx * dx + dy * dy + dz * dz < r * r ? 1 : 0);
                }
            }
        }
        return b;
    }
}
