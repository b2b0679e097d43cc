package org.ducisc.tensor;

import org.ducisc.core.DType;

/**
 * The pieces of batch normalisation over the channel dim of (N, C, ...) float tensors, without
 * gradients. Per-channel operands (mean, inverse std, scale, ...) have shape (C).
 */
public final class Normalization {
    private Normalization() {
    }

    /** Per-channel mean and biased variance; the caller closes both. */
    public record Moments(Tensor mean, Tensor var) implements AutoCloseable {
        @Override
        public void close() {
            mean.close();
            var.close();
        }
    }

    /** Per-channel gradient sums sum(g) and sum(g*xhat); the caller closes both. */
    public record GradSums(Tensor sumGy, Tensor sumGyXhat) implements AutoCloseable {
        @Override
        public void close() {
            sumGy.close();
            sumGyXhat.close();
        }
    }

    /** Mean and biased variance of each channel over the batch and spatial dims. */
    public static Moments moments(Tensor x) {
        long[] v = view("batchNormStats", x);
        Tensor mean = Tensor.empty(x.device(), DType.FLOAT32, v[1]);
        Tensor var = Tensor.empty(x.device(), DType.FLOAT32, v[1]);
        x.backend().batchNormStats(x.buffer(), x.offset(), Channels.toInt(v[0]), Channels.toInt(v[1]), v[2],
                mean.buffer(), mean.offset(), var.buffer(), var.offset());
        return new Moments(mean, var);
    }

    /** 1 / sqrt(var + eps). */
    public static Tensor invStd(Tensor var, double eps) {
        try (Tensor shifted = Elementwise.affine(var, 1f, (float) eps)) {
            return Elementwise.pow(shifted, -0.5f);
        }
    }

    /** y = x*scale[c] + shift[c], then max(y, 0) if {@code relu}. */
    public static Tensor channelAffine(Tensor x, Tensor scale, Tensor shift, boolean relu) {
        long[] v = view("channelAffine", x);
        perChannel("channelAffine", x, v[1], scale, shift);
        Tensor y = Tensor.emptyLike(x);
        x.backend().channelAffine(x.buffer(), x.offset(), scale.buffer(), scale.offset(), shift.buffer(),
                shift.offset(), Channels.toInt(v[0]), Channels.toInt(v[1]), v[2], relu, y.buffer(), y.offset());
        return y;
    }

    /**
     * sum(g) and sum(g*xhat) per channel, xhat = (x - mean)*invStd, g = gy masked by reluOut > 0
     * when {@code reluOut} (the output of a fused batch norm + ReLU) is not null.
     */
    public static GradSums backwardReduce(Tensor x, Tensor gy, Tensor reluOut, Tensor mean, Tensor invStd) {
        String op = "batchNormBackwardReduce";
        long[] v = checkGradient(op, x, gy, reluOut);
        perChannel(op, x, v[1], mean, invStd);
        Tensor sumGy = Tensor.empty(x.device(), DType.FLOAT32, v[1]);
        Tensor sumGyXhat = Tensor.empty(x.device(), DType.FLOAT32, v[1]);
        x.backend().batchNormBackwardReduce(x.buffer(), x.offset(), gy.buffer(), gy.offset(), buffer(reluOut),
                offset(reluOut), mean.buffer(), mean.offset(), invStd.buffer(), invStd.offset(),
                Channels.toInt(v[0]), Channels.toInt(v[1]), v[2], sumGy.buffer(), sumGy.offset(),
                sumGyXhat.buffer(), sumGyXhat.offset());
        return new GradSums(sumGy, sumGyXhat);
    }

    /**
     * The training-mode input gradient gamma*invStd/m * (m*g - sumGy - xhat*sumGyXhat), m the
     * element count per channel. With both sums zero it is the eval-mode gradient g*gamma*invStd.
     */
    public static Tensor backwardData(Tensor x, Tensor gy, Tensor reluOut, Tensor mean, Tensor invStd, Tensor gamma,
                                      GradSums sums) {
        String op = "batchNormBackwardData";
        long[] v = checkGradient(op, x, gy, reluOut);
        perChannel(op, x, v[1], mean, invStd, gamma, sums.sumGy(), sums.sumGyXhat());
        Tensor gx = Tensor.emptyLike(x);
        x.backend().batchNormBackwardData(x.buffer(), x.offset(), gy.buffer(), gy.offset(), buffer(reluOut),
                offset(reluOut), mean.buffer(), mean.offset(), invStd.buffer(), invStd.offset(), gamma.buffer(),
                gamma.offset(), sums.sumGy().buffer(), sums.sumGy().offset(), sums.sumGyXhat().buffer(),
                sums.sumGyXhat().offset(), Channels.toInt(v[0]), Channels.toInt(v[1]), v[2], gx.buffer(), gx.offset());
        return gx;
    }

    /** running = (1 - momentum)*running + momentum*factor*stat, in place (PyTorch's running-stat update). */
    public static void updateRunning(Tensor running, Tensor stat, double momentum, double factor) {
        Checks.float32("updateRunning", running, stat);
        Checks.sameDevice("updateRunning", running, stat);
        Checks.sameShape("updateRunning", running, stat);
        try (Tensor step = Elementwise.scale(stat, (float) (momentum * factor))) {
            Elementwise.affineInPlace(running, (float) (1 - momentum), 0f);
            Elementwise.addInPlace(running, step);
        }
    }

    private static long[] view(String op, Tensor x) {
        Checks.float32(op, x);
        long[] v = Checks.nchView(op, x);
        if (v[1] < 1) {
            throw new IllegalArgumentException(op + ": no channels in shape " + Shapes.str(x.shapeRef()));
        }
        return v;
    }

    private static long[] checkGradient(String op, Tensor x, Tensor gy, Tensor reluOut) {
        long[] v = view(op, x);
        Checks.float32(op, gy, reluOut);
        Checks.sameDevice(op, x, gy, reluOut);
        Checks.sameShape(op, x, gy);
        if (reluOut != null) {
            Checks.sameShape(op, x, reluOut);
        }
        return v;
    }

    private static void perChannel(String op, Tensor x, long c, Tensor... vectors) {
        Checks.float32(op, vectors);
        Checks.sameDevice(op, x, vectors);
        for (Tensor t : vectors) {
            if (t.rank() != 1 || t.shapeRef()[0] != c) {
                throw new IllegalArgumentException(op + ": per-channel operand of shape " + Shapes.str(t.shapeRef())
                        + " does not match the " + c + " channels of " + Shapes.str(x.shapeRef()));
            }
        }
    }

    private static org.ducisc.backend.Buffer buffer(Tensor t) {
        return t == null ? null : t.buffer();
    }

    private static long offset(Tensor t) {
        return t == null ? 0 : t.offset();
    }
}
