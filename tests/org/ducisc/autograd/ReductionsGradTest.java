package org.ducisc.autograd;

import org.ducisc.testing.OpCheck;
import org.ducisc.testing.Ref;
import org.junit.jupiter.api.Test;

class ReductionsGradTest {
    private static final long[] S = {3, 4, 5, 7, 3};

    @Test
    void sumOverSomeDims() {
        OpCheck.op("sum(0,2,3,4)").input("x", S)
                .run(v -> ReductionsGrad.sum(v[0], false, 0, 2, 3, 4), in -> Ref.sum(in[0], S, new boolean[] {true, false, true, true, true}));
    }

    @Test
    void sumKeepDimsNegativeDim() {
        OpCheck.op("sum(-1, 1)").input("x", S)
                .run(v -> ReductionsGrad.sum(v[0], true, -1, 1), in -> Ref.sum(in[0], S, new boolean[] {false, true, false, false, true}));
    }

    @Test
    void sumAllLarge() {
        long[] s = {2, 3, 41, 43, 7};
        OpCheck.op("sumAll large").input("x", s).run(v -> ReductionsGrad.sumAll(v[0]), in -> Ref.sum(in[0], s, new boolean[] {true, true, true, true, true}));
    }

    @Test
    void mean() {
        OpCheck.op("mean(1)").input("x", S).run(v -> ReductionsGrad.mean(v[0], false, 1), in -> {
            double[] s = Ref.sum(in[0], S, new boolean[] {false, true, false, false, false});
            return Ref.map(s, x -> x / 4);
        });
    }

    @Test
    void maskedMeanReachesOnlySelected() {
        long[] s = {2, 1, 5, 6, 7};
        OpCheck.op("maskedMean").input("x", s).constant("m", 0, 1, s)
                .run(v -> {
                    try (var m = org.ducisc.tensor.Elementwise.compare(org.ducisc.core.CompareOp.GT, v[1].value(),
                            0.5, org.ducisc.core.DType.FLOAT32)) {
                        return ReductionsGrad.maskedMean(v[0], m.copy());
                    }
                }, in -> {
                    double sum = 0;
                    double n = 0;
                    for (int i = 0; i < in[0].length; i++) {
                        if (in[1][i] > 0.5) {
                            sum += in[0][i];
                            n++;
                        }
                    }
                    return new double[] {sum / n};
                });
    }

    @Test
    void weightedSumIsTheSumOfTheProductBitwise() {
        // Odd sizes, a weight broadcast over the channels (as a mask), seed 23; value and gradient.
        long[] xs = {2, 3, 5, 7, 9};
        long[] ws = {2, 1, 5, 7, 9};
        int[][] dimSets = {{2, 3, 4}, {}, {0, 1}};
        for (int[] dims : dimSets) {
            try (org.ducisc.tensor.MemoryScope scope = org.ducisc.tensor.MemoryScope.open()) {
                org.ducisc.tensor.Rng rng = new org.ducisc.tensor.Rng(23);
                org.ducisc.tensor.Tensor x = org.ducisc.tensor.Tensor.uniform(org.ducisc.core.Device.CPU, rng, -1, 1, xs);
                org.ducisc.tensor.Tensor w = org.ducisc.tensor.Tensor.uniform(org.ducisc.core.Device.CPU, rng, 0, 1, ws);
                Variable a = Variable.parameter(x.copy());
                Variable b = Variable.parameter(x.copy());
                Variable fused = ReductionsGrad.weightedSum(a, w, false, dims);
                Variable plain = ReductionsGrad.sum(ElementwiseGrad.mul(b, Variable.constant(w)), false, dims);
                org.junit.jupiter.api.Assertions.assertArrayEquals(plain.value().toFloatArray(), fused.value().toFloatArray(),
                        "value, dims " + java.util.Arrays.toString(dims));
                org.ducisc.tensor.Tensor g = org.ducisc.tensor.Tensor.uniform(org.ducisc.core.Device.CPU, rng, -1, 1,
                        fused.shape());
                fused.backward(g.copy());
                plain.backward(g.copy());
                org.junit.jupiter.api.Assertions.assertArrayEquals(b.grad().toFloatArray(), a.grad().toFloatArray(),
                        "gradient, dims " + java.util.Arrays.toString(dims));
                a.zeroGrad();
                b.zeroGrad();
            }
        }
    }
}
