package org.ducisc.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.ducisc.tensor.MemoryScope;
import org.ducisc.tensor.Rng;
import org.ducisc.tensor.Tensor;
import org.ducisc.testing.OpCheck;
import org.junit.jupiter.api.Test;

class DropoutTest {
    private static final long[] S = {3, 5, 7, 4, 3};

    @Test
    void dropsWholeChannelsAndScalesTheRest() {
        checkDropout(0.5, 17);
    }

    @Test
    void lowRate() {
        checkDropout(0.2, 18);
    }

    private static void checkDropout(double p, long seed) {
        OpCheck.op("dropout3d p=" + p).input("x", S)
                .run(v -> Dropout.dropout3d(v[0], p, true, new Rng(seed)), in -> {
                    Rng rng = new Rng(seed);
                    int channels = (int) (S[0] * S[1]);
                    int per = in[0].length / channels;
                    double[] y = new double[in[0].length];
                    for (int nc = 0; nc < channels; nc++) {
                        double f = rng.nextDouble() < 1 - p ? 1 / (1 - p) : 0;
                        for (int j = 0; j < per; j++) {
                            y[nc * per + j] = in[0][nc * per + j] * f;
                        }
                    }
                    return y;
                });
    }

    @Test
    void maskFollowsTheRngInSampleChannelOrder() {
        try (MemoryScope _ = MemoryScope.open()) {
            Tensor x = Tensor.full(org.ducisc.core.Device.CPU, org.ducisc.core.DType.FLOAT32, 1, 2, 6, 3, 1, 1);
            float[] y = Dropout.dropout3d(Variable.constant(x), 0.5, true, new Rng(99)).value().toFloatArray();
            Rng rng = new Rng(99);
            int dropped = 0;
            for (int nc = 0; nc < 12; nc++) {
                float expected = rng.nextDouble() < 0.5 ? 2f : 0f;
                dropped += expected == 0f ? 1 : 0;
                for (int j = 0; j < 3; j++) {
                    assertTrue(y[nc * 3 + j] == expected, "channel " + nc);
                }
            }
            assertTrue(dropped > 0 && dropped < 12, "some channels dropped, some kept: " + dropped);
        }
    }

    @Test
    void evalAndZeroRateReturnTheInput() {
        try (MemoryScope _ = MemoryScope.open()) {
            Variable x = Variable.parameter(Tensor.zeros(2, 3, 4, 5, 6));
            Rng rng = new Rng(1);
            long before = rng.snapshot()[0];
            assertSame(x, Dropout.dropout3d(x, 0.5, false, rng));
            assertSame(x, Dropout.dropout3d(x, 0.0, true, rng));
            assertArrayEquals(new long[] {before, 0, 0}, rng.snapshot(), "no draws in eval mode");
        }
    }

    @Test
    void rateOneZeroesEverything() {
        try (MemoryScope _ = MemoryScope.open()) {
            Variable x = Variable.constant(Tensor.normal(org.ducisc.core.Device.CPU, new Rng(3), 0, 1, 2, 3, 2, 2, 2));
            float[] y = Dropout.dropout3d(x, 1.0, true, new Rng(4)).value().toFloatArray();
            for (float v : y) {
                assertTrue(v == 0f);
            }
        }
    }

    @Test
    void rejectsBadRate() {
        try (MemoryScope _ = MemoryScope.open()) {
            Variable x = Variable.constant(Tensor.zeros(2, 3, 2, 2, 2));
            ChannelRef.assertNames(assertThrows(IllegalArgumentException.class,
                    () -> Dropout.dropout3d(x, 1.5, true, new Rng(1))), "dropout3d", "1.5");
        }
    }
}
