package org.ducisc.tensor;

/** Double-precision references for ops that move elements: each output element names its source. */
public final class IndexRef {
    private IndexRef() {
    }

    /** Fills {@code in} with the source index of output index {@code out}; returns false where the output is 0. */
    @FunctionalInterface
    public interface Source {
        boolean find(int[] out, int[] in);
    }

    /** y[o] = x[source(o)] (or 0), for x of {@code inShape} and y of {@code outShape}, both flat row-major. */
    public static double[] gather(double[] x, long[] inShape, long[] outShape, Source source) {
        int n = Math.toIntExact(numel(outShape));
        double[] y = new double[n];
        int[] o = new int[outShape.length];
        int[] i = new int[inShape.length];
        for (int k = 0; k < n; k++) {
            unflatten(k, outShape, o);
            if (source.find(o, i)) {
                y[k] = x[flatten(i, inShape)];
            }
        }
        return y;
    }

    public static void unflatten(int k, long[] shape, int[] idx) {
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = (int) (k % shape[d]);
            k /= (int) shape[d];
        }
    }

    public static int flatten(int[] idx, long[] shape) {
        int f = 0;
        for (int d = 0; d < shape.length; d++) {
            if (idx[d] < 0 || idx[d] >= shape[d]) {
                throw new IllegalStateException("reference index " + java.util.Arrays.toString(idx) + " outside "
                        + java.util.Arrays.toString(shape));
            }
            f = f * (int) shape[d] + idx[d];
        }
        return f;
    }

    public static long numel(long[] shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        return n;
    }

    /** Random uint8 values in [1, 255], never zero, so a missed or zero-filled element shows. */
    public static Tensor randomBytes(long seed, long... shape) {
        Rng rng = new Rng(seed);
        byte[] b = new byte[Math.toIntExact(numel(shape))];
        for (int k = 0; k < b.length; k++) {
            b[k] = (byte) (1 + rng.nextInt(255));
        }
        return Tensor.ofBytes(b, shape);
    }

    /** Concatenation of flat inputs of the given shapes along dim. */
    public static double[] cat(int dim, long[][] shapes, double[][] in) {
        long[] out = shapes[0].clone();
        out[dim] = 0;
        for (long[] s : shapes) {
            out[dim] += s[dim];
        }
        double[] y = new double[Math.toIntExact(numel(out))];
        int[] o = new int[out.length];
        for (int k = 0; k < y.length; k++) {
            unflatten(k, out, o);
            int which = 0;
            int at = o[dim];
            while (at >= shapes[which][dim]) {
                at -= (int) shapes[which][dim];
                which++;
            }
            int[] i = o.clone();
            i[dim] = at;
            y[k] = in[which][flatten(i, shapes[which])];
        }
        return y;
    }

    /**
     * torch.rot90 written out: one quarter turn from dim a towards dim b takes output (i_a, i_b)
     * from input (i_b, S_b - 1 - i_a); the others are that turn repeated.
     */
    public static double[] rot90(double[] x, long[] shape, int k, int a, int b) {
        double[] y = x;
        long[] s = shape.clone();
        for (int t = 0; t < Math.floorMod(k, 4); t++) {
            long[] in = s.clone();
            long[] out = s.clone();
            out[a] = in[b];
            out[b] = in[a];
            y = gather(y, in, out, (o, i) -> {
                System.arraycopy(o, 0, i, 0, o.length);
                i[a] = o[b];
                i[b] = (int) in[b] - 1 - o[a];
                return true;
            });
            s = out;
        }
        return y;
    }
}
