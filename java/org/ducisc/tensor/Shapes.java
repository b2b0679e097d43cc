package org.ducisc.tensor;

import java.util.Arrays;

/** Shape arithmetic shared by the tensor ops: sizes, strides, broadcasting. */
public final class Shapes {
    private Shapes() {
    }

    public static long numel(long[] shape) {
        long n = 1;
        for (long s : shape) {
            n = Math.multiplyExact(n, s);
        }
        return n;
    }

    public static long[] contiguousStrides(long[] shape) {
        long[] st = new long[shape.length];
        long s = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            st[d] = s;
            s *= shape[d];
        }
        return st;
    }

    public static String str(long[] shape) {
        return Arrays.toString(shape);
    }

    /** The NumPy broadcast of two shapes, or an error naming the op and both shapes. */
    public static long[] broadcast(String op, long[] a, long[] b) {
        int r = Math.max(a.length, b.length);
        long[] out = new long[r];
        for (int i = 0; i < r; i++) {
            long da = i < r - a.length ? 1 : a[i - (r - a.length)];
            long db = i < r - b.length ? 1 : b[i - (r - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes " + str(a) + " and " + str(b)
                        + " cannot be broadcast together");
            }
            out[i] = Math.max(da, db);
        }
        return out;
    }

    /** Strides that read a contiguous tensor of {@code shape} as if it had the larger {@code target} shape. */
    public static long[] broadcastStrides(long[] shape, long[] target) {
        long[] own = contiguousStrides(shape);
        long[] st = new long[target.length];
        int shift = target.length - shape.length;
        for (int i = shift; i < target.length; i++) {
            st[i] = shape[i - shift] == 1 ? 0 : own[i - shift];
        }
        return st;
    }

    /** Normalises a possibly negative dim index, or fails naming the op. */
    public static int dim(String op, int dim, int rank) {
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank) {
            throw new IllegalArgumentException(op + ": dim " + dim + " is out of range for a tensor of rank " + rank);
        }
        return d;
    }

    static long[] checkShape(long[] shape) {
        for (long s : shape) {
            if (s < 0) {
                throw new IllegalArgumentException("negative size in shape " + str(shape));
            }
        }
        numel(shape);
        return shape.clone();
    }
}
