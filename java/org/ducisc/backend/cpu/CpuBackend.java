package org.ducisc.backend.cpu;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
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
 * The host backend: off-heap buffers from a reuse pool, Vector API kernels on one shared thread
 * pool. With system property ducisc.poison=true every buffer it hands out is NaN-filled first,
 * so tests catch any output element a kernel forgets to write. The pool keeps released buffers
 * up to the largest working set seen (never more: see CpuMemoryPool), or up to
 * ducisc.cpu.cacheBytes bytes if that system property is set lower.
 */
public final class CpuBackend implements Backend {
    public static final CpuBackend INSTANCE = new CpuBackend();

    private static final boolean POISON = Boolean.getBoolean("ducisc.poison");
    private final CpuMemoryPool pool = new CpuMemoryPool(Long.getLong("ducisc.cpu.cacheBytes", Long.MAX_VALUE));

    private CpuBackend() {
    }

    static MemorySegment seg(Buffer b) {
        return b == null ? null : ((CpuBuffer) b).segment;
    }

    @Override
    public Device device() {
        return Device.CPU;
    }

    @Override
    public Buffer allocate(long bytes) {
        CpuBuffer b = pool.take(bytes);
        if (POISON) {
            MemorySegment s = b.segment;
            long n = s.byteSize() / 4;
            for (long i = 0; i < n; i++) {
                s.setAtIndex(JAVA_FLOAT, i, Float.NaN);
            }
        }
        return b;
    }

    @Override
    public void release(Buffer buffer) {
        pool.give((CpuBuffer) buffer);
    }

    /** Bytes currently handed out to tensors. */
    public long liveBytes() {
        return pool.liveBytes();
    }

    /** Bytes held in the reuse pool, ready for the next allocation of the same size. */
    public long cachedBytes() {
        return pool.cachedBytes();
    }

    /** Largest {@link #liveBytes()} since the last {@link #resetPeak()}. */
    public long peakLiveBytes() {
        return pool.peakLiveBytes();
    }

    public void resetPeak() {
        pool.resetPeak();
    }

    /** Gives every pooled buffer back to the operating system. */
    public void trimCache() {
        pool.trim();
    }

    @Override
    public void copyFromHost(MemorySegment src, Buffer dst, long dstByteOffset) {
        MemorySegment.copy(src, 0, seg(dst), dstByteOffset, src.byteSize());
    }

    @Override
    public void copyToHost(Buffer src, long srcByteOffset, MemorySegment dst) {
        MemorySegment.copy(seg(src), srcByteOffset, dst, 0, dst.byteSize());
    }

    @Override
    public void fill(DType type, Buffer dst, long dstOff, long count, double value) {
        CpuPointwise.fill(type, seg(dst), dstOff, count, value);
    }

    @Override
    public void copyStrided(DType type, Buffer src, long srcOff, long[] srcStrides, Buffer dst, long dstOff,
                            long[] dstStrides, long[] shape) {
        CpuPointwise.copyStrided(type, seg(src), srcOff, srcStrides, seg(dst), dstOff, dstStrides, shape);
    }

    @Override
    public void cast(Buffer src, long srcOff, DType from, Buffer dst, long dstOff, DType to, long n) {
        CpuPointwise.cast(seg(src), srcOff, from, seg(dst), dstOff, to, n);
    }

    @Override
    public void unary(UnaryOp op, Buffer x, long xOff, Buffer y, long yOff, long n, float a, float b) {
        CpuPointwise.unary(op, seg(x), xOff, seg(y), yOff, n, a, b);
    }

    @Override
    public void binary(BinaryOp op, Buffer a, long aOff, long[] aStrides, Buffer b, long bOff, long[] bStrides,
                       Buffer out, long outOff, long[] shape) {
        CpuPointwise.binary(op, seg(a), aOff, aStrides, seg(b), bOff, bStrides, seg(out), outOff, shape);
    }

    @Override
    public void compare(CompareOp op, DType in, Buffer a, long aOff, long[] aStrides, Buffer b, long bOff,
                        long[] bStrides, DType outType, Buffer out, long outOff, long[] shape) {
        CpuPointwise.compare(op, in, seg(a), aOff, aStrides, seg(b), bOff, bStrides, outType, seg(out), outOff,
                shape);
    }

    @Override
    public void sum(Buffer x, long xOff, long[] shape, boolean[] reduce, Buffer out, long outOff) {
        CpuReduce.sum(seg(x), xOff, shape, reduce, seg(out), outOff);
    }

    @Override
    public void argmaxChannel(Buffer x, long xOff, int n, int c, long s, Buffer out, long outOff) {
        CpuChannelOps.argmax(seg(x), xOff, n, c, s, seg(out), outOff);
    }

    @Override
    public void softmaxChannel(Buffer x, long xOff, int n, int c, long s, Buffer y, long yOff, boolean log) {
        CpuChannelOps.softmax(seg(x), xOff, n, c, s, seg(y), yOff, log);
    }

