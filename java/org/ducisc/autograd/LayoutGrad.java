package org.ducisc.autograd;

import org.ducisc.tensor.Layout;
import org.ducisc.tensor.Tensor;

/**
 * Differentiable layout ops: concatenation, stacking, cropping, zero padding, flips and quarter
 * turns. Each gradient (written) is the inverse rearrangement of the output gradient: cat and
 * stack cut it into slices, a crop pads it back with zeros, a pad crops it, a flip flips it, a
 * turn by k turns it by -k.
 */
public final class LayoutGrad {
    private LayoutGrad() {
    }

    public static Variable cat(int dim, Variable... xs) {
        Tensor[] values = values("cat", xs);
        Tensor y = Layout.cat(dim, values);
        int d = dim < 0 ? dim + y.rank() : dim;
        long[] starts = new long[xs.length];
        long[] sizes = new long[xs.length];
        long at = 0;
        for (int i = 0; i < xs.length; i++) {
            starts[i] = at;
            sizes[i] = values[i].size(d);
            at += sizes[i];
        }
        return Variable.result("cat", y, g -> {
            Tensor[] out = new Tensor[xs.length];
            for (int i = 0; i < xs.length; i++) {
                out[i] = xs[i].requiresGrad() ? Layout.narrow(g, d, starts[i], sizes[i]) : null;
            }
            return out;
        }, xs);
    }

    /** The inputs (of one shape) stacked along a new leading dim. */
    public static Variable stack(Variable... xs) {
        Tensor y = Layout.stack(values("stack", xs));
        long[] shape = xs[0].shape();
        return Variable.result("stack", y, g -> {
            Tensor[] out = new Tensor[xs.length];
            for (int i = 0; i < xs.length; i++) {
                if (xs[i].requiresGrad()) {
                    try (Tensor row = Layout.narrow(g, 0, i, 1)) {
                        out[i] = row.reshape(shape);
                    }
                }
            }
            return out;
        }, xs);
    }

    /** Elements [start, start + length) of {@code dim}. */
    public static Variable narrow(Variable x, int dim, long start, long length) {
        Tensor y = Layout.narrow(x.value(), dim, start, length);
        long[] xs = x.shape();
        int d = dim < 0 ? dim + xs.length : dim;
        long[] before = new long[xs.length - d];
        long[] after = new long[xs.length - d];
        before[0] = start;
        after[0] = xs[d] - start - length;
        return Variable.result("narrow", y, g -> new Tensor[] {Layout.pad(g, before, after)}, x);
    }

    /** The box of {@code size} at {@code start} in the trailing dims (see {@link Layout#crop}). */
    public static Variable crop(Variable x, long[] start, long[] size) {
        Tensor y = Layout.crop(x.value(), start, size);
        long[] xs = x.shape();
        long[] before = start.clone();
        long[] after = new long[start.length];
        for (int i = 0; i < start.length; i++) {
            after[i] = xs[xs.length - start.length + i] - start[i] - size[i];
        }
        return Variable.result("crop", y, g -> new Tensor[] {Layout.pad(g, before, after)}, x);
    }

    /** Zero padding of the trailing dims (see {@link Layout#pad}). */
    public static Variable pad(Variable x, long[] before, long[] after) {
        Tensor y = Layout.pad(x.value(), before, after);
        long[] xs = x.shape();
        long[] start = before.clone();
        long[] size = java.util.Arrays.copyOfRange(xs, xs.length - before.length, xs.length);
        return Variable.result("pad", y, g -> new Tensor[] {Layout.crop(g, start, size)}, x);
    }

    public static Variable flip(Variable x, int... dims) {
        Tensor y = Layout.flip(x.value(), dims);
        int[] ds = dims.clone();
        return Variable.result("flip", y, g -> new Tensor[] {Layout.flip(g, ds)}, x);
    }

    /** k quarter turns in the plane of dims a and b, from a towards b (see {@link Layout#rot90}). */
    public static Variable rot90(Variable x, int k, int a, int b) {
        Tensor y = Layout.rot90(x.value(), k, a, b);
        return Variable.result("rot90", y, g -> new Tensor[] {Layout.rot90(g, -Math.floorMod(k, 4), a, b)}, x);
    }

    private static Tensor[] values(String op, Variable... xs) {
        if (xs == null || xs.length == 0) {
            throw new IllegalArgumentException(op + ": no inputs given");
        }
        Tensor[] t = new Tensor[xs.length];
        for (int i = 0; i < xs.length; i++) {
            t[i] = xs[i].value();
        }
        return t;
    }
}
