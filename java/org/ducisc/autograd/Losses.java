package org.ducisc.autograd;

import org.ducisc.core.UnaryOp;
import org.ducisc.tensor.Channels;
import org.ducisc.tensor.Checks;
import org.ducisc.tensor.Elementwise;
import org.ducisc.tensor.Tensor;

/** Differentiable losses, composed from the channel ops and elementwise arithmetic. */
public final class Losses {
    private Losses() {
    }

    /** How per-element losses are combined. */
    public enum Reduction {
        /** one loss per element */
        NONE,
        /** the mean over all elements */
        MEAN
    }

    /**
     * Cross entropy of (N, C, ...) logits against uint8 class labels of shape (N, ...):
     * -log_softmax(logits)[target] per position, like {@code F.cross_entropy}.
     */
    public static Variable crossEntropy(Variable logits, Tensor target, Reduction reduction) {
        Variable picked = pick(ChannelsGrad.logSoftmax(logits), target);
        Variable loss = ElementwiseGrad.neg(picked);
        return reduction == Reduction.MEAN ? ReductionsGrad.meanAll(loss) : loss;
    }

    /**
     * x[n, target[n, ...], ...] for (N, C, ...) x and uint8 labels of shape (N, ...); the gradient
     * goes to the picked channel only. The target must stay open until the backward pass.
     */
    public static Variable pick(Variable x, Tensor target) {
        Tensor y = Channels.gather(x.value(), target);
        long channels = x.value().size(1);
        return Variable.result("pick", y, g -> new Tensor[] {Channels.scatter(g, target, channels)}, x);
    }

    /**
     * Pointwise KL divergence target*(log(target) - logProbs), 0 where target is 0, like
     * {@code F.kl_div(logProbs, target, reduction='none')}. No gradient reaches the target.
     */
    public static Variable klDivergence(Variable logProbs, Tensor target) {
        Checks.float32("klDivergence", logProbs.value(), target);
        Checks.sameShape("klDivergence", logProbs.value(), target);
        Variable entropyTerm = Variable.constant(Elementwise.unary(UnaryOp.XLOGX, target, 0f, 0f));
        Variable cross = ElementwiseGrad.mul(Variable.constant(target), logProbs);
        return ElementwiseGrad.sub(entropyTerm, cross);
    }

    /** Mean of (a - b)^2 over all elements, as a one-element result; gradients reach both. */
    public static Variable mse(Variable a, Variable b) {
        Checks.sameShape("mse", a.value(), b.value());
        Variable d = ElementwiseGrad.sub(a, b);
        return ReductionsGrad.meanAll(ElementwiseGrad.mul(d, d));
    }
}
