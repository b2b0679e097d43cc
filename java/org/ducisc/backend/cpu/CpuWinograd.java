package org.ducisc.backend.cpu;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.function.IntConsumer;
import org.ducisc.backend.ConvGeometry;

/**
 * Winograd F(2x2x2, 3x3x3) forward convolution for 3x3x3 kernels, stride 1, padding 1 (Lavin and
 * Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016, section 4, with the
 * F(2,3) matrices of its equation 6 nested over the three axes). Each output is cut into tiles of
 * 2x2x2 voxels; the 4x4x4 input window of a tile (stride 2, zero outside the input, partial tiles
 * at odd sizes) is transformed by B^T d B, the weights of each (co, ci) by G g G^T, and the 64
 * elementwise products summed over ci become 64 independent GEMMs [Cout x Cin] x [Cin x tiles] on
 * the forward microkernel ({@link CpuConvGemm#block}); A^T m A gives the 2x2x2 outputs. 64
 * multiplications per 8 outputs instead of 216.
 * <p>
 * 1D matrices (correlation y_i = sum_k g_k d_(i+k), i < 2):
 * B^T d = (d0 - d2, d1 + d2, d2 - d1, d1 - d3); G g = (g0, (g0+g1+g2)/2, (g0-g1+g2)/2, g2);
 * A^T m = (m0 + m1 + m2, m1 - m2 - m3).
 * <p>
 * Work is split into tasks of consecutive tiles (order (tile depth, tile row, tile column)) of one
 * sample; every output is computed from its own tile's transforms and one reduction over ci in a
 * fixed order, so the result does not depend on the task split, the thread count or which thread
 * ran a task. Not bitwise equal to the direct kernel: the transforms round differently (see
 * CpuWinogradTest for the measured error against a float64 reference).
 */
final class CpuWinograd {
    /** Transformed tile edge (2 outputs + 3 taps - 1) and its cube: the number of GEMMs. */
    private static final int A = 4;
    private static final int ELEMS = A * A * A;
    /** Target floats of the transformed input and products of one task, so that they stay in L2. */
    private static final int TASK_FLOATS = 1 << 18;
    /** Largest packed-weight or per-task buffer, in floats, the kernel allocates; above it, the direct kernel. */
    private static final long MAX_FLOATS = 1L << 28;
    /** Input channels from which the Winograd kernel is used (measured: see bench/README.md). */
    static final int MIN_IN_CHANNELS = 2;

    /**
     * Whether the fused conv + ReLU of eval-mode inference uses this kernel where it {@link #pays}
     * (system property ducisc.winograd=false turns it off, for comparison).
     */
    static final boolean ENABLED = !"false".equals(System.getProperty("ducisc.winograd"));

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private CpuWinograd() {
    }

    /** Runs body(i) for i in [0, tasks): {@link Parallel#forEach}, or another order in tests. */
    @FunctionalInterface
    interface Runner {
        void run(int tasks, IntConsumer body);
    }

    /**
     * Whether {@link #forward} can run g: a 3x3x3 kernel, stride 1 and padding 1 on every axis, and
     * work buffers within {@link #MAX_FLOATS}.
     */
    static boolean supports(ConvGeometry g) {
        for (int a = 0; a < 3; a++) {
            if (g.kernel()[a] != 3 || g.stride()[a] != 1 || g.padding()[a] != 1) {
                return false;
            }
        }
        long coutR = (long) CpuConvGemm.blocks(g.outChannels()) * CpuConvGemm.CB;
        return (long) ELEMS * coutR * g.inChannels() <= MAX_FLOATS
                && (long) ELEMS * (g.inChannels() + coutR) * CpuConvGemm.BW <= MAX_FLOATS;
    }

    /** Whether the backend should use {@link #forward} for g: supported, and faster than the direct kernel there. */
    static boolean pays(ConvGeometry g) {
        return ENABLED && supports(g) && g.inChannels() >= MIN_IN_CHANNELS;
    }

