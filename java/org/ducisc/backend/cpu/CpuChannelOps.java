package org.ducisc.backend.cpu;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Ops over the channel dim of (n, c, s) tensors. Channels are few and the spatial extent is large,
 * so work is split over (sample, spatial block) and each task walks all channels at one spatial
 * position before moving on; every output element depends only on its own position, so the split
 * never changes a result.
 */
final class CpuChannelOps {
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    /** Spatial positions per task. */
    private static final long BLOCK = 1 << 13;

    private CpuChannelOps() {
    }

    @FunctionalInterface
    private interface BlockBody {
        /** Positions [from, to) of sample {@code sample}. */
        void run(int sample, long from, long to);
    }

    private static void forBlocks(int n, long s, BlockBody body) {
        long blocks = (s + BLOCK - 1) / BLOCK;
        Parallel.forEach(Math.toIntExact(n * blocks), t -> {
            long b = t % blocks;
            body.run((int) (t / blocks), b * BLOCK, Math.min(s, (b + 1) * BLOCK));
        });
    }

    static void argmax(MemorySegment x, long xOff, int n, int c, long s, MemorySegment out, long outOff) {
        int lanes = Vectors.LANES;
        forBlocks(n, s, (i, from, to) -> {
            long base = xOff + (long) i * c * s;
            long j = from;
            if (lanes > 0) {
                float[] lane = new float[lanes];
                for (; j + lanes <= to; j += lanes) {
                    FloatVector best = load(x, base + j);
                    FloatVector arg = FloatVector.zero(Vectors.F);
                    for (int k = 1; k < c; k++) {
                        FloatVector v = load(x, base + k * s + j);
                        VectorMask<Float> greater = v.compare(VectorOperators.GT, best);
                        best = best.blend(v, greater);
                        arg = arg.blend(k, greater);
                    }
                    arg.intoArray(lane, 0);
                    for (int l = 0; l < lanes; l++) {
                        out.set(JAVA_BYTE, outOff + i * s + j + l, (byte) lane[l]);
                    }
                }
            }
            for (; j < to; j++) {
                float best = x.getAtIndex(JAVA_FLOAT, base + j);
                int arg = 0;
                for (int k = 1; k < c; k++) {
                    float v = x.getAtIndex(JAVA_FLOAT, base + k * s + j);
                    if (v > best) {
                        best = v;
                        arg = k;
                    }
                }
                out.set(JAVA_BYTE, outOff + i * s + j, (byte) arg);
            }
        });
    }

    static void softmax(MemorySegment x, long xOff, int n, int c, long s, MemorySegment y, long yOff, boolean log) {
        int lanes = Vectors.LANES;
        forBlocks(n, s, (i, from, to) -> {
            long xb = xOff + (long) i * c * s;
            long yb = yOff + (long) i * c * s;
            long j = from;
            if (lanes > 0) {
                for (; j + lanes <= to; j += lanes) {
                    FloatVector m = load(x, xb + j);
                    for (int k = 1; k < c; k++) {
                        m = m.max(load(x, xb + k * s + j));
                    }
                    FloatVector sum = FloatVector.zero(Vectors.F);
                    for (int k = 0; k < c; k++) {
                        FloatVector e = ExactMath.exp(load(x, xb + k * s + j).sub(m));
                        sum = sum.add(e);
                        if (!log) {
                            store(e, y, yb + k * s + j);
                        }
                    }
                    if (log) {
                        FloatVector shift = m.add(ExactMath.log(sum));
                        for (int k = 0; k < c; k++) {
                            store(load(x, xb + k * s + j).sub(shift), y, yb + k * s + j);
                        }
                    } else {
                        for (int k = 0; k < c; k++) {
                            store(load(y, yb + k * s + j).div(sum), y, yb + k * s + j);
                        }
                    }
                }
            }
            for (; j < to; j++) {
                float m = x.getAtIndex(JAVA_FLOAT, xb + j);
                for (int k = 1; k < c; k++) {
                    m = Math.max(m, x.getAtIndex(JAVA_FLOAT, xb + k * s + j));
                }
                float sum = 0f;
                for (int k = 0; k < c; k++) {
                    float e = ExactMath.exp(x.getAtIndex(JAVA_FLOAT, xb + k * s + j) - m);
                    sum += e;
                    if (!log) {
                        y.setAtIndex(JAVA_FLOAT, yb + k * s + j, e);
                    }
                }
                if (log) {
                    float shift = m + ExactMath.log(sum);
                    for (int k = 0; k < c; k++) {
                        y.setAtIndex(JAVA_FLOAT, yb + k * s + j, x.getAtIndex(JAVA_FLOAT, xb + k * s + j) - shift);
                    }
                } else {
                    for (int k = 0; k < c; k++) {
                        y.setAtIndex(JAVA_FLOAT, yb + k * s + j, y.getAtIndex(JAVA_FLOAT, yb + k * s + j) / sum);
                    }
                }
            }
        });
    }

    /**
     * Softmax: gx = y * (gy - sum_k gy*y). Log-softmax: gx = gy - exp(y) * sum_k gy. The two
     * forms have separate loops: a vector chosen by a condition inside the loop is not kept in
     * registers by the JIT.
     */
    static void softmaxBackward(MemorySegment y, long yOff, MemorySegment gy, long gyOff, int n, int c, long s,
                                MemorySegment gx, long gxOff, boolean log) {
        forBlocks(n, s, (i, from, to) -> {
            long base = (long) i * c * s;
            if (log) {
                logSoftmaxBackwardBlock(y, yOff + base, gy, gyOff + base, c, s, gx, gxOff + base, from, to);
            } else {
                softmaxBackwardBlock(y, yOff + base, gy, gyOff + base, c, s, gx, gxOff + base, from, to);
            }
        });
    }

