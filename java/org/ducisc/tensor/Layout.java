package org.ducisc.tensor;

import java.util.Arrays;

/**
 * Copies that rearrange elements (no gradients): concatenation, stacking, cropping, zero
 * padding, flips and quarter turns. Each is one strided copy through the backend, so they work
 * for every element type (float32 values and uint8 labels alike) and every device.
 */
public final class Layout {
    private Layout() {
    }

    /** The tensors joined along {@code dim}; they agree in type, device and every other size. */
    public static Tensor cat(int dim, Tensor... tensors) {
        String op = "cat";
        if (tensors == null || tensors.length == 0) {
            throw new IllegalArgumentException(op + ": no tensors given");
        }
        Tensor first = tensors[0];
        int d = Shapes.dim(op, dim, first.rank());
        long total = 0;
        for (Tensor t : tensors) {
            Checks.sameDevice(op, first, t);
            long[] a = first.shapeRef();
            long[] b = t.shapeRef();
            boolean fits = a.length == b.length && t.dtype() == first.dtype();
            for (int i = 0; i < a.length && fits; i++) {
                fits = i == d || a[i] == b[i];
            }
            if (!fits) {
                throw new IllegalArgumentException(op + ": along dim " + dim + ", " + t.dtype() + " " + Shapes.str(b)
                        + " does not fit " + first.dtype() + " " + Shapes.str(a));
            }
            total += b[d];
        }
        long[] shape = first.shape();
        shape[d] = total;
        Tensor out = Tensor.empty(first.device(), first.dtype(), shape);
        long[] outStrides = Shapes.contiguousStrides(shape);
        long at = 0;
        for (Tensor t : tensors) {
            long[] s = t.shapeRef();
            copy(t, 0, Shapes.contiguousStrides(s), out, at * outStrides[d], outStrides, s);
            at += s[d];
        }
        return out;
    }

    /** The tensors (all of one shape) stacked along a new leading dim. */
    public static Tensor stack(Tensor... tensors) {
        String op = "stack";
        if (tensors == null || tensors.length == 0) {
            throw new IllegalArgumentException(op + ": no tensors given");
        }
        Tensor first = tensors[0];
        for (Tensor t : tensors) {
            Checks.sameDevice(op, first, t);
            if (t.dtype() != first.dtype() || !Arrays.equals(t.shapeRef(), first.shapeRef())) {
                throw new IllegalArgumentException(op + ": " + t.dtype() + " " + Shapes.str(t.shapeRef())
                        + " differs from " + first.dtype() + " " + Shapes.str(first.shapeRef()));
            }
        }
        long[] one = first.shapeRef();
        long[] shape = new long[one.length + 1];
        shape[0] = tensors.length;
        System.arraycopy(one, 0, shape, 1, one.length);
        Tensor out = Tensor.empty(first.device(), first.dtype(), shape);
        long[] st = Shapes.contiguousStrides(one);
        long n = Shapes.numel(one);
        for (int i = 0; i < tensors.length; i++) {
            copy(tensors[i], 0, st, out, i * n, st, one);
        }
        return out;
    }

    /** A copy of elements [start, start + length) of {@code dim}. */
    public static Tensor narrow(Tensor x, int dim, long start, long length) {
        String op = "narrow";
        int d = Shapes.dim(op, dim, x.rank());
        long size = x.shapeRef()[d];
        if (start < 0 || length < 0 || start + length > size) {
            throw new IllegalArgumentException(op + ": [" + start + ", " + (start + length) + ") is outside dim " + dim
                    + " of " + Shapes.str(x.shapeRef()));
        }
        return View.of(x).narrow(d, start, length).copy(x);
    }

    /**
     * A copy of the box of {@code size} starting at {@code start} in the trailing start.length dims
     * (for a 5-d volume and three values: a spatial crop).
     */
    public static Tensor crop(Tensor x, long[] start, long[] size) {
        String op = "crop";
        int lead = trailing(op, x, start, size);
        View v = View.of(x);
        long[] s = x.shapeRef();
        for (int i = 0; i < start.length; i++) {
            int d = lead + i;
            if (start[i] < 0 || size[i] < 0 || start[i] + size[i] > s[d]) {
                throw new IllegalArgumentException(op + ": box at " + Arrays.toString(start) + " of size "
                        + Arrays.toString(size) + " is outside " + Shapes.str(s));
            }
            v.narrow(d, start[i], size[i]);
        }
        return v.copy(x);
    }

