package org.ducisc.backend;

import java.lang.foreign.MemorySegment;
import org.ducisc.core.BinaryOp;
import org.ducisc.core.CompareOp;
import org.ducisc.core.DType;
import org.ducisc.core.Device;
import org.ducisc.core.InterpolationMode;
import org.ducisc.core.UnaryOp;

/**
 * The primitive operations one device provides. Everything above this interface is written once
 * and runs on every backend.
 *
 * <p>Conventions: a buffer operand is a (buffer, offset) pair whose offset counts elements of the
 * operand's type; tensors are contiguous NCDHW unless strides are passed; a shape with a zero size
 * is valid and touches nothing; callers have checked
 * every shape and bound, so implementations may trust them. Outputs are written in full ("=")
 * unless a method says it accumulates. A "channel" op sees its tensor as (n, c, s) with s the
 * product of the spatial sizes. Float sums accumulate in double and are deterministic: the same
 * inputs and thread count give bitwise identical results.
 */
public interface Backend {
    Device device();

    /** A buffer of at least {@code bytes} bytes with undefined contents. */
    Buffer allocate(long bytes);

    /** Returns a buffer from {@link #allocate}; the caller must not use it afterwards. */
    void release(Buffer buffer);

    /** Copies {@code src.byteSize()} bytes of host memory into {@code dst} at {@code dstByteOffset}. */
    void copyFromHost(MemorySegment src, Buffer dst, long dstByteOffset);

    /** Copies {@code dst.byteSize()} bytes from {@code src} at {@code srcByteOffset} into host memory. */
    void copyToHost(Buffer src, long srcByteOffset, MemorySegment dst);

    void fill(DType type, Buffer dst, long dstOff, long count, double value);

    /**
     * For every index i of {@code shape}: dst[dstOff + sum(i*dstStrides)] = src[srcOff + sum(i*srcStrides)].
     * Source strides may be zero (broadcast) or negative (flip); destination elements do not alias.
     */
    void copyStrided(DType type, Buffer src, long srcOff, long[] srcStrides, Buffer dst, long dstOff,
                     long[] dstStrides, long[] shape);

    /** Converts n elements; float to uint8 truncates toward zero and saturates at 0 and 255. */
    void cast(Buffer src, long srcOff, DType from, Buffer dst, long dstOff, DType to, long n);

    void unary(UnaryOp op, Buffer x, long xOff, Buffer y, long yOff, long n, float a, float b);

    /**
     * out[i] = op(a[i], b[i]) over {@code shape}, out contiguous; operand strides may be zero to
     * broadcast. {@code out} may be the same memory as a contiguous {@code a} (in-place update).
     */
    void binary(BinaryOp op, Buffer a, long aOff, long[] aStrides, Buffer b, long bOff, long[] bStrides,
                Buffer out, long outOff, long[] shape);

    /** Like {@link #binary}, comparing operands of type {@code in} and writing 0/1 of type {@code outType}. */
    void compare(CompareOp op, DType in, Buffer a, long aOff, long[] aStrides, Buffer b, long bOff,
                 long[] bStrides, DType outType, Buffer out, long outOff, long[] shape);

    /** Sums float32 x of {@code shape} over the dims flagged in {@code reduce}; out is contiguous with those dims of size 1. */
    void sum(Buffer x, long xOff, long[] shape, boolean[] reduce, Buffer out, long outOff);

    /** Index of the largest channel (the first on ties), written as uint8 of shape (n, s). */
    void argmaxChannel(Buffer x, long xOff, int n, int c, long s, Buffer out, long outOff);

    /** Softmax (or log-softmax) over the channel dim. */
    void softmaxChannel(Buffer x, long xOff, int n, int c, long s, Buffer y, long yOff, boolean log);

    /** Gradient of {@link #softmaxChannel} from its output y and the output gradient gy. */
    void softmaxChannelBackward(Buffer y, long yOff, Buffer gy, long gyOff, int n, int c, long s, Buffer gx,
                                long gxOff, boolean log);

    /**
     * out[n, s] = x[n, target[n, s], s] with a uint8 target; a target >= c throws
     * IllegalArgumentException naming the value.
     */
    void gatherChannel(Buffer x, long xOff, Buffer target, long tOff, int n, int c, long s, Buffer out,
                       long outOff);