    private static void softmaxBackwardBlock(MemorySegment y, long yb, MemorySegment gy, long gb, int c, long s,
                                             MemorySegment gx, long ob, long from, long to) {
        int lanes = Vectors.LANES;
        long j = from;
        if (lanes > 0) {
            for (; j + lanes <= to; j += lanes) {
                FloatVector dot = FloatVector.zero(Vectors.F);
                for (int k = 0; k < c; k++) {
                    dot = load(y, yb + k * s + j).fma(load(gy, gb + k * s + j), dot);
                }
                for (int k = 0; k < c; k++) {
                    FloatVector g = load(gy, gb + k * s + j);
                    store(load(y, yb + k * s + j).mul(g.sub(dot)), gx, ob + k * s + j);
                }
            }
        }
        for (; j < to; j++) {
            float dot = 0f;
            for (int k = 0; k < c; k++) {
                dot = Math.fma(y.getAtIndex(JAVA_FLOAT, yb + k * s + j), gy.getAtIndex(JAVA_FLOAT, gb + k * s + j), dot);
            }
            for (int k = 0; k < c; k++) {
                float g = gy.getAtIndex(JAVA_FLOAT, gb + k * s + j);
                gx.setAtIndex(JAVA_FLOAT, ob + k * s + j, y.getAtIndex(JAVA_FLOAT, yb + k * s + j) * (g - dot));
            }
        }
    }

    private static void logSoftmaxBackwardBlock(MemorySegment y, long yb, MemorySegment gy, long gb, int c, long s,
                                                MemorySegment gx, long ob, long from, long to) {
        int lanes = Vectors.LANES;
        long j = from;
        if (lanes > 0) {
            for (; j + lanes <= to; j += lanes) {
                FloatVector sum = FloatVector.zero(Vectors.F);
                for (int k = 0; k < c; k++) {
                    sum = sum.add(load(gy, gb + k * s + j));
                }
                for (int k = 0; k < c; k++) {
                    FloatVector p = ExactMath.exp(load(y, yb + k * s + j));
                    store(load(gy, gb + k * s + j).sub(p.mul(sum)), gx, ob + k * s + j);
                }
            }
        }
        for (; j < to; j++) {
            float sum = 0f;
            for (int k = 0; k < c; k++) {
                sum += gy.getAtIndex(JAVA_FLOAT, gb + k * s + j);
            }
            for (int k = 0; k < c; k++) {
                float p = ExactMath.exp(y.getAtIndex(JAVA_FLOAT, yb + k * s + j));
                gx.setAtIndex(JAVA_FLOAT, ob + k * s + j, gy.getAtIndex(JAVA_FLOAT, gb + k * s + j) - p * sum);
            }
        }
    }

    static void gather(MemorySegment x, long xOff, MemorySegment t, long tOff, int n, int c, long s,
                       MemorySegment out, long outOff) {
        forBlocks(n, s, (i, from, to) -> {
            long xb = xOff + (long) i * c * s;
            for (long j = from; j < to; j++) {
                int k = target(t, tOff + i * s + j, c, "gatherChannel", i, j);
                out.setAtIndex(JAVA_FLOAT, outOff + i * s + j, x.getAtIndex(JAVA_FLOAT, xb + k * s + j));
            }
        });
    }

    static void scatter(MemorySegment g, long gOff, MemorySegment t, long tOff, int n, int c, long s,
                        MemorySegment gx, long gxOff) {
        int lanes = Vectors.LANES;
        forBlocks(n, s, (i, from, to) -> {
            long ob = gxOff + (long) i * c * s;
            // Zero the block (it stays in cache), then place each gradient in its target channel.
            for (int k = 0; k < c; k++) {
                long j = from;
                if (lanes > 0) {
                    FloatVector zero = FloatVector.zero(Vectors.F);
                    for (; j + lanes <= to; j += lanes) {
                        store(zero, gx, ob + k * s + j);
                    }
                }
                for (; j < to; j++) {
                    gx.setAtIndex(JAVA_FLOAT, ob + k * s + j, 0f);
                }
            }
            for (long j = from; j < to; j++) {
                int k = target(t, tOff + i * s + j, c, "scatterChannel", i, j);
                gx.setAtIndex(JAVA_FLOAT, ob + k * s + j, g.getAtIndex(JAVA_FLOAT, gOff + i * s + j));
            }
        });
    }

    private static int target(MemorySegment t, long index, int c, String op, int sample, long position) {
        int k = Byte.toUnsignedInt(t.get(JAVA_BYTE, index));
        if (k >= c) {
            throw new IllegalArgumentException(op + ": target value " + k + " at sample " + sample + ", position "
                    + position + " is not a channel of " + c);
        }
        return k;
    }

    private static FloatVector load(MemorySegment m, long index) {
        return FloatVector.fromMemorySegment(Vectors.F, m, index * 4, ORDER);
    }

    private static void store(FloatVector v, MemorySegment m, long index) {
        v.intoMemorySegment(m, index * 4, ORDER);
    }
}
