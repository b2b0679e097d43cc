package org.ducisc.autograd;

import org.ducisc.tensor.Elementwise;
import org.ducisc.tensor.Reductions;
import org.ducisc.tensor.Shapes;
import org.ducisc.tensor.Tensor;

/** Differentiable sums and means. */
public final class ReductionsGrad {
    private ReductionsGrad() {
    }

    /** Sum over {@code dims} (all if none), reduced dims dropped unless {@code keepDims}. */
    public static Variable sum(Variable x, boolean keepDims, int... dims) {
        Tensor y = Reductions.sum(x.value(), keepDims, dims);
        long[] xs = x.shape();
        long[] kept = keptShape(x, dims);
        return Variable.result("sum", y, g -> new Tensor[] {expand(g, kept, xs, 1f)}, x);
    }

    public static Variable mean(Variable x, boolean keepDims, int... dims) {
        Tensor y = Reductions.mean(x.value(), keepDims, dims);
        long[] xs = x.shape();
        long[] kept = keptShape(x, dims);
        long count = Shapes.numel(xs) / Math.max(1, Shapes.numel(kept));
        return Variable.result("mean", y, g -> new Tensor[] {expand(g, kept, xs, (float) (1.0 / count))}, x);
    }

    /**
     * sum(x * weight) over {@code dims} (all if none), reduced dims dropped unless {@code keepDims};
     * {@code weight} is a constant broadcastable to x (a mask, a soft label, a target). The same
     * values and gradient, bit for bit, as {@code sum(mul(x, constant(weight)))}, without keeping the
     * product (the size of x) alive until the memory scope ends: it is freed once summed, as
     * PyTorch frees an intermediate nothing saved.
     *
     * @throws IllegalArgumentException if weight does not broadcast with x
     */
    public static Variable weightedSum(Variable x, Tensor weight, boolean keepDims, int... dims) {
        Tensor xv = x.value();
        long[] productShape = Shapes.broadcast("weightedSum", xv.shape(), weight.shape());
        Tensor y;
        try (Tensor product = Elementwise.mul(xv, weight)) {
            y = Reductions.sum(product, keepDims, dims);
        }
        long[] xs = xv.shape();
        long[] kept = keptShape(productShape, dims);
        return Variable.result("weightedSum", y, g -> {
            try (Tensor spread = expand(g, kept, productShape, 1f)) {
                return new Tensor[] {ElementwiseGrad.productReduced(spread, weight, xs)};
            }
        }, x);
    }

    public static Variable sumAll(Variable x) {
        return sum(x, false);
    }

    public static Variable meanAll(Variable x) {
        return mean(x, false);
    }

    /**
     * Mean of the elements of x where {@code mask} (float, 0 or 1, broadcastable to x) is 1; the
     * gradient reaches only those elements. With an empty mask the result is NaN (0/0), as in PyTorch.
     */
    public static Variable maskedMean(Variable x, Tensor mask) {
        Variable total = weightedSum(x, mask, false);
        long[] shape = Shapes.broadcast("maskedMean", x.shape(), mask.shape());
        float repeats = (float) (Shapes.numel(shape) / (double) mask.numel());
        try (Tensor maskSum = Reductions.sumAll(mask)) {
            return ElementwiseGrad.div(total, Variable.constant(Elementwise.scale(maskSum, repeats)));
        }
    }

    private static long[] keptShape(Variable x, int... dims) {
        return keptShape(x.shape(), dims);
    }

    private static long[] keptShape(long[] s, int... dims) {
        boolean[] reduce = new boolean[s.length];
        if (dims.length == 0) {
            java.util.Arrays.fill(reduce, true);
        }
        for (int d : dims) {
            reduce[Shapes.dim("sum", d, s.length)] = true;
        }
        long[] kept = s.clone();
        for (int d = 0; d < s.length; d++) {
            if (reduce[d]) {
                kept[d] = 1;
            }
        }
        return kept;
    }

    /** g (of the reduced shape) broadcast back to {@code full}, times {@code factor}. */
    private static Tensor expand(Tensor g, long[] kept, long[] full, float factor) {
        try (Tensor gk = g.reshape(kept)) {
            Tensor out = Elementwise.broadcastTo(gk, full);
            if (factor != 1f) {
                Elementwise.affineInPlace(out, factor, 0f);
            }
            return out;
        }
    }
}
