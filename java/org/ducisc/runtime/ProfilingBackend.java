package org.ducisc.runtime;

import java.lang.foreign.MemorySegment;
import java.util.Locale;
import org.ducisc.backend.Backend;
import org.ducisc.backend.Buffer;
import org.ducisc.backend.ConvGeometry;
import org.ducisc.core.BinaryOp;
import org.ducisc.core.CompareOp;
import org.ducisc.core.DType;
import org.ducisc.core.Device;
import org.ducisc.core.InterpolationMode;
import org.ducisc.core.UnaryOp;

/**
 * A {@link Backend} that forwards every call to another one and adds its wall time to an
 * {@link OpProfile}, under an op name (convolutions per direction and shape) and a group (conv
 * forward, conv backward-data, conv backward-weight, batch norm, softmax, elementwise, losses,
 * reductions, copies, resampling, allocator). Installed by {@link Backends#of} only while a
 * profile runs.
 */
final class ProfilingBackend implements Backend {
    private final Backend inner;
    private final OpProfile profile;

    ProfilingBackend(Backend inner, OpProfile profile) {
        this.inner = inner;
        this.profile = profile;
    }

    private void timed(String group, String name, Runnable call) {
        long t0 = System.nanoTime();
        try {
            call.run();
        } finally {
            profile.add(group, name, System.nanoTime() - t0);
        }
    }

    /** "16->32 k2 s2 out 56x56x40 n2": channels, kernel, stride, output size (W x H x D), batch. */
    static String convShape(ConvGeometry g) {
        return String.format(Locale.ROOT, "%d->%d k%s s%s out %dx%dx%d n%d", g.inChannels(), g.outChannels(),
                side(g.kernel()), side(g.stride()), g.out()[0], g.out()[1], g.out()[2], g.batch());
    }

    private static String side(int[] v) {
        return v[0] == v[1] && v[1] == v[2] ? Integer.toString(v[0]) : v[0] + "x" + v[1] + "x" + v[2];
    }

    @Override
    public Device device() {
        return inner.device();
    }

    @Override
    public Buffer allocate(long bytes) {
        long t0 = System.nanoTime();
        try {
            return inner.allocate(bytes);
        } finally {
            profile.add("allocator", "allocate", System.nanoTime() - t0);
        }
    }

    @Override
    public void release(Buffer buffer) {
        timed("allocator", "release", () -> inner.release(buffer));
    }

    @Override
    public void copyFromHost(MemorySegment src, Buffer dst, long dstByteOffset) {
        timed("copies", "copy from host", () -> inner.copyFromHost(src, dst, dstByteOffset));
    }

    @Override
    public void copyToHost(Buffer src, long srcByteOffset, MemorySegment dst) {
        timed("copies", "copy to host", () -> inner.copyToHost(src, srcByteOffset, dst));
    }

    @Override
    public void fill(DType type, Buffer dst, long dstOff, long count, double value) {
        timed("elementwise", "fill", () -> inner.fill(type, dst, dstOff, count, value));
    }

    @Override
    public void copyStrided(DType type, Buffer src, long srcOff, long[] srcStrides, Buffer dst, long dstOff,
                            long[] dstStrides, long[] shape) {
        timed("copies", "copy strided (slice, cat, pad, flip)",
                () -> inner.copyStrided(type, src, srcOff, srcStrides, dst, dstOff, dstStrides, shape));
    }

    @Override
    public void cast(Buffer src, long srcOff, DType from, Buffer dst, long dstOff, DType to, long n) {
        timed("copies", "cast " + from + "->" + to, () -> inner.cast(src, srcOff, from, dst, dstOff, to, n));
    }

    @Override
    public void unary(UnaryOp op, Buffer x, long xOff, Buffer y, long yOff, long n, float a, float b) {
        timed("elementwise", "unary " + op.name().toLowerCase(Locale.ROOT),
                () -> inner.unary(op, x, xOff, y, yOff, n, a, b));
    }

    @Override
    public void binary(BinaryOp op, Buffer a, long aOff, long[] aStrides, Buffer b, long bOff, long[] bStrides,
                       Buffer out, long outOff, long[] shape) {
        timed("elementwise", "binary " + op.name().toLowerCase(Locale.ROOT),
                () -> inner.binary(op, a, aOff, aStrides, b, bOff, bStrides, out, outOff, shape));
    }

    @Override
    public void compare(CompareOp op, DType in, Buffer a, long aOff, long[] aStrides, Buffer b, long bOff,
                        long[] bStrides, DType outType, Buffer out, long outOff, long[] shape) {
        timed("elementwise", "compare " + op.name().toLowerCase(Locale.ROOT),
                () -> inner.compare(op, in, a, aOff, aStrides, b, bOff, bStrides, outType, out, outOff, shape));
    }

    @Override
    public void sum(Buffer x, long xOff, long[] shape, boolean[] reduce, Buffer out, long outOff) {
        timed("reductions", "sum", () -> inner.sum(x, xOff, shape, reduce, out, outOff));
    }

    @Override
    public void argmaxChannel(Buffer x, long xOff, int n, int c, long s, Buffer out, long outOff) {
        timed("reductions", "argmax (channel)", () -> inner.argmaxChannel(x, xOff, n, c, s, out, outOff));
    }

    @Override
    public void softmaxChannel(Buffer x, long xOff, int n, int c, long s, Buffer y, long yOff, boolean log) {
        timed("softmax", log ? "log_softmax forward" : "softmax forward",
                () -> inner.softmaxChannel(x, xOff, n, c, s, y, yOff, log));
    }

