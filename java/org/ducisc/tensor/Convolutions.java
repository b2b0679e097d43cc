package org.ducisc.tensor;

import java.util.Arrays;
import org.ducisc.backend.ConvGeometry;
import org.ducisc.core.DType;

/**
 * 3D convolutions over NCDHW float tensors (no gradients), and the pieces their gradients are made
 * of. A weight is (outChannels, inChannels, kd, kh, kw) for {@link #conv3d} and, as in PyTorch's
 * ConvTranspose3d, (inChannels, outChannels, kd, kh, kw) for {@link #convTranspose3d}.
 */
public final class Convolutions {
    private Convolutions() {
    }

    /** y = conv3d(x, w) + bias; bias (outChannels) may be null. */
    public static Tensor conv3d(Tensor x, Tensor w, Tensor bias, int[] stride, int[] padding) {
        return conv3d(x, w, bias, stride, padding, false);
    }

    /**
     * y = conv3d(x, w) + bias, then max(y, 0) if {@code relu} (fused into the convolution's output
     * on backends that can, see Backend.conv3dForwardRelu); bias (outChannels) may be null.
     */
    public static Tensor conv3d(Tensor x, Tensor w, Tensor bias, int[] stride, int[] padding, boolean relu) {
        ConvGeometry g = geometry("conv3d", x, w, bias, stride, padding);
        Tensor y = Tensor.empty(x.device(), DType.FLOAT32, outShape(g.batch(), g.outChannels(), g.out()));
        if (relu) {
            x.backend().conv3dForwardRelu(x.buffer(), x.offset(), w.buffer(), w.offset(),
                    bias == null ? null : bias.buffer(), bias == null ? 0 : bias.offset(), y.buffer(), y.offset(), g);
        } else {
            x.backend().conv3dForward(x.buffer(), x.offset(), w.buffer(), w.offset(),
                    bias == null ? null : bias.buffer(), bias == null ? 0 : bias.offset(), y.buffer(), y.offset(), g);
        }
        return y;
    }

    /**
     * The transposed convolution (the data gradient of a conv3d): x (n, inChannels, in), w
     * (inChannels, outChannels, k), out = (in - 1)*stride - 2*padding + k on each axis.
     */
    public static Tensor convTranspose3d(Tensor x, Tensor w, Tensor bias, int[] stride, int[] padding) {
        String op = "convTranspose3d";
        ConvGeometry g = transposedGeometry(op, x, w, bias, stride, padding);
        Tensor y = Tensor.empty(x.device(), DType.FLOAT32, outShape(g.batch(), g.inChannels(), g.in()));
        x.backend().conv3dBackwardData(x.buffer(), x.offset(), w.buffer(), w.offset(), y.buffer(), y.offset(), g);
        if (bias != null) {
            try (Tensor b = bias.reshape(1, bias.size(0), 1, 1, 1)) {
                Elementwise.addInPlace(y, b);
            }
        }
        return y;
    }

    /** The gradient of conv3d's input of shape {@code xShape}, from the output gradient gy. */
    public static Tensor conv3dBackwardData(Tensor gy, Tensor w, long[] xShape, int[] stride, int[] padding) {
        String op = "conv3dBackwardData";
        ConvGeometry g = geometryOfShapes(op, xShape, w, stride, padding);
        checkOutput(op, gy, g, w);
        Tensor gx = Tensor.empty(gy.device(), DType.FLOAT32, xShape);
        gy.backend().conv3dBackwardData(gy.buffer(), gy.offset(), w.buffer(), w.offset(), gx.buffer(), gx.offset(), g);
        return gx;
    }

    /** The gradient of conv3d's weight of shape {@code wShape}, from its input x and output gradient gy. */
    public static Tensor conv3dBackwardWeight(Tensor x, Tensor gy, long[] wShape, int[] stride, int[] padding) {
        Tensor gw = Tensor.empty(x.device(), DType.FLOAT32, wShape);
        conv3dBackwardWeight(x, gy, gw, false, stride, padding);
        return gw;
    }

    /** Writes (or, if {@code accumulate}, adds) the weight gradient of conv3d into gw. */
    public static void conv3dBackwardWeight(Tensor x, Tensor gy, Tensor gw, boolean accumulate, int[] stride,
                                            int[] padding) {
        String op = "conv3dBackwardWeight";
        ConvGeometry g = geometry(op, x, gw, null, stride, padding);
        checkOutput(op, gy, g, gw);
        Checks.sameDevice(op, x, gy, gw);
        x.backend().conv3dBackwardWeight(x.buffer(), x.offset(), gy.buffer(), gy.offset(), gw.buffer(), gw.offset(),
                g, accumulate);
    }

    /** The bias gradient: gy summed over the batch and spatial dims, shape (channels). */
    public static Tensor biasGrad(Tensor gy) {
        Checks.rank("conv3d bias gradient", gy, 5);
        return Reductions.sum(gy, false, 0, 2, 3, 4);
    }

