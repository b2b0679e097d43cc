package org.ducisc.backend.cpu;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;

/**
 * Sums over any set of dims. Accumulation is in double, and the split of the summed elements
 * into partial sums is fixed by the sizes alone, so the result is the same for any thread count.
 */
final class CpuReduce {
    /** Summed elements per partial sum when few outputs must share the cores. */
    private static final long PARTIAL = 1 << 15;
    private static final int MAX_PARTIALS = 256;

    private CpuReduce() {
    }

    static void sum(MemorySegment x, long xOff, long[] shape, boolean[] reduce, MemorySegment out, long outOff) {
        long[] strides = StridedLoop.contiguousStrides(shape);
        int kept = 0;
        for (boolean r : reduce) {
            kept += r ? 0 : 1;
        }
        long[] keptShape = new long[kept];
        long[] keptStrides = new long[kept];
        long[] redShape = new long[shape.length - kept];
        long[] redStrides = new long[shape.length - kept];
        for (int d = 0, k = 0, r = 0; d < shape.length; d++) {
            if (reduce[d]) {
                redShape[r] = shape[d];
                redStrides[r++] = strides[d];
            } else {
                keptShape[k] = shape[d];
                keptStrides[k++] = strides[d];
            }
        }
        long outputs = product(keptShape);
        long summed = product(redShape);
        StridedLoop red = StridedLoop.of(redShape, redStrides);
        int partials = (int) Math.max(1, Math.min(MAX_PARTIALS, summed / PARTIAL));
        if (outputs == 0) {
            return;
        }
        if (summed == 0) {
            CpuPointwise.fill(org.ducisc.core.DType.FLOAT32, out, outOff, outputs, 0.0);
            return;
        }
        long partLen = (summed + partials - 1) / partials;
        int parts = (int) ((summed + partLen - 1) / partLen);
        if (outputs * (long) parts > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("sum: too many outputs for shape " + java.util.Arrays.toString(shape));
        }
        double[] partial = new double[(int) (outputs * parts)];
        Parallel.forRange(outputs * parts, 1, (t0, t1) -> {
            for (long t = t0; t < t1; t++) {
                long o = t / parts;
                long p = t % parts;
                long base = xOff + offsetOf(o, keptShape, keptStrides);
                partial[(int) t] = sumRange(x, base, red, p * partLen, Math.min(summed, (p + 1) * partLen));
            }
        });
        for (long o = 0; o < outputs; o++) {
            double s = 0;
            for (int p = 0; p < parts; p++) {
                s += partial[(int) (o * parts + p)];
            }
            out.setAtIndex(JAVA_FLOAT, outOff + o, (float) s);
        }
    }

    /** Sum of the elements with linear index [from, to) in the reduced index space. */
    private static double sumRange(MemorySegment x, long base, StridedLoop red, long from, long to) {
        long inner = red.innerSize();
        long stride = red.innerStride(0);
        double s = 0;
        long i = from;
        while (i < to) {
            long row = i / inner;
            long col = i % inner;
            long end = Math.min(inner, col + (to - i));
            long off = base + red.rowOffset(0, row);
            for (long c = col; c < end; c++) {
                s += x.getAtIndex(JAVA_FLOAT, off + c * stride);
            }
            i += end - col;
        }
        return s;
    }

    private static long offsetOf(long index, long[] shape, long[] strides) {
        long off = 0;
        for (int d = shape.length - 1; d >= 0; d--) {
            off += (index % shape[d]) * strides[d];
            index /= shape[d];
        }
        return off;
    }

    private static long product(long[] shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        return n;
    }
}
