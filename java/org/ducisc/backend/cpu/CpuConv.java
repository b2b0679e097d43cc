package org.ducisc.backend.cpu;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.ducisc.backend.ConvGeometry;
import org.ducisc.core.DType;

/**
 * 3D convolution kernels. Every direction is a GEMM over rows that are windows of a heap copy of
 * the input ({@link CpuConvGemm}):
 * <ul>
 *   <li>stride 1: the input is copied once into a zero-padded buffer; for one output depth slice the
 *       (H, Wp) plane is one flat run of positions p = oh*Wp + ow, so the input row of kernel offset
 *       (ci, kd, kh, kw) is contiguous at base(ci, od+kd) + kh*Wp + kw + p. The Wp - outW extra
 *       columns per row are wasted work that keeps every load contiguous. Backward-data with stride
 *       1 is the same kernel on padded gy with flipped, transposed weights.</li>
 *   <li>any other geometry: im2col of one output slice, GEMM, and for backward-data GEMM then col2im.</li>
 *   <li>backward-weight: where the kernel rows (kw, ci) fill the vector lanes, the forward microkernel
 *       over a channels-last copy of the input, gy being the broadcast operand; otherwise dot products
 *       of gy rows with the same input rows, in vector accumulators.</li>
 * </ul>
 * Each output element (or partial sum, added in a fixed order) is computed by one task in an order
 * fixed by the sizes, so results do not depend on the thread count or on which thread ran a task.
 */
final class CpuConv {
    /** Output depth slices per forward task: their padded input is copied once per task. */
    private static final int SLICES_PER_TASK = 4;
    /**
     * Tasks a convolution is split into at least, where its sizes allow (output-channel blocks
     * are split when samples x depth chunks are fewer): a few per thread, so that uneven tasks
     * balance. Only the split depends on it, never the order of a sum.
     */
    static final int MIN_TASKS = 4 * Parallel.THREADS;
    /** Cap, in floats, on the shared copies that backward-weight builds per chunk of depth slices. */
    private static final long CHUNK_FLOATS = 4L << 20;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private CpuConv() {
    }

    /** Two per-thread heap work arrays, grown to the largest convolution seen and then reused. */
    private static final class Scratch {
        private float[] a = new float[0];
        private float[] b = new float[0];

        float[] a(int n) {
            if (a.length < n) {
                a = new float[n];
            }
            return a;
        }

        float[] b(int n) {
            if (b.length < n) {
                b = new float[n];
            }
            return b;
        }
    }

    /** y = conv3d(x, w) + bias, and max(y, 0) with {@code relu} (applied as each output row is written). */
    static void forward(MemorySegment x, long xOff, MemorySegment w, long wOff, MemorySegment bias, long biasOff,
                        MemorySegment y, long yOff, ConvGeometry g, boolean relu) {
        int kvol = (int) g.kernelVolume();
        float[] packed = CpuConvGemm.pack(w, wOff, g.outChannels(), g.inChannels() * kvol, false, 0, 0);
        if (unitStride(g)) {
            stride1(x, xOff, g.batch(), g.inChannels(), g.in(), g.kernel(), g.padding(), packed, g.outChannels(),
                    bias, biasOff, relu, y, yOff, g.out());
        } else {
            forwardIm2col(x, xOff, packed, bias, biasOff, relu, y, yOff, g);
        }
    }

    static void backwardData(MemorySegment gy, long gyOff, MemorySegment w, long wOff, MemorySegment gx, long gxOff,
                             ConvGeometry g) {
        int kvol = (int) g.kernelVolume();
        int[] k = g.kernel();
        int[] p = g.padding();
        if (unitStride(g) && p[0] < k[0] && p[1] < k[1] && p[2] < k[2]) {
            // Full correlation of gy with the flipped kernel: pad gy by k-1-p, swap channel roles.
            float[] packed = CpuConvGemm.pack(w, wOff, g.inChannels(), g.outChannels() * kvol, true,
                    g.outChannels(), kvol);
            int[] pad = {k[0] - 1 - p[0], k[1] - 1 - p[1], k[2] - 1 - p[2]};
            stride1(gy, gyOff, g.batch(), g.outChannels(), g.out(), k, pad, packed, g.inChannels(), null, 0, false, gx,
                    gxOff, g.in());
        } else {
            backwardDataCol2im(gy, gyOff, w, wOff, gx, gxOff, g);
        }
    }

