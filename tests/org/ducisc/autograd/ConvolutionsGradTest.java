package org.ducisc.autograd;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import org.ducisc.tensor.Convolutions;
import org.ducisc.tensor.MemoryScope;
import org.ducisc.tensor.Rng;
import org.ducisc.tensor.Tensor;
import org.ducisc.testing.OpCheck;
import org.junit.jupiter.api.Test;

class ConvolutionsGradTest {

    /** One geometry: x (n, cin, in), kernel, stride, padding, cout. */
    private record Geo(int n, int cin, int cout, int[] in, int[] k, int[] s, int[] p) {
        int[] out() {
            int[] o = new int[3];
            for (int a = 0; a < 3; a++) {
                o[a] = (in[a] + 2 * p[a] - k[a]) / s[a] + 1;
            }
            return o;
        }

        /** The output size of the transposed convolution with x of spatial size {@code in}. */
        int[] outTransposed() {
            int[] o = new int[3];
            for (int a = 0; a < 3; a++) {
                o[a] = (in[a] - 1) * s[a] - 2 * p[a] + k[a];
            }
            return o;
        }

        long[] xShape() {
            return new long[] {n, cin, in[0], in[1], in[2]};
        }

        long[] wShape() {
            return new long[] {cout, cin, k[0], k[1], k[2]};
        }

        long[] wShapeTransposed() {
            return new long[] {cin, cout, k[0], k[1], k[2]};
        }
    }

    private static Geo geo(int n, int cin, int cout, int[] in, int[] k, int[] s, int[] p) {
        return new Geo(n, cin, cout, in, k, s, p);
    }

    private static int[] t(int a, int b, int c) {
        return new int[] {a, b, c};
    }

    /** Plain double conv3d: y[n][co][o] = b[co] + sum x[n][ci][o*s - p + k] * w[co][ci][k]. */
    static double[] refConv(Geo g, double[] x, double[] w, double[] b) {
        int[] out = g.out();
        int[] in = g.in;
        double[] y = new double[g.n * g.cout * out[0] * out[1] * out[2]];
        int yi = 0;
        for (int n = 0; n < g.n; n++) {
            for (int co = 0; co < g.cout; co++) {
                for (int od = 0; od < out[0]; od++) {
                    for (int oh = 0; oh < out[1]; oh++) {
                        for (int ow = 0; ow < out[2]; ow++) {
                            double sum = b == null ? 0 : b[co];
                            for (int ci = 0; ci < g.cin; ci++) {
                                for (int kd = 0; kd < g.k[0]; kd++) {
                                    int id = od * g.s[0] - g.p[0] + kd;
                                    if (id < 0 || id >= in[0]) {
                                        continue;
                                    }
                                    for (int kh = 0; kh < g.k[1]; kh++) {
                                        int ih = oh * g.s[1] - g.p[1] + kh;
                                        if (ih < 0 || ih >= in[1]) {
                                            continue;
                                        }
                                        for (int kw = 0; kw < g.k[2]; kw++) {
                                            int iw = ow * g.s[2] - g.p[2] + kw;
                                            if (iw < 0 || iw >= in[2]) {
                                                continue;
                                            }
                                            sum += x[(((n * g.cin + ci) * in[0] + id) * in[1] + ih) * in[2] + iw]
                                                    * w[(((co * g.cin + ci) * g.k[0] + kd) * g.k[1] + kh) * g.k[2] + kw];
                                        }
                                    }
                                }
                            }
                            y[yi++] = sum;
                        }
                    }
                }
            }
        }
        return y;
    }

