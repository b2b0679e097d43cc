package org.ducisc.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.ducisc.tensor.Channels;
import org.ducisc.tensor.Tensor;
import org.ducisc.testing.OpCheck;
import org.junit.jupiter.api.Test;

class ChannelsGradTest {
    private static final long[] S = {3, 5, 7, 4, 3};
    /** Two channels, as the network's heads have, over more positions than one kernel block. */
    private static final long[] LARGE = {2, 2, 41, 43, 7};

    @Test
    void softmax() {
        OpCheck.op("softmax").input("x", S)
                .run(v -> ChannelsGrad.softmax(v[0]), in -> ChannelRef.softmax(in[0], S, false));
    }

    @Test
    void logSoftmax() {
        OpCheck.op("logSoftmax").input("x", S)
                .run(v -> ChannelsGrad.logSoftmax(v[0]), in -> ChannelRef.softmax(in[0], S, true));
    }

    @Test
    void softmaxTwoChannelsLarge() {
        OpCheck.op("softmax large").input("x", LARGE)
                .run(v -> ChannelsGrad.softmax(v[0]), in -> ChannelRef.softmax(in[0], LARGE, false));
    }

    @Test
    void logSoftmaxTwoChannelsLarge() {
        OpCheck.op("logSoftmax large").input("x", LARGE)
                .run(v -> ChannelsGrad.logSoftmax(v[0]), in -> ChannelRef.softmax(in[0], LARGE, true));
    }

    @Test
    void rankTwo() {
        long[] s = {7, 3};
        OpCheck.op("softmax (N, C)").input("x", s)
                .run(v -> ChannelsGrad.softmax(v[0]), in -> ChannelRef.softmax(in[0], s, false));
    }

    @Test
    void largeLogitsStayFinite() {
        long[] s = {1, 3, 37};
        float[] x = new float[37 * 3];
        for (int i = 0; i < x.length; i++) {
            x[i] = 1000f + 30f * (i % 7);
        }
        double[] xd = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            xd[i] = x[i];
        }
        try (Tensor t = Tensor.of(x, s); Tensor y = Channels.softmax(t); Tensor ly = Channels.logSoftmax(t)) {
            double[] ref = ChannelRef.softmax(xd, s, false);
            double[] lref = ChannelRef.softmax(xd, s, true);
            float[] yf = y.toFloatArray();
            float[] lf = ly.toFloatArray();
            for (int i = 0; i < x.length; i++) {
                assertEquals(ref[i], yf[i], 1e-6, "softmax at " + i);
                assertEquals(lref[i], lf[i], 1e-4 * (1 + Math.abs(lref[i])), "logSoftmax at " + i);
            }
        }
    }

    @Test
    void backwardRejectsShapeMismatch() {
        try (Tensor y = Tensor.zeros(2, 3, 4); Tensor g = Tensor.zeros(2, 3, 5)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Channels.softmaxBackward(y, g, false));
            ChannelRef.assertNames(e, "softmaxBackward", "[2, 3, 5]");
        }
    }

    @Test
    void rejectsRankOne() {
        try (Tensor x = Tensor.zeros(5)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Channels.softmax(x));
            ChannelRef.assertNames(e, "softmax", "[5]");
        }
    }
}
