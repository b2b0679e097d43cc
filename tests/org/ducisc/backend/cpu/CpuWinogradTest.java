package org.ducisc.backend.cpu;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import org.ducisc.backend.Buffer;
import org.ducisc.backend.ConvGeometry;
import org.junit.jupiter.api.Test;

/**
 * Winograd F(2,3)^3 ({@link CpuWinograd}) against a float64 direct convolution and the float32
 * direct kernel ({@link CpuConv}), on random inputs of odd sizes, outputs poisoned with NaN first.
 * <p>
 * Tolerance: |y - y_ref| <= TOL * eps * S per output, eps = 2^-24 and S = |b| + sum |w||x| over the
 * output's 27*cin terms (the scale of the standard summation error bound, Higham, "Accuracy and
 * Stability of Numerical Algorithms", ch. 3; the bound itself, (27*cin + 1) * eps * S, is never
 * approached). Winograd adds the roundings of the transforms, amplified by the transform matrices'
 * norms (1D row sums of |B^T| <= 2, |G| <= 1.5, |A^T| <= 3; Barabasz et al., "Error analysis and
 * improving the accuracy of Winograd convolution for deep neural networks", ACM TOMS 2020), so a few
 * eps*S more than the direct kernel is expected. Measured with seed 1313: worst 4.2 eps*S (direct
 * kernel 3.2). TOL = 16 is four times that, and far below what a wrong transform gives (an error of
 * order S itself, 1e7 eps*S).
 */
class CpuWinogradTest {
    private static final double EPS = Math.ulp(1.0f) / 2;
    private static final double TOL = 16;

    private record Case(int batch, int cin, int cout, int[] in) {
        ConvGeometry geometry() {
            return ConvGeometry.of(batch, cin, cout, in, new int[] {3, 3, 3}, new int[] {1, 1, 1},
                    new int[] {1, 1, 1});
        }
    }

    private static MemorySegment normal(Arena arena, Random r, long n, double std) {
        MemorySegment s = arena.allocate(n * 4, 64);
        for (long i = 0; i < n; i++) {
            s.setAtIndex(JAVA_FLOAT, i, (float) (r.nextGaussian() * std));
        }
        return s;
    }

    private static MemorySegment poisoned(Arena arena, long n) {
        MemorySegment s = arena.allocate(n * 4, 64);
        for (long i = 0; i < n; i++) {
            s.setAtIndex(JAVA_FLOAT, i, Float.NaN);
        }
        return s;
    }

    private static float[] floats(MemorySegment s) {
        return s.toArray(JAVA_FLOAT);
    }

    /** ref[0][i] = y (float64 direct, with bias), ref[1][i] = |b| + sum |w||x|, per output i. */
    private static double[][] reference(MemorySegment x, MemorySegment w, MemorySegment b, ConvGeometry g) {
        int[] in = g.in();
        int cin = g.inChannels();
        int cout = g.outChannels();
        long vol = g.inVolume();
        double[][] ref = new double[2][(int) (g.batch() * cout * vol)];
        for (int n = 0; n < g.batch(); n++) {
            for (int co = 0; co < cout; co++) {
                double bias = b.getAtIndex(JAVA_FLOAT, co);
                for (int d = 0; d < in[0]; d++) {
                    for (int h = 0; h < in[1]; h++) {
                        for (int wi = 0; wi < in[2]; wi++) {
                            double sum = bias;
                            double abs = Math.abs(bias);
                            for (int ci = 0; ci < cin; ci++) {
                                for (int k = 0; k < 27; k++) {
                                    int id = d + k / 9 - 1;
                                    int ih = h + k / 3 % 3 - 1;
                                    int iw = wi + k % 3 - 1;
                                    if (id < 0 || id >= in[0] || ih < 0 || ih >= in[1] || iw < 0 || iw >= in[2]) {
                                        continue;
                                    }
                                    double xv = x.getAtIndex(JAVA_FLOAT, ((n * cin + ci) * in[0] + id) * (long) in[1]
                                            * in[2] + (long) ih * in[2] + iw);
                                    double wv = w.getAtIndex(JAVA_FLOAT, (co * cin + ci) * 27L + k);
                                    sum += xv * wv;
                                    abs += Math.abs(xv * wv);
                                }
                            }
                            int i = (int) (((n * cout + co) * in[0] + d) * (long) in[1] * in[2]
                                    + (long) h * in[2] + wi);
                            ref[0][i] = sum;
                            ref[1][i] = abs;
                        }
                    }
                }
            }
        }
        return ref;
    }