    @Override
    public void softmaxChannelBackward(Buffer y, long yOff, Buffer gy, long gyOff, int n, int c, long s, Buffer gx,
                                       long gxOff, boolean log) {
        timed("softmax", log ? "log_softmax backward" : "softmax backward",
                () -> inner.softmaxChannelBackward(y, yOff, gy, gyOff, n, c, s, gx, gxOff, log));
    }

    @Override
    public void gatherChannel(Buffer x, long xOff, Buffer target, long tOff, int n, int c, long s, Buffer out,
                              long outOff) {
        timed("losses", "nll gather (channel)", () -> inner.gatherChannel(x, xOff, target, tOff, n, c, s, out, outOff));
    }

    @Override
    public void scatterChannel(Buffer g, long gOff, Buffer target, long tOff, int n, int c, long s, Buffer gx,
                               long gxOff) {
        timed("losses", "nll scatter (channel)", () -> inner.scatterChannel(g, gOff, target, tOff, n, c, s, gx, gxOff));
    }

    @Override
    public void conv3dForward(Buffer x, long xOff, Buffer w, long wOff, Buffer bias, long biasOff, Buffer y, long yOff,
                              ConvGeometry g) {
        timed("conv forward", "conv forward " + convShape(g),
                () -> inner.conv3dForward(x, xOff, w, wOff, bias, biasOff, y, yOff, g));
    }

    @Override
    public void conv3dForwardRelu(Buffer x, long xOff, Buffer w, long wOff, Buffer bias, long biasOff, Buffer y,
                                  long yOff, ConvGeometry g) {
        timed("conv forward", "conv forward + relu " + convShape(g),
                () -> inner.conv3dForwardRelu(x, xOff, w, wOff, bias, biasOff, y, yOff, g));
    }

    @Override
    public void conv3dBackwardData(Buffer gy, long gyOff, Buffer w, long wOff, Buffer gx, long gxOff, ConvGeometry g) {
        timed("conv backward-data", "conv backward-data " + convShape(g),
                () -> inner.conv3dBackwardData(gy, gyOff, w, wOff, gx, gxOff, g));
    }

    @Override
    public void conv3dBackwardWeight(Buffer x, long xOff, Buffer gy, long gyOff, Buffer gw, long gwOff, ConvGeometry g,
                                     boolean accumulate) {
        timed("conv backward-weight", "conv backward-weight " + convShape(g),
                () -> inner.conv3dBackwardWeight(x, xOff, gy, gyOff, gw, gwOff, g, accumulate));
    }

    @Override
    public void batchNormStats(Buffer x, long xOff, int n, int c, long s, Buffer mean, long meanOff, Buffer var,
                               long varOff) {
        timed("batch norm", "batch norm stats", () -> inner.batchNormStats(x, xOff, n, c, s, mean, meanOff, var, varOff));
    }

    @Override
    public void channelAffine(Buffer x, long xOff, Buffer scale, long scaleOff, Buffer shift, long shiftOff, int n,
                              int c, long s, boolean relu, Buffer y, long yOff) {
        timed("batch norm", relu ? "batch norm apply + relu" : "batch norm apply",
                () -> inner.channelAffine(x, xOff, scale, scaleOff, shift, shiftOff, n, c, s, relu, y, yOff));
    }

    @Override
    public void batchNormBackwardReduce(Buffer x, long xOff, Buffer gy, long gyOff, Buffer reluOut, long reluOutOff,
                                        Buffer mean, long meanOff, Buffer invStd, long invStdOff, int n, int c, long s,
                                        Buffer sumGy, long sumGyOff, Buffer sumGyXhat, long sumGyXhatOff) {
        timed("batch norm", "batch norm backward reduce", () -> inner.batchNormBackwardReduce(x, xOff, gy, gyOff,
                reluOut, reluOutOff, mean, meanOff, invStd, invStdOff, n, c, s, sumGy, sumGyOff, sumGyXhat,
                sumGyXhatOff));
    }

    @Override
    public void batchNormBackwardData(Buffer x, long xOff, Buffer gy, long gyOff, Buffer reluOut, long reluOutOff,
                                      Buffer mean, long meanOff, Buffer invStd, long invStdOff, Buffer gamma,
                                      long gammaOff, Buffer sumGy, long sumGyOff, Buffer sumGyXhat, long sumGyXhatOff,
                                      int n, int c, long s, Buffer gx, long gxOff) {
        timed("batch norm", "batch norm backward data", () -> inner.batchNormBackwardData(x, xOff, gy, gyOff, reluOut,
                reluOutOff, mean, meanOff, invStd, invStdOff, gamma, gammaOff, sumGy, sumGyOff, sumGyXhat,
                sumGyXhatOff, n, c, s, gx, gxOff));
    }

    @Override
    public void interpolate(InterpolationMode mode, Buffer x, long xOff, long nc, int[] in, Buffer y, long yOff,
                            int[] out) {
        timed("resampling", "interpolate " + mode.name().toLowerCase(Locale.ROOT),
                () -> inner.interpolate(mode, x, xOff, nc, in, y, yOff, out));
    }

    @Override
    public void interpolateBackward(InterpolationMode mode, Buffer gy, long gyOff, long nc, int[] in, int[] out,
                                    Buffer gx, long gxOff) {
        timed("resampling", "interpolate backward " + mode.name().toLowerCase(Locale.ROOT),
                () -> inner.interpolateBackward(mode, gy, gyOff, nc, in, out, gx, gxOff));
    }
}
