package org.ducisc.autograd;

import org.ducisc.tensor.Elementwise;
import org.ducisc.tensor.Normalization.GradSums;
import org.ducisc.tensor.Normalization.Moments;
import org.ducisc.tensor.Shapes;
import org.ducisc.tensor.Tensor;

/** Differentiable batch normalisation, with an optional fused ReLU. */
public final class NormalizationGrad {
    public static final double DEFAULT_MOMENTUM = 0.1;
    public static final double DEFAULT_EPS = 1e-5;

    private NormalizationGrad() {
    }

    /** {@link #batchNorm3d(Variable, Variable, Variable, Tensor, Tensor, boolean, double, double, boolean)} with PyTorch's momentum 0.1 and eps 1e-5. */
    public static Variable batchNorm3d(Variable x, Variable gamma, Variable beta, Tensor runningMean,
                                       Tensor runningVar, boolean training, boolean relu) {
        return batchNorm3d(x, gamma, beta, runningMean, runningVar, training, DEFAULT_MOMENTUM, DEFAULT_EPS, relu);
    }

    /**
     * BatchNorm3d over (N, C, D, H, W), then max(y, 0) if {@code relu}. Training normalises with the
     * batch mean and biased variance, and updates the running statistics in place as PyTorch does:
     * running = (1 - momentum)*running + momentum*stat, with the unbiased variance for runningVar
     * (the running tensors may both be null: no tracking). Eval normalises with the running
     * statistics; gradients still reach x, gamma and beta.
     *
     * <p>With {@code relu} the backward pass needs only x and the output, not the normalised
     * values before the ReLU, so the fused op keeps one activation less alive.
     */
    public static Variable batchNorm3d(Variable x, Variable gamma, Variable beta, Tensor runningMean,
                                       Tensor runningVar, boolean training, double momentum, double eps,
                                       boolean relu) {
        Tensor xv = x.value();
        Tensor gv = gamma.value();
        check(xv, gv, beta.value(), runningMean, runningVar, training);
        long[] shape = xv.shape();
        long perChannel = Shapes.numel(shape) / shape[1];
        Tensor mean;
        Tensor invStd;
        if (training) {
            if (perChannel < 2) {
                throw new IllegalArgumentException("batchNorm3d: training needs more than one value per channel, got "
                        + "input of shape " + Shapes.str(shape));
            }
            try (Moments m = org.ducisc.tensor.Normalization.moments(xv)) {
                if (runningMean != null) {
                    org.ducisc.tensor.Normalization.updateRunning(runningMean, m.mean(), momentum, 1.0);
                    org.ducisc.tensor.Normalization.updateRunning(runningVar, m.var(), momentum,
                            perChannel / (perChannel - 1.0));
                }
                mean = m.mean().copy();
                invStd = org.ducisc.tensor.Normalization.invStd(m.var(), eps);
            }
        } else {
            // A copy: a later training step updates the running mean in place before this backward runs.
            mean = runningMean.copy();
            invStd = org.ducisc.tensor.Normalization.invStd(runningVar, eps);
        }
        Tensor y;
        try (Tensor scale = Elementwise.mul(gv, invStd);
             Tensor meanScaled = Elementwise.mul(mean, scale);
             Tensor shift = Elementwise.sub(beta.value(), meanScaled)) {
            y = org.ducisc.tensor.Normalization.channelAffine(xv, scale, shift, relu);
        }
        Variable out = Variable.result(relu ? "batchNorm3d+relu" : "batchNorm3d", y, g -> {
            try (mean; invStd) {
                return backward(g, x, gamma, beta, y, relu, training, mean, invStd);
            }
        }, x, gamma, beta);
        if (!out.requiresGrad()) {
            mean.close();
            invStd.close();
        }
        return out;
    }

    private static Tensor[] backward(Tensor g, Variable x, Variable gamma, Variable beta, Tensor y, boolean relu,
                                     boolean training, Tensor mean, Tensor invStd) {
        Tensor xv = x.value();
        Tensor reluOut = relu ? y : null;
        GradSums sums = org.ducisc.tensor.Normalization.backwardReduce(xv, g, reluOut, mean, invStd);
        Tensor gx = null;
        if (x.requiresGrad()) {
            if (training) {
                gx = org.ducisc.tensor.Normalization.backwardData(xv, g, reluOut, mean, invStd, gamma.value(), sums);
            } else {
                // Running statistics are constants, so only the direct term g*gamma*invStd remains.
                try (GradSums none = new GradSums(Tensor.zerosLike(mean), Tensor.zerosLike(mean))) {
                    gx = org.ducisc.tensor.Normalization.backwardData(xv, g, reluOut, mean, invStd, gamma.value(),
                            none);
                }
            }
        }
        Tensor gGamma = sums.sumGyXhat();
        Tensor gBeta = sums.sumGy();
        if (!gamma.requiresGrad()) {
            gGamma.close();
            gGamma = null;
        }
        if (!beta.requiresGrad()) {
            gBeta.close();
            gBeta = null;
        }
        return new Tensor[] {gx, gGamma, gBeta};
    }

    private static void check(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                              boolean training) {
        if (x.rank() != 5) {
            throw new IllegalArgumentException("batchNorm3d: expected (N, C, D, H, W), got shape "
                    + Shapes.str(x.shape()));
        }
        long c = x.size(1);
        if ((runningMean == null) != (runningVar == null)) {
            throw new IllegalArgumentException("batchNorm3d: give both running statistics or neither");
        }
        if (!training && runningMean == null) {
            throw new IllegalArgumentException("batchNorm3d: eval mode needs the running statistics");
        }
        Tensor[] vectors = {gamma, beta, runningMean, runningVar};
        String[] names = {"gamma", "beta", "runningMean", "runningVar"};
        for (int i = 0; i < vectors.length; i++) {
            Tensor t = vectors[i];
            if (t != null && (t.rank() != 1 || t.size(0) != c)) {
                throw new IllegalArgumentException("batchNorm3d: " + names[i] + " of shape " + Shapes.str(t.shape())
                        + " does not match the " + c + " channels of input " + Shapes.str(x.shape()));
            }
        }
    }
}