    /** The worst |y - ref| / (eps * S), failing at the first output above TOL or not finite. */
    private static double worstRatio(float[] y, double[][] ref, boolean relu, String what) {
        double worst = 0;
        for (int i = 0; i < y.length; i++) {
            double expected = relu ? Math.max(ref[0][i], 0) : ref[0][i];
            double ratio = Math.abs(y[i] - expected) / (EPS * Math.max(ref[1][i], Float.MIN_NORMAL));
            if (!(ratio <= TOL)) {
                throw new AssertionError(String.format(Locale.ROOT,
                        "%s: output %d is %s, float64 reference %.9g (S = %.4g): %.1f eps*S > %.0f", what, i, y[i],
                        expected, ref[1][i], ratio, TOL));
            }
            worst = Math.max(worst, ratio);
        }
        return worst;
    }

    @Test
    void matchesTheDirectConvolutionOnOddSizes() {
        long seed = 1313;
        System.out.println("CpuWinogradTest seed " + seed);
        Random r = new Random(seed);
        Case[] cases = {
            new Case(2, 3, 5, new int[] {7, 9, 5}),
            new Case(1, 1, 16, new int[] {7, 9, 5}),
            new Case(2, 16, 16, new int[] {1, 1, 1}),
            new Case(1, 16, 33, new int[] {2, 3, 17}),
            new Case(2, 33, 3, new int[] {7, 9, 5}),
            new Case(1, 33, 1, new int[] {2, 3, 17}),
            new Case(1, 2, 9, new int[] {12, 6, 8}),
            new Case(1, 260, 9, new int[] {3, 4, 5}),
        };
        double worstWinograd = 0;
        double worstDirect = 0;
        try (Arena arena = Arena.ofShared()) {
            for (Case c : cases) {
                ConvGeometry g = c.geometry();
                assertTrue(CpuWinograd.supports(g), g.toString());
                long n = g.batch() * g.outChannels() * g.outVolume();
                MemorySegment x = normal(arena, r, g.batch() * g.inChannels() * g.inVolume(), 1);
                MemorySegment w = normal(arena, r, g.outChannels() * g.inChannels() * 27L,
                        1 / Math.sqrt(27.0 * g.inChannels()));
                MemorySegment b = normal(arena, r, g.outChannels(), 0.5);
                double[][] ref = reference(x, w, b, g);
                for (boolean relu : new boolean[] {false, true}) {
                    String what = g + (relu ? " relu" : "");
                    MemorySegment yw = poisoned(arena, n);
                    MemorySegment yd = poisoned(arena, n);
                    CpuWinograd.forward(x, 0, w, 0, b, 0, yw, 0, g, relu);
                    CpuConv.forward(x, 0, w, 0, b, 0, yd, 0, g, relu);
                    double rw = worstRatio(floats(yw), ref, relu, "winograd " + what);
                    double rd = worstRatio(floats(yd), ref, relu, "direct " + what);
                    System.out.printf(Locale.ROOT, "%s: worst error winograd %.2f, direct %.2f eps*S%n", what, rw, rd);
                    worstWinograd = Math.max(worstWinograd, rw);
                    worstDirect = Math.max(worstDirect, rd);
                    // Against the direct kernel itself: within the sum of both bounds.
                    float[] fw = floats(yw);
                    float[] fd = floats(yd);
                    for (int i = 0; i < fw.length; i++) {
                        assertTrue(Math.abs(fw[i] - fd[i]) <= 2 * TOL * EPS * ref[1][i],
                                what + " output " + i + ": winograd " + fw[i] + ", direct " + fd[i]);
                    }
                }
            }
        }
        System.out.printf(Locale.ROOT, "worst over all cases: winograd %.2f, direct %.2f eps*S (tolerance %.0f)%n",
                worstWinograd, worstDirect, TOL);
    }

