package org.ducisc.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class ExactMathTest {
    private static final int N = 1 << 16;

    /** Every lane of the vector form equals the scalar form, and both are within 2 ulp of Math's. */
    private static void check(float[] xs, boolean log) {
        // The kernels' species (ducisc.vector.bits); in scalar mode (0 lanes) only the scalar form is checked.
        int lanes = Math.max(1, Vectors.LANES);
        float[] out = new float[lanes];
        for (int i = 0; i + lanes <= xs.length; i += lanes) {
            if (Vectors.LANES > 0) {
                FloatVector v = FloatVector.fromArray(Vectors.F, xs, i);
                (log ? ExactMath.log(v) : ExactMath.exp(v)).intoArray(out, 0);
            }
            for (int l = 0; l < lanes; l++) {
                float x = xs[i + l];
                float scalar = log ? ExactMath.log(x) : ExactMath.exp(x);
                if (Vectors.LANES > 0) {
                    assertEquals(Float.floatToRawIntBits(scalar), Float.floatToRawIntBits(out[l]), "lane and scalar at x=" + x);
                }
                double exact = log ? Math.log(x) : Math.exp(x);
                double ulps = Math.abs(scalar - exact) / Math.ulp((float) exact);
                assertTrue(ulps <= 2, (log ? "log(" : "exp(") + x + ") = " + scalar + ", exact " + exact + ": " + ulps + " ulp");
            }
        }
    }

    @Test
    void expOverTheSoftmaxRange() {
        float[] xs = new float[N];
        for (int i = 0; i < N; i++) {
            xs[i] = ExactMath.EXP_MIN + (ExactMath.EXP_MAX - ExactMath.EXP_MIN) * i / (N - 1);
        }
        check(xs, false);
        float[] small = new float[N];
        for (int i = 0; i < N; i++) {
            small[i] = -4f + 8f * i / (N - 1);
        }
        check(small, false);
    }

    @Test
    void logOverNormalFloats() {
        float[] xs = new float[N];
        for (int i = 0; i < N; i++) {
            // log-spaced over the normal floats, and densely over [1, 2] where softmax sums of two classes lie
            xs[i] = i % 2 == 0 ? (float) Math.exp(-87 + 175.0 * i / N) : 1f + (float) i / N;
        }
        check(xs, true);
        assertEquals(0f, ExactMath.log(1f));
        assertEquals(1f, ExactMath.exp(0f));
    }
}