    /** gx[n, k, s] = (k == target[n, s]) ? g[n, s] : 0: the gradient of {@link #gatherChannel}. */
    void scatterChannel(Buffer g, long gOff, Buffer target, long tOff, int n, int c, long s, Buffer gx,
                        long gxOff);

    /** y = conv3d(x, w) + bias; bias may be null. */
    void conv3dForward(Buffer x, long xOff, Buffer w, long wOff, Buffer bias, long biasOff, Buffer y, long yOff,
                       ConvGeometry g);

    /**
     * y = max(conv3d(x, w) + bias, 0): {@link #conv3dForward} with the ReLU applied as the output is
     * written (eval-mode inference, after batch norm has been folded into w and bias). This default
     * runs the two ops one after the other; a backend may fuse them, or compute the convolution by
     * another algorithm that rounds differently (the CPU backend: Winograd F(2,3)^3 for 3x3x3 stride 1
     * padding 1 with 16 or more input channels), so the result equals conv3dForward then ReLU within
     * float32 rounding, not bitwise.
     */
    default void conv3dForwardRelu(Buffer x, long xOff, Buffer w, long wOff, Buffer bias, long biasOff, Buffer y,
                                   long yOff, ConvGeometry g) {
        conv3dForward(x, xOff, w, wOff, bias, biasOff, y, yOff, g);
        unary(UnaryOp.RELU, y, yOff, y, yOff, (long) g.batch() * g.outChannels() * g.outVolume(), 0f, 0f);
    }

    /** gx = gradient of conv3d with respect to its input (written). Also the forward of a transposed convolution. */
    void conv3dBackwardData(Buffer gy, long gyOff, Buffer w, long wOff, Buffer gx, long gxOff, ConvGeometry g);

    /** gw = gradient of conv3d with respect to its weight, written or, if {@code accumulate}, added. */
    void conv3dBackwardWeight(Buffer x, long xOff, Buffer gy, long gyOff, Buffer gw, long gwOff, ConvGeometry g,
                              boolean accumulate);

    /** Per-channel mean and biased variance of x viewed as (n, c, s). */
    void batchNormStats(Buffer x, long xOff, int n, int c, long s, Buffer mean, long meanOff, Buffer var,
                        long varOff);

    /** y = x*scale[c] + shift[c], then max(y, 0) if {@code relu}. */
    void channelAffine(Buffer x, long xOff, Buffer scale, long scaleOff, Buffer shift, long shiftOff, int n,
                       int c, long s, boolean relu, Buffer y, long yOff);

    /**
     * Per-channel sums of the gradient of a batch norm: sumGy[c] = sum(g), sumGyXhat[c] = sum(g*xhat) with
     * xhat = (x - mean[c]) * invStd[c], and g = gy, or gy where y > 0 when {@code reluOut} is given
     * (the output of a fused batch-norm + ReLU).
     */
    void batchNormBackwardReduce(Buffer x, long xOff, Buffer gy, long gyOff, Buffer reluOut, long reluOutOff,
                                 Buffer mean, long meanOff, Buffer invStd, long invStdOff, int n, int c, long s,
                                 Buffer sumGy, long sumGyOff, Buffer sumGyXhat, long sumGyXhatOff);

    /**
     * Training-mode input gradient: gx = gamma[c]*invStd[c]/m * (m*g - sumGy[c] - xhat*sumGyXhat[c]) with
     * m = n*s, and g as in {@link #batchNormBackwardReduce}.
     */
    void batchNormBackwardData(Buffer x, long xOff, Buffer gy, long gyOff, Buffer reluOut, long reluOutOff,
                               Buffer mean, long meanOff, Buffer invStd, long invStdOff, Buffer gamma,
                               long gammaOff, Buffer sumGy, long sumGyOff, Buffer sumGyXhat, long sumGyXhatOff,
                               int n, int c, long s, Buffer gx, long gxOff);

    /** Resamples x (nc, in[0..2]) to y (nc, out[0..2]). */
    void interpolate(InterpolationMode mode, Buffer x, long xOff, long nc, int[] in, Buffer y, long yOff,
                     int[] out);

    /** gx (nc, in[0..2]) = gradient of {@link #interpolate} given gy (nc, out[0..2]); written. */
    void interpolateBackward(InterpolationMode mode, Buffer gy, long gyOff, long nc, int[] in, int[] out,
                             Buffer gx, long gxOff);
}