    /** Plain double transposed conv: y[n][co][i*s - p + k] += x[n][ci][i] * w[ci][co][k], plus b[co]. */
    static double[] refConvTranspose(Geo g, double[] x, double[] w, double[] b) {
        int[] out = g.outTransposed();
        int[] in = g.in;
        int vol = out[0] * out[1] * out[2];
        double[] y = new double[g.n * g.cout * vol];
        for (int n = 0; n < g.n; n++) {
            for (int co = 0; co < g.cout; co++) {
                for (int v = 0; v < vol; v++) {
                    y[(n * g.cout + co) * vol + v] = b == null ? 0 : b[co];
                }
            }
            for (int ci = 0; ci < g.cin; ci++) {
                for (int id = 0; id < in[0]; id++) {
                    for (int ih = 0; ih < in[1]; ih++) {
                        for (int iw = 0; iw < in[2]; iw++) {
                            double xv = x[(((n * g.cin + ci) * in[0] + id) * in[1] + ih) * in[2] + iw];
                            for (int co = 0; co < g.cout; co++) {
                                for (int kd = 0; kd < g.k[0]; kd++) {
                                    int od = id * g.s[0] - g.p[0] + kd;
                                    if (od < 0 || od >= out[0]) {
                                        continue;
                                    }
                                    for (int kh = 0; kh < g.k[1]; kh++) {
                                        int oh = ih * g.s[1] - g.p[1] + kh;
                                        if (oh < 0 || oh >= out[1]) {
                                            continue;
                                        }
                                        for (int kw = 0; kw < g.k[2]; kw++) {
                                            int ow = iw * g.s[2] - g.p[2] + kw;
                                            if (ow < 0 || ow >= out[2]) {
                                                continue;
                                            }
                                            y[(n * g.cout + co) * vol + (od * out[1] + oh) * out[2] + ow] += xv
                                                    * w[(((ci * g.cout + co) * g.k[0] + kd) * g.k[1] + kh) * g.k[2] + kw];
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return y;
    }

    private static void checkConv(String name, Geo g, boolean bias) {
        OpCheck c = OpCheck.op("conv3d " + name).input("x", g.xShape()).input("w", -0.5, 0.5, g.wShape());
        if (bias) {
            c.input("b", g.cout).run(v -> ConvolutionsGrad.conv3d(v[0], v[1], v[2], g.s, g.p),
                    in -> refConv(g, in[0], in[1], in[2]));
        } else {
            c.run(v -> ConvolutionsGrad.conv3d(v[0], v[1], null, g.s, g.p), in -> refConv(g, in[0], in[1], null));
        }
    }

    private static void checkTransposed(String name, Geo g, boolean bias) {
        OpCheck c = OpCheck.op("convTranspose3d " + name).input("x", g.xShape())
                .input("w", -0.5, 0.5, g.wShapeTransposed());
        if (bias) {
            c.input("b", g.cout).run(v -> ConvolutionsGrad.convTranspose3d(v[0], v[1], v[2], g.s, g.p),
                    in -> refConvTranspose(g, in[0], in[1], in[2]));
        } else {
            c.run(v -> ConvolutionsGrad.convTranspose3d(v[0], v[1], null, g.s, g.p),
                    in -> refConvTranspose(g, in[0], in[1], null));
        }
    }

    @Test
    void kernel3Padding1() {
        checkConv("3x3x3 p1", geo(2, 3, 5, t(5, 7, 9), t(3, 3, 3), t(1, 1, 1), t(1, 1, 1)), true);
    }

    @Test
    void vnetLike16To16() {
        // Two blocks of output channels and rows longer than one microkernel block, with a tail.
        checkConv("16->16 3x3x3 p1", geo(1, 16, 16, t(3, 4, 21), t(3, 3, 3), t(1, 1, 1), t(1, 1, 1)), true);
    }

    /** The decoder shapes of the 2-filter parity network, where a rounding-size tail once went wrong. */
    @Test
    void smallNetworkDecoderShapes() {
        checkConv("4->4 at 16x8x24", geo(2, 4, 4, t(16, 8, 24), t(3, 3, 3), t(1, 1, 1), t(1, 1, 1)), true);
        checkTransposed("4->2 up to 32x16x48", geo(2, 4, 2, t(16, 8, 24), t(2, 2, 2), t(2, 2, 2), t(0, 0, 0)), true);
        checkConv("2->2 at 32x16x48", geo(2, 2, 2, t(32, 16, 48), t(3, 3, 3), t(1, 1, 1), t(1, 1, 1)), true);
    }

    /**
     * Deep channels on small volumes at batch 1 (the sliding window's deep layers): the output
     * channels split into groups over tasks, a partial last block, and the slices of a depth chunk
     * computed as one joined run (planes narrower than a microkernel block).
     */
    @Test
    void deepSmallVolumeBatch1() {
        checkConv("19->37 at 6x2x3, batch 1", geo(1, 19, 37, t(6, 2, 3), t(3, 3, 3), t(1, 1, 1), t(1, 1, 1)), true);
        checkWeightGradient("16->37 at 5x3x4, batch 1", geo(1, 16, 37, t(5, 3, 4), t(3, 3, 3), t(1, 1, 1),
                t(1, 1, 1)));
    }

    @Test
    void firstLayer1To16() {
        checkConv("1->16 3x3x3 p1", geo(2, 1, 16, t(4, 5, 7), t(3, 3, 3), t(1, 1, 1), t(1, 1, 1)), true);
    }

    @Test
    void downConv2Stride2() {
        checkConv("2x2x2 s2 even", geo(2, 4, 6, t(6, 4, 10), t(2, 2, 2), t(2, 2, 2), t(0, 0, 0)), true);
        checkConv("2x2x2 s2 odd", geo(1, 3, 5, t(7, 5, 9), t(2, 2, 2), t(2, 2, 2), t(0, 0, 0)), false);
    }

    @Test
    void pointwise1x1x1() {
        checkConv("1x1x1", geo(2, 3, 2, t(3, 5, 7), t(1, 1, 1), t(1, 1, 1), t(0, 0, 0)), true);
    }

    @Test
    void asymmetricGeometry() {
        checkConv("k3x2x1 s2x1x3 p1x0x2", geo(2, 3, 5, t(7, 6, 9), t(3, 2, 1), t(2, 1, 3), t(1, 0, 2)), true);
        // Stride 1 with a padding wider than the kernel allows: the data gradient leaves the fast path.
        checkConv("k3x2x1 s1 p1x0x2", geo(1, 3, 5, t(5, 6, 7), t(3, 2, 1), t(1, 1, 1), t(1, 0, 2)), false);
        checkConv("k2x3x3 s1 p0x1x1", geo(1, 3, 9, t(5, 4, 6), t(2, 3, 3), t(1, 1, 1), t(0, 1, 1)), true);
        checkConv("k3 s2 p1", geo(1, 2, 3, t(7, 5, 6), t(3, 3, 3), t(2, 2, 2), t(1, 1, 1)), false);
    }

    @Test
    void transposedUpConv2Stride2() {
        checkTransposed("2x2x2 s2", geo(2, 4, 3, t(3, 4, 5), t(2, 2, 2), t(2, 2, 2), t(0, 0, 0)), true);
        checkTransposed("2x2x2 s2 9->2", geo(1, 9, 2, t(3, 2, 5), t(2, 2, 2), t(2, 2, 2), t(0, 0, 0)), false);
    }

    @Test
    void transposedOtherGeometries() {
        checkTransposed("3x3x3 s1 p1", geo(1, 3, 5, t(4, 5, 6), t(3, 3, 3), t(1, 1, 1), t(1, 1, 1)), true);
        checkTransposed("k3x2x2 s2x1x2 p1x0x1", geo(2, 3, 4, t(3, 4, 5), t(3, 2, 2), t(2, 1, 2), t(1, 0, 1)),
                false);
    }

    /** Plain double weight gradient: gw[co][ci][k] = sum over n, o of gy[n][co][o] * x[n][ci][o*s - p + k]. */
    static double[] refWeightGrad(Geo g, double[] x, double[] gy) {
        int[] out = g.out();
        int[] in = g.in;
        int kvol = g.k[0] * g.k[1] * g.k[2];
        double[] gw = new double[g.cout * g.cin * kvol];
        for (int n = 0; n < g.n; n++) {
            for (int co = 0; co < g.cout; co++) {
                for (int od = 0; od < out[0]; od++) {
                    for (int oh = 0; oh < out[1]; oh++) {
                        for (int ow = 0; ow < out[2]; ow++) {
                            double gv = gy[(((n * g.cout + co) * out[0] + od) * out[1] + oh) * out[2] + ow];
                            for (int ci = 0; ci < g.cin; ci++) {
                                for (int kd = 0; kd < g.k[0]; kd++) {
                                    int id = od * g.s[0] - g.p[0] + kd;
                                    for (int kh = 0; kh < g.k[1]; kh++) {
                                        int ih = oh * g.s[1] - g.p[1] + kh;
                                        for (int kw = 0; kw < g.k[2]; kw++) {
                                            int iw = ow * g.s[2] - g.p[2] + kw;
                                            if (id < 0 || id >= in[0] || ih < 0 || ih >= in[1] || iw < 0
                                                    || iw >= in[2]) {
                                                continue;
                                            }
                                            gw[(((co * g.cin + ci) * g.k[0] + kd) * g.k[1] + kh) * g.k[2] + kw] +=
                                                    gv * x[(((n * g.cin + ci) * in[0] + id) * in[1] + ih) * in[2]
                                                            + iw];
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return gw;
    }

    /**
     * Every element of the weight gradient (written, then accumulated onto a prior value) against
     * the double reference: OpCheck's finite differences sample only some weights.
     */
    private static void checkWeightGradient(String name, Geo g) {
        long seed = System.nanoTime();
        Rng rng = new Rng(seed);
        int[] out = g.out();
        double[] x = new double[g.n * g.cin * g.in[0] * g.in[1] * g.in[2]];
        double[] gy = new double[g.n * g.cout * out[0] * out[1] * out[2]];
        double[] prior = new double[g.cout * g.cin * g.k[0] * g.k[1] * g.k[2]];
        for (double[] a : new double[][] {x, gy, prior}) {
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) rng.nextGaussian();
            }
        }
        double[] ref = refWeightGrad(g, x, gy);
        double rms = 0;
        for (double v : ref) {
            rms += v * v / ref.length;
        }
        double scale = Math.sqrt(rms);
        try (MemoryScope scope = MemoryScope.open()) {
            Tensor xt = Tensor.of(OpCheck.toFloats(x), g.xShape());
            Tensor gyt = Tensor.of(OpCheck.toFloats(gy), g.n, g.cout, out[0], out[1], out[2]);
            float[] written = Convolutions.conv3dBackwardWeight(xt, gyt, g.wShape(), g.s, g.p).toFloatArray();
            Tensor acc = Tensor.of(OpCheck.toFloats(prior), g.wShape());
            Convolutions.conv3dBackwardWeight(xt, gyt, acc, true, g.s, g.p);
            float[] accumulated = acc.toFloatArray();
            for (int i = 0; i < ref.length; i++) {
                if (!(Math.abs(written[i] - ref[i]) <= 1e-5 * (Math.abs(ref[i]) + scale))
                        || !(Math.abs(accumulated[i] - prior[i] - ref[i]) <= 1e-5 * (Math.abs(ref[i]) + scale) + 1e-6)) {
                    fail(name + " (seed " + seed + "): weight gradient element " + i + ": written " + written[i] + ", accumulated "
                            + accumulated[i] + " onto " + prior[i] + ", reference " + ref[i]);
                }
            }
        }
    }

    /**
     * Weight gradients whose rows (kw, ci) fill the vector lanes of the forward microkernel (the
     * channels-last path) with tails: dropped columns, a partial block of output channels, bands of
     * output rows with a short last band, strides.
     */
    @Test
    void weightGradientEveryElement() {
        checkWeightGradient("13->11 3x3x3 p1, two bands", geo(2, 13, 11, t(3, 30, 21), t(3, 3, 3), t(1, 1, 1),
                t(1, 1, 1)));
        checkWeightGradient("16->9 3x3x3 s2 p1", geo(1, 16, 9, t(5, 9, 11), t(3, 3, 3), t(2, 2, 2), t(1, 1, 1)));
        checkWeightGradient("24->5 2x2x2 s2", geo(2, 24, 5, t(4, 6, 10), t(2, 2, 2), t(2, 2, 2), t(0, 0, 0)));
        checkWeightGradient("32->17 k3x2x3 s1 p2x0x1", geo(1, 32, 17, t(3, 4, 5), t(3, 2, 3), t(1, 1, 1),
                t(2, 0, 1)));
        // The dot-product path: rows too short for the lanes.
        checkWeightGradient("3->5 3x3x3 p1", geo(2, 3, 5, t(4, 5, 7), t(3, 3, 3), t(1, 1, 1), t(1, 1, 1)));
        checkWeightGradient("4->6 2x2x2 s2", geo(1, 4, 6, t(6, 4, 10), t(2, 2, 2), t(2, 2, 2), t(0, 0, 0)));
    }

    @Test
    void rejectsBadShapes() {
        try (MemoryScope scope = MemoryScope.open()) {
            Tensor x = Tensor.zeros(1, 3, 5, 5, 5);
            Tensor w = Tensor.zeros(4, 2, 3, 3, 3);
            int[] one = {1, 1, 1};
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Convolutions.conv3d(x, w, null, one, one));
            assertTrue(e.getMessage().contains("conv3d") && e.getMessage().contains("[1, 3, 5, 5, 5]")
                    && e.getMessage().contains("[4, 2, 3, 3, 3]"), e.getMessage());
            Tensor x4 = Tensor.zeros(3, 5, 5, 5);
            e = assertThrows(IllegalArgumentException.class, () -> Convolutions.conv3d(x4, w, null, one, one));
            assertTrue(e.getMessage().contains("[3, 5, 5, 5]"), e.getMessage());
            Tensor w4 = Tensor.zeros(4, 3, 3, 3);
            e = assertThrows(IllegalArgumentException.class, () -> Convolutions.conv3d(x, w4, null, one, one));
            assertTrue(e.getMessage().contains("weight"), e.getMessage());
            Tensor good = Tensor.zeros(4, 3, 3, 3, 3);
            Tensor bias = Tensor.zeros(5);
            e = assertThrows(IllegalArgumentException.class, () -> Convolutions.conv3d(x, good, bias, one, one));
            assertTrue(e.getMessage().contains("bias [5]"), e.getMessage());
            Tensor big = Tensor.zeros(4, 3, 9, 3, 3);
            e = assertThrows(IllegalArgumentException.class, () -> Convolutions.conv3d(x, big, null, one, one));
            assertTrue(e.getMessage().contains("smaller than kernel"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Convolutions.conv3d(x, good, null, new int[] {1, 1},
                    one));
            Tensor wt = Tensor.zeros(2, 4, 2, 2, 2);
            e = assertThrows(IllegalArgumentException.class,
                    () -> Convolutions.convTranspose3d(x, wt, null, new int[] {2, 2, 2}, new int[] {0, 0, 0}));
            assertTrue(e.getMessage().contains("convTranspose3d") && e.getMessage().contains("channels"),
                    e.getMessage());
            Tensor gy = Tensor.zeros(1, 4, 4, 5, 5);
            e = assertThrows(IllegalArgumentException.class,
                    () -> Convolutions.conv3dBackwardData(gy, good, x.shape(), one, one));
            assertTrue(e.getMessage().contains("[1, 4, 4, 5, 5]"), e.getMessage());
        }
    }
}