    /**
     * y (batch, cout, D, H, W) = conv3d(x (batch, cin, D, H, W), w (cout, cin, 3, 3, 3), stride 1,
     * padding 1) + bias (cout, may be null), then max(y, 0) with {@code relu}. Requires
     * {@link #supports}(g).
     */
    static void forward(MemorySegment x, long xOff, MemorySegment w, long wOff, MemorySegment bias, long biasOff,
                        MemorySegment y, long yOff, ConvGeometry g, boolean relu) {
        forward(x, xOff, w, wOff, bias, biasOff, y, yOff, g, relu, tilesPerTask(g), Parallel::forEach);
    }

    /** Tiles per task: a multiple of the microkernel width, the task's buffers near TASK_FLOATS. */
    static int tilesPerTask(ConvGeometry g) {
        int coutR = CpuConvGemm.blocks(g.outChannels()) * CpuConvGemm.CB;
        int bw = CpuConvGemm.BW;
        int tiles = tileCount(g.in());
        int t = TASK_FLOATS / (ELEMS * (g.inChannels() + coutR)) / bw * bw;
        return Math.max(bw, Math.min(t, CpuConvGemm.roundUp(tiles, bw)));
    }

    private static int tileCount(int[] in) {
        return (in[0] + 1) / 2 * ((in[1] + 1) / 2) * ((in[2] + 1) / 2);
    }

    /** {@link #forward} with {@code taskTiles} tiles per task (a multiple of BW), run by {@code runner}. */
    static void forward(MemorySegment x, long xOff, MemorySegment w, long wOff, MemorySegment bias, long biasOff,
                        MemorySegment y, long yOff, ConvGeometry g, boolean relu, int taskTiles, Runner runner) {
        if (!supports(g) || taskTiles <= 0 || taskTiles % CpuConvGemm.BW != 0) {
            throw new IllegalArgumentException("Winograd F(2,3)^3 cannot run " + g + " with " + taskTiles
                    + " tiles per task");
        }
        int cin = g.inChannels();
        int cout = g.outChannels();
        int blocks = CpuConvGemm.blocks(cout);
        int coutR = blocks * CpuConvGemm.CB;
        int[] in = g.in();
        int tiles = tileCount(in);
        int perN = (tiles + taskTiles - 1) / taskTiles;
        long vol = g.inVolume();
        float[] u = transformWeights(w, wOff, cin, cout, blocks);
        float[] b = new float[cout];
        if (bias != null) {
            MemorySegment.copy(bias, JAVA_FLOAT, biasOff * 4, b, 0, cout);
        }
        int[] rowOff = new int[cin];
        for (int r = 0; r < cin; r++) {
            rowOff[r] = r * taskTiles;
        }
        runner.run(g.batch() * perN, t -> {
            int n = t / perN;
            int t0 = t % perN * taskTiles;
            int t1 = Math.min(tiles, t0 + taskTiles);
            Scratch s = SCRATCH.get();
            float[] v = s.v(ELEMS * cin * taskTiles);
            float[] m = s.m(ELEMS * coutR * taskTiles);
            inputTransform(x, xOff + n * cin * vol, cin, in, t0, t1, v, taskTiles, s);
            products(u, v, m, cin, blocks, rowOff, t1 - t0, taskTiles);
            outputTransform(m, cout, coutR, in, t0, t1, taskTiles, b, bias != null, relu, y,
                    yOff + n * cout * vol, s);
        });
    }

    /** Per-thread work arrays, grown to the largest convolution seen and then reused. */
    private static final class Scratch {
        private float[] v = new float[0];
        private float[] m = new float[0];
        private float[] rows = new float[0];
        private float[] mid = new float[0];
        private float[] line = new float[0];

        float[] v(int n) {
            if (v.length < n) {
                v = new float[n];
            }
            return v;
        }

        float[] m(int n) {
            if (m.length < n) {
                m = new float[n];
            }
            return m;
        }

        /** ELEMS rows of one segment (the first transform stage). */
        float[] rows(int n) {
            if (rows.length < n) {
                rows = new float[n];
            }
            return rows;
        }

        /** ELEMS rows of one segment (the second transform stage). */
        float[] mid(int n) {
            if (mid.length < n) {
                mid = new float[n];
            }
            return mid;
        }

        /** One padded input row or one output row of a segment. */
        float[] line(int n) {
            if (line.length < n) {
                line = new float[n];
            }
            return line;
        }
    }

