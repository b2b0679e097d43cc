package org.ducisc.tensor;

import org.ducisc.core.DType;

/**
 * Ops over the channel dim (dim 1) of (N, C, ...) float tensors, without gradients: softmax and
 * log-softmax, argmax, and picking one channel per position with an integer label map of shape
 * (N, ...) (the channel dim removed, like {@code torch.argmax(x, dim=1)}).
 */
public final class Channels {
    private Channels() {
    }

    public static Tensor softmax(Tensor x) {
        return softmax("softmax", x, false);
    }

    public static Tensor logSoftmax(Tensor x) {
        return softmax("logSoftmax", x, true);
    }

    private static Tensor softmax(String op, Tensor x, boolean log) {
        Checks.float32(op, x);
        long[] v = view(op, x);
        Tensor y = Tensor.emptyLike(x);
        x.backend().softmaxChannel(x.buffer(), x.offset(), toInt(v[0]), toInt(v[1]), v[2], y.buffer(), y.offset(), log);
        return y;
    }

    /**
     * The gradient of {@link #softmax} (or of {@link #logSoftmax} if {@code log}) with respect to its
     * input, from its output {@code y} and the output gradient {@code gy}.
     */
    public static Tensor softmaxBackward(Tensor y, Tensor gy, boolean log) {
        String op = log ? "logSoftmaxBackward" : "softmaxBackward";
        Checks.float32(op, y, gy);
        Checks.sameDevice(op, y, gy);
        Checks.sameShape(op, y, gy);
        long[] v = view(op, y);
        Tensor gx = Tensor.emptyLike(y);
        y.backend().softmaxChannelBackward(y.buffer(), y.offset(), gy.buffer(), gy.offset(), toInt(v[0]), toInt(v[1]),
                v[2], gx.buffer(), gx.offset(), log);
        return gx;
    }

    /** Index of the largest channel at each position (the first on ties), uint8 of shape (N, ...). */
    public static Tensor argmax(Tensor x) {
        Checks.float32("argmax", x);
        long[] v = view("argmax", x);
        if (v[1] > 256) {
            throw new IllegalArgumentException("argmax: " + v[1] + " channels do not fit a uint8 result, shape "
                    + Shapes.str(x.shapeRef()));
        }
        Tensor out = Tensor.empty(x.device(), DType.UINT8, withoutChannels(x.shapeRef()));
        x.backend().argmaxChannel(x.buffer(), x.offset(), toInt(v[0]), toInt(v[1]), v[2], out.buffer(), out.offset());
        return out;
    }

    /** out[n, ...] = x[n, target[n, ...], ...]; a label that is not a channel of x throws. */
    public static Tensor gather(Tensor x, Tensor target) {
        Checks.float32("gather", x);
        long[] v = checkTarget("gather", x.shapeRef(), x, target);
        Tensor out = Tensor.empty(x.device(), DType.FLOAT32, target.shapeRef());
        x.backend().gatherChannel(x.buffer(), x.offset(), target.buffer(), target.offset(), toInt(v[0]), toInt(v[1]),
                v[2], out.buffer(), out.offset());
        return out;
    }

    /**
     * The gradient of {@link #gather}: a (N, channels, ...) tensor holding g at each position's
     * target channel and 0 elsewhere.
     */
    public static Tensor scatter(Tensor g, Tensor target, long channels) {
        Checks.float32("scatter", g);
        Checks.sameShape("scatter", g, target);
        long[] ts = target.shapeRef();
        if (ts.length < 1 || channels < 1) {
            throw new IllegalArgumentException("scatter: cannot spread " + Shapes.str(ts) + " over " + channels
                    + " channels");
        }
        long[] shape = new long[ts.length + 1];
        shape[0] = ts[0];
        shape[1] = channels;
        System.arraycopy(ts, 1, shape, 2, ts.length - 1);
        long[] v = checkTarget("scatter", shape, g, target);
        Tensor gx = Tensor.empty(g.device(), DType.FLOAT32, shape);
        g.backend().scatterChannel(g.buffer(), g.offset(), target.buffer(), target.offset(), toInt(v[0]), toInt(v[1]),
                v[2], gx.buffer(), gx.offset());
        return gx;
    }

    /** Checks a uint8 label map against the (N, C, ...) shape {@code full}; returns (n, c, s). */
    private static long[] checkTarget(String op, long[] full, Tensor x, Tensor target) {
        Checks.sameDevice(op, x, target);
        if (target.dtype() != DType.UINT8) {
            throw new IllegalArgumentException(op + ": target must be uint8, got " + target.dtype() + " "
                    + Shapes.str(target.shapeRef()));
        }
        if (full.length < 2 || !java.util.Arrays.equals(withoutChannels(full), target.shapeRef())) {
            throw new IllegalArgumentException(op + ": target of shape " + Shapes.str(target.shapeRef())
                    + " does not match " + Shapes.str(full) + " without its channel dim");
        }
        long spatial = Shapes.numel(full) / Math.max(1, full[0] * full[1]);
        return new long[] {full[0], full[1], spatial};
    }

    /** The (n, c, s) view of x, which must have at least one channel. */
    private static long[] view(String op, Tensor x) {
        long[] v = Checks.nchView(op, x);
        if (v[1] < 1) {
            throw new IllegalArgumentException(op + ": no channels in shape " + Shapes.str(x.shapeRef()));
        }
        return v;
    }

    /** The shape with dim 1 removed. */
    public static long[] withoutChannels(long[] shape) {
        if (shape.length < 2) {
            throw new IllegalArgumentException("expected (N, C, ...), got shape " + Shapes.str(shape));
        }
        long[] out = new long[shape.length - 1];
        out[0] = shape[0];
        System.arraycopy(shape, 2, out, 1, shape.length - 2);
        return out;
    }

    static int toInt(long v) {
        return Math.toIntExact(v);
    }
}
