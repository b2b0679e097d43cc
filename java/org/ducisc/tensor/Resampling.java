package org.ducisc.tensor;

import java.util.Arrays;
import org.ducisc.core.DType;
import org.ducisc.core.InterpolationMode;

/**
 * Resizing of 5-d (N, C, D, H, W) tensors to a new spatial size, as PyTorch's F.interpolate with
 * mode 'nearest' or 'trilinear' (align_corners=False). Float tensors take either mode; uint8
 * label maps take nearest only (a blend of class indices means nothing).
 */
public final class Resampling {
    private Resampling() {
    }

    /** x resized to {@code outSize} = (D', H', W'). */
    public static Tensor interpolate(Tensor x, int[] outSize, InterpolationMode mode) {
        String op = "interpolate";
        int[] in = spatial(op, x);
        int[] out = checkSize(op, outSize, x);
        if (mode == null) {
            throw new IllegalArgumentException(op + ": mode is null");
        }
        long[] s = x.shapeRef();
        long[] outShape = {s[0], s[1], out[0], out[1], out[2]};
        if (x.dtype() == DType.UINT8) {
            if (mode != InterpolationMode.NEAREST) {
                throw new IllegalArgumentException(op + ": uint8 " + Shapes.str(s) + " can only be resized with "
                        + InterpolationMode.NEAREST + ", not " + mode);
            }
            // Nearest only moves values, and every uint8 value is exact in float32.
            try (Tensor f = Elementwise.cast(x, DType.FLOAT32); Tensor r = interpolate(f, out, mode)) {
                return Elementwise.cast(r, DType.UINT8);
            }
        }
        Tensor y = Tensor.empty(x.device(), DType.FLOAT32, outShape);
        x.backend().interpolate(mode, x.buffer(), x.offset(), s[0] * s[1], in, y.buffer(), y.offset(), out);
        return y;
    }

    /** The gradient with respect to the input of shape {@code inputShape}, given the output gradient gy. */
    public static Tensor interpolateBackward(Tensor gy, long[] inputShape, InterpolationMode mode) {
        String op = "interpolate backward";
        Checks.float32(op, gy);
        int[] out = spatial(op, gy);
        long[] gs = gy.shapeRef();
        if (inputShape.length != 5 || inputShape[0] != gs[0] || inputShape[1] != gs[1]) {
            throw new IllegalArgumentException(op + ": input shape " + Shapes.str(inputShape)
                    + " does not match the batch and channels of the output gradient " + Shapes.str(gs));
        }
        int[] in = new int[3];
        for (int i = 0; i < 3; i++) {
            if (inputShape[2 + i] < 1 || inputShape[2 + i] > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(op + ": bad input shape " + Shapes.str(inputShape));
            }
            in[i] = (int) inputShape[2 + i];
        }
        if (mode == null) {
            throw new IllegalArgumentException(op + ": mode is null");
        }
        Tensor gx = Tensor.empty(gy.device(), DType.FLOAT32, inputShape);
        gy.backend().interpolateBackward(mode, gy.buffer(), gy.offset(), gs[0] * gs[1], in, out, gx.buffer(),
                gx.offset());
        return gx;
    }

    private static int[] spatial(String op, Tensor x) {
        long[] s = x.shapeRef();
        if (s.length != 5) {
            throw new IllegalArgumentException(op + ": expected a 5-d (N, C, D, H, W) tensor, got shape "
                    + Shapes.str(s));
        }
        int[] in = new int[3];
        for (int i = 0; i < 3; i++) {
            if (s[2 + i] < 1 || s[2 + i] > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(op + ": spatial sizes of " + Shapes.str(s)
                        + " must be between 1 and " + Integer.MAX_VALUE);
            }
            in[i] = (int) s[2 + i];
        }
        return in;
    }

    private static int[] checkSize(String op, int[] outSize, Tensor x) {
        if (outSize == null || outSize.length != 3 || Arrays.stream(outSize).anyMatch(v -> v < 1)) {
            throw new IllegalArgumentException(op + ": output size " + Arrays.toString(outSize) + " for "
                    + Shapes.str(x.shapeRef()) + " must be three sizes >= 1 (D, H, W)");
        }
        return outSize.clone();
    }
}
