package org.ducisc.backend.cpu;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The two register-blocked microkernels of the convolutions, on heap arrays (the JIT keeps their
 * bounds checks out of the inner loop better than for memory segments):
 * <ul>
 *   <li>{@link #block}: CB output rows x three vectors of positions, the weights broadcast from a
 *       packed array, the inputs read from rows given by offsets (24 accumulators).</li>
 *   <li>{@link #dots}: DC x DR dot products over a run of positions, in vector accumulators.</li>
 * </ul>
 * With ducisc.vector.bits=0 both run as plain scalar loops of the same blocking.
 */
final class CpuConvGemm {
    private static final VectorSpecies<Float> F = Vectors.F;
    /** Floats per vector (1 on the scalar path). */
    static final int LANES = Math.max(1, Vectors.LANES);
    /** Output rows of one {@link #block}. */
    static final int CB = 8;
    /** Positions of one {@link #block}: three vectors. */
    static final int BW = 3 * LANES;
    /** Output channels and input rows of one {@link #dots}. */
    static final int DC = 4;
    static final int DR = 6;

    private CpuConvGemm() {
    }

    static int roundUp(int n, int m) {
        return (n + m - 1) / m * m;
    }

    /** Blocks of CB output rows. */
    static int blocks(int outRows) {
        return (outRows + CB - 1) / CB;
    }

    /**
     * Weights packed for {@link #block}: packed[(cb*rows + r)*CB + j] is the weight of output row
     * cb*CB + j and reduction row r, zero beyond {@code outRows}. Unflipped, w is (outRows, rows).
     * Flipped (the data gradient of a stride-1 conv): w is (cout, outRows, kvol) and reduction row
     * r = (co, k) takes the weight at the mirrored kernel offset kvol-1-k. The blocks are packed in
     * parallel (each reads its CB rows of w in order); a pure copy, so the thread count cannot change it.
     *
     * @throws IllegalArgumentException if the packed array would exceed the largest Java array
     */
    static float[] pack(MemorySegment w, long wOff, int outRows, int rows, boolean flip, int cout, int kvol) {
        int blocks = blocks(outRows);
        float[] packed = new float[arraySize((long) blocks * rows * CB)];
        Parallel.forEach(blocks, cb -> {
            for (int j = 0; j < CB && cb * CB + j < outRows; j++) {
                int o = cb * CB + j;
                int at = cb * rows * CB + j;
                if (flip) {
                    for (int co = 0, r = 0; co < cout; co++) {
                        long src = wOff + ((long) co * outRows + o) * kvol + kvol - 1;
                        for (int k = 0; k < kvol; k++, r++) {
                            packed[at + r * CB] = w.getAtIndex(JAVA_FLOAT, src - k);
                        }
                    }
                } else {
                    long src = wOff + (long) o * rows;
                    for (int r = 0; r < rows; r++) {
                        packed[at + r * CB] = w.getAtIndex(JAVA_FLOAT, src + r);
                    }
                }
            }
        });
        return packed;
    }

    /**
     * w (cout, rows) packed for {@link #block} with output rows r and reduction over co, in parallel
     * over blocks of CB rows.
     *
     * @throws IllegalArgumentException if the packed array would exceed the largest Java array
     */
    static float[] packTransposed(MemorySegment w, long wOff, int cout, int rows) {
        int blocks = blocks(rows);
        float[] packed = new float[arraySize((long) blocks * cout * CB)];
        Parallel.forEach(blocks, rb -> {
            for (int co = 0; co < cout; co++) {
                long src = wOff + (long) co * rows + rb * CB;
                int at = (rb * cout + co) * CB;
                for (int j = 0; j < CB && rb * CB + j < rows; j++) {
                    packed[at + j] = w.getAtIndex(JAVA_FLOAT, src + j);
                }
            }
        });
        return packed;
    }

    /** n as an array length, checked before allocating. */
    static int arraySize(long n) {
        if (n < 0 || n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("convolution work array of " + n
                    + " floats exceeds the largest Java array (2^31 - 9 elements)");
        }
        return (int) n;
    }

    /** Reduction rows per pass of {@link #gemm}, so that the input rows of a pass stay in L1. */
    static final int ROW_GROUP = 256;

    /**
     * c[j*cs + p] = sum over r of packed(j, r) * b[bBase + rowOff[r] + p] for output rows j of all
     * {@code blocks} and positions p < {@code positions} rounded up to BW (written).
     */
    static void gemm(float[] packed, int rows, int blocks, float[] b, int bBase, int[] rowOff, int positions,
                     float[] c, int cs) {
        gemm(packed, rows, 0, blocks, b, bBase, rowOff, positions, c, cs);
    }

    /**
     * {@link #gemm} for the output blocks [cb0, cb1) only. Each output element is summed in the same
     * order whatever the range, so splitting the blocks over tasks does not change the result.
     */
    static void gemm(float[] packed, int rows, int cb0, int cb1, float[] b, int bBase, int[] rowOff, int positions,
                     float[] c, int cs) {
        for (int p0 = 0; p0 < positions; p0 += BW) {
            for (int r0 = 0; r0 < rows; r0 += ROW_GROUP) {
                int n = Math.min(ROW_GROUP, rows - r0);
                for (int cb = cb0; cb < cb1; cb++) {
                    block(packed, (cb * rows + r0) * CB, b, bBase + p0, rowOff, r0, n, c, cb * CB * cs + p0, cs,
                            r0 > 0);
                }
            }
        }
    }

    /**
     * c[cOff + j*cs + q] (+)= sum over r < n of a[aOff + r*CB + j] * b[bOff + rowOff[r0 + r] + q],
     * for j < CB and q < BW: written, or added if {@code add}.
     */
    static void block(float[] a, int aOff, float[] b, int bOff, int[] rowOff, int r0, int n, float[] c, int cOff,
                      int cs, boolean add) {
        if (F == null) {
            blockScalar(a, aOff, b, bOff, rowOff, r0, n, c, cOff, cs, add);
            return;
        }
        final int l = LANES;
        FloatVector z = FloatVector.zero(F);
        FloatVector c00 = z, c01 = z, c02 = z, c10 = z, c11 = z, c12 = z, c20 = z, c21 = z, c22 = z;
        FloatVector c30 = z, c31 = z, c32 = z, c40 = z, c41 = z, c42 = z, c50 = z, c51 = z, c52 = z;
        FloatVector c60 = z, c61 = z, c62 = z, c70 = z, c71 = z, c72 = z;
        for (int r = 0; r < n; r++) {
            int s = bOff + rowOff[r0 + r];
            FloatVector b0 = FloatVector.fromArray(F, b, s);
            FloatVector b1 = FloatVector.fromArray(F, b, s + l);
            FloatVector b2 = FloatVector.fromArray(F, b, s + 2 * l);
            int ar = aOff + r * CB;
            FloatVector w = FloatVector.broadcast(F, a[ar]);
            c00 = b0.fma(w, c00);
            c01 = b1.fma(w, c01);
            c02 = b2.fma(w, c02);
            w = FloatVector.broadcast(F, a[ar + 1]);
            c10 = b0.fma(w, c10);
            c11 = b1.fma(w, c11);
            c12 = b2.fma(w, c12);
            w = FloatVector.broadcast(F, a[ar + 2]);
            c20 = b0.fma(w, c20);
            c21 = b1.fma(w, c21);
            c22 = b2.fma(w, c22);
            w = FloatVector.broadcast(F, a[ar + 3]);
            c30 = b0.fma(w, c30);
            c31 = b1.fma(w, c31);
            c32 = b2.fma(w, c32);
            w = FloatVector.broadcast(F, a[ar + 4]);
            c40 = b0.fma(w, c40);
            c41 = b1.fma(w, c41);
            c42 = b2.fma(w, c42);
            w = FloatVector.broadcast(F, a[ar + 5]);
            c50 = b0.fma(w, c50);
            c51 = b1.fma(w, c51);
            c52 = b2.fma(w, c52);
            w = FloatVector.broadcast(F, a[ar + 6]);
            c60 = b0.fma(w, c60);
            c61 = b1.fma(w, c61);
            c62 = b2.fma(w, c62);
            w = FloatVector.broadcast(F, a[ar + 7]);
            c70 = b0.fma(w, c70);
            c71 = b1.fma(w, c71);
            c72 = b2.fma(w, c72);
        }
        // Written out in full: a helper taking vectors as arguments is not always inlined, and then boxes them.
        if (add) {
            c00 = c00.add(FloatVector.fromArray(F, c, cOff));
            c01 = c01.add(FloatVector.fromArray(F, c, cOff + l));
            c02 = c02.add(FloatVector.fromArray(F, c, cOff + 2 * l));
            c10 = c10.add(FloatVector.fromArray(F, c, cOff + cs));
            c11 = c11.add(FloatVector.fromArray(F, c, cOff + cs + l));
            c12 = c12.add(FloatVector.fromArray(F, c, cOff + cs + 2 * l));
            c20 = c20.add(FloatVector.fromArray(F, c, cOff + 2 * cs));
            c21 = c21.add(FloatVector.fromArray(F, c, cOff + 2 * cs + l));
            c22 = c22.add(FloatVector.fromArray(F, c, cOff + 2 * cs + 2 * l));
            c30 = c30.add(FloatVector.fromArray(F, c, cOff + 3 * cs));
            c31 = c31.add(FloatVector.fromArray(F, c, cOff + 3 * cs + l));
            c32 = c32.add(FloatVector.fromArray(F, c, cOff + 3 * cs + 2 * l));
            c40 = c40.add(FloatVector.fromArray(F, c, cOff + 4 * cs));
            c41 = c41.add(FloatVector.fromArray(F, c, cOff + 4 * cs + l));
            c42 = c42.add(FloatVector.fromArray(F, c, cOff + 4 * cs + 2 * l));
            c50 = c50.add(FloatVector.fromArray(F, c, cOff + 5 * cs));
            c51 = c51.add(FloatVector.fromArray(F, c, cOff + 5 * cs + l));
            c52 = c52.add(FloatVector.fromArray(F, c, cOff + 5 * cs + 2 * l));
            c60 = c60.add(FloatVector.fromArray(F, c, cOff + 6 * cs));
            c61 = c61.add(FloatVector.fromArray(F, c, cOff + 6 * cs + l));
            c62 = c62.add(FloatVector.fromArray(F, c, cOff + 6 * cs + 2 * l));
            c70 = c70.add(FloatVector.fromArray(F, c, cOff + 7 * cs));
            c71 = c71.add(FloatVector.fromArray(F, c, cOff + 7 * cs + l));
            c72 = c72.add(FloatVector.fromArray(F, c, cOff + 7 * cs + 2 * l));
        }
        c00.intoArray(c, cOff);
        c01.intoArray(c, cOff + l);
        c02.intoArray(c, cOff + 2 * l);
        c10.intoArray(c, cOff + cs);
        c11.intoArray(c, cOff + cs + l);
        c12.intoArray(c, cOff + cs + 2 * l);
        c20.intoArray(c, cOff + 2 * cs);
        c21.intoArray(c, cOff + 2 * cs + l);
        c22.intoArray(c, cOff + 2 * cs + 2 * l);
        c30.intoArray(c, cOff + 3 * cs);
        c31.intoArray(c, cOff + 3 * cs + l);
        c32.intoArray(c, cOff + 3 * cs + 2 * l);
        c40.intoArray(c, cOff + 4 * cs);
        c41.intoArray(c, cOff + 4 * cs + l);
        c42.intoArray(c, cOff + 4 * cs + 2 * l);
        c50.intoArray(c, cOff + 5 * cs);
        c51.intoArray(c, cOff + 5 * cs + l);
        c52.intoArray(c, cOff + 5 * cs + 2 * l);
        c60.intoArray(c, cOff + 6 * cs);
        c61.intoArray(c, cOff + 6 * cs + l);
        c62.intoArray(c, cOff + 6 * cs + 2 * l);
        c70.intoArray(c, cOff + 7 * cs);
        c71.intoArray(c, cOff + 7 * cs + l);
        c72.intoArray(c, cOff + 7 * cs + 2 * l);
    }

    private static void blockScalar(float[] a, int aOff, float[] b, int bOff, int[] rowOff, int r0, int n,
                                    float[] c, int cOff, int cs, boolean add) {
        float[] acc = new float[CB * BW];
        for (int r = 0; r < n; r++) {
            int s = bOff + rowOff[r0 + r];
            for (int j = 0; j < CB; j++) {
                float w = a[aOff + r * CB + j];
                for (int q = 0; q < BW; q++) {
                    acc[j * BW + q] += w * b[s + q];
                }
            }
        }
        for (int j = 0; j < CB; j++) {
            for (int q = 0; q < BW; q++) {
                c[cOff + j * cs + q] = add ? c[cOff + j * cs + q] + acc[j * BW + q] : acc[j * BW + q];
            }
        }
    }

    /**
     * part[at + (i*DR + j)*LANES + lane] += the lane-wise partial dot products of
     * g[gOff[i] + q] and b[bOff[j] + q] over q < len (a multiple of LANES), i < DC, j < DR.
     */
    static void dots(float[] g, int[] gOff, float[] b, int[] bOff, int len, float[] part, int at) {
        if (F == null) {
            for (int i = 0; i < DC; i++) {
                for (int j = 0; j < DR; j++) {
                    float acc = 0;
                    for (int q = 0; q < len; q++) {
                        acc += g[gOff[i] + q] * b[bOff[j] + q];
                    }
                    part[at + i * DR + j] += acc;
                }
            }
            return;
        }
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a04 = z, a05 = z;
        FloatVector a10 = z, a11 = z, a12 = z, a13 = z, a14 = z, a15 = z;
        FloatVector a20 = z, a21 = z, a22 = z, a23 = z, a24 = z, a25 = z;
        FloatVector a30 = z, a31 = z, a32 = z, a33 = z, a34 = z, a35 = z;
        int g0 = gOff[0];
        int g1 = gOff[1];
        int g2 = gOff[2];
        int g3 = gOff[3];
        int b0 = bOff[0];
        int b1 = bOff[1];
        int b2 = bOff[2];
        int b3 = bOff[3];
        int b4 = bOff[4];
        int b5 = bOff[5];
        for (int q = 0; q < len; q += LANES) {
            FloatVector x0 = FloatVector.fromArray(F, b, b0 + q);
            FloatVector x1 = FloatVector.fromArray(F, b, b1 + q);
            FloatVector x2 = FloatVector.fromArray(F, b, b2 + q);
            FloatVector x3 = FloatVector.fromArray(F, b, b3 + q);
            FloatVector x4 = FloatVector.fromArray(F, b, b4 + q);
            FloatVector x5 = FloatVector.fromArray(F, b, b5 + q);
            FloatVector y = FloatVector.fromArray(F, g, g0 + q);
            a00 = x0.fma(y, a00);
            a01 = x1.fma(y, a01);
            a02 = x2.fma(y, a02);
            a03 = x3.fma(y, a03);
            a04 = x4.fma(y, a04);
            a05 = x5.fma(y, a05);
            y = FloatVector.fromArray(F, g, g1 + q);
            a10 = x0.fma(y, a10);
            a11 = x1.fma(y, a11);
            a12 = x2.fma(y, a12);
            a13 = x3.fma(y, a13);
            a14 = x4.fma(y, a14);
            a15 = x5.fma(y, a15);
            y = FloatVector.fromArray(F, g, g2 + q);
            a20 = x0.fma(y, a20);
            a21 = x1.fma(y, a21);
            a22 = x2.fma(y, a22);
            a23 = x3.fma(y, a23);
            a24 = x4.fma(y, a24);
            a25 = x5.fma(y, a25);
            y = FloatVector.fromArray(F, g, g3 + q);
            a30 = x0.fma(y, a30);
            a31 = x1.fma(y, a31);
            a32 = x2.fma(y, a32);
            a33 = x3.fma(y, a33);
            a34 = x4.fma(y, a34);
            a35 = x5.fma(y, a35);
        }
        // Written out in full: a helper taking vectors as arguments is not always inlined, and then boxes them.
        final int l = LANES;
        a00.add(FloatVector.fromArray(F, part, at)).intoArray(part, at);
        a01.add(FloatVector.fromArray(F, part, at + l)).intoArray(part, at + l);
        a02.add(FloatVector.fromArray(F, part, at + 2 * l)).intoArray(part, at + 2 * l);
        a03.add(FloatVector.fromArray(F, part, at + 3 * l)).intoArray(part, at + 3 * l);
        a04.add(FloatVector.fromArray(F, part, at + 4 * l)).intoArray(part, at + 4 * l);
        a05.add(FloatVector.fromArray(F, part, at + 5 * l)).intoArray(part, at + 5 * l);
        a10.add(FloatVector.fromArray(F, part, at + 6 * l)).intoArray(part, at + 6 * l);
        a11.add(FloatVector.fromArray(F, part, at + 7 * l)).intoArray(part, at + 7 * l);
        a12.add(FloatVector.fromArray(F, part, at + 8 * l)).intoArray(part, at + 8 * l);
        a13.add(FloatVector.fromArray(F, part, at + 9 * l)).intoArray(part, at + 9 * l);
        a14.add(FloatVector.fromArray(F, part, at + 10 * l)).intoArray(part, at + 10 * l);
        a15.add(FloatVector.fromArray(F, part, at + 11 * l)).intoArray(part, at + 11 * l);
        a20.add(FloatVector.fromArray(F, part, at + 12 * l)).intoArray(part, at + 12 * l);
        a21.add(FloatVector.fromArray(F, part, at + 13 * l)).intoArray(part, at + 13 * l);
        a22.add(FloatVector.fromArray(F, part, at + 14 * l)).intoArray(part, at + 14 * l);
        a23.add(FloatVector.fromArray(F, part, at + 15 * l)).intoArray(part, at + 15 * l);
        a24.add(FloatVector.fromArray(F, part, at + 16 * l)).intoArray(part, at + 16 * l);
        a25.add(FloatVector.fromArray(F, part, at + 17 * l)).intoArray(part, at + 17 * l);
        a30.add(FloatVector.fromArray(F, part, at + 18 * l)).intoArray(part, at + 18 * l);
        a31.add(FloatVector.fromArray(F, part, at + 19 * l)).intoArray(part, at + 19 * l);
        a32.add(FloatVector.fromArray(F, part, at + 20 * l)).intoArray(part, at + 20 * l);
        a33.add(FloatVector.fromArray(F, part, at + 21 * l)).intoArray(part, at + 21 * l);
        a34.add(FloatVector.fromArray(F, part, at + 22 * l)).intoArray(part, at + 22 * l);
        a35.add(FloatVector.fromArray(F, part, at + 23 * l)).intoArray(part, at + 23 * l);
    }
}
