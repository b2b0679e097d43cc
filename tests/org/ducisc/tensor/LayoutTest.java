package org.ducisc.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.ducisc.autograd.Variable;
import org.ducisc.core.DType;
import org.ducisc.testing.OpCheck;
import org.junit.jupiter.api.Test;

/** The layout ops on uint8 label maps (forward only), torch's rot90 direction, and bad input. */
class LayoutTest {
    private static final long[] S = {2, 1, 5, 7, 3};

    @Test
    void rot90MatchesTorchOnASmallExample() {
        // torch.rot90(torch.arange(1, 7).reshape(2, 3), k, dims) for (k, dims) below.
        try (Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
             Tensor a = Layout.rot90(x, 1, 0, 1);
             Tensor b = Layout.rot90(x, 1, 1, 0);
             Tensor c = Layout.rot90(x, -1, 0, 1);
             Tensor d = Layout.rot90(x, 2, 0, 1)) {
            assertArrayEquals(new float[] {3, 6, 2, 5, 1, 4}, a.toFloatArray());
            assertArrayEquals(new long[] {3, 2}, a.shape());
            assertArrayEquals(new float[] {4, 1, 5, 2, 6, 3}, b.toFloatArray());
            assertArrayEquals(new float[] {4, 1, 5, 2, 6, 3}, c.toFloatArray());
            assertArrayEquals(new float[] {6, 5, 4, 3, 2, 1}, d.toFloatArray());
        }
    }

    @Test
    void uint8Cat() {
        long[] b = {1, 1, 5, 7, 3};
        try (Tensor x = IndexRef.randomBytes(1, S); Tensor y = IndexRef.randomBytes(2, b)) {
            OpCheck.op("cat uint8").constant("x", x).constant("y", y).forwardOnly()
                    .run(v -> bytes(Layout.cat(0, v[0].value(), v[1].value())),
                            in -> IndexRef.cat(0, new long[][] {S, b}, in));
        }
    }

    @Test
    void uint8Stack() {
        try (Tensor x = IndexRef.randomBytes(3, S); Tensor y = IndexRef.randomBytes(4, S)) {
            OpCheck.op("stack uint8").constant("x", x).constant("y", y).forwardOnly()
                    .run(v -> bytes(Layout.stack(v[0].value(), v[1].value())),
                            in -> IndexRef.cat(0, new long[][] {S, S}, in));
        }
    }

    @Test
    void uint8CropAndNarrow() {
        try (Tensor x = IndexRef.randomBytes(5, S)) {
            OpCheck.op("crop uint8").constant("x", x).forwardOnly()
                    .run(v -> bytes(Layout.crop(v[0].value(), new long[] {1, 2, 1}, new long[] {3, 5, 1})),
                            in -> IndexRef.gather(in[0], S, new long[] {2, 1, 3, 5, 1}, (o, i) -> {
                                System.arraycopy(o, 0, i, 0, o.length);
                                i[2] += 1;
                                i[3] += 2;
                                i[4] += 1;
                                return true;
                            }));
            OpCheck.op("narrow uint8").constant("x", x).forwardOnly()
                    .run(v -> bytes(Layout.narrow(v[0].value(), 3, 6, 1)),
                            in -> IndexRef.gather(in[0], S, new long[] {2, 1, 5, 1, 3}, (o, i) -> {
                                System.arraycopy(o, 0, i, 0, o.length);
                                i[3] += 6;
                                return true;
                            }));
        }
    }

    @Test
    void uint8Pad() {
        try (Tensor x = IndexRef.randomBytes(6, S)) {
            OpCheck.op("pad uint8").constant("x", x).forwardOnly()
                    .run(v -> bytes(Layout.pad(v[0].value(), new long[] {1, 3}, new long[] {2, 0})),
                            in -> IndexRef.gather(in[0], S, new long[] {2, 1, 5, 10, 6}, (o, i) -> {
                                System.arraycopy(o, 0, i, 0, o.length);
                                i[3] -= 1;
                                i[4] -= 3;
                                return i[3] >= 0 && i[3] < 7 && i[4] >= 0;
                            }));
        }
    }

    @Test
    void uint8FlipAndRot90() {
        try (Tensor x = IndexRef.randomBytes(7, S)) {
            OpCheck.op("flip uint8").constant("x", x).forwardOnly()
                    .run(v -> bytes(Layout.flip(v[0].value(), 3)), in -> IndexRef.gather(in[0], S, S, (o, i) -> {
                        System.arraycopy(o, 0, i, 0, o.length);
                        i[3] = 6 - o[3];
                        return true;
                    }));
            for (int k = 0; k < 4; k++) {
                int turns = k;
                OpCheck.op("rot90 uint8 k=" + k).constant("x", x).forwardOnly()
                        .run(v -> bytes(Layout.rot90(v[0].value(), turns, 4, 3)),
                                in -> IndexRef.rot90(in[0], S, turns, 4, 3));
            }
        }
    }

    @Test
    void emptyPiecesAreAllowed() {
        try (Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
             Tensor none = Layout.narrow(x, 1, 3, 0);
             Tensor both = Layout.cat(1, none, x)) {
            assertArrayEquals(new long[] {2, 0}, none.shape());
            assertArrayEquals(x.toFloatArray(), both.toFloatArray());
        }
    }

    @Test
    void badInputNamesTheOpAndShapes() {
        try (Tensor x = Tensor.zeros(2, 3, 5);
             Tensor y = Tensor.zeros(2, 4, 5);
             Tensor b = Tensor.full(org.ducisc.core.Device.CPU, DType.UINT8, 1, 2, 3, 5)) {
            BadInput.fails("cat", "[2, 4, 5]", () -> Layout.cat(0, x, y));
            BadInput.fails("cat", "uint8", () -> Layout.cat(0, x, b));
            BadInput.fails("cat", "dim 3", () -> Layout.cat(3, x, x));
            BadInput.fails("cat", "no tensors", () -> Layout.cat(0));
            BadInput.fails("stack", "[2, 4, 5]", () -> Layout.stack(x, y));
            BadInput.fails("narrow", "[2, 3, 5]", () -> Layout.narrow(x, 1, 2, 2));
            BadInput.fails("narrow", "[2, 3, 5]", () -> Layout.narrow(x, 1, -1, 2));
            BadInput.fails("narrow", "dim -4", () -> Layout.narrow(x, -4, 0, 1));
            BadInput.fails("crop", "[2, 3, 5]", () -> Layout.crop(x, new long[] {1, 1}, new long[] {2, 5}));
            BadInput.fails("crop", "[2, 3, 5]", () -> Layout.crop(x, new long[] {1, 1, 1, 1}, new long[] {1, 1, 1, 1}));
            BadInput.fails("pad", "negative", () -> Layout.pad(x, new long[] {1, -1}, new long[] {0, 0}));
            BadInput.fails("pad", "[2, 3, 5]", () -> Layout.pad(x, new long[] {1}, new long[] {0, 0}));
            BadInput.fails("flip", "twice", () -> Layout.flip(x, 1, -2));
            BadInput.fails("flip", "dim 3", () -> Layout.flip(x, 3));
            BadInput.fails("rot90", "same dim", () -> Layout.rot90(x, 1, 2, -1));
            BadInput.fails("rot90", "dim 5", () -> Layout.rot90(x, 1, 0, 5));
        }
    }

    private static Variable bytes(Tensor t) {
        if (t.dtype() != DType.UINT8) {
            throw new AssertionError("expected a uint8 result, got " + t);
        }
        return Variable.constant(t);
    }
}
