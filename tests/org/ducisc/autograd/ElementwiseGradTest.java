package org.ducisc.autograd;

import static org.ducisc.testing.Ref.broadcast;
import static org.ducisc.testing.Ref.map;

import org.ducisc.testing.OpCheck;
import org.junit.jupiter.api.Test;

class ElementwiseGradTest {
    private static final long[] A = {2, 3, 5, 7};
    private static final long[] B = {3, 1, 7};

    @Test
    void addBroadcasts() {
        OpCheck.op("add").input("a", A).input("b", B)
                .run(v -> ElementwiseGrad.add(v[0], v[1]), in -> broadcast(in[0], A, in[1], B, Double::sum));
    }

    @Test
    void subBroadcasts() {
        OpCheck.op("sub").input("a", B).input("b", A)
                .run(v -> ElementwiseGrad.sub(v[0], v[1]), in -> broadcast(in[0], B, in[1], A, (x, y) -> x - y));
    }

    @Test
    void mulBroadcasts() {
        OpCheck.op("mul").input("a", A).input("b", B)
                .run(v -> ElementwiseGrad.mul(v[0], v[1]), in -> broadcast(in[0], A, in[1], B, (x, y) -> x * y));
    }

    @Test
    void divBroadcasts() {
        OpCheck.op("div").input("a", A).input("b", 0.5, 2.0, B)
                .run(v -> ElementwiseGrad.div(v[0], v[1]), in -> broadcast(in[0], A, in[1], B, (x, y) -> x / y));
    }

    @Test
    void mulSameShapeLongRun() {
        long[] s = {3, 2, 11, 13, 17};
        OpCheck.op("mul long").input("a", s).input("b", s)
                .run(v -> ElementwiseGrad.mul(v[0], v[1]), in -> broadcast(in[0], s, in[1], s, (x, y) -> x * y));
    }

    @Test
    void affine() {
        OpCheck.op("affine").input("x", 3, 4, 5)
                .run(v -> ElementwiseGrad.affine(v[0], -1.5f, 0.25f), in -> map(in[0], x -> (float) -1.5 * x + 0.25));
    }

    @Test
    void exp() {
        OpCheck.op("exp").input("x", 3, 7, 5).run(v -> ElementwiseGrad.exp(v[0]), in -> map(in[0], Math::exp));
    }

    @Test
    void log() {
        OpCheck.op("log").input("x", 0.1, 3.0, 3, 7, 5).run(v -> ElementwiseGrad.log(v[0]), in -> map(in[0], Math::log));
    }

    @Test
    void pow() {
        OpCheck.op("pow").input("x", 0.2, 2.0, 5, 9)
                .run(v -> ElementwiseGrad.pow(v[0], 2.5f), in -> map(in[0], x -> Math.pow(x, 2.5)));
    }

    @Test
    void clamp() {
        OpCheck.op("clamp").input("x", 4, 9, 3)
                .where(in -> clearOf(in[0], -0.5, 0.75))
                .run(v -> ElementwiseGrad.clamp(v[0], -0.5f, 0.75f), in -> map(in[0], x -> Math.min(Math.max(x, -0.5), 0.75)));
    }

    @Test
    void relu() {
        OpCheck.op("relu").input("x", 2, 3, 5, 7, 9)
                .where(in -> clearOf(in[0], 0))
                .run(v -> ElementwiseGrad.relu(v[0]), in -> map(in[0], x -> Math.max(x, 0)));
    }

    /** Whether no value lies within a finite-difference step of a kink, where the reference has no derivative. */
    private static boolean clearOf(double[] values, double... kinks) {
        for (double x : values) {
            for (double k : kinks) {
                if (Math.abs(x - k) < 1e-5) {
                    return false;
                }
            }
        }
        return true;
    }
}
