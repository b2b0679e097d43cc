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
}
