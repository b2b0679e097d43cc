package org.ducisc.backend.cpu;

import org.ducisc.core.Device;
import org.ducisc.tensor.Convolutions;
import org.ducisc.tensor.MemoryScope;
import org.ducisc.tensor.Rng;
import org.ducisc.tensor.Tensor;

/**
 * Prints a hash of the bits of conv3d forward, backward-data and backward-weight at deep, small
 * geometries (batch 1 and 2, channel groups, joined slices, the channels-last weight gradient with
 * several tasks), for ConvSplitTest to compare across ducisc.threads.
 */
public final class ConvDigest {
    private ConvDigest() {
    }

    public static void main(String[] args) {
        int[] one = {1, 1, 1};
        int[][] geometries = {{1, 19, 37, 6, 2, 3}, {2, 16, 41, 5, 7, 9}, {1, 48, 24, 3, 5, 4}};
        StringBuilder sb = new StringBuilder();
        try (MemoryScope scope = MemoryScope.open()) {
            Rng rng = new Rng(29);
            for (int[] g : geometries) {
                Tensor x = Tensor.normal(Device.CPU, rng, 0, 1, g[0], g[1], g[3], g[4], g[5]);
                Tensor w = Tensor.normal(Device.CPU, rng, 0, 0.2, g[2], g[1], 3, 3, 3);
                Tensor b = Tensor.normal(Device.CPU, rng, 0, 0.5, g[2]);
                Tensor gy = Tensor.normal(Device.CPU, rng, 0, 1, g[0], g[2], g[3], g[4], g[5]);
                sb.append("forward ").append(hash(Convolutions.conv3d(x, w, b, one, one).toFloatArray()));
                sb.append(" backwardData ").append(hash(Convolutions.conv3dBackwardData(gy, w, x.shape(), one, one)
                        .toFloatArray()));
                sb.append(" backwardWeight ").append(hash(Convolutions.conv3dBackwardWeight(x, gy, w.shape(), one,
                        one).toFloatArray())).append('\n');
            }
        }
        System.out.print(sb);
    }

    private static long hash(float[] a) {
        long h = 1125899906842597L;
        for (float v : a) {
            h = 31 * h + Float.floatToRawIntBits(v);
        }
        return h;
    }
}