    static void backwardWeight(MemorySegment x, long xOff, MemorySegment gy, long gyOff, MemorySegment gw,
                               long gwOff, ConvGeometry g, boolean accumulate) {
        int rows = g.inChannels() * (int) g.kernelVolume();
        double[] sums = new double[g.outChannels() * rows];
        if (channelsLastPays(g)) {
            backwardWeightChannelsLast(x, xOff, gy, gyOff, g, sums);
        } else if (unitStride(g)) {
            backwardWeightStride1(x, xOff, gy, gyOff, g, sums);
        } else {
            backwardWeightIm2col(x, xOff, gy, gyOff, g, sums);
        }
        Parallel.forRange(sums.length, 1 << 15, (i0, i1) -> {
            for (int i = (int) i0; i < i1; i++) {
                double v = accumulate ? gw.getAtIndex(JAVA_FLOAT, gwOff + i) + sums[i] : sums[i];
                gw.setAtIndex(JAVA_FLOAT, gwOff + i, (float) v);
            }
        });
    }

    private static boolean unitStride(ConvGeometry g) {
        int[] s = g.stride();
        return s[0] == 1 && s[1] == 1 && s[2] == 1;
    }

    // ---- stride 1: padded copy, shifted flat rows ----

    /**
     * y (batch, cout, out) = correlation of src (batch, cin, in) zero-padded by {@code pad} with the
     * packed weights (rows (ci, kd, kh, kw)), plus bias, then max(y, 0) with {@code relu}.
     * A task is one sample, a chunk of output depth slices and a group of output-channel blocks (more
     * than one group only where samples x chunks give too few tasks for the threads: batch 1, small
     * deep volumes). Where it computes fewer positions, the slices of a chunk are one flat run
     * (the padding rows between them included) instead of one run per slice. Neither choice changes
     * the order in which an output is summed.
     */
    private static void stride1(MemorySegment src, long srcOff, int batch, int cin, int[] in, int[] k, int[] pad,
                                float[] packed, int cout, MemorySegment bias, long biasOff, boolean relu,
                                MemorySegment dst,
                                long dstOff, int[] out) {
        Stride1Plan plan = Stride1Plan.of(batch, in, k, pad, out, cout);
        int wp = plan.wp();
        int plane = plan.plane();
        int chunk = plan.chunk();
        int ciStride = (chunk + k[0] - 1) * plane;
        int[] rowOff = shiftedRows(cin, k, ciStride, plane, wp);
        int rows = rowOff.length;
        int flat = out[1] * wp;
        boolean joined = plan.joined();
        int ybStride = plan.ybStride();
        int blocks = CpuConvGemm.blocks(cout);
        int chunksPerN = plan.chunksPerN();
        int perGroup = plan.perGroup();
        int groupCount = plan.groups();
        long inVol = (long) in[0] * in[1] * in[2];
        long outVol = (long) out[0] * out[1] * out[2];
        Parallel.forEach(plan.tasks(), t -> {
            int cb0 = t % groupCount * perGroup;
            int cb1 = Math.min(blocks, cb0 + perGroup);
            int n = t / groupCount / chunksPerN;
            int d0 = (t / groupCount % chunksPerN) * chunk;
            int d1 = Math.min(out[0], d0 + chunk);
            Scratch s = SCRATCH.get();
            float[] xb = s.a(cin * ciStride + k[2] + CpuConvGemm.BW);
            float[] yb = s.b(blocks * CpuConvGemm.CB * ybStride);
            padSlices(src, srcOff + n * cin * inVol, cin, in, pad, d0 - pad[0], d1 - d0 + k[0] - 1, wp, plane,
                    ciStride, xb, 0);
            int co0 = cb0 * CpuConvGemm.CB;
            int co1 = Math.min(cout, cb1 * CpuConvGemm.CB);
            long nBase = dstOff + n * cout * outVol;
            if (joined) {
                CpuConvGemm.gemm(packed, rows, cb0, cb1, xb, 0, rowOff, (d1 - d0 - 1) * plane + flat, yb, ybStride);
            }
            for (int od = d0; od < d1; od++) {
                int at = 0;
                if (joined) {
                    at = (od - d0) * plane;
                } else {
                    CpuConvGemm.gemm(packed, rows, cb0, cb1, xb, (od - d0) * plane, rowOff, flat, yb, ybStride);
                }
                writeOut(yb, at, ybStride, wp, co0, co1, out, bias, biasOff, relu, dst,
                        nBase + (long) od * out[1] * out[2], outVol);
            }
        });
    }

