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
        Variable total = sumAll(ElementwiseGrad.mul(x, Variable.constant(mask)));
        long[] shape = Shapes.broadcast("maskedMean", x.shape(), mask.shape());
        float repeats = (float) (Shapes.numel(shape) / (double) mask.numel());
        try (Tensor maskSum = Reductions.sumAll(mask)) {
            return ElementwiseGrad.div(total, Variable.constant(Elementwise.scale(maskSum, repeats)));
        }
    }

    private static long[] keptShape(Variable x, int... dims) {
        long[] s = x.shape();
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
