package org.ducisc.backend.cpu;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
import org.ducisc.core.InterpolationMode;

/**
 * Nearest and trilinear (align_corners=False) resampling of (nc, d, h, w) float planes, bitwise
 * as PyTorch 1.13 computes them on the CPU for float tensors:
 * <ul>
 *   <li>nearest: scale = (float) in / out, src = min(floor(dst * scale) in float, in - 1), with
 *       in == out (copy) and out == 2 * in (dst / 2) taken exactly;</li>
 *   <li>trilinear: the float scale widened to double, src = scale * (dst + 0.5) - 0.5 in double
 *       (PyTorch's CPU accumulate type for float), clamped at 0; i0 = (int) src,
 *       i1 = i0 + (i0 < in - 1 ? 1 : 0), w1 = (float) (src - i0), w0 = 1 - w1; in == out copies.
 *       Each 1-d blend is fma(t0, w0, t1 * w1), nested d(h(w)), and the backward adds
 *       fma(((wd * wh) * ww), g, acc) in output order: the contractions PyTorch's AVX2 build
 *       makes, so the golden fixture matches bit for bit.</li>
 * </ul>
 * The backward walks each plane in output order on one thread, so no two threads add into one
 * element and the result does not depend on the thread count.
 */
final class CpuResample {
    /** Outputs per parallel task in the forward. */
    private static final long GRAIN = 1 << 14;

    private CpuResample() {
    }

    /** Source indices and blend weights along one axis; for nearest only i0 is used. */
    private record Axis(int[] i0, int[] i1, float[] w0, float[] w1) {
        static Axis of(InterpolationMode mode, int in, int out) {
            return mode == InterpolationMode.NEAREST ? nearest(in, out) : linear(in, out);
        }

        static Axis nearest(int in, int out) {
            int[] i0 = new int[out];
            float scale = (float) in / out;
            for (int o = 0; o < out; o++) {
                if (out == in) {
                    i0[o] = o;
                } else if (out == 2 * in) {
                    i0[o] = o >> 1;
                } else {
                    i0[o] = Math.min((int) Math.floor((float) o * scale), in - 1);
                }
            }
            return new Axis(i0, null, null, null);
        }

        static Axis linear(int in, int out) {
            int[] i0 = new int[out];
            int[] i1 = new int[out];
            float[] w0 = new float[out];
            float[] w1 = new float[out];
            double scale = (float) in / out;
            for (int o = 0; o < out; o++) {
                if (out == in) {
                    i0[o] = o;
                    i1[o] = o;
                    w0[o] = 1f;
                    w1[o] = 0f;
                    continue;
                }
                double src = Math.max(scale * (o + 0.5) - 0.5, 0.0);
                int lo = (int) src;
                i0[o] = lo;
                i1[o] = lo + (lo < in - 1 ? 1 : 0);
                w1[o] = (float) (src - lo);
                w0[o] = 1f - w1[o];
            }
            return new Axis(i0, i1, w0, w1);
        }
    }

    static void interpolate(InterpolationMode mode, MemorySegment x, long xOff, long nc, int[] in, MemorySegment y,
                            long yOff, int[] out) {
        Axis ad = Axis.of(mode, in[0], out[0]);
        Axis ah = Axis.of(mode, in[1], out[1]);
        Axis aw = Axis.of(mode, in[2], out[2]);
        int inH = in[1];
        int inW = in[2];
        long inPlane = (long) in[0] * inH * inW;
        int outD = out[0];
        int outH = out[1];
        int outW = out[2];
        long rows = nc * outD * outH;
        boolean nearest = mode == InterpolationMode.NEAREST;
        Parallel.forRange(rows, Math.max(1, GRAIN / outW), (r0, r1) -> {
            for (long r = r0; r < r1; r++) {
                int oh = (int) (r % outH);
                int od = (int) (r / outH % outD);
                long plane = xOff + r / ((long) outH * outD) * inPlane;
                long dst = yOff + r * outW;
                if (nearest) {
                    long src = plane + ((long) ad.i0[od] * inH + ah.i0[oh]) * inW;
                    for (int ow = 0; ow < outW; ow++) {
                        y.setAtIndex(JAVA_FLOAT, dst + ow, x.getAtIndex(JAVA_FLOAT, src + aw.i0[ow]));
                    }
                } else {
                    trilinearRow(x, plane, inH, inW, ad, od, ah, oh, aw, y, dst, outW);
                }
            }
        });
    }

