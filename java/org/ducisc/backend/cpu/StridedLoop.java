package org.ducisc.backend.cpu;

/**
 * A loop nest over several strided operands, simplified: dims of size 1 are dropped and adjacent
 * dims that every operand walks contiguously are merged, so a contiguous tensor becomes one
 * flat run and broadcasting becomes a short nest.
 */
final class StridedLoop {
    /** Sizes of the merged dims, outermost first; never empty. */
    final long[] shape;
    /** strides[operand][dim] over the merged dims. */
    final long[][] strides;

    private StridedLoop(long[] shape, long[][] strides) {
        this.shape = shape;
        this.strides = strides;
    }

    static StridedLoop of(long[] shape, long[]... operandStrides) {
        int ops = operandStrides.length;
        long[] s = new long[shape.length];
        long[][] st = new long[ops][shape.length];
        int r = 0;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1) {
                continue;
            }
            boolean merge = r > 0;
            for (int o = 0; o < ops && merge; o++) {
                merge = st[o][r - 1] == operandStrides[o][d] * shape[d];
            }
            if (merge) {
                s[r - 1] *= shape[d];
                for (int o = 0; o < ops; o++) {
                    st[o][r - 1] = operandStrides[o][d];
                }
            } else {
                s[r] = shape[d];
                for (int o = 0; o < ops; o++) {
                    st[o][r] = operandStrides[o][d];
                }
                r++;
            }
        }
        if (r == 0) {
            return new StridedLoop(new long[] {1}, new long[ops][1]);
        }
        long[][] trimmed = new long[ops][];
        for (int o = 0; o < ops; o++) {
            trimmed[o] = java.util.Arrays.copyOf(st[o], r);
        }
        return new StridedLoop(java.util.Arrays.copyOf(s, r), trimmed);
    }

    int rank() {
        return shape.length;
    }

    long innerSize() {
        return shape[shape.length - 1];
    }

    long innerStride(int operand) {
        return strides[operand][shape.length - 1];
    }

    /** Number of inner runs: the product of every dim but the last. */
    long rows() {
        long n = 1;
        for (int d = 0; d < shape.length - 1; d++) {
            n *= shape[d];
        }
        return n;
    }

    /** Offset of operand {@code o} at the start of inner run {@code row}. */
    long rowOffset(int o, long row) {
        long off = 0;
        for (int d = shape.length - 2; d >= 0; d--) {
            long i = row % shape[d];
            row /= shape[d];
            off += i * strides[o][d];
        }
        return off;
    }

    /**
     * Runs body over every inner run, cutting long runs into pieces of about {@code grain} elements
     * so that a tensor that merged into one flat run still spreads over every core.
     */
    void forEachRun(long grain, RunBody body) {
        long inner = innerSize();
        if (inner == 0 || rows() == 0) {
            return;
        }
        long pieces = Math.max(1, Math.min(inner / Math.max(1, grain), 1L << 20));
        long pieceLen = (inner + pieces - 1) / pieces;
        long total = rows() * pieces;
        long perTask = Math.max(1, grain / pieceLen);
        Parallel.forRange(total, perTask, (t0, t1) -> {
            for (long t = t0; t < t1; t++) {
                long row = t / pieces;
                long start = (t % pieces) * pieceLen;
                body.run(row, start, Math.min(inner, start + pieceLen));
            }
        });
    }

    @FunctionalInterface
    interface RunBody {
        void run(long row, long start, long end);
    }

    static long[] contiguousStrides(long[] shape) {
        long[] st = new long[shape.length];
        long s = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            st[d] = s;
            s *= shape[d];
        }
        return st;
    }
}
