package org.ducisc.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.ducisc.autograd.Losses.Reduction;
import org.ducisc.tensor.MemoryScope;
import org.ducisc.tensor.Tensor;
import org.ducisc.testing.OpCheck;
import org.junit.jupiter.api.Test;

class LossesTest {
    private static final long[] S = {3, 5, 7, 4, 3};
    private static final long[] HEAD = {2, 2, 41, 43, 7};

    @Test
    void crossEntropyPerVoxel() {
        checkCrossEntropy(S, Reduction.NONE, 21);
    }

    @Test
    void crossEntropyMean() {
        checkCrossEntropy(S, Reduction.MEAN, 22);
    }

    @Test
    void crossEntropyTwoClassesLarge() {
        checkCrossEntropy(HEAD, Reduction.MEAN, 23);
    }

    private static void checkCrossEntropy(long[] shape, Reduction reduction, long seed) {
        try (Tensor target = ChannelRef.labels(shape, seed)) {
            OpCheck.op("crossEntropy " + reduction).input("logits", shape).constant("target", target)
                    .run(v -> Losses.crossEntropy(v[0], v[1].value(), reduction), in -> {
                        double[] nll = ChannelRef.pick(ChannelRef.softmax(in[0], shape, true), in[1], shape);
                        double total = 0;
                        for (int i = 0; i < nll.length; i++) {
                            nll[i] = -nll[i];
                            total += nll[i];
                        }
                        return reduction == Reduction.NONE ? nll : new double[] {total / nll.length};
                    });
        }
    }

    @Test
    void crossEntropyNoneDropsTheChannelDim() {
        try (MemoryScope _ = MemoryScope.open()) {
            Tensor logits = Tensor.zeros(3, 2, 5, 4, 3);
            Variable loss = Losses.crossEntropy(Variable.constant(logits), ChannelRef.labels(logits.shape(), 1),
                    Reduction.NONE);
            assertArrayEquals(new long[] {3, 5, 4, 3}, loss.shape());
        }
    }

    @Test
    void crossEntropyRejectsFloatTarget() {
        try (Tensor logits = Tensor.zeros(2, 3, 4); Tensor target = Tensor.zeros(2, 4)) {
            ChannelRef.assertNames(assertThrows(IllegalArgumentException.class,
                    () -> Losses.crossEntropy(Variable.constant(logits), target, Reduction.MEAN)), "uint8", "[2, 4]");
        }
    }

    @Test
    void crossEntropyRejectsLabelOutOfRange() {
        byte[] b = {0, 1, 2, 1, 0, 3, 1, 1};
        try (Tensor logits = Tensor.zeros(2, 3, 4); Tensor target = Tensor.ofBytes(b, 2, 4)) {
            ChannelRef.assertNames(assertThrows(IllegalArgumentException.class,
                    () -> Losses.crossEntropy(Variable.constant(logits), target, Reduction.MEAN)), "value 3");
        }
    }

    @Test
    void klDivergence() {
        // Soft targets with exact zeros, where the pointwise loss is 0 and its gradient -target is 0 too.
        float[] t = new float[(int) org.ducisc.testing.Ref.numel(S)];
        org.ducisc.tensor.Rng rng = new org.ducisc.tensor.Rng(31);
        for (int i = 0; i < t.length; i++) {
            t[i] = i % 5 == 0 ? 0f : rng.nextFloat();
        }
        try (Tensor target = Tensor.of(t, S)) {
            OpCheck.op("klDivergence").input("logp", -4, -0.01, S).constant("target", target)
                    .run(v -> Losses.klDivergence(v[0], v[1].value()), in -> {
                        double[] out = new double[in[0].length];
                        for (int i = 0; i < out.length; i++) {
                            double q = in[1][i];
                            out[i] = q == 0 ? 0 : q * (Math.log(q) - in[0][i]);
                        }
                        return out;
                    });
        }
    }

    @Test
    void klDivergenceOfLogSoftmax() {
        long[] shape = {2, 2, 5, 3, 7};
        OpCheck.op("kl(logSoftmax)").input("logits", shape).constant("target", 0, 1, shape)
                .run(v -> Losses.klDivergence(ChannelsGrad.logSoftmax(v[0]), v[1].value()), in -> {
                    double[] logp = ChannelRef.softmax(in[0], shape, true);
                    double[] out = new double[logp.length];
                    for (int i = 0; i < out.length; i++) {
                        out[i] = in[1][i] * (Math.log(in[1][i]) - logp[i]);
                    }
                    return out;
                });
    }

    @Test
    void klDivergenceRejectsShapeMismatch() {
        try (Tensor logp = Tensor.zeros(2, 3, 4); Tensor target = Tensor.zeros(2, 3, 5)) {
            ChannelRef.assertNames(assertThrows(IllegalArgumentException.class,
                    () -> Losses.klDivergence(Variable.constant(logp), target)), "klDivergence", "[2, 3, 5]");
        }
    }

    @Test
    void mse() {
        long[] shape = {2, 17};
        OpCheck.op("mse").input("a", shape).input("b", shape).run(v -> Losses.mse(v[0], v[1]), in -> {
            double s = 0;
            for (int i = 0; i < in[0].length; i++) {
                double d = in[0][i] - in[1][i];
                s += d * d;
            }
            return new double[] {s / in[0].length};
        });
    }

    @Test
    void mseRejectsShapeMismatch() {
        try (Tensor a = Tensor.zeros(2, 16); Tensor b = Tensor.zeros(2, 17)) {
            ChannelRef.assertNames(assertThrows(IllegalArgumentException.class,
                    () -> Losses.mse(Variable.constant(a), Variable.constant(b))), "mse", "[2, 16]", "[2, 17]");
        }
    }
}