    /** x with before[i] zeros ahead of and after[i] zeros behind each of its trailing before.length dims. */
    public static Tensor pad(Tensor x, long[] before, long[] after) {
        String op = "pad";
        int lead = trailing(op, x, before, after);
        long[] s = x.shapeRef();
        long[] shape = s.clone();
        for (int i = 0; i < before.length; i++) {
            if (before[i] < 0 || after[i] < 0) {
                throw new IllegalArgumentException(op + ": negative padding " + Arrays.toString(before) + ", "
                        + Arrays.toString(after) + " for " + Shapes.str(s) + " (use crop)");
            }
            shape[lead + i] = Math.addExact(s[lead + i], Math.addExact(before[i], after[i]));
        }
        Tensor out = Tensor.empty(x.device(), x.dtype(), shape);
        x.backend().fill(x.dtype(), out.buffer(), out.offset(), out.numel(), 0);
        long[] outStrides = Shapes.contiguousStrides(shape);
        long at = 0;
        for (int i = 0; i < before.length; i++) {
            at += before[i] * outStrides[lead + i];
        }
        copy(x, 0, Shapes.contiguousStrides(s), out, at, outStrides, s);
        return out;
    }

    /** x reversed along each of {@code dims}. */
    public static Tensor flip(Tensor x, int... dims) {
        String op = "flip";
        View v = View.of(x);
        boolean[] seen = new boolean[x.rank()];
        for (int dim : dims) {
            int d = Shapes.dim(op, dim, x.rank());
            if (seen[d]) {
                throw new IllegalArgumentException(op + ": dim " + dim + " given twice for " + Shapes.str(x.shapeRef()));
            }
            seen[d] = true;
            v.flip(d);
        }
        return v.copy(x);
    }

    /**
     * x turned k quarter turns in the plane of dims a and b, from a towards b, as torch.rot90(x, k,
     * [a, b]); k may be any integer (taken mod 4). An odd k swaps the sizes of a and b.
     */
    public static Tensor rot90(Tensor x, int k, int a, int b) {
        String op = "rot90";
        int da = Shapes.dim(op, a, x.rank());
        int db = Shapes.dim(op, b, x.rank());
        if (da == db) {
            throw new IllegalArgumentException(op + ": dims " + a + " and " + b + " are the same dim of "
                    + Shapes.str(x.shapeRef()));
        }
        View v = View.of(x);
        switch (Math.floorMod(k, 4)) {
            case 1 -> v.flip(db).swap(da, db);
            case 2 -> v.flip(da).flip(db);
            case 3 -> v.flip(da).swap(da, db);
            default -> {
            }
        }
        return v.copy(x);
    }

    /**
     * Copies {@code shape} elements of src, read from src.offset() + srcOff with srcStrides, into
     * dst at dst.offset() + dstOff with dstStrides.
     */
    private static void copy(Tensor src, long srcOff, long[] srcStrides, Tensor dst, long dstOff, long[] dstStrides,
                             long[] shape) {
        src.backend().copyStrided(src.dtype(), src.buffer(), src.offset() + srcOff, srcStrides, dst.buffer(),
                dst.offset() + dstOff, dstStrides, shape);
    }

    /** Checks two per-dim arrays for the trailing dims of x; returns the number of leading dims left alone. */
    private static int trailing(String op, Tensor x, long[] first, long[] second) {
        if (first == null || second == null || first.length != second.length || first.length > x.rank()) {
            throw new IllegalArgumentException(op + ": " + Arrays.toString(first) + " and " + Arrays.toString(second)
                    + " must have one value per trailing dim of " + Shapes.str(x.shapeRef()));
        }
        return x.rank() - first.length;
    }

    /** A strided window onto a tensor's elements (offset relative to the tensor's), materialised by one copy. */
    private static final class View {
        private long offset;
        private final long[] shape;
        private final long[] strides;

        private View(long offset, long[] shape, long[] strides) {
            this.offset = offset;
            this.shape = shape;
            this.strides = strides;
        }

        static View of(Tensor x) {
            return new View(0, x.shape(), Shapes.contiguousStrides(x.shapeRef()));
        }

        View narrow(int d, long start, long length) {
            offset += start * strides[d];
            shape[d] = length;
            return this;
        }

        View flip(int d) {
            if (shape[d] > 0) {
                offset += (shape[d] - 1) * strides[d];
            }
            strides[d] = -strides[d];
            return this;
        }

        View swap(int a, int b) {
            long s = shape[a];
            shape[a] = shape[b];
            shape[b] = s;
            long t = strides[a];
            strides[a] = strides[b];
            strides[b] = t;
            return this;
        }

        Tensor copy(Tensor src) {
            Tensor out = Tensor.empty(src.device(), src.dtype(), shape);
            Layout.copy(src, offset, strides, out, 0, Shapes.contiguousStrides(shape), shape);
            return out;
        }
    }
}