    @Override
    public void softmaxChannelBackward(Buffer y, long yOff, Buffer gy, long gyOff, int n, int c, long s, Buffer gx,
                                       long gxOff, boolean log) {
        CpuChannelOps.softmaxBackward(seg(y), yOff, seg(gy), gyOff, n, c, s, seg(gx), gxOff, log);
    }

    @Override
    public void gatherChannel(Buffer x, long xOff, Buffer target, long tOff, int n, int c, long s, Buffer out,
                              long outOff) {
        CpuChannelOps.gather(seg(x), xOff, seg(target), tOff, n, c, s, seg(out), outOff);
    }

    @Override
    public void scatterChannel(Buffer g, long gOff, Buffer target, long tOff, int n, int c, long s, Buffer gx,
                               long gxOff) {
        CpuChannelOps.scatter(seg(g), gOff, seg(target), tOff, n, c, s, seg(gx), gxOff);
    }

    @Override
    public void conv3dForward(Buffer x, long xOff, Buffer w, long wOff, Buffer bias, long biasOff, Buffer y,
                              long yOff, ConvGeometry g) {
        CpuConv.forward(seg(x), xOff, seg(w), wOff, seg(bias), biasOff, seg(y), yOff, g, false);
    }

    @Override
    public void conv3dForwardRelu(Buffer x, long xOff, Buffer w, long wOff, Buffer bias, long biasOff, Buffer y,
                                  long yOff, ConvGeometry g) {
        if (CpuWinograd.pays(g)) {
            CpuWinograd.forward(seg(x), xOff, seg(w), wOff, seg(bias), biasOff, seg(y), yOff, g, true);
        } else {
            CpuConv.forward(seg(x), xOff, seg(w), wOff, seg(bias), biasOff, seg(y), yOff, g, true);
        }
    }

    @Override
    public void conv3dBackwardData(Buffer gy, long gyOff, Buffer w, long wOff, Buffer gx, long gxOff,
                                   ConvGeometry g) {
        CpuConv.backwardData(seg(gy), gyOff, seg(w), wOff, seg(gx), gxOff, g);
    }

    @Override
    public void conv3dBackwardWeight(Buffer x, long xOff, Buffer gy, long gyOff, Buffer gw, long gwOff,
                                     ConvGeometry g, boolean accumulate) {
        CpuConv.backwardWeight(seg(x), xOff, seg(gy), gyOff, seg(gw), gwOff, g, accumulate);
    }

    @Override
    public void batchNormStats(Buffer x, long xOff, int n, int c, long s, Buffer mean, long meanOff, Buffer var,
                               long varOff) {
        CpuBatchNorm.stats(seg(x), xOff, n, c, s, seg(mean), meanOff, seg(var), varOff);
    }

    @Override
    public void channelAffine(Buffer x, long xOff, Buffer scale, long scaleOff, Buffer shift, long shiftOff, int n,
                              int c, long s, boolean relu, Buffer y, long yOff) {
        CpuBatchNorm.channelAffine(seg(x), xOff, seg(scale), scaleOff, seg(shift), shiftOff, n, c, s, relu, seg(y),
                yOff);
    }

    @Override
    public void batchNormBackwardReduce(Buffer x, long xOff, Buffer gy, long gyOff, Buffer reluOut, long reluOutOff,
                                        Buffer mean, long meanOff, Buffer invStd, long invStdOff, int n, int c,
                                        long s, Buffer sumGy, long sumGyOff, Buffer sumGyXhat, long sumGyXhatOff) {
        CpuBatchNorm.backwardReduce(seg(x), xOff, seg(gy), gyOff, seg(reluOut), reluOutOff, seg(mean), meanOff,
                seg(invStd), invStdOff, n, c, s, seg(sumGy), sumGyOff, seg(sumGyXhat), sumGyXhatOff);
    }

    @Override
    public void batchNormBackwardData(Buffer x, long xOff, Buffer gy, long gyOff, Buffer reluOut, long reluOutOff,
                                      Buffer mean, long meanOff, Buffer invStd, long invStdOff, Buffer gamma,
                                      long gammaOff, Buffer sumGy, long sumGyOff, Buffer sumGyXhat,
                                      long sumGyXhatOff, int n, int c, long s, Buffer gx, long gxOff) {
        CpuBatchNorm.backwardData(seg(x), xOff, seg(gy), gyOff, seg(reluOut), reluOutOff, seg(mean), meanOff,
                seg(invStd), invStdOff, seg(gamma), gammaOff, seg(sumGy), sumGyOff, seg(sumGyXhat), sumGyXhatOff,
                n, c, s, seg(gx), gxOff);
    }

    @Override
    public void interpolate(InterpolationMode mode, Buffer x, long xOff, long nc, int[] in, Buffer y, long yOff,
                            int[] out) {
        CpuResample.interpolate(mode, seg(x), xOff, nc, in, seg(y), yOff, out);
    }

    @Override
    public void interpolateBackward(InterpolationMode mode, Buffer gy, long gyOff, long nc, int[] in, int[] out,
                                    Buffer gx, long gxOff) {
        CpuResample.interpolateBackward(mode, seg(gy), gyOff, nc, in, out, seg(gx), gxOff);
    }
}