    private static void trilinearRow(MemorySegment x, long plane, int inH, int inW, Axis ad, int od, Axis ah, int oh,
                                     Axis aw, MemorySegment y, long dst, int outW) {
        long r00 = plane + ((long) ad.i0[od] * inH + ah.i0[oh]) * inW;
        long r01 = plane + ((long) ad.i0[od] * inH + ah.i1[oh]) * inW;
        long r10 = plane + ((long) ad.i1[od] * inH + ah.i0[oh]) * inW;
        long r11 = plane + ((long) ad.i1[od] * inH + ah.i1[oh]) * inW;
        float d0 = ad.w0[od];
        float d1 = ad.w1[od];
        float h0 = ah.w0[oh];
        float h1 = ah.w1[oh];
        for (int ow = 0; ow < outW; ow++) {
            int w0 = aw.i0[ow];
            int w1 = aw.i1[ow];
            float a = aw.w0[ow];
            float b = aw.w1[ow];
            float t00 = blend(x.getAtIndex(JAVA_FLOAT, r00 + w0), a, x.getAtIndex(JAVA_FLOAT, r00 + w1), b);
            float t01 = blend(x.getAtIndex(JAVA_FLOAT, r01 + w0), a, x.getAtIndex(JAVA_FLOAT, r01 + w1), b);
            float t10 = blend(x.getAtIndex(JAVA_FLOAT, r10 + w0), a, x.getAtIndex(JAVA_FLOAT, r10 + w1), b);
            float t11 = blend(x.getAtIndex(JAVA_FLOAT, r11 + w0), a, x.getAtIndex(JAVA_FLOAT, r11 + w1), b);
            y.setAtIndex(JAVA_FLOAT, dst + ow, blend(blend(t00, h0, t01, h1), d0, blend(t10, h0, t11, h1), d1));
        }
    }

    private static float blend(float t0, float w0, float t1, float w1) {
        return Math.fma(t0, w0, t1 * w1);
    }

    static void interpolateBackward(InterpolationMode mode, MemorySegment gy, long gyOff, long nc, int[] in,
                                    int[] out, MemorySegment gx, long gxOff) {
        Axis ad = Axis.of(mode, in[0], out[0]);
        Axis ah = Axis.of(mode, in[1], out[1]);
        Axis aw = Axis.of(mode, in[2], out[2]);
        int inH = in[1];
        int inW = in[2];
        long inPlane = (long) in[0] * inH * inW;
        long outPlane = (long) out[0] * out[1] * out[2];
        boolean nearest = mode == InterpolationMode.NEAREST;
        Parallel.forEach(Math.toIntExact(nc), p -> {
            long gxp = gxOff + p * inPlane;
            long g = gyOff + p * outPlane;
            gx.asSlice(gxp * 4, inPlane * 4).fill((byte) 0);
            for (int od = 0; od < out[0]; od++) {
                for (int oh = 0; oh < out[1]; oh++) {
                    if (nearest) {
                        long row = gxp + ((long) ad.i0[od] * inH + ah.i0[oh]) * inW;
                        for (int ow = 0; ow < out[2]; ow++, g++) {
                            long i = row + aw.i0[ow];
                            gx.setAtIndex(JAVA_FLOAT, i, gx.getAtIndex(JAVA_FLOAT, i) + gy.getAtIndex(JAVA_FLOAT, g));
                        }
                    } else {
                        scatterRow(gy, g, gx, gxp, inH, inW, ad, od, ah, oh, aw, out[2]);
                        g += out[2];
                    }
                }
            }
        });
    }

    private static void scatterRow(MemorySegment gy, long g, MemorySegment gx, long plane, int inH, int inW, Axis ad,
                                   int od, Axis ah, int oh, Axis aw, int outW) {
        long r00 = plane + ((long) ad.i0[od] * inH + ah.i0[oh]) * inW;
        long r01 = plane + ((long) ad.i0[od] * inH + ah.i1[oh]) * inW;
        long r10 = plane + ((long) ad.i1[od] * inH + ah.i0[oh]) * inW;
        long r11 = plane + ((long) ad.i1[od] * inH + ah.i1[oh]) * inW;
        float d0h0 = ad.w0[od] * ah.w0[oh];
        float d0h1 = ad.w0[od] * ah.w1[oh];
        float d1h0 = ad.w1[od] * ah.w0[oh];
        float d1h1 = ad.w1[od] * ah.w1[oh];
        for (int ow = 0; ow < outW; ow++) {
            float v = gy.getAtIndex(JAVA_FLOAT, g + ow);
            int w0 = aw.i0[ow];
            int w1 = aw.i1[ow];
            float a = aw.w0[ow];
            float b = aw.w1[ow];
            add(gx, r00 + w0, d0h0 * a, v);
            add(gx, r00 + w1, d0h0 * b, v);
            add(gx, r01 + w0, d0h1 * a, v);
            add(gx, r01 + w1, d0h1 * b, v);
            add(gx, r10 + w0, d1h0 * a, v);
            add(gx, r10 + w1, d1h0 * b, v);
            add(gx, r11 + w0, d1h1 * a, v);
            add(gx, r11 + w1, d1h1 * b, v);
        }
    }

    private static void add(MemorySegment gx, long i, float weight, float v) {
        gx.setAtIndex(JAVA_FLOAT, i, Math.fma(weight, v, gx.getAtIndex(JAVA_FLOAT, i)));
    }
}