    /**
     * How {@link #stride1} splits its work: depth chunks of {@code chunk} output slices, computed
     * as one flat run of positions if {@code joined}, else one run per slice ({@code ybStride}
     * positions, rounded up to whole microkernel blocks, per output channel); {@code groups} groups
     * of {@code perGroup} output-channel blocks; tasks = batch x chunksPerN x groups.
     */
    record Stride1Plan(int wp, int plane, int chunk, int chunksPerN, boolean joined, int ybStride, int perGroup,
                       int groups, int tasks) {
        static Stride1Plan of(int batch, int[] in, int[] k, int[] pad, int[] out, int cout) {
            int wp = in[2] + 2 * pad[2];
            int plane = (in[1] + 2 * pad[1]) * wp;
            int chunk = Math.min(out[0], SLICES_PER_TASK);
            int flat = out[1] * wp;
            int flatR = CpuConvGemm.roundUp(flat, CpuConvGemm.BW);
            int joinedR = CpuConvGemm.roundUp((chunk - 1) * plane + flat, CpuConvGemm.BW);
            boolean joined = joinedR < chunk * flatR;
            int blocks = CpuConvGemm.blocks(cout);
            int chunksPerN = (out[0] + chunk - 1) / chunk;
            int spatialTasks = batch * chunksPerN;
            int perGroup = blocksPerGroup(spatialTasks, blocks);
            int groups = (blocks + perGroup - 1) / perGroup;
            return new Stride1Plan(wp, plane, chunk, chunksPerN, joined, joined ? joinedR : flatR, perGroup, groups,
                    spatialTasks * groups);
        }

        /** Positions the microkernel computes per output channel for one full chunk. */
        int positionsPerChunk() {
            return joined ? ybStride : chunk * ybStride;
        }
    }

    /**
     * Output-channel blocks per group where {@code tasks} runs of work are each split further over
     * groups of the {@code blocks} blocks, so that there are at least {@link #MIN_TASKS} tasks
     * where the blocks allow (all blocks in one group where the runs alone are enough).
     */
    static int blocksPerGroup(int tasks, int blocks) {
        int groups = Math.max(1, Math.min(blocks, (MIN_TASKS + tasks - 1) / tasks));
        return (blocks + groups - 1) / groups;
    }

    /** Offsets of the input windows of rows (ci, kd, kh, kw) in a padded buffer [ci][slice][hp][wp]. */
    private static int[] shiftedRows(int cin, int[] k, int ciStride, int plane, int wp) {
        int[] rowOff = new int[cin * k[0] * k[1] * k[2]];
        int r = 0;
        for (int ci = 0; ci < cin; ci++) {
            for (int kd = 0; kd < k[0]; kd++) {
                for (int kh = 0; kh < k[1]; kh++) {
                    for (int kw = 0; kw < k[2]; kw++) {
                        rowOff[r++] = ci * ciStride + kd * plane + kh * wp + kw;
                    }
                }
            }
        }
        return rowOff;
    }

    /**
     * Copies input depth slices [first, first + count) of every channel into buf[at + ci*ciStride +
     * j*plane], each plane zero-padded to (.., wp); slices outside the input are zeros.
     */
    private static void padSlices(MemorySegment src, long srcBase, int cin, int[] in, int[] pad, int first,
                                  int count, int wp, int plane, int ciStride, float[] buf, int at) {
        for (int ci = 0; ci < cin; ci++) {
            padSlicesOfChannel(src, srcBase, ci, in, pad, first, count, wp, plane, ciStride, buf, at);
        }
    }

    private static void padSlicesOfChannel(MemorySegment src, long srcBase, int ci, int[] in, int[] pad, int first,
                                           int count, int wp, int plane, int ciStride, float[] buf, int at) {
        for (int j = 0; j < count; j++) {
            int o = at + ci * ciStride + j * plane;
            Arrays.fill(buf, o, o + plane, 0f);
            int id = first + j;
            if (id < 0 || id >= in[0]) {
                continue;
            }
            long row = srcBase + ((long) ci * in[0] + id) * in[1] * in[2];
            for (int ih = 0; ih < in[1]; ih++) {
                MemorySegment.copy(src, JAVA_FLOAT, (row + (long) ih * in[2]) * 4, buf,
                        o + (ih + pad[1]) * wp + pad[2], in[2]);
            }
        }
    }

    /**
     * Adds bias, applies the ReLU if {@code relu}, and copies the valid columns of one output slice
     * (rows of length rowLen) to dst.
     */
    private static void writeOut(float[] yb, int ybOff, int coStrideB, int rowLen, int co0, int co1, int[] out,
                                 MemorySegment bias, long biasOff, boolean relu, MemorySegment dst, long dstBase,
                                 long coStride) {
        for (int co = co0; co < co1; co++) {
            float b = bias == null ? 0f : bias.getAtIndex(JAVA_FLOAT, biasOff + co);
            for (int oh = 0; oh < out[1]; oh++) {
                int s = ybOff + co * coStrideB + oh * rowLen;
                if (bias != null) {
                    for (int ow = 0; ow < out[2]; ow++) {
                        yb[s + ow] += b;
                    }
                }
                if (relu) {
                    for (int ow = 0; ow < out[2]; ow++) {
                        yb[s + ow] = Math.max(yb[s + ow], 0f);
                    }
                }
                MemorySegment.copy(yb, s, dst, JAVA_FLOAT, (dstBase + co * coStride + (long) oh * out[2]) * 4,
                        out[2]);
            }
        }
    }

    // ---- any geometry: im2col / col2im ----

