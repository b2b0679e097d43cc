package org.ducisc.backend.cpu;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.function.IntConsumer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.ducisc.backend.ConvGeometry;

/**
 * Winograd F(2x2x2, 3x3x3) forward convolution for 3x3x3 kernels, stride 1, padding 1 (Lavin and
 * Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016: its 1D F(2,3) matrices,
 * nested over the three axes). Each output is cut into tiles of
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
 * Work is split into tasks of consecutive whole tile rows (order (tile depth, tile row)) of one
 * sample ({@link #rowsPerTask}); every output is computed from its own tile's transforms and one reduction over ci in a
 * fixed order, so the result does not depend on the task split, the thread count or which thread
 * ran a task. Not bitwise equal to the direct kernel: the transforms round differently (see
 * CpuWinogradTest for the measured error against a float64 reference).
 */
final class CpuWinograd {
    /** Transformed tile edge (2 outputs + 3 taps - 1) and its cube: the number of GEMMs. */
    private static final int A = 4;
    private static final int ELEMS = A * A * A;
    /** Target floats of the transformed input and products of one task, so that they stay in L2. */
    private static final int TASK_FLOATS = 1 << 17;
    /** Largest packed-weight or per-task buffer, in floats, the kernel allocates; above it, the direct kernel. */
    private static final long MAX_FLOATS = 1L << 28;
    /**
     * Input channels from which the backend uses the Winograd kernel: measured faster from 16 (CPU time
     * 0.65-0.73 of the direct kernel at 16..256 channels), 4.3x slower with one (bench/README.md,
     * WinogradQuick); 2..15 not measured.
     */
    static final int MIN_IN_CHANNELS = 16;

    /**
     * Whether the fused conv + ReLU of eval-mode inference uses this kernel where it {@link #pays}
     * (system property ducisc.winograd=false turns it off, for comparison).
     */
    static final boolean ENABLED = !"false".equals(System.getProperty("ducisc.winograd"));