    // ---- weights: U = G g G^T, packed for the microkernel ----

    /**
     * u[((e*blocks + co/CB)*cin + ci)*CB + co%CB] = (G g G^T)[e] of the kernel g = w[co][ci], for
     * e = (kd*4 + kh)*4 + kw; zero for channels past cout. Computed in double, rounded once.
     */
    private static float[] transformWeights(MemorySegment w, long wOff, int cin, int cout, int blocks) {
        final int cb = CpuConvGemm.CB;
        float[] u = new float[ELEMS * blocks * cb * cin];
        Parallel.forEach(cout, co -> {
            double[] g = new double[27];
            double[] s1 = new double[36];
            double[] s2 = new double[48];
            for (int ci = 0; ci < cin; ci++) {
                long at = wOff + ((long) co * cin + ci) * 27;
                for (int k = 0; k < 27; k++) {
                    g[k] = w.getAtIndex(JAVA_FLOAT, at + k);
                }
                // Along kw: (kd, kh, 3) -> (kd, kh, 4).
                for (int r = 0; r < 9; r++) {
                    gTransform(g, r * 3, 1, s1, r * 4, 1);
                }
                // Along kh: (kd, 3, 4) -> (kd, 4, 4).
                for (int kd = 0; kd < 3; kd++) {
                    for (int kw = 0; kw < 4; kw++) {
                        gTransform(s1, kd * 12 + kw, 4, s2, kd * 16 + kw, 4);
                    }
                }
                // Along kd: (3, 4, 4) -> (4, 4, 4), straight into the packed array.
                for (int hw = 0; hw < 16; hw++) {
                    double g0 = s2[hw];
                    double g1 = s2[16 + hw];
                    double g2 = s2[32 + hw];
                    double[] t = {g0, (g0 + g1 + g2) / 2, (g0 - g1 + g2) / 2, g2};
                    for (int kd = 0; kd < 4; kd++) {
                        int e = kd * 16 + hw;
                        u[((e * blocks + co / cb) * cin + ci) * cb + co % cb] = (float) t[kd];
                    }
                }
            }
        });
        return u;
    }

    /** dst[to + i*ds] = (G g)[i] for g[from + k*gs], k < 3, i < 4. */
    private static void gTransform(double[] g, int from, int gs, double[] dst, int to, int ds) {
        double g0 = g[from];
        double g1 = g[from + gs];
        double g2 = g[from + 2 * gs];
        dst[to] = g0;
        dst[to + ds] = (g0 + g1 + g2) / 2;
        dst[to + 2 * ds] = (g0 - g1 + g2) / 2;
        dst[to + 3 * ds] = g2;
    }

    // ---- input: V = B^T d B per tile ----

    /**
     * v[e*cin*tt + ci*tt + (t - t0)] = (B^T d B)[e] of the 4x4x4 input window of tile t, for the tiles
     * [t0, t1) of one sample x (cin, D, H, W). Tiles are taken by segments of one tile row, so that
     * each stage is a loop over consecutive tile columns.
     */
    private static void inputTransform(MemorySegment x, long xBase, int cin, int[] in, int t0, int t1, float[] v,
                                       int tt, Scratch s) {
        int tw = (in[2] + 1) / 2;
        int plane = (in[1] + 1) / 2 * tw;
        long vol = (long) in[0] * in[1] * in[2];
        int eStride = cin * tt;
        for (int t = t0; t < t1; ) {
            int a = t / plane;
            int bRow = t % plane / tw;
            int c0 = t % tw;
            int len = Math.min(tw - c0, t1 - t);
            for (int ci = 0; ci < cin; ci++) {
                inputSegment(x, xBase + ci * vol, in, a, bRow, c0, len, v, ci * tt + t - t0, eStride, s);
            }
            t += len;
        }
    }