    private static void forwardIm2col(MemorySegment x, long xOff, float[] packed, MemorySegment bias, long biasOff,
                                      boolean relu, MemorySegment y, long yOff, ConvGeometry g) {
        int[] out = g.out();
        int cin = g.inChannels();
        int cout = g.outChannels();
        int rows = cin * (int) g.kernelVolume();
        int positions = out[1] * out[2];
        int pr = CpuConvGemm.roundUp(positions, CpuConvGemm.BW);
        int[] rowOff = new int[rows];
        for (int r = 0; r < rows; r++) {
            rowOff[r] = r * pr;
        }
        int blocks = CpuConvGemm.blocks(cout);
        Parallel.forEach(g.batch() * out[0], t -> {
            int n = t / out[0];
            int od = t % out[0];
            Scratch s = SCRATCH.get();
            float[] col = s.a(rows * pr);
            float[] yb = s.b(blocks * CpuConvGemm.CB * pr);
            im2col(x, xOff + n * cin * g.inVolume(), g, od, col, pr);
            CpuConvGemm.gemm(packed, rows, blocks, col, 0, rowOff, positions, yb, pr);
            writeOut(yb, 0, pr, out[2], 0, cout, out, bias, biasOff, relu, y,
                    yOff + n * cout * g.outVolume() + (long) od * positions, g.outVolume());
        });
    }

    /** col[r*pr + oh*outW + ow] = the input seen by row r = (ci, kd, kh, kw) at output (od, oh, ow); tail zeroed. */
    private static void im2col(MemorySegment x, long xBase, ConvGeometry g, int od, float[] col, int pr) {
        int[] in = g.in();
        int[] k = g.kernel();
        int[] st = g.stride();
        int[] pd = g.padding();
        int[] out = g.out();
        int positions = out[1] * out[2];
        int r = 0;
        for (int ci = 0; ci < g.inChannels(); ci++) {
            for (int kd = 0; kd < k[0]; kd++) {
                int id = od * st[0] - pd[0] + kd;
                for (int kh = 0; kh < k[1]; kh++) {
                    for (int kw = 0; kw < k[2]; kw++, r++) {
                        int c = r * pr;
                        Arrays.fill(col, c + positions, c + pr, 0f);
                        if (id < 0 || id >= in[0]) {
                            Arrays.fill(col, c, c + positions, 0f);
                            continue;
                        }
                        long slice = xBase + ((long) ci * in[0] + id) * in[1] * in[2];
                        for (int oh = 0; oh < out[1]; oh++) {
                            int ih = oh * st[1] - pd[1] + kh;
                            int o = c + oh * out[2];
                            if (ih < 0 || ih >= in[1]) {
                                Arrays.fill(col, o, o + out[2], 0f);
                                continue;
                            }
                            long rowBase = slice + (long) ih * in[2];
                            for (int ow = 0; ow < out[2]; ow++) {
                                int iw = ow * st[2] - pd[2] + kw;
                                col[o + ow] = iw < 0 || iw >= in[2] ? 0f : x.getAtIndex(JAVA_FLOAT, rowBase + iw);
                            }
                        }
                    }
                }
            }
        }
    }