    private static final VectorSpecies<Float> F = Vectors.F;
    private static final int LANES = Vectors.LANES;

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
        forward(x, xOff, w, wOff, bias, biasOff, y, yOff, g, relu, rowsPerTask(g), Parallel::forEach);
    }

    /**
     * Tile rows (runs of tW tiles at one (tile depth, tile row)) per task. A task's tiles are the
     * columns of its GEMMs, padded to a multiple of the microkernel's width BW; the choice minimises
     * (rounds of tasks over the threads) x (padded columns per task), with at most
     * max(8*BW, TASK_FLOATS / (64 * (cin + cout))) tiles per task (one row at least). The result does
     * not depend on this split (see the class comment); only the speed does.
     */
    static int rowsPerTask(ConvGeometry g) {
        int[] in = g.in();
        int coutR = CpuConvGemm.blocks(g.outChannels()) * CpuConvGemm.CB;
        int bw = CpuConvGemm.BW;
        int tw = (in[2] + 1) / 2;
        int rows = (in[0] + 1) / 2 * ((in[1] + 1) / 2);
        long maxTiles = Math.max(8L * bw, TASK_FLOATS / (ELEMS * (g.inChannels() + coutR)));
        int best = 1;
        long bestCost = Long.MAX_VALUE;
        for (int r = 1; r <= rows && (r == 1 || (long) r * tw <= maxTiles); r++) {
            long tasks = (long) g.batch() * ((rows + r - 1) / r);
            long rounds = (tasks + Parallel.THREADS - 1) / Parallel.THREADS;
            long cost = rounds * CpuConvGemm.roundUp(r * tw, bw);
            if (cost < bestCost) {
                best = r;
                bestCost = cost;
            }
        }
        return best;
    }

    /**
     * {@link #forward} with {@code taskRows} tile rows per task (task t covers the rows
     * [t*taskRows, (t+1)*taskRows) of one sample, rows ordered (tile depth, tile row)), run by
     * {@code runner}.
     */
    static void forward(MemorySegment x, long xOff, MemorySegment w, long wOff, MemorySegment bias, long biasOff,
                        MemorySegment y, long yOff, ConvGeometry g, boolean relu, int taskRows, Runner runner) {
        if (!supports(g) || taskRows <= 0) {
            throw new IllegalArgumentException("Winograd F(2,3)^3 cannot run " + g + " with " + taskRows
                    + " tile rows per task");
        }
        int cin = g.inChannels();
        int cout = g.outChannels();
        int blocks = CpuConvGemm.blocks(cout);
        int coutR = blocks * CpuConvGemm.CB;
        int[] in = g.in();
        int tw = (in[2] + 1) / 2;
        int rows = (in[0] + 1) / 2 * ((in[1] + 1) / 2);
        int rowsPer = Math.min(taskRows, rows);
        long ttLong = CpuConvGemm.roundUp(rowsPer * tw, CpuConvGemm.BW);
        if (ELEMS * (cin + coutR) * ttLong > MAX_FLOATS) {
            throw new IllegalArgumentException("Winograd F(2,3)^3: " + taskRows + " tile rows per task of " + g
                    + " need more than " + MAX_FLOATS + " floats of work buffers");
        }
        int tt = (int) ttLong;
        int perN = (rows + rowsPer - 1) / rowsPer;
        long vol = g.inVolume();
        float[] u = transformWeights(w, wOff, cin, cout, blocks);
        float[] b = new float[cout];
        if (bias != null) {
            MemorySegment.copy(bias, JAVA_FLOAT, biasOff * 4, b, 0, cout);
        }
        int[] rowOff = new int[cin];
        for (int r = 0; r < cin; r++) {
            rowOff[r] = r * tt;
        }
        runner.run(g.batch() * perN, t -> {
            int n = t / perN;
            int r0 = t % perN * rowsPer;
            int r1 = Math.min(rows, r0 + rowsPer);
            Scratch s = SCRATCH.get();
            float[] v = s.get(Scratch.V, ELEMS * cin * tt);
            float[] m = s.get(Scratch.M, ELEMS * coutR * tt);
            inputTransform(x, xOff + n * cin * vol, cin, in, r0, r1, v, tt, s);
            products(u, v, m, cin, blocks, rowOff, (r1 - r0) * tw, tt);
            outputTransform(m, cout, coutR, in, r0, r1, tt, b, relu, y, yOff + n * cout * vol, s);
        });
    }

    /**
     * Per-thread work arrays, grown to the largest convolution seen and then reused: the transformed
     * input V and the products M of a task, and the first-stage rows, second-stage rows and one
     * input or output line of the transforms.
     */
    private static final class Scratch {
        static final int V = 0;
        static final int M = 1;
        static final int ROWS = 2;
        static final int MID = 3;
        static final int LINE = 4;
        private final float[][] arrays = new float[5][0];

        float[] get(int which, int n) {
            if (arrays[which].length < n) {
                arrays[which] = new float[n];
            }
            return arrays[which];
        }
    }

    // ---- weights: U = G g G^T, packed for the microkernel ----

    /**
     * u[((e*blocks + co/CB)*cin + ci)*CB + co%CB] = (G g G^T)[e] of the kernel g = w[co][ci], for
     * e = (kd*4 + kh)*4 + kw; zero for channels past cout. Computed in double, rounded once.
     */
    static float[] transformWeights(MemorySegment w, long wOff, int cin, int cout, int blocks) {
        final int cb = CpuConvGemm.CB;
        float[] u = new float[ELEMS * blocks * cb * cin];
        Parallel.forEach(cout, co -> {
            float[] wc = new float[cin * 27];
            MemorySegment.copy(w, JAVA_FLOAT, (wOff + (long) co * cin * 27) * 4, wc, 0, cin * 27);
            double[] g = new double[27];
            double[] s1 = new double[36];
            double[] s2 = new double[48];
            int eStride = A * A * blocks * cin * cb;
            for (int ci = 0; ci < cin; ci++) {
                for (int k = 0; k < 27; k++) {
                    g[k] = wc[ci * 27 + k];
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
                // Along kd: (3, 4, 4) -> (4, 4, 4), straight into the packed array (e = kd*16 + hw).
                for (int hw = 0; hw < 16; hw++) {
                    double g0 = s2[hw];
                    double g1 = s2[16 + hw];
                    double g2 = s2[32 + hw];
                    int o = ((hw * blocks + co / cb) * cin + ci) * cb + co % cb;
                    u[o] = (float) g0;
                    u[o + eStride] = (float) ((g0 + g1 + g2) / 2);
                    u[o + 2 * eStride] = (float) ((g0 - g1 + g2) / 2);
                    u[o + 3 * eStride] = (float) g2;
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
     * v[e*cin*tt + ci*tt + i] = (B^T d B)[e] of the 4x4x4 input window of the i-th tile of the tile
     * rows [r0, r1) of one sample x (cin, D, H, W), tiles in (tile depth, tile row, tile column) order.
     * The rows are taken by pieces of one tile depth, so that the first stage (along W) of an input
     * row is shared by the two tile rows that read it.
     */
    private static void inputTransform(MemorySegment x, long xBase, int cin, int[] in, int r0, int r1, float[] v,
                                       int tt, Scratch s) {
        int tw = (in[2] + 1) / 2;
        int th = (in[1] + 1) / 2;
        long vol = (long) in[0] * in[1] * in[2];
        int eStride = cin * tt;
        int pos = 0;
        for (int row = r0; row < r1; ) {
            int a = row / th;
            int b0 = row % th;
            int nb = Math.min(th - b0, r1 - row);
            for (int ci = 0; ci < cin; ci++) {
                inputPiece(x, xBase + ci * vol, in, a, b0, nb, v, ci * tt + pos, eStride, s);
            }
            pos += nb * tw;
            row += nb;
        }
    }

    /** The transforms of tile rows b0 .. b0+nb-1 at tile depth a of one channel, into v[e*eStride + at + i]. */
    private static void inputPiece(MemorySegment x, long cBase, int[] in, int a, int b0, int nb, float[] v, int at,
                                   int eStride, Scratch s) {
        int tw = (in[2] + 1) / 2;
        int rows = 2 * nb + 2;
        int len = A * tw;
        float[] r = s.get(Scratch.ROWS, A * rows * len);
        float[] h = s.get(Scratch.MID, ELEMS * tw);
        float[] line = s.get(Scratch.LINE, 2 * tw + 2);
        // line[1 + w] = x[.., w]; the padding column in front and the columns past W stay zero.
        Arrays.fill(line, 0, 2 * tw + 2, 0f);
        // Stage 1, along W: r[((j*rows + i)*4 + kw)*tw + c] for input slice j and input row i of the piece.
        for (int j = 0; j < A; j++) {
            int d = 2 * a - 1 + j;
            for (int i = 0; i < rows; i++) {
                int hh = 2 * b0 - 1 + i;
                int o = (j * rows + i) * len;
                if (d < 0 || d >= in[0] || hh < 0 || hh >= in[1]) {
                    Arrays.fill(r, o, o + len, 0f);
                    continue;
                }
                MemorySegment.copy(x, JAVA_FLOAT, (cBase + ((long) d * in[1] + hh) * in[2]) * 4, line, 1, in[2]);
                for (int c = 0; c < tw; c++) {
                    float d0 = line[2 * c];
                    float d1 = line[2 * c + 1];
                    float d2 = line[2 * c + 2];
                    float d3 = line[2 * c + 3];
                    r[o + c] = d0 - d2;
                    r[o + tw + c] = d1 + d2;
                    r[o + 2 * tw + c] = d2 - d1;
                    r[o + 3 * tw + c] = d1 - d3;
                }
            }
        }
        for (int bb = 0; bb < nb; bb++) {
            // Stage 2, along H: h[((j*4 + kh)*4 + kw)*tw + c] from input rows 2*bb .. 2*bb+3.
            for (int j = 0; j < A; j++) {
                for (int kw = 0; kw < A; kw++) {
                    bt(r, (j * rows + 2 * bb) * len + kw * tw, len, h, (j * A * A + kw) * tw, A * tw, tw);
                }
            }
            // Stage 3, along D: v[((kd*4 + kh)*4 + kw)*eStride + at + bb*tw + c].
            for (int hw = 0; hw < A * A; hw++) {
                bt(h, hw * tw, A * A * tw, v, hw * eStride + at + bb * tw, A * A * eStride, tw);
            }
        }
    }

    /** dst[to + i*ds + c] = (B^T d)[i] for d_k = src[from + k*ss + c], over c < len. */
    private static void bt(float[] src, int from, int ss, float[] dst, int to, int ds, int len) {
        int c = 0;
        if (F != null) {
            for (; c <= len - LANES; c += LANES) {
                FloatVector d0 = FloatVector.fromArray(F, src, from + c);
                FloatVector d1 = FloatVector.fromArray(F, src, from + ss + c);
                FloatVector d2 = FloatVector.fromArray(F, src, from + 2 * ss + c);
                FloatVector d3 = FloatVector.fromArray(F, src, from + 3 * ss + c);
                d0.sub(d2).intoArray(dst, to + c);
                d1.add(d2).intoArray(dst, to + ds + c);
                d2.sub(d1).intoArray(dst, to + 2 * ds + c);
                d1.sub(d3).intoArray(dst, to + 3 * ds + c);
            }
        }
        for (; c < len; c++) {
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

    /** dst[to + i*ds + c] = (A^T m)[i] for m_k = src[from + k*ss + c], over c < len, i < 2. */
    private static void at(float[] src, int from, int ss, float[] dst, int to, int ds, int len) {
        int c = 0;
        if (F != null) {
            for (; c <= len - LANES; c += LANES) {
                FloatVector m0 = FloatVector.fromArray(F, src, from + c);
                FloatVector m1 = FloatVector.fromArray(F, src, from + ss + c);
                FloatVector m2 = FloatVector.fromArray(F, src, from + 2 * ss + c);
                FloatVector m3 = FloatVector.fromArray(F, src, from + 3 * ss + c);
                m0.add(m1).add(m2).intoArray(dst, to + c);
                m1.sub(m2).sub(m3).intoArray(dst, to + ds + c);
            }
        }
        for (; c < len; c++) {
            float m0 = src[from + c];
            float m1 = src[from + ss + c];
            float m2 = src[from + 2 * ss + c];
            float m3 = src[from + 3 * ss + c];
            dst[to + c] = m0 + m1 + m2;
            dst[to + ds + c] = m1 - m2 - m3;
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

    /** Writes the outputs of the tile rows [r0, r1) of one sample y (cout, D, H, W) from the products m. */
    private static void outputTransform(float[] m, int cout, int coutR, int[] in, int r0, int r1, int tt, float[] b,
                                        boolean relu, MemorySegment y, long yBase, Scratch s) {
        int tw = (in[2] + 1) / 2;
        int th = (in[1] + 1) / 2;
        long vol = (long) in[0] * in[1] * in[2];
        int eStride = coutR * tt;
        for (int row = r0; row < r1; row++) {
            int at = (row - r0) * tw;
            for (int co = 0; co < cout; co++) {
                outputRow(m, co * tt + at, eStride, in, row / th, row % th, tw, b[co], relu, y, yBase + co * vol, s);
            }
        }
    }

    /** The 2x2 output rows of tile row (a, bRow) of one channel: A^T m A over its tw tiles, + bias, ReLU. */
    private static void outputRow(float[] m, int at, int eStride, int[] in, int a, int bRow, int tw, float bias,
                                  boolean relu, MemorySegment y, long cBase, Scratch s) {
        float[] r = s.get(Scratch.ROWS, 32 * tw);
        float[] h = s.get(Scratch.MID, 16 * tw);
        float[] line = s.get(Scratch.LINE, 2 * tw);
        // Stage 1, along D: r[((od*4 + kh)*4 + kw)*tw + c].
        for (int hw = 0; hw < A * A; hw++) {
            at(m, hw * eStride + at, A * A * eStride, r, hw * tw, A * A * tw, tw);
        }
        // Stage 2, along H: h[((od*2 + oh)*4 + kw)*tw + c].
        for (int od = 0; od < 2; od++) {
            for (int kw = 0; kw < A; kw++) {
                at(r, (od * 16 + kw) * tw, A * tw, h, (od * 8 + kw) * tw, A * tw, tw);
            }
        }
        // Stage 3, along W, + bias, then the ReLU (a floor of 0, or none), into each output row; the last
        // tile of an odd width is half outside.
        float floor = relu ? 0f : Float.NEGATIVE_INFINITY;
        for (int od = 0; od < 2; od++) {
            int d = 2 * a + od;
            for (int oh = 0; oh < 2; oh++) {
                int hh = 2 * bRow + oh;
                if (d >= in[0] || hh >= in[1]) {
                    continue;
                }
                int from = (od * 2 + oh) * 4 * tw;
                for (int c = 0; c < tw; c++) {
                    float m0 = h[from + c];
                    float m1 = h[from + tw + c];
                    float m2 = h[from + 2 * tw + c];
                    float m3 = h[from + 3 * tw + c];
                    line[2 * c] = Math.max(m0 + m1 + m2 + bias, floor);
                    line[2 * c + 1] = Math.max(m1 - m2 - m3 + bias, floor);
                }
                MemorySegment.copy(line, 0, y, JAVA_FLOAT, (cBase + ((long) d * in[1] + hh) * in[2]) * 4, in[2]);
            }
        }
    }
}
