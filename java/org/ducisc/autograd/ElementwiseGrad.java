package org.ducisc.autograd;

import org.ducisc.core.BinaryOp;
import org.ducisc.core.UnaryOp;
import org.ducisc.tensor.Elementwise;
import org.ducisc.tensor.Reductions;
import org.ducisc.tensor.Tensor;

/** Differentiable elementwise ops, with NumPy broadcasting for the binary ones. */
public final class ElementwiseGrad {
    private ElementwiseGrad() {
    }

    public static Variable add(Variable a, Variable b) {
        Tensor y = Elementwise.add(a.value(), b.value());
        long[] as = a.shape();
        long[] bs = b.shape();
        return Variable.result("add", y, g -> new Tensor[] {reduceTo(g, as), reduceTo(g, bs)}, a, b);
    }

    public static Variable sub(Variable a, Variable b) {
        Tensor y = Elementwise.sub(a.value(), b.value());
        long[] as = a.shape();
        long[] bs = b.shape();
        return Variable.result("sub", y, g -> new Tensor[] {reduceTo(g, as), reduceToNegated(g, bs)}, a, b);
    }

    public static Variable mul(Variable a, Variable b) {
        Tensor av = a.value();
        Tensor bv = b.value();
        Tensor y = Elementwise.mul(av, bv);
        return Variable.result("mul", y, g -> new Tensor[] {
            a.requiresGrad() ? productReduced(g, bv, av.shape()) : null,
            b.requiresGrad() ? productReduced(g, av, bv.shape()) : null}, a, b);
    }

    public static Variable div(Variable a, Variable b) {
        Tensor av = a.value();
        Tensor bv = b.value();
        Tensor y = Elementwise.div(av, bv);
        return Variable.result("div", y, g -> {
            Tensor ga = null;
            Tensor gb = null;
            if (a.requiresGrad()) {
                try (Tensor q = Elementwise.div(g, bv)) {
                    ga = reduceTo(q, av.shape());
                    if (ga == q) {
                        ga = q.copy();
                    }
                }
            }
            if (b.requiresGrad()) {
                // d(a/b)/db = -(a/b)/b = -y/b
                try (Tensor yb = Elementwise.div(y, bv); Tensor t = Elementwise.mul(g, yb)) {
                    gb = reduceToNegated(t, bv.shape());
                }
            }
            return new Tensor[] {ga, gb};
        }, a, b);
    }

    /** a*x + b with constants a and b. */
    public static Variable affine(Variable x, float scale, float shift) {
        Tensor y = Elementwise.affine(x.value(), scale, shift);
        return Variable.result("affine", y, g -> new Tensor[] {Elementwise.scale(g, scale)}, x);
    }

    public static Variable scale(Variable x, float scale) {
        return affine(x, scale, 0f);
    }

    public static Variable neg(Variable x) {
        return affine(x, -1f, 0f);
    }

    public static Variable exp(Variable x) {
        Tensor y = Elementwise.exp(x.value());
        return Variable.result("exp", y, g -> new Tensor[] {Elementwise.mul(g, y)}, x);
    }

    public static Variable log(Variable x) {
        Tensor xv = x.value();
        Tensor y = Elementwise.log(xv);
        return Variable.result("log", y, g -> new Tensor[] {Elementwise.div(g, xv)}, x);
    }

    public static Variable pow(Variable x, float exponent) {
        Tensor xv = x.value();
        Tensor y = Elementwise.pow(xv, exponent);
        return Variable.result("pow", y, g -> {
            try (Tensor d = Elementwise.unary(UnaryOp.POW, xv, exponent - 1f, 0f)) {
                Elementwise.affineInPlace(d, exponent, 0f);
                return new Tensor[] {Elementwise.mul(g, d)};
            }
        }, x);
    }

    public static Variable clamp(Variable x, float min, float max) {
        Tensor xv = x.value();
        Tensor y = Elementwise.clamp(xv, min, max);
        return Variable.result("clamp", y, g -> {
            try (Tensor inside = Elementwise.unary(UnaryOp.INSIDE, xv, min, max)) {
                return new Tensor[] {Elementwise.mul(g, inside)};
            }
        }, x);
    }

    public static Variable relu(Variable x) {
        Tensor y = Elementwise.relu(x.value());
        return Variable.result("relu", y, g -> new Tensor[] {Elementwise.binary(BinaryOp.RELU_GRAD, g, y)}, x);
    }

    /** The gradient {@code g} summed over the dims that broadcasting expanded, giving {@code shape}; may return g. */
    static Tensor reduceTo(Tensor g, long[] shape) {
        long[] gs = g.shape();
        if (java.util.Arrays.equals(gs, shape)) {
            return g;
        }
        int shift = gs.length - shape.length;
        int[] dims = new int[gs.length];
        int n = 0;
        for (int d = 0; d < gs.length; d++) {
            long target = d < shift ? 1 : shape[d - shift];
            if (d < shift || (target == 1 && gs[d] != 1)) {
                dims[n++] = d;
            }
        }
        try (Tensor s = Reductions.sum(g, true, java.util.Arrays.copyOf(dims, n))) {
            return s.reshape(shape);
        }
    }

    private static Tensor reduceToNegated(Tensor g, long[] shape) {
        Tensor r = reduceTo(g, shape);
        Tensor out = Elementwise.neg(r);
        if (r != g) {
            r.close();
        }
        return out;
    }

    /** g*other summed down to {@code shape} (the gradient of one factor of a broadcast product). */
    static Tensor productReduced(Tensor g, Tensor other, long[] shape) {
        Tensor p = Elementwise.mul(g, other);
        Tensor r = reduceTo(p, shape);
        if (r != p) {
            p.close();
        }
        return r;
    }
}