    /** The transforms of tiles (a, bRow, c0 .. c0+len) of one channel into v[e*eStride + at + i]. */
    private static void inputSegment(MemorySegment x, long cBase, int[] in, int a, int bRow, int c0, int len,
                                     float[] v, int at, int eStride, Scratch s) {
        float[] r = s.rows(ELEMS * len);
        float[] h = s.mid(ELEMS * len);
        float[] line = s.line(2 * len + 2);
        int wFirst = 2 * c0 - 1;
        int lo = Math.max(0, wFirst);
        int hi = Math.min(in[2], wFirst + 2 * len + 2);
        // Stage 1, along W: r[((j*4 + i)*4 + kw)*len + c] for input slice j and row i of the window.
        for (int j = 0; j < A; j++) {
            int d = 2 * a - 1 + j;
            for (int i = 0; i < A; i++) {
                int hh = 2 * bRow - 1 + i;
                int o = (j * A + i) * A * len;
                if (d < 0 || d >= in[0] || hh < 0 || hh >= in[1]) {
                    Arrays.fill(r, o, o + A * len, 0f);
                    continue;
                }
                Arrays.fill(line, 0, 2 * len + 2, 0f);
                MemorySegment.copy(x, JAVA_FLOAT, (cBase + ((long) d * in[1] + hh) * in[2] + lo) * 4, line,
                        lo - wFirst, hi - lo);
                for (int c = 0; c < len; c++) {
                    float d0 = line[2 * c];
                    float d1 = line[2 * c + 1];
                    float d2 = line[2 * c + 2];
                    float d3 = line[2 * c + 3];
                    r[o + c] = d0 - d2;
                    r[o + len + c] = d1 + d2;
                    r[o + 2 * len + c] = d2 - d1;
                    r[o + 3 * len + c] = d1 - d3;
                }
            }
        }
        // Stage 2, along H: h[((j*4 + kh)*4 + kw)*len + c].
        for (int j = 0; j < A; j++) {
            for (int kw = 0; kw < A; kw++) {
                int from = (j * A * A + kw) * len;
                bt(r, from, A * len, h, from, A * len, len);
            }
        }
        // Stage 3, along D: v[((kd*4 + kh)*4 + kw)*eStride + at + c].
        for (int hw = 0; hw < A * A; hw++) {
            int q = hw * len;
            int o = hw * eStride + at;
            int e = A * A * eStride;
            for (int c = 0; c < len; c++) {
                float q0 = h[q + c];
                float q1 = h[q + 16 * len + c];
                float q2 = h[q + 32 * len + c];
                float q3 = h[q + 48 * len + c];
                v[o + c] = q0 - q2;
                v[o + e + c] = q1 + q2;
                v[o + 2 * e + c] = q2 - q1;
                v[o + 3 * e + c] = q1 - q3;
            }
        }
    }

    /** dst[to + i*ds + c] = (B^T d)[i] for d_k = src[from + k*ss + c], over c < len. */
    private static void bt(float[] src, int from, int ss, float[] dst, int to, int ds, int len) {
        for (int c = 0; c < len; c++) {
            float d0 = src[from + c];
            float d1 = src[from + ss + c];
            float d2 = src[from + 2 * ss + c];
            float d3 = src[from + 3 * ss + c];
            dst[to + c] = d0 - d2;
            dst[to + ds + c] = d1 + d2;
            dst[to + 2 * ds + c] = d2 - d1;
            dst[to + 3 * ds + c] = d1 - d3;
        }
    }

    // ---- the 64 GEMMs ----

    /**
     * m[e*coutR*tt + co*tt + i] = sum over ci (in order, in row groups of CpuConvGemm.ROW_GROUP) of
     * u[e](co, ci) * v[e*cin*tt + ci*tt + i], for the first {@code count} columns rounded up to BW.
     */
    private static void products(float[] u, float[] v, float[] m, int cin, int blocks, int[] rowOff, int count,
                                 int tt) {
        final int cb = CpuConvGemm.CB;
        final int bw = CpuConvGemm.BW;
        final int group = CpuConvGemm.ROW_GROUP;
        for (int e = 0; e < ELEMS; e++) {
            int uBase = e * blocks * cin * cb;
            int vBase = e * cin * tt;
            int mBase = e * blocks * cb * tt;
            for (int p0 = 0; p0 < count; p0 += bw) {
                for (int r0 = 0; r0 < cin; r0 += group) {
                    int n = Math.min(group, cin - r0);
                    for (int k = 0; k < blocks; k++) {
                        CpuConvGemm.block(u, uBase + (k * cin + r0) * cb, v, vBase + p0, rowOff, r0, n, m,
                                mBase + k * cb * tt + p0, tt, r0 > 0);
                    }
                }
            }
        }
    }

