package org.ducisc.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.ducisc.core.Device;
import org.junit.jupiter.api.Test;

/**
 * The fused conv3d + ReLU (Backend.conv3dForwardRelu, used by folded eval-mode inference) equals
 * conv3d followed by relu bitwise, on the stride-1 kernel and on the im2col one (stride 2), odd
 * sizes, with and without bias. The 3x3x3 stride-1 padding-1 case goes to the CPU backend's Winograd
 * kernel, which rounds differently from the direct one: padding 2 keeps the stride-1 direct kernel
 * here, and CpuWinogradTest checks the Winograd path against it.
 */
class ConvReluTest {
    @Test
    void fusedReluEqualsConvThenReluBitwise() {
        long seed = 71;
        System.out.println("ConvReluTest seed " + seed);
        Rng rng = new Rng(seed);
        int[][] geometries = {{3, 5, 3, 1, 2}, {2, 7, 2, 2, 0}, {1, 4, 1, 1, 0}}; // cin, cout, k, stride, pad
        try (MemoryScope scope = MemoryScope.open()) {
            for (int[] g : geometries) {
                int[] s = {g[3], g[3], g[3]};
                int[] p = {g[4], g[4], g[4]};
                Tensor x = Tensor.normal(Device.CPU, rng, 0, 1, 2, g[0], 7, 9, 11);
                Tensor w = Tensor.normal(Device.CPU, rng, 0, 0.3, g[1], g[0], g[2], g[2], g[2]);
                Tensor b = Tensor.normal(Device.CPU, rng, 0, 0.5, g[1]);
                for (Tensor bias : new Tensor[] {b, null}) {
                    float[] expected = Elementwise.relu(Convolutions.conv3d(x, w, bias, s, p)).toFloatArray();
                    float[] fused = Convolutions.conv3d(x, w, bias, s, p, true).toFloatArray();
                    assertArrayEquals(expected, fused, "cin " + g[0] + " cout " + g[1] + " k " + g[2] + " stride "
                            + g[3] + (bias == null ? " without" : " with") + " bias");
                    int zeros = 0;
                    for (float v : fused) {
                        zeros += v == 0f ? 1 : 0;
                    }
                    assertTrue(zeros > 0 && zeros < fused.length, "the ReLU clipped some values, not all");
                }
            }
        }
    }
}
