package org.ducisc.autograd;

import org.ducisc.tensor.Rng;
import org.ducisc.tensor.Shapes;
import org.ducisc.tensor.Tensor;

/** Channel dropout. */
public final class Dropout {
    private Dropout() {
    }

    /**
     * Dropout3d: in training, each (sample, channel) of x (N, C, ...) is zeroed with probability p
     * and the rest are scaled by 1/(1 - p). The keep/drop draws come from {@code rng} in (n, c)
     * order, one {@link Rng#nextDouble()} each. In eval mode, or with p = 0, x is returned as is.
     */
    public static Variable dropout3d(Variable x, double p, boolean training, Rng rng) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("dropout3d: p must be in [0, 1], got " + p);
        }
        long[] shape = x.shape();
        if (shape.length < 2) {
            throw new IllegalArgumentException("dropout3d: expected (N, C, ...), got shape " + Shapes.str(shape));
        }
        if (!training || p == 0) {
            return x;
        }
        int n = Math.toIntExact(shape[0]);
        int c = Math.toIntExact(shape[1]);
        float keptScale = p == 1 ? 0f : (float) (1.0 / (1.0 - p));
        float[] mask = new float[Math.multiplyExact(n, c)];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = rng.nextDouble() < 1.0 - p ? keptScale : 0f;
        }
        long[] maskShape = new long[shape.length];
        java.util.Arrays.fill(maskShape, 1);
        maskShape[0] = n;
        maskShape[1] = c;
        Tensor m = Tensor.of(x.value().device(), mask, maskShape);
        Variable y = ElementwiseGrad.mul(x, Variable.constant(m));
        if (!y.requiresGrad()) {
            m.close(); // no gradient rule holds the mask
        }
        return y;
    }
}