    /** One result for every task split and task order: parallel, serial, reversed, tasks of one or two vectors. */
    @Test
    void bitwiseEqualForAnyTaskSplitAndThreadCount() {
        long seed = 2027;
        System.out.println("CpuWinogradTest seed " + seed);
        Random r = new Random(seed);
        ConvGeometry g = new Case(2, 17, 33, new int[] {9, 10, 11}).geometry();
        long n = g.batch() * g.outChannels() * g.outVolume();
        try (Arena arena = Arena.ofShared()) {
            MemorySegment x = normal(arena, r, g.batch() * g.inChannels() * g.inVolume(), 1);
            MemorySegment w = normal(arena, r, g.outChannels() * g.inChannels() * 27L, 0.05);
            MemorySegment b = normal(arena, r, g.outChannels(), 0.5);
            MemorySegment y0 = poisoned(arena, n);
            CpuWinograd.forward(x, 0, w, 0, b, 0, y0, 0, g, true);
            float[] expected = floats(y0);
            CpuWinograd.Runner serial = (tasks, body) -> {
                for (int t = 0; t < tasks; t++) {
                    body.accept(t);
                }
            };
            CpuWinograd.Runner reversed = (tasks, body) -> {
                for (int t = tasks - 1; t >= 0; t--) {
                    body.accept(t);
                }
            };
            CpuWinograd.Runner parallel = Parallel::forEach;
            int[] splits = {1, 2, 3, CpuWinograd.rowsPerTask(g), 1000};
            for (int split : splits) {
                for (CpuWinograd.Runner runner : new CpuWinograd.Runner[] {serial, reversed, parallel}) {
                    MemorySegment y = poisoned(arena, n);
                    CpuWinograd.forward(x, 0, w, 0, b, 0, y, 0, g, true, split, runner);
                    assertArrayEquals(expected, floats(y), "tile rows per task " + split);
                }
            }
            assertTrue(Arrays.stream(splits).distinct().count() > 2, "several splits tried");
        }
    }

    /**
     * The backend's fused conv + ReLU (eval-mode inference) takes the Winograd kernel for 3x3x3 stride 1
     * padding 1 with at least 16 input channels; the plain forward (training) keeps the direct kernel.
     */
    @Test
    void backendUsesWinogradOnlyForTheFusedInferenceForward() {
        long seed = 4242;
        System.out.println("CpuWinogradTest seed " + seed);
        Random r = new Random(seed);
        ConvGeometry g = new Case(1, 16, 8, new int[] {5, 7, 9}).geometry();
        assertTrue(CpuWinograd.pays(g), "winograd pays for " + g);
        assertFalse(CpuWinograd.pays(ConvGeometry.of(1, 16, 8, new int[] {5, 7, 9}, new int[] {3, 3, 3},
                new int[] {2, 2, 2}, new int[] {1, 1, 1})), "stride 2 is not for winograd");
        assertFalse(CpuWinograd.pays(new Case(1, 1, 16, new int[] {5, 7, 9}).geometry()),
                "one input channel: the direct kernel is faster (bench/README.md)");
        long ny = g.batch() * g.outChannels() * g.outVolume();
        CpuBackend be = CpuBackend.INSTANCE;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment x = normal(arena, r, g.batch() * g.inChannels() * g.inVolume(), 1);
            MemorySegment w = normal(arena, r, g.outChannels() * g.inChannels() * 27L, 0.1);
            MemorySegment b = normal(arena, r, g.outChannels(), 0.5);
            Buffer bx = be.allocate(x.byteSize());
            Buffer bw = be.allocate(w.byteSize());
            Buffer bb = be.allocate(b.byteSize());
            Buffer by = be.allocate(ny * 4);
            try {
                be.copyFromHost(x, bx, 0);
                be.copyFromHost(w, bw, 0);
                be.copyFromHost(b, bb, 0);
                MemorySegment direct = poisoned(arena, ny);
                CpuConv.forward(x, 0, w, 0, b, 0, direct, 0, g, false);
                MemorySegment winograd = poisoned(arena, ny);
                CpuWinograd.forward(x, 0, w, 0, b, 0, winograd, 0, g, true);
                MemorySegment out = arena.allocate(ny * 4, 64);

                be.conv3dForwardRelu(bx, 0, bw, 0, bb, 0, by, 0, g);
                be.copyToHost(by, 0, out);
                assertArrayEquals(floats(winograd), floats(out), "fused conv + relu is the winograd kernel");
                be.conv3dForward(bx, 0, bw, 0, bb, 0, by, 0, g);
                be.copyToHost(by, 0, out);
                assertArrayEquals(floats(direct), floats(out), "plain forward is the direct kernel");
                float[] relu = floats(direct);
                float[] fw = floats(winograd);
                int differ = 0;
                for (int i = 0; i < relu.length; i++) {
                    differ += Math.max(relu[i], 0f) != fw[i] ? 1 : 0;
                }
                assertTrue(differ > 0, "the two kernels round differently somewhere, so the check above can fail");
            } finally {
                be.release(bx);
                be.release(bw);
                be.release(bb);
                be.release(by);
            }
        }
    }
}