    /** The geometry of the convolution whose data gradient is this transposed convolution. */
    public static ConvGeometry transposedGeometry(String op, Tensor x, Tensor w, Tensor bias, int[] stride,
                                                  int[] padding) {
        Checks.float32(op, x, w, bias);
        Checks.sameDevice(op, x, w, bias);
        Checks.rank(op, x, 5);
        checkWeightRank(op, w);
        long[] xs = x.shapeRef();
        long[] ws = w.shapeRef();
        if (xs[1] != ws[0]) {
            throw new IllegalArgumentException(op + ": input " + Shapes.str(xs) + " has " + xs[1]
                    + " channels, weight " + Shapes.str(ws) + " expects " + ws[0]);
        }
        checkBias(op, bias, ws[1], ws);
        checkTriple(op, "stride", stride);
        checkTriple(op, "padding", padding);
        int[] k = kernel(ws);
        int[] out = new int[3];
        for (int a = 0; a < 3; a++) {
            long o = (xs[2 + a] - 1) * stride[a] - 2L * padding[a] + k[a];
            if (stride[a] < 1 || padding[a] < 0 || o < 1) {
                throw new IllegalArgumentException(op + ": input " + Shapes.str(xs) + ", weight " + Shapes.str(ws)
                        + ", stride " + Arrays.toString(stride) + ", padding " + Arrays.toString(padding)
                        + " give no output");
            }
            out[a] = Math.toIntExact(o);
        }
        ConvGeometry g = ConvGeometry.of(Math.toIntExact(xs[0]), Math.toIntExact(ws[1]), Math.toIntExact(ws[0]), out,
                k, stride, padding);
        for (int a = 0; a < 3; a++) {
            if (g.out()[a] != xs[2 + a]) {
                throw new IllegalStateException(op + ": geometry " + g + " does not map back to " + Shapes.str(xs));
            }
        }
        return g;
    }

    private static ConvGeometry geometry(String op, Tensor x, Tensor w, Tensor bias, int[] stride, int[] padding) {
        Checks.float32(op, x, w, bias);
        Checks.sameDevice(op, x, w, bias);
        Checks.rank(op, x, 5);
        ConvGeometry g = geometryOfShapes(op, x.shapeRef(), w, stride, padding);
        checkBias(op, bias, w.shapeRef()[0], w.shapeRef());
        return g;
    }

    private static ConvGeometry geometryOfShapes(String op, long[] xs, Tensor w, int[] stride, int[] padding) {
        checkWeightRank(op, w);
        long[] ws = w.shapeRef();
        if (xs.length != 5) {
            throw new IllegalArgumentException(op + ": expected a 5-d input (N, C, D, H, W), got shape "
                    + Shapes.str(xs));
        }
        if (xs[1] != ws[1]) {
            throw new IllegalArgumentException(op + ": input " + Shapes.str(xs) + " has " + xs[1]
                    + " channels, weight " + Shapes.str(ws) + " expects " + ws[1]);
        }
        checkTriple(op, "stride", stride);
        checkTriple(op, "padding", padding);
        int[] in = {Math.toIntExact(xs[2]), Math.toIntExact(xs[3]), Math.toIntExact(xs[4])};
        try {
            return ConvGeometry.of(Math.toIntExact(xs[0]), Math.toIntExact(ws[1]), Math.toIntExact(ws[0]), in,
                    kernel(ws), stride, padding);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(op + ": input " + Shapes.str(xs) + ", weight " + Shapes.str(ws) + ": "
                    + e.getMessage(), e);
        }
    }

    private static void checkWeightRank(String op, Tensor w) {
        if (w.rank() != 5) {
            throw new IllegalArgumentException(op + ": expected a 5-d weight (out, in, kd, kh, kw), got shape "
                    + Shapes.str(w.shapeRef()));
        }
    }

    private static void checkBias(String op, Tensor bias, long channels, long[] ws) {
        if (bias != null && (bias.rank() != 1 || bias.shapeRef()[0] != channels)) {
            throw new IllegalArgumentException(op + ": bias " + Shapes.str(bias.shapeRef()) + " does not match the "
                    + channels + " output channels of weight " + Shapes.str(ws));
        }
    }

    private static void checkTriple(String op, String what, int[] v) {
        if (v == null || v.length != 3) {
            throw new IllegalArgumentException(op + ": " + what + " must have 3 entries, got "
                    + Arrays.toString(v));
        }
    }

    /** gy must be the float (n, outChannels, out) of geometry g. */
    private static void checkOutput(String op, Tensor gy, ConvGeometry g, Tensor w) {
        Checks.float32(op, gy, w);
        Checks.sameDevice(op, gy, w);
        long[] expected = outShape(g.batch(), g.outChannels(), g.out());
        if (!Arrays.equals(gy.shapeRef(), expected)) {
            throw new IllegalArgumentException(op + ": output gradient " + Shapes.str(gy.shapeRef()) + " does not match "
                    + Shapes.str(expected) + " of weight " + Shapes.str(w.shapeRef()) + " and " + g);
        }
    }

    private static int[] kernel(long[] ws) {
        return new int[] {Math.toIntExact(ws[2]), Math.toIntExact(ws[3]), Math.toIntExact(ws[4])};
    }

    private static long[] outShape(int n, int c, int[] spatial) {
        return new long[] {n, c, spatial[0], spatial[1], spatial[2]};
    }
}
