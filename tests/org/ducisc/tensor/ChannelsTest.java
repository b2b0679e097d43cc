package org.ducisc.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.ducisc.autograd.Losses;
import org.ducisc.autograd.Variable;
import org.ducisc.core.DType;
import org.ducisc.testing.OpCheck;
import org.junit.jupiter.api.Test;

class ChannelsTest {
    private static final long[] S = {3, 5, 7, 4, 3};
    private static final long[] LARGE = {2, 3, 41, 43, 7};

    @Test
    void argmax() {
        checkArgmax(S);
    }

    @Test
    void argmaxLarge() {
        checkArgmax(LARGE);
    }

    private static void checkArgmax(long[] shape) {
        OpCheck.op("argmax").input("x", shape).forwardOnly()
                .run(v -> Variable.constant(Channels.argmax(v[0].value())), in -> {
                    int n = (int) shape[0];
                    int c = (int) shape[1];
                    int s = in[0].length / (n * c);
                    double[] out = new double[n * s];
                    for (int i = 0; i < n; i++) {
                        for (int j = 0; j < s; j++) {
                            int best = 0;
                            for (int k = 1; k < c; k++) {
                                if (in[0][(i * c + k) * s + j] > in[0][(i * c + best) * s + j]) {
                                    best = k;
                                }
                            }
                            out[i * s + j] = best;
                        }
                    }
                    return out;
                });
    }

    @Test
    void argmaxTakesFirstOnTiesAndDropsTheChannelDim() {
        float[] x = {1, 5, 2, 2,   1, 5, 7, 2,   0, 5, 7, -1};
        try (Tensor t = Tensor.of(x, 1, 3, 4); Tensor a = Channels.argmax(t)) {
            assertArrayEquals(new long[] {1, 4}, a.shape());
            assertArrayEquals(new byte[] {0, 0, 1, 0}, a.toByteArray());
        }
    }

    @Test
    void gatherAndScatter() {
        checkPick(S, 11);
    }

    @Test
    void gatherAndScatterLarge() {
        checkPick(LARGE, 12);
    }

    private static void checkPick(long[] shape, long seed) {
        try (Tensor target = labels(shape, seed)) {
            OpCheck.op("gather").input("x", shape).constant("target", target)
                    .run(v -> Losses.pick(v[0], v[1].value()), in -> {
                        int n = (int) shape[0];
                        int c = (int) shape[1];
                        int s = in[0].length / (n * c);
                        double[] out = new double[n * s];
                        for (int i = 0; i < n; i++) {
                            for (int j = 0; j < s; j++) {
                                out[i * s + j] = in[0][(i * c + (int) in[1][i * s + j]) * s + j];
                            }
                        }
                        return out;
                    });
        }
    }

    @Test
    void gatherRejectsFloatTarget() {
        try (Tensor x = Tensor.zeros(2, 3, 4); Tensor t = Tensor.zeros(2, 4)) {
            assertNames(assertThrows(IllegalArgumentException.class, () -> Channels.gather(x, t)),
                    "gather", "uint8", "[2, 4]");
        }
    }

    @Test
    void gatherRejectsTargetShape() {
        try (Tensor x = Tensor.zeros(2, 3, 4); Tensor t = Tensor.full(x.device(), DType.UINT8, 0, 2, 3, 4)) {
            assertNames(assertThrows(IllegalArgumentException.class, () -> Channels.gather(x, t)),
                    "gather", "[2, 3, 4]");
        }
    }

    @Test
    void labelOutOfRangeIsNamed() {
        byte[] b = new byte[2 * 9];
        b[13] = 3;
        try (Tensor x = Tensor.zeros(2, 3, 9); Tensor t = Tensor.ofBytes(b, 2, 9); Tensor g = Tensor.zeros(2, 9)) {
            assertNames(assertThrows(IllegalArgumentException.class, () -> Channels.gather(x, t)),
                    "gatherChannel", "value 3");
            assertNames(assertThrows(IllegalArgumentException.class, () -> Channels.scatter(g, t, 3)),
                    "scatterChannel", "value 3");
        }
    }

    @Test
    void labelOf255IsOutOfRange() {
        byte[] b = {0, 1, (byte) 255};
        try (Tensor x = Tensor.zeros(1, 2, 3); Tensor t = Tensor.ofBytes(b, 1, 3)) {
            assertNames(assertThrows(IllegalArgumentException.class, () -> Channels.gather(x, t)), "value 255");
        }
    }

    @Test
    void argmaxRejectsUint8() {
        try (Tensor x = Tensor.full(org.ducisc.core.Device.CPU, DType.UINT8, 1, 2, 3)) {
            assertNames(assertThrows(IllegalArgumentException.class, () -> Channels.argmax(x)), "argmax", "uint8");
        }
    }

    static Tensor labels(long[] shape, long seed) {
        long[] ts = Channels.withoutChannels(shape);
        byte[] b = new byte[Math.toIntExact(Shapes.numel(ts))];
        Rng rng = new Rng(seed);
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) rng.nextInt((int) shape[1]);
        }
        return Tensor.ofBytes(b, ts);
    }

    private static void assertNames(Throwable e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage() != null && e.getMessage().contains(p),
                    "message \"" + e.getMessage() + "\" does not name " + p);
        }
    }
}
