package org.ducisc.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * exp and log in float from IEEE add, multiply, fma, divide and bit operations only, so that a
 * vector lane and the scalar form give the same bits, in the interpreter and in compiled code.
 * The Vector API's EXP and LOG use another approximation once compiled than while interpreted,
 * so a run's last bits depended on JIT warm-up, and a resumed run (a fresh JVM) drifted from a
 * straight one. Within 2 ulp of the exact result on the ranges stated (ExactMathTest).
 */
final class ExactMath {
    private static final float LOG2E = 1.44269504088896341f;
    /** ln 2 split so that n * LN2_HI is exact for the |n| <= 128 used here. */
    private static final float LN2_HI = 0.693145751953125f;
    private static final float LN2_LO = 1.42860682030941723212e-6f;
    private static final float LN2 = 0.69314718055994530942f;
    /** 1.5 * 2^23: adding and subtracting it rounds a float of magnitude below 2^22 to an integer. */
    private static final float ROUNDER = 12582912f;
    private static final int ROUNDER_BITS = 0x4B400000;
    /** exp below this is clamped to exp(EXP_MIN), about 2e-38, the smallest normal float's order. */
    static final float EXP_MIN = -87f;
    static final float EXP_MAX = 88f;
    /** The bits of sqrt(1/2) rounded to float: the lower end of the mantissa range of log. */
    private static final int SQRT_HALF_BITS = 0x3F3504F3;
    // e^r by its Taylor polynomial to r^7 (|r| <= ln2/2: remainder below 6e-9).

    private ExactMath() {
    }

    /** e^x, for x clamped to [EXP_MIN, EXP_MAX]. */
    static float exp(float x) {
        x = Math.min(Math.max(x, EXP_MIN), EXP_MAX);
        float t = Math.fma(x, LOG2E, ROUNDER);
        float n = t - ROUNDER;
        float r = Math.fma(n, -LN2_LO, Math.fma(n, -LN2_HI, x));
        float p = Math.fma(r, 1f / 5040, 1f / 720);
        p = Math.fma(p, r, 1f / 120);
        p = Math.fma(p, r, 1f / 24);
        p = Math.fma(p, r, 1f / 6);
        p = Math.fma(p, r, 1f / 2);
        p = Math.fma(Math.fma(p, r, 1f), r, 1f);
        float scale = Float.intBitsToFloat((Float.floatToRawIntBits(t) - ROUNDER_BITS + 127) << 23);
        return p * scale;
    }

    /**
     * The vector form's constants, made once: built inside the kernels, their broadcasts pushed
     * C2 past its inlining node budget, and the vectors were boxed (5x slower). Null in scalar mode.
     */
    private static final FloatVector V_LN2_HI = constant(-LN2_HI);
    private static final FloatVector V_LN2_LO = constant(-LN2_LO);
    private static final FloatVector V_LN2 = constant(LN2);
    private static final FloatVector V_ONE = constant(1f);
    private static final FloatVector V_P5 = constant(1f / 120);
    private static final FloatVector V_P4 = constant(1f / 24);
    private static final FloatVector V_P3 = constant(1f / 6);
    private static final FloatVector V_P2 = constant(1f / 2);
    private static final FloatVector V_FIFTH = constant(1f / 5);
    private static final FloatVector V_THIRD = constant(1f / 3);
    private static final IntVector V_EXPONENT_BIAS = Vectors.F == null ? null
            : IntVector.broadcast(Vectors.F.withLanes(int.class), ROUNDER_BITS - 127);
    private static final IntVector V_SQRT_HALF_BITS = Vectors.F == null ? null
            : IntVector.broadcast(Vectors.F.withLanes(int.class), SQRT_HALF_BITS);
    private static final IntVector V_MANTISSA = Vectors.F == null ? null
            : IntVector.broadcast(Vectors.F.withLanes(int.class), 0x007FFFFF);

    private static FloatVector constant(float c) {
        return Vectors.F == null ? null : FloatVector.broadcast(Vectors.F, c);
    }

    /** exp of each lane of a vector of the kernels' species ({@link Vectors#F}); the scalar form's bits. */
    static FloatVector exp(FloatVector v) {
        FloatVector x = v.max(EXP_MIN).min(EXP_MAX);
        FloatVector t = x.fma(LOG2E, ROUNDER);
        FloatVector n = t.sub(ROUNDER);
        FloatVector r = n.fma(V_LN2_LO, n.fma(V_LN2_HI, x));
        FloatVector p = r.fma(1f / 5040, 1f / 720);
        p = p.fma(r, V_P5).fma(r, V_P4).fma(r, V_P3).fma(r, V_P2).fma(r, V_ONE).fma(r, V_ONE);
        FloatVector scale = ((IntVector) t.reinterpretAsInts()).sub(V_EXPONENT_BIAS)
                .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(scale);
    }

    /**
     * ln x for a positive normal float: x = m * 2^e with m in [sqrt(1/2), sqrt(2)) (split with
     * integer arithmetic on the bits, as musl's logf does, so no lane needs a branch), and
     * ln m = 2 atanh(s) with s = (m-1)/(m+1), |s| < 0.172, by its series to s^9.
     */
    static float log(float x) {
        int shifted = Float.floatToRawIntBits(x) - SQRT_HALF_BITS;
        float e = shifted >> 23;
        float m = Float.intBitsToFloat((shifted & 0x007FFFFF) + SQRT_HALF_BITS);
        float s = (m - 1f) / (m + 1f);
        float z = s * s;
        float twoS = s + s;
        float poly = Math.fma(Math.fma(Math.fma(z, 1f / 9, 1f / 7), z, 1f / 5), z, 1f / 3);
        // 2s + 2s*z*poly: the leading term added last keeps its full precision.
        return Math.fma(e, LN2, Math.fma(twoS, z * poly, twoS));
    }

    /** ln of each lane of a vector of the kernels' species; the scalar form's bits. */
    static FloatVector log(FloatVector x) {
        IntVector shifted = ((IntVector) x.reinterpretAsInts()).sub(V_SQRT_HALF_BITS);
        FloatVector e = (FloatVector) shifted.lanewise(VectorOperators.ASHR, 23).convert(VectorOperators.I2F, 0);
        FloatVector m = shifted.and(V_MANTISSA).add(V_SQRT_HALF_BITS).reinterpretAsFloats();
        FloatVector s = m.sub(V_ONE).div(m.add(V_ONE));
        FloatVector z = s.mul(s);
        FloatVector twoS = s.add(s);
        FloatVector poly = z.fma(1f / 9, 1f / 7).fma(z, V_FIFTH).fma(z, V_THIRD);
        return e.fma(V_LN2, twoS.fma(z.mul(poly), twoS));
    }
}