    private static void backwardDataCol2im(MemorySegment gy, long gyOff, MemorySegment w, long wOff,
                                           MemorySegment gx, long gxOff, ConvGeometry g) {
        int[] in = g.in();
        int[] k = g.kernel();
        int[] st = g.stride();
        int[] pd = g.padding();
        int[] out = g.out();
        int cin = g.inChannels();
        int cout = g.outChannels();
        int rows = cin * (int) g.kernelVolume();
        int positions = out[1] * out[2];
        int pr = CpuConvGemm.roundUp(positions, CpuConvGemm.BW);
        // GEMM rows are the (ci, k) of col, its reduction runs over cout: the transposed weight.
        float[] packed = CpuConvGemm.packTransposed(w, wOff, cout, rows);
        int[] coOff = new int[cout];
        for (int co = 0; co < cout; co++) {
            coOff[co] = co * pr;
        }
        int blocks = CpuConvGemm.blocks(rows);
        CpuPointwise.fill(DType.FLOAT32, gx, gxOff, g.batch() * cin * g.inVolume(), 0.0);
        // Output slices touch disjoint input slices unless the kernel is deeper than the stride.
        boolean disjoint = k[0] <= st[0];
        int perN = disjoint ? out[0] : 1;
        Parallel.forEach(g.batch() * perN, t -> {
            int n = t / perN;
            int d0 = disjoint ? t % perN : 0;
            int d1 = disjoint ? d0 + 1 : out[0];
            Scratch s = SCRATCH.get();
            float[] gyb = s.a(cout * pr);
            float[] col = s.b(blocks * CpuConvGemm.CB * pr);
            long gxBase = gxOff + n * cin * g.inVolume();
            for (int od = d0; od < d1; od++) {
                for (int co = 0; co < cout; co++) {
                    long from = gyOff + ((long) n * cout + co) * g.outVolume() + (long) od * positions;
                    MemorySegment.copy(gy, JAVA_FLOAT, from * 4, gyb, co * pr, positions);
                    Arrays.fill(gyb, co * pr + positions, co * pr + pr, 0f);
                }
                CpuConvGemm.gemm(packed, cout, blocks, gyb, 0, coOff, positions, col, pr);
                int r = 0;
                for (int ci = 0; ci < cin; ci++) {
                    for (int kd = 0; kd < k[0]; kd++) {
                        int id = od * st[0] - pd[0] + kd;
                        for (int kh = 0; kh < k[1]; kh++) {
                            for (int kw = 0; kw < k[2]; kw++, r++) {
                                if (id < 0 || id >= in[0]) {
                                    continue;
                                }
                                long slice = gxBase + ((long) ci * in[0] + id) * in[1] * in[2];
                                for (int oh = 0; oh < out[1]; oh++) {
                                    int ih = oh * st[1] - pd[1] + kh;
                                    if (ih < 0 || ih >= in[1]) {
                                        continue;
                                    }
                                    long rowBase = slice + (long) ih * in[2];
                                    int c = r * pr + oh * out[2];
                                    for (int ow = 0; ow < out[2]; ow++) {
                                        int iw = ow * st[2] - pd[2] + kw;
                                        if (iw >= 0 && iw < in[2]) {
                                            long i = rowBase + iw;
                                            gx.setAtIndex(JAVA_FLOAT, i, gx.getAtIndex(JAVA_FLOAT, i) + col[c + ow]);
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        });
    }

    // ---- backward-weight ----

    /**
     * The shared layout of one chunk of depth slices for the weight gradient: gy rows (zero at
     * positions that are not outputs) and the input rows they meet.
     */
    private record WeightChunk(float[] gyb, int gyCoStride, int gySliceStride, float[] xb, int[] rowOff,
                               int xSliceStride, int len) {
    }

    private static void backwardWeightStride1(MemorySegment x, long xOff, MemorySegment gy, long gyOff,
                                              ConvGeometry g, double[] sums) {
        int[] in = g.in();
        int[] k = g.kernel();
        int[] pad = g.padding();
        int[] out = g.out();
        int cin = g.inChannels();
        int cout = g.outChannels();
        int wp = in[2] + 2 * pad[2];
        int plane = (in[1] + 2 * pad[1]) * wp;
        int len = CpuConvGemm.roundUp(out[1] * wp, CpuConvGemm.LANES);
        int chunk = (int) Math.max(1, Math.min(out[0], CHUNK_FLOATS / ((long) cin * plane) - (k[0] - 1)));
        int slices = chunk + k[0] - 1;
        int ciStride = slices * plane;
        int[] rowOff = shiftedRows(cin, k, ciStride, plane, wp);
        float[] xb = new float[cin * ciStride + k[2] + CpuConvGemm.LANES];
        float[] gyb = new float[cout * chunk * len];
        WeightChunk wc = new WeightChunk(gyb, chunk * len, len, xb, rowOff, plane, len);
        for (int n = 0; n < g.batch(); n++) {
            long xBase = xOff + n * cin * g.inVolume();
            long gyBase = gyOff + n * cout * g.outVolume();
            for (int d0 = 0; d0 < out[0]; d0 += chunk) {
                int first = d0;
                int count = Math.min(chunk, out[0] - d0);
                Parallel.forEach(cin + cout, t -> {
                    if (t < cin) {
                        padSlicesOfChannel(x, xBase, t, in, pad, first - pad[0], count + k[0] - 1, wp, plane,
                                ciStride, xb, 0);
                        return;
                    }
                    int co = t - cin;
                    Arrays.fill(gyb, co * chunk * len, (co + 1) * chunk * len, 0f);
                    for (int j = 0; j < count; j++) {
                        for (int oh = 0; oh < out[1]; oh++) {
                            long from = gyBase + ((long) co * out[0] + first + j) * out[1] * out[2]
                                    + (long) oh * out[2];
                            MemorySegment.copy(gy, JAVA_FLOAT, from * 4, gyb, (co * chunk + j) * len + oh * wp,
                                    out[2]);
                        }
                    }
                });
                accumulateWeight(wc, count, cin, cout, (int) g.kernelVolume(), sums);
            }
        }
    }

    private static void backwardWeightIm2col(MemorySegment x, long xOff, MemorySegment gy, long gyOff,
                                             ConvGeometry g, double[] sums) {
        int[] out = g.out();
        int cin = g.inChannels();
        int cout = g.outChannels();
        int kvol = (int) g.kernelVolume();
        int rows = cin * kvol;
        int positions = out[1] * out[2];
        int len = CpuConvGemm.roundUp(positions, CpuConvGemm.LANES);
        int chunk = (int) Math.max(1, Math.min(out[0], CHUNK_FLOATS / ((long) rows * len)));
        int[] rowOff = new int[rows];
        for (int r = 0; r < rows; r++) {
            rowOff[r] = r * len;
        }
        float[] col = new float[chunk * rows * len];
        float[] gyb = new float[cout * chunk * len];
        WeightChunk wc = new WeightChunk(gyb, chunk * len, len, col, rowOff, rows * len, len);
        for (int n = 0; n < g.batch(); n++) {
            long xBase = xOff + n * cin * g.inVolume();
            long gyBase = gyOff + n * cout * g.outVolume();
            for (int d0 = 0; d0 < out[0]; d0 += chunk) {
                int first = d0;
                int count = Math.min(chunk, out[0] - d0);
                Parallel.forEach(count + cout, t -> {
                    if (t < count) {
                        float[] sliceCol = SCRATCH.get().a(rows * len);
                        im2col(x, xBase, g, first + t, sliceCol, len);
                        System.arraycopy(sliceCol, 0, col, t * rows * len, rows * len);
                        return;
                    }
                    int co = t - count;
                    for (int j = 0; j < count; j++) {
                        int o = (co * chunk + j) * len;
                        long from = gyBase + ((long) co * out[0] + first + j) * positions;
                        MemorySegment.copy(gy, JAVA_FLOAT, from * 4, gyb, o, positions);
                        Arrays.fill(gyb, o + positions, o + len, 0f);
                    }
                });
                accumulateWeight(wc, count, cin, cout, kvol, sums);
            }
        }
    }

    // ---- backward-weight as the forward microkernel over a channels-last input ----

    /** Output positions per microkernel run of the channels-last weight gradient (whole rows, at least one). */
    private static final int WEIGHT_BAND = 512;
    /** Tasks, at most, per chunk of the channels-last weight gradient: each has its own partial sums. */
    private static final int WEIGHT_TASKS = 8;

    /**
     * Whether the (kw, ci) columns of a kernel row fill the microkernel's BW lanes well enough for
     * {@link #backwardWeightChannelsLast}; otherwise the dot-product path wastes less.
     */
    private static boolean channelsLastPays(ConvGeometry g) {
        int cols = g.kernel()[2] * g.inChannels();
        return CpuConvGemm.roundUp(cols, CpuConvGemm.BW) * 4 <= cols * 5;
    }

    /**
     * The weight gradient as a GEMM in the forward microkernel ({@link CpuConvGemm#block}). The input
     * is copied zero-padded and channels-last, xt[slice][h][w][ci], so that for one output position
     * and one (kd, kh) the inputs of every (kw, ci) are k[2]*cin consecutive floats:
     * gw[co][kd, kh, kw, ci] = sum over positions p of gy[co][p] * xt[row(p) + shift(kd, kh) + (kw, ci)].
     * gy, packed by blocks of CB channels, is the broadcast operand, the positions are the reduction,
     * and BW consecutive (kw, ci) columns are the vector lanes; columns past k[2]*cin read the next
     * position's inputs and are dropped. A unit of work is a band of output rows of one depth slice,
     * small enough that its inputs stay in L2 while every output is computed over it; each of a few
     * tasks (their number fixed by the sizes) runs a contiguous range of units into its own float
     * partial sums, and the partials are added into the double sums in task order, so the result does
     * not depend on the threads.
     */
    private static void backwardWeightChannelsLast(MemorySegment x, long xOff, MemorySegment gy, long gyOff,
                                                   ConvGeometry g, double[] sums) {
        final int cb = CpuConvGemm.CB;
        final int bw = CpuConvGemm.BW;
        int[] in = g.in();
        int[] k = g.kernel();
        int[] st = g.stride();
        int[] pad = g.padding();
        int[] out = g.out();
        int cin = g.inChannels();
        int cout = g.outChannels();
        int kvol = (int) g.kernelVolume();
        int wp = in[2] + 2 * pad[2];
        int plane = (in[1] + 2 * pad[1]) * wp;
        int slicePlane = plane * cin;
        int positions = out[1] * out[2];
        int cols = k[2] * cin;
        int colBlocks = (cols + bw - 1) / bw;
        int coBlocks = CpuConvGemm.blocks(cout);
        int shifts = k[0] * k[1];
        int bandRows = Math.max(1, Math.min(out[1], WEIGHT_BAND / out[2]));
        int bands = (out[1] + bandRows - 1) / bandRows;
        int tile = cb * bw;
        int partial = coBlocks * shifts * colBlocks * tile;
        // Where each partial element goes in sums, or -1 for a dropped column or channel.
        int[] to = new int[partial];
        for (int b = 0; b < coBlocks; b++) {
            for (int shift = 0; shift < shifts; shift++) {
                for (int c = 0; c < colBlocks; c++) {
                    for (int j = 0; j < cb; j++) {
                        for (int q = 0; q < bw; q++) {
                            int co = b * cb + j;
                            int col = c * bw + q;
                            to[((b * shifts + shift) * colBlocks + c) * tile + j * bw + q] = co < cout && col < cols
                                    ? co * cin * kvol + col % cin * kvol + shift * k[2] + col / cin : -1;
                        }
                    }
                }
            }
        }
        // Partial sums take at most a quarter of the chunk budget (many channels, few positions).
        int maxTasks = (int) Math.max(1, Math.min(WEIGHT_TASKS, CHUNK_FLOATS / 4 / partial));
        long perSlice = (long) st[0] * slicePlane + (long) coBlocks * cb * positions;
        int chunk = (int) Math.max(1, Math.min(out[0], CHUNK_FLOATS / perSlice));
        float[] xt = new float[((chunk - 1) * st[0] + k[0]) * slicePlane + bw];
        float[] gyp = new float[coBlocks * chunk * positions * cb];
        float[] parts = new float[maxTasks * partial];
        int[] rowOff = new int[positions];
        for (int oh = 0; oh < out[1]; oh++) {
            for (int ow = 0; ow < out[2]; ow++) {
                rowOff[oh * out[2] + ow] = (oh * st[1] * wp + ow * st[2]) * cin;
            }
        }
        for (int n = 0; n < g.batch(); n++) {
            long xBase = xOff + n * cin * g.inVolume();
            long gyBase = gyOff + n * cout * g.outVolume();
            for (int d0 = 0; d0 < out[0]; d0 += chunk) {
                int first = d0;
                int count = Math.min(chunk, out[0] - d0);
                int inSlices = (count - 1) * st[0] + k[0];
                Parallel.forEach(inSlices + coBlocks * count, t -> {
                    if (t < inSlices) {
                        channelsLastSlice(x, xBase, cin, in, pad, first * st[0] - pad[0] + t, wp, xt,
                                t * slicePlane);
                    } else {
                        int b = (t - inSlices) / count;
                        int s = (t - inSlices) % count;
                        packGySlice(gy, gyBase, cout, out[0], positions, b, first + s, gyp,
                                (b * chunk + s) * positions * cb);
                    }
                });
                // Units (depth slice, band of rows), split into contiguous runs, one per task.
                int units = count * bands;
                int tasks = Math.min(units, maxTasks);
                // Where runs of units are too few for the threads, each run is also split over groups of
                // output-channel blocks: they write disjoint parts of its partial sums, in the same order.
                int perGroup = blocksPerGroup(tasks, coBlocks);
                int groupCount = (coBlocks + perGroup - 1) / perGroup;
                int blockSize = shifts * colBlocks * tile;
                Parallel.forEach(tasks * groupCount, tg -> {
                    int t = tg / groupCount;
                    int b0 = tg % groupCount * perGroup;
                    int b1 = Math.min(coBlocks, b0 + perGroup);
                    int at = t * partial;
                    // Zeroed and always added to: a weight-gradient-only run then never takes the
                    // microkernel's write branch, whose first use would recompile it mid-run.
                    Arrays.fill(parts, at + b0 * blockSize, at + b1 * blockSize, 0f);
                    for (int u = t * units / tasks; u < (t + 1) * units / tasks; u++) {
                        int s = u / bands;
                        int p0 = u % bands * bandRows * out[2];
                        int len = Math.min(positions, p0 + bandRows * out[2]) - p0;
                        for (int b = b0; b < b1; b++) {
                            int aOff = ((b * chunk + s) * positions + p0) * cb;
                            for (int shift = 0; shift < shifts; shift++) {
                                int bOff = (s * st[0] + shift / k[1]) * slicePlane + shift % k[1] * wp * cin;
                                for (int c = 0; c < colBlocks; c++) {
                                    CpuConvGemm.block(gyp, aOff, xt, bOff + c * bw, rowOff, p0, len, parts,
                                            at + ((b * shifts + shift) * colBlocks + c) * tile, bw, true);
                                }
                            }
                        }
                    }
                });
                Parallel.forEach(coBlocks, b -> {
                    for (int t = 0; t < tasks; t++) {
                        for (int i = b * blockSize; i < (b + 1) * blockSize; i++) {
                            if (to[i] >= 0) {
                                sums[to[i]] += parts[t * partial + i];
                            }
                        }
                    }
                });
            }
        }
    }

    /**
     * xt[at + ((ih + pad)*wp + iw + pad)*cin + ci] = x[ci][id][ih][iw] for one padded input slice id
     * (all zeros outside the input), zero-padded.
     */
    private static void channelsLastSlice(MemorySegment x, long xBase, int cin, int[] in, int[] pad, int id, int wp,
                                          float[] xt, int at) {
        int plane = (in[1] + 2 * pad[1]) * wp;
        if (id < 0 || id >= in[0]) {
            Arrays.fill(xt, at, at + plane * cin, 0f);
            return;
        }
        int inPlane = in[1] * in[2];
        float[] src = SCRATCH.get().b(cin * inPlane);
        for (int ci = 0; ci < cin; ci++) {
            MemorySegment.copy(x, JAVA_FLOAT, (xBase + ((long) ci * in[0] + id) * inPlane) * 4, src, ci * inPlane,
                    inPlane);
        }
        Arrays.fill(xt, at, at + pad[1] * wp * cin, 0f);
        for (int ih = 0; ih < in[1]; ih++) {
            int o = at + (ih + pad[1]) * wp * cin;
            Arrays.fill(xt, o, o + pad[2] * cin, 0f);
            o += pad[2] * cin;
            for (int iw = 0; iw < in[2]; iw++) {
                for (int ci = 0, from = ih * in[2] + iw; ci < cin; ci++, from += inPlane) {
                    xt[o++] = src[from];
                }
            }
            Arrays.fill(xt, o, at + (ih + pad[1] + 1) * wp * cin, 0f);
        }
        Arrays.fill(xt, at + (in[1] + pad[1]) * wp * cin, at + plane * cin, 0f);
    }

    /**
     * gyp[at + p*CB + j] = gy[block*CB + j][od][p] over the positions p of one output slice, zero for
     * channels past cout: the broadcast operand of {@link CpuConvGemm#block}.
     */
    private static void packGySlice(MemorySegment gy, long gyBase, int cout, int outD, int positions, int block,
                                    int od, float[] gyp, int at) {
        final int cb = CpuConvGemm.CB;
        float[] rows = SCRATCH.get().b(cb * positions);
        for (int j = 0; j < cb; j++) {
            int co = block * cb + j;
            if (co < cout) {
                MemorySegment.copy(gy, JAVA_FLOAT, (gyBase + ((long) co * outD + od) * positions) * 4, rows,
                        j * positions, positions);
            } else {
                Arrays.fill(rows, j * positions, (j + 1) * positions, 0f);
            }
        }
        for (int p = 0, o = at; p < positions; p++) {
            for (int j = 0, from = p; j < cb; j++, from += positions) {
                gyp[o++] = rows[from];
            }
        }
    }

    /** Positions per pass of the weight-gradient dot products, so that their rows stay in L1. */
    private static final int DOT_TILE = 64 * CpuConvGemm.LANES;

    /**
     * sums[co][r] += the dot products of one chunk. One task per input channel (and, for few input
     * channels, per block of output channels); within a task, tiles of positions outer so that the
     * gy and input rows of a tile are reused from cache by every (co, r) block.
     */
    private static void accumulateWeight(WeightChunk c, int count, int cin, int cout, int kvol, double[] sums) {
        final int dc = CpuConvGemm.DC;
        final int dr = CpuConvGemm.DR;
        final int lanes = CpuConvGemm.LANES;
        int coBlocks = (cout + dc - 1) / dc;
        int groups = cin >= 8 ? 1 : coBlocks;
        int perGroup = (coBlocks + groups - 1) / groups;
        int rBlocks = (kvol + dr - 1) / dr;
        int rows = cin * kvol;
        int cell = dc * dr * lanes;
        Parallel.forEach(groups * cin, t -> {
            int ci = t % cin;
            int cb0 = (t / cin) * perGroup;
            int cb1 = Math.min(coBlocks, cb0 + perGroup);
            float[] part = new float[(cb1 - cb0) * rBlocks * cell];
            int[] gOff = new int[dc];
            int[] bOff = new int[dr];
            int rEnd = (ci + 1) * kvol;
            for (int s = 0; s < count; s++) {
                for (int q0 = 0; q0 < c.len(); q0 += DOT_TILE) {
                    int len = Math.min(DOT_TILE, c.len() - q0);
                    for (int cb = cb0; cb < cb1; cb++) {
                        for (int i = 0; i < dc; i++) {
                            gOff[i] = Math.min(cb * dc + i, cout - 1) * c.gyCoStride() + s * c.gySliceStride() + q0;
                        }
                        for (int rb = 0; rb < rBlocks; rb++) {
                            int r0 = ci * kvol + rb * dr;
                            for (int j = 0; j < dr; j++) {
                                bOff[j] = c.rowOff()[Math.min(r0 + j, rEnd - 1)] + s * c.xSliceStride() + q0;
                            }
                            CpuConvGemm.dots(c.gyb(), gOff, c.xb(), bOff, len, part,
                                    ((cb - cb0) * rBlocks + rb) * cell);
                        }
                    }
                }
            }
            for (int cb = cb0; cb < cb1; cb++) {
                for (int rb = 0; rb < rBlocks; rb++) {
                    int at = ((cb - cb0) * rBlocks + rb) * cell;
                    for (int i = 0; i < dc && cb * dc + i < cout; i++) {
                        for (int j = 0; j < dr && rb * dr + j < kvol; j++) {
                            double sum = 0;
                            for (int l = 0; l < lanes; l++) {
                                sum += part[at + (i * dr + j) * lanes + l];
                            }
                            sums[(cb * dc + i) * rows + ci * kvol + rb * dr + j] += sum;
                        }
                    }
                }
            }
        });
    }
}
