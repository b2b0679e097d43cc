package org.ducisc.autograd;

import static org.ducisc.tensor.IndexRef.cat;
import static org.ducisc.tensor.IndexRef.gather;
import static org.ducisc.tensor.IndexRef.rot90;

import org.ducisc.testing.OpCheck;
import org.junit.jupiter.api.Test;

class LayoutGradTest {
    private static final long[] X = {3, 5, 7, 4, 9};

    @Test
    void catAlongBatch() {
        long[] a = {2, 3, 5, 7, 3};
        long[] b = {1, 3, 5, 7, 3};
        long[] c = {3, 3, 5, 7, 3};
        OpCheck.op("cat(0)").input("a", a).input("b", b).input("c", c)
                .run(v -> LayoutGrad.cat(0, v[0], v[1], v[2]), in -> cat(0, new long[][] {a, b, c}, in));
    }

    @Test
    void catAlongInnerNegativeDim() {
        long[] a = {3, 5, 2, 7};
        long[] b = {3, 5, 5, 7};
        OpCheck.op("cat(-2)").input("a", a).input("b", b)
                .run(v -> LayoutGrad.cat(-2, v[0], v[1]), in -> cat(2, new long[][] {a, b}, in));
    }

    @Test
    void catGradientSkipsConstants() {
        long[] a = {2, 3, 5};
        long[] b = {3, 3, 5};
        OpCheck.op("cat with a constant").input("a", a).constant("b", -1, 1, b)
                .run(v -> LayoutGrad.cat(0, v[0], v[1]), in -> cat(0, new long[][] {a, b}, in));
    }

    @Test
    void stack() {
        long[] s = {3, 5, 7};
        OpCheck.op("stack").input("a", s).input("b", s).input("c", s)
                .run(v -> LayoutGrad.stack(v[0], v[1], v[2]), in -> cat(0, new long[][] {s, s, s}, in));
    }

    @Test
    void narrow() {
        OpCheck.op("narrow(2, 1, 5)").input("x", X)
                .run(v -> LayoutGrad.narrow(v[0], 2, 1, 5), in -> gather(in[0], X, new long[] {3, 5, 5, 4, 9}, (o, i) -> {
                    System.arraycopy(o, 0, i, 0, o.length);
                    i[2] += 1;
                    return true;
                }));
    }

    @Test
    void narrowBatchNegativeDim() {
        OpCheck.op("narrow(-5, 2, 1)").input("x", X)
                .run(v -> LayoutGrad.narrow(v[0], -5, 2, 1), in -> gather(in[0], X, new long[] {1, 5, 7, 4, 9}, (o, i) -> {
                    System.arraycopy(o, 0, i, 0, o.length);
                    i[0] += 2;
                    return true;
                }));
    }

    @Test
    void cropSpatial() {
        long[] start = {2, 0, 3};
        long[] size = {3, 3, 5};
        OpCheck.op("crop").input("x", X)
                .run(v -> LayoutGrad.crop(v[0], start, size), in -> gather(in[0], X, new long[] {3, 5, 3, 3, 5}, (o, i) -> {
                    System.arraycopy(o, 0, i, 0, o.length);
                    for (int k = 0; k < 3; k++) {
                        i[2 + k] += (int) start[k];
                    }
                    return true;
                }));
    }

    @Test
    void padSpatial() {
        long[] s = {2, 3, 5, 3, 7};
        long[] before = {3, 0, 1};
        long[] after = {2, 1, 0};
        long[] out = {2, 3, 10, 4, 8};
        OpCheck.op("pad").input("x", s)
                .run(v -> LayoutGrad.pad(v[0], before, after), in -> gather(in[0], s, out, (o, i) -> {
                    System.arraycopy(o, 0, i, 0, o.length);
                    for (int k = 0; k < 3; k++) {
                        i[2 + k] -= (int) before[k];
                        if (i[2 + k] < 0 || i[2 + k] >= s[2 + k]) {
                            return false;
                        }
                    }
                    return true;
                }));
    }

    @Test
    void flipSeveralDims() {
        OpCheck.op("flip(4, 1, -2)").input("x", X)
                .run(v -> LayoutGrad.flip(v[0], 4, 1, -2), in -> gather(in[0], X, X, (o, i) -> {
                    System.arraycopy(o, 0, i, 0, o.length);
                    for (int d : new int[] {4, 1, 3}) {
                        i[d] = (int) X[d] - 1 - o[d];
                    }
                    return true;
                }));
    }

    @Test
    void rot90EveryTurnInTheWhPlane() {
        long[] s = {2, 3, 5, 7, 9};
        for (int k = -5; k <= 5; k++) {
            int turns = k;
            OpCheck.op("rot90(k=" + k + ", 4, 3)").input("x", s)
                    .run(v -> LayoutGrad.rot90(v[0], turns, 4, 3), in -> rot90(in[0], s, turns, 4, 3));
        }
    }

    @Test
    void rot90OtherPlanes() {
        OpCheck.op("rot90(1, 2, 4)").input("x", X).run(v -> LayoutGrad.rot90(v[0], 1, 2, 4), in -> rot90(in[0], X, 1, 2, 4));
        OpCheck.op("rot90(3, -1, 0)").input("x", X).run(v -> LayoutGrad.rot90(v[0], 3, -1, 0), in -> rot90(in[0], X, 3, 4, 0));
    }
}
