package org.ducisc.autograd;

import org.ducisc.tensor.Rng;
import org.ducisc.tensor.Tensor;

/** Double-precision references for the channel ops of (n, c, s) arrays, shared by this package's tests. */
final class ChannelRef {
    private ChannelRef() {
    }

    /** (n, c, s) of a (N, C, ...) shape. */
    static int[] view(long[] shape) {
        long s = 1;
        for (int d = 2; d < shape.length; d++) {
            s *= shape[d];
        }
        return new int[] {(int) shape[0], (int) shape[1], (int) s};
    }

    static double[] softmax(double[] x, long[] shape, boolean log) {
        int[] v = view(shape);
        int n = v[0];
        int c = v[1];
        int s = v[2];
        double[] y = new double[x.length];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < s; j++) {
                double m = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < c; k++) {
                    m = Math.max(m, x[(i * c + k) * s + j]);
                }
                double sum = 0;
                for (int k = 0; k < c; k++) {
                    sum += Math.exp(x[(i * c + k) * s + j] - m);
                }
                for (int k = 0; k < c; k++) {
                    double z = x[(i * c + k) * s + j] - m;
                    y[(i * c + k) * s + j] = log ? z - Math.log(sum) : Math.exp(z) / sum;
                }
            }
        }
        return y;
    }

    /** x[n, target[n, s], s]. */
    static double[] pick(double[] x, double[] target, long[] shape) {
        int[] v = view(shape);
        int c = v[1];
        int s = v[2];
        double[] out = new double[v[0] * s];
        for (int i = 0; i < v[0]; i++) {
            for (int j = 0; j < s; j++) {
                out[i * s + j] = x[(i * c + (int) target[i * s + j]) * s + j];
            }
        }
        return out;
    }

    /** Per-channel mean and biased variance: {mean[], var[]}. */
    static double[][] moments(double[] x, long[] shape) {
        int[] v = view(shape);
        int c = v[1];
        int s = v[2];
        double m = (double) v[0] * s;
        double[] mean = new double[c];
        double[] var = new double[c];
        for (int i = 0; i < v[0]; i++) {
            for (int k = 0; k < c; k++) {
                for (int j = 0; j < s; j++) {
                    mean[k] += x[(i * c + k) * s + j];
                }
            }
        }
        for (int k = 0; k < c; k++) {
            mean[k] /= m;
        }
        for (int i = 0; i < v[0]; i++) {
            for (int k = 0; k < c; k++) {
                for (int j = 0; j < s; j++) {
                    double d = x[(i * c + k) * s + j] - mean[k];
                    var[k] += d * d;
                }
            }
        }
        for (int k = 0; k < c; k++) {
            var[k] /= m;
        }
        return new double[][] {mean, var};
    }

    /** gamma*(x - mean)/sqrt(var + eps) + beta, then max(., 0) if relu. */
    static double[] batchNorm(double[] x, long[] shape, double[] gamma, double[] beta, double[] mean, double[] var,
                              double eps, boolean relu) {
        int[] v = view(shape);
        int c = v[1];
        int s = v[2];
        double[] y = new double[x.length];
        for (int i = 0; i < v[0]; i++) {
            for (int k = 0; k < c; k++) {
                double inv = 1 / Math.sqrt(var[k] + eps);
                for (int j = 0; j < s; j++) {
                    int at = (i * c + k) * s + j;
                    double r = gamma[k] * (x[at] - mean[k]) * inv + beta[k];
                    y[at] = relu ? Math.max(r, 0) : r;
                }
            }
        }
        return y;
    }

    /** Fails unless the exception's message contains every part (the op name, the offending shapes). */
    static void assertNames(Throwable e, String... parts) {
        for (String part : parts) {
            if (e.getMessage() == null || !e.getMessage().contains(part)) {
                org.junit.jupiter.api.Assertions.fail("message \"" + e.getMessage() + "\" does not name " + part);
            }
        }
    }

    /** Random labels in [0, c) for a (N, C, ...) shape: uint8 of shape (N, ...). */
    static Tensor labels(long[] shape, long seed) {
        long[] ts = org.ducisc.tensor.Channels.withoutChannels(shape);
        byte[] b = new byte[(int) org.ducisc.testing.Ref.numel(ts)];
        Rng rng = new Rng(seed);
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) rng.nextInt((int) shape[1]);
        }
        return Tensor.ofBytes(b, ts);
    }
}
