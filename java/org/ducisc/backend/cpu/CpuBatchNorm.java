package org.ducisc.backend.cpu;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Batch-norm kernels over (n, c, s) tensors. Each (sample, channel) row is cut into blocks of
 * {@link #BLOCK} elements, one task each; a channel's sum adds its blocks' partial sums in a fixed
 * order. The split depends on the sizes alone, so results are bitwise the same for any thread
 * count or schedule. Every sum accumulates in double, also in the vector lanes: the gradient sums
 * of a training-mode batch norm cancel to a tiny fraction of their terms (the gradient reaching a
 * layer that feeds another batch norm sums to almost zero per channel), and float partial sums
 * there lost up to a few percent, differently for each vector width.
 */
final class CpuBatchNorm {
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final long BLOCK = 1 << 13;
    /** Double lanes of the same vector size as {@link Vectors#F}; each float vector widens into two. */
    private static final VectorSpecies<Double> D = Vectors.F == null ? null : Vectors.F.withLanes(double.class);

    private CpuBatchNorm() {
    }

    @FunctionalInterface
    private interface BlockBody {
        /** Elements [from, to) of channel k in the row starting at element {@code row}; task t. */
        void run(int t, int k, long row, long from, long to);
    }

    private static int blockTasks(int n, int c, long s) {
        return Math.toIntExact((long) n * c * ((s + BLOCK - 1) / BLOCK));
    }

    private static void forBlocks(int n, int c, long s, BlockBody body) {
        long blocks = (s + BLOCK - 1) / BLOCK;
        Parallel.forEach(blockTasks(n, c, s), t -> {
            long r = t / blocks;
            long b = t % blocks;
            body.run(t, (int) (r % c), r * s, b * BLOCK, Math.min(s, (b + 1) * BLOCK));
        });
    }

    /** Adds the partial sums of each channel in task order: (sample, block) ascending. */
    private static double[] perChannel(double[] partial, int n, int c, long s) {
        int blocks = (int) ((s + BLOCK - 1) / BLOCK);
        double[] out = new double[c];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < c; k++) {
                for (int b = 0; b < blocks; b++) {
                    out[k] += partial[(i * c + k) * blocks + b];
                }
            }
        }
        return out;
    }

    static void stats(MemorySegment x, long xOff, int n, int c, long s, MemorySegment mean, long meanOff,
                      MemorySegment var, long varOff) {
        double m = (double) n * s;
        double[] partial = new double[blockTasks(n, c, s)];
        forBlocks(n, c, s, (t, k, row, from, to) -> partial[t] = sumShifted(x, xOff + row, from, to, 0f, false));
        double[] mu = perChannel(partial, n, c, s);
        float[] muF = new float[c];
        for (int k = 0; k < c; k++) {
            mu[k] /= m;
            muF[k] = (float) mu[k];
        }
        // A second pass over (x - mean)^2 rather than E[x^2] - mean^2, which cancels badly when |mean| >> std.
        forBlocks(n, c, s, (t, k, row, from, to) -> partial[t] = sumShifted(x, xOff + row, from, to, muF[k], true));
        double[] sq = perChannel(partial, n, c, s);
        for (int k = 0; k < c; k++) {
            // muF differs from mu by rounding; correct the second moment for that offset.
            double d = mu[k] - muF[k];
            mean.setAtIndex(JAVA_FLOAT, meanOff + k, (float) mu[k]);
            var.setAtIndex(JAVA_FLOAT, varOff + k, (float) Math.max(0.0, sq[k] / m - d * d));
        }
    }

    /**
     * The lanes added in lane order. reduceLanes(ADD) leaves the order open, and its compiled and
     * interpreted forms differ in the last bit, so a run would depend on how warm the JIT is.
     */
    private static double laneSum(DoubleVector v) {
        double total = 0;
        for (double lane : v.toArray()) {
            total += lane;
        }
        return total;
    }

    /** Sum of (x - shift) or of (x - shift)^2 over x[base + from .. base + to). */
    private static double sumShifted(MemorySegment x, long base, long from, long to, float shift, boolean square) {
        double total = 0;
        long j = from;
        int lanes = Vectors.LANES;
        if (lanes > 0) {
            DoubleVector acc = DoubleVector.zero(D);
            for (; j + lanes <= to; j += lanes) {
                FloatVector v = load(x, base + j).sub(shift);
                DoubleVector lo = low(v);
                DoubleVector hi = high(v);
                acc = square ? lo.fma(lo, hi.fma(hi, acc)) : acc.add(lo).add(hi);
            }
            total = laneSum(acc);
        }
        for (; j < to; j++) {
            double v = x.getAtIndex(JAVA_FLOAT, base + j) - shift;
            total += square ? v * v : v;
        }
        return total;
    }

    static void channelAffine(MemorySegment x, long xOff, MemorySegment scale, long scaleOff, MemorySegment shift,
                              long shiftOff, int n, int c, long s, boolean relu, MemorySegment y, long yOff) {
        int lanes = Vectors.LANES;
        forBlocks(n, c, s, (t, k, row, from, to) -> {
            float a = scale.getAtIndex(JAVA_FLOAT, scaleOff + k);
            float b = shift.getAtIndex(JAVA_FLOAT, shiftOff + k);
            long xb = xOff + row;
            long yb = yOff + row;
            long j = from;
            if (lanes > 0) {
                for (; j + lanes <= to; j += lanes) {
                    FloatVector v = load(x, xb + j).fma(a, b);
                    store(relu ? v.max(0f) : v, y, yb + j);
                }
            }
            for (; j < to; j++) {
                float v = Math.fma(x.getAtIndex(JAVA_FLOAT, xb + j), a, b);
                y.setAtIndex(JAVA_FLOAT, yb + j, relu ? Math.max(v, 0f) : v);
            }
        });
    }

    static void backwardReduce(MemorySegment x, long xOff, MemorySegment gy, long gyOff, MemorySegment reluOut,
                               long reluOutOff, MemorySegment mean, long meanOff, MemorySegment invStd,
                               long invStdOff, int n, int c, long s, MemorySegment sumGy, long sumGyOff,
                               MemorySegment sumGyXhat, long sumGyXhatOff) {
        int tasks = blockTasks(n, c, s);
        double[] pg = new double[tasks];
        double[] pgx = new double[tasks];
        int lanes = Vectors.LANES;
        forBlocks(n, c, s, (t, k, row, from, to) -> {
            float mu = mean.getAtIndex(JAVA_FLOAT, meanOff + k);
            double sg = 0;
            double sgx = 0;
            long j = from;
            if (lanes > 0) {
                DoubleVector ag = DoubleVector.zero(D);
                DoubleVector agx = DoubleVector.zero(D);
                DoubleVector muD = DoubleVector.broadcast(D, mu);
                for (; j + lanes <= to; j += lanes) {
                    FloatVector g = gradient(gy, gyOff + row + j, reluOut, reluOutOff + row + j);
                    FloatVector xv = load(x, xOff + row + j);
                    DoubleVector gLo = low(g);
                    DoubleVector gHi = high(g);
                    ag = ag.add(gLo).add(gHi);
                    agx = low(xv).sub(muD).fma(gLo, high(xv).sub(muD).fma(gHi, agx));
                }
                sg = laneSum(ag);
                sgx = laneSum(agx);
            }
            for (; j < to; j++) {
                double g = scalarGradient(gy, gyOff + row + j, reluOut, reluOutOff + row + j);
                sg += g;
                sgx += g * ((double) x.getAtIndex(JAVA_FLOAT, xOff + row + j) - mu);
            }
            pg[t] = sg;
            pgx[t] = sgx;
        });
        double[] g = perChannel(pg, n, c, s);
        double[] gx = perChannel(pgx, n, c, s);
        for (int k = 0; k < c; k++) {
            sumGy.setAtIndex(JAVA_FLOAT, sumGyOff + k, (float) g[k]);
            sumGyXhat.setAtIndex(JAVA_FLOAT, sumGyXhatOff + k,
                    (float) (gx[k] * invStd.getAtIndex(JAVA_FLOAT, invStdOff + k)));
        }
    }

    /**
     * gx = a*g + cx*(x - mean) + c0 with a = gamma*invStd, c0 = -a*sumGy/m and
     * cx = -a*invStd*sumGyXhat/m: the documented formula with the per-channel factors folded.
     */
    static void backwardData(MemorySegment x, long xOff, MemorySegment gy, long gyOff, MemorySegment reluOut,
                             long reluOutOff, MemorySegment mean, long meanOff, MemorySegment invStd,
                             long invStdOff, MemorySegment gamma, long gammaOff, MemorySegment sumGy, long sumGyOff,
                             MemorySegment sumGyXhat, long sumGyXhatOff, int n, int c, long s, MemorySegment gx,
                             long gxOff) {
        double m = (double) n * s;
        float[] a = new float[c];
        float[] c0 = new float[c];
        float[] cx = new float[c];
        for (int k = 0; k < c; k++) {
            double is = invStd.getAtIndex(JAVA_FLOAT, invStdOff + k);
            double ak = gamma.getAtIndex(JAVA_FLOAT, gammaOff + k) * is;
            a[k] = (float) ak;
            c0[k] = (float) (-ak * sumGy.getAtIndex(JAVA_FLOAT, sumGyOff + k) / m);
            cx[k] = (float) (-ak * is * sumGyXhat.getAtIndex(JAVA_FLOAT, sumGyXhatOff + k) / m);
        }
        int lanes = Vectors.LANES;
        forBlocks(n, c, s, (t, k, row, from, to) -> {
            float mu = mean.getAtIndex(JAVA_FLOAT, meanOff + k);
            long j = from;
            if (lanes > 0) {
                FloatVector av = FloatVector.broadcast(Vectors.F, a[k]);
                for (; j + lanes <= to; j += lanes) {
                    FloatVector g = gradient(gy, gyOff + row + j, reluOut, reluOutOff + row + j);
                    FloatVector r = load(x, xOff + row + j).sub(mu).fma(cx[k], c0[k]);
                    store(g.fma(av, r), gx, gxOff + row + j);
                }
            }
            for (; j < to; j++) {
                float g = scalarGradient(gy, gyOff + row + j, reluOut, reluOutOff + row + j);
                float r = Math.fma(x.getAtIndex(JAVA_FLOAT, xOff + row + j) - mu, cx[k], c0[k]);
                gx.setAtIndex(JAVA_FLOAT, gxOff + row + j, Math.fma(g, a[k], r));
            }
        });
    }

    /** gy, zeroed where the fused ReLU's output is not positive. */
    private static FloatVector gradient(MemorySegment gy, long gi, MemorySegment reluOut, long ri) {
        FloatVector g = load(gy, gi);
        if (reluOut == null) {
            return g;
        }
        VectorMask<Float> off = load(reluOut, ri).compare(VectorOperators.LE, 0f);
        return g.blend(0f, off);
    }

    private static float scalarGradient(MemorySegment gy, long gi, MemorySegment reluOut, long ri) {
        float g = gy.getAtIndex(JAVA_FLOAT, gi);
        return reluOut == null || reluOut.getAtIndex(JAVA_FLOAT, ri) > 0f ? g : 0f;
    }

    private static DoubleVector low(FloatVector v) {
        return (DoubleVector) v.convertShape(VectorOperators.F2D, D, 0);
    }

    private static DoubleVector high(FloatVector v) {
        return (DoubleVector) v.convertShape(VectorOperators.F2D, D, 1);
    }

    private static FloatVector load(MemorySegment m, long index) {
        return FloatVector.fromMemorySegment(Vectors.F, m, index * 4, ORDER);
    }

    private static void store(FloatVector v, MemorySegment m, long index) {
        v.intoMemorySegment(m, index * 4, ORDER);
    }
}