    // ---- output: Y = A^T m A per tile, bias, ReLU ----

    /** Writes the outputs of tiles [t0, t1) of one sample y (cout, D, H, W) from the products m. */
    private static void outputTransform(float[] m, int cout, int coutR, int[] in, int t0, int t1, int tt, float[] b,
                                        boolean hasBias, boolean relu, MemorySegment y, long yBase, Scratch s) {
        int tw = (in[2] + 1) / 2;
        int plane = (in[1] + 1) / 2 * tw;
        long vol = (long) in[0] * in[1] * in[2];
        int eStride = coutR * tt;
        for (int t = t0; t < t1; ) {
            int a = t / plane;
            int bRow = t % plane / tw;
            int c0 = t % tw;
            int len = Math.min(tw - c0, t1 - t);
            for (int co = 0; co < cout; co++) {
                outputSegment(m, co * tt + t - t0, eStride, in, a, bRow, c0, len, b[co], hasBias, relu, y,
                        yBase + co * vol, s);
            }
            t += len;
        }
    }

    private static void outputSegment(float[] m, int at, int eStride, int[] in, int a, int bRow, int c0, int len,
                                      float bias, boolean hasBias, boolean relu, MemorySegment y, long cBase,
                                      Scratch s) {
        float[] r = s.rows(32 * len);
        float[] h = s.mid(16 * len);
        float[] line = s.line(2 * len);
        // Stage 1, along D: r[((od*4 + kh)*4 + kw)*len + c].
        int e = 16 * eStride;
        for (int hw = 0; hw < A * A; hw++) {
            int from = hw * eStride + at;
            int o = hw * len;
            for (int c = 0; c < len; c++) {
                float m0 = m[from + c];
                float m1 = m[from + e + c];
                float m2 = m[from + 2 * e + c];
                float m3 = m[from + 3 * e + c];
                r[o + c] = m0 + m1 + m2;
                r[o + 16 * len + c] = m1 - m2 - m3;
            }
        }
        // Stage 2, along H: h[((od*2 + oh)*4 + kw)*len + c].
        for (int od = 0; od < 2; od++) {
            for (int kw = 0; kw < A; kw++) {
                int from = (od * 16 + kw) * len;
                int o = (od * 8 + kw) * len;
                for (int c = 0; c < len; c++) {
                    float m0 = r[from + c];
                    float m1 = r[from + 4 * len + c];
                    float m2 = r[from + 8 * len + c];
                    float m3 = r[from + 12 * len + c];
                    h[o + c] = m0 + m1 + m2;
                    h[o + 4 * len + c] = m1 - m2 - m3;
                }
            }
        }
        // Stage 3, along W, then bias and ReLU, into each output row of the segment.
        int w0 = 2 * c0;
        int width = Math.min(2 * len, in[2] - w0);
        for (int od = 0; od < 2; od++) {
            int d = 2 * a + od;
            for (int oh = 0; oh < 2; oh++) {
                int hh = 2 * bRow + oh;
                if (d >= in[0] || hh >= in[1]) {
                    continue;
                }
                int from = (od * 2 + oh) * 4 * len;
                for (int c = 0; c < len; c++) {
                    float m0 = h[from + c];
                    float m1 = h[from + len + c];
                    float m2 = h[from + 2 * len + c];
                    float m3 = h[from + 3 * len + c];
                    line[2 * c] = m0 + m1 + m2;
                    line[2 * c + 1] = m1 - m2 - m3;
                }
                if (hasBias) {
                    for (int c = 0; c < width; c++) {
                        line[c] += bias;
                    }
                }
                if (relu) {
                    for (int c = 0; c < width; c++) {
                        line[c] = Math.max(line[c], 0f);
                    }
                }
                MemorySegment.copy(line, 0, y, JAVA_FLOAT, (cBase + ((long) d * in[1] + hh) * in[2] + w0) * 4,
                        width);
            }
        }
    }
}
