package org.ducisc.autograd;

import org.ducisc.tensor.Channels;
import org.ducisc.tensor.Tensor;

/** Differentiable softmax and log-softmax over the channel dim (dim 1) of (N, C, ...) tensors. */
public final class ChannelsGrad {
    private ChannelsGrad() {
    }

    public static Variable softmax(Variable x) {
        return over("softmax", x, false);
    }

    public static Variable logSoftmax(Variable x) {
        return over("logSoftmax", x, true);
    }

    private static Variable over(String name, Variable x, boolean log) {
        Tensor y = log ? Channels.logSoftmax(x.value()) : Channels.softmax(x.value());
        return Variable.result(name, y, g -> new Tensor[] {Channels.softmaxBackward(y, g, log)}, x);
    }
}
