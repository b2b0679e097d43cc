package org.ducisc.testing;

import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;

/** Plain double-precision reference computations for op tests. */
public final class Ref {
    private Ref() {
    }

    public static double[] map(double[] x, DoubleUnaryOperator f) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = f.applyAsDouble(x[i]);
        }
        return y;
    }

    /** NumPy-broadcast binary map of a (shape as) and b (shape bs) to the broadcast shape. */
    public static double[] broadcast(double[] a, long[] as, double[] b, long[] bs, DoubleBinaryOperator f) {
        int r = Math.max(as.length, bs.length);
        long[] out = new long[r];
        long[] pa = pad(as, r);
        long[] pb = pad(bs, r);
        for (int i = 0; i < r; i++) {
            out[i] = Math.max(pa[i], pb[i]);
        }
        int n = (int) numel(out);
        double[] y = new double[n];
        int[] idx = new int[r];
        for (int k = 0; k < n; k++) {
            int rem = k;
            for (int d = r - 1; d >= 0; d--) {
                idx[d] = (int) (rem % out[d]);
                rem /= (int) out[d];
            }
            y[k] = f.applyAsDouble(a[flat(idx, pa)], b[flat(idx, pb)]);
        }
        return y;
    }

    private static int flat(int[] idx, long[] shape) {
        int off = 0;
        for (int d = 0; d < shape.length; d++) {
            off = off * (int) shape[d] + (shape[d] == 1 ? 0 : idx[d]);
        }
        return off;
    }

    private static long[] pad(long[] s, int r) {
        long[] p = new long[r];
        java.util.Arrays.fill(p, 1);
        System.arraycopy(s, 0, p, r - s.length, s.length);
        return p;
    }

    public static long numel(long[] shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        return n;
    }

    /** Sum of x (shape) over the flagged dims, reduced dims kept as size 1, flattened. */
    public static double[] sum(double[] x, long[] shape, boolean[] reduce) {
        long[] out = shape.clone();
        for (int d = 0; d < shape.length; d++) {
            if (reduce[d]) {
                out[d] = 1;
            }
        }
        double[] y = new double[(int) numel(out)];
        int[] idx = new int[shape.length];
        for (int k = 0; k < x.length; k++) {
            int rem = k;
            for (int d = shape.length - 1; d >= 0; d--) {
                idx[d] = (int) (rem % shape[d]);
                rem /= (int) shape[d];
            }
            int o = 0;
            for (int d = 0; d < shape.length; d++) {
                o = o * (int) out[d] + (reduce[d] ? 0 : idx[d]);
            }
            y[o] += x[k];
        }
        return y;
    }
}
