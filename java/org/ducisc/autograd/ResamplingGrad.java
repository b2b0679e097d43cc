package org.ducisc.autograd;

import org.ducisc.core.InterpolationMode;
import org.ducisc.tensor.Resampling;
import org.ducisc.tensor.Tensor;

/** Differentiable resizing of 5-d (N, C, D, H, W) volumes, as PyTorch's F.interpolate. */
public final class ResamplingGrad {
    private ResamplingGrad() {
    }

    /**
     * x resized to {@code outSize} = (D', H', W') by nearest or trilinear (align_corners=False)
     * interpolation. The gradient (written) sends each output gradient back to the inputs it was
     * taken from, with the same weights.
     */
    public static Variable interpolate(Variable x, int[] outSize, InterpolationMode mode) {
        Tensor y = Resampling.interpolate(x.value(), outSize, mode);
        long[] xs = x.shape();
        return Variable.result("interpolate", y, g -> new Tensor[] {Resampling.interpolateBackward(g, xs, mode)}, x);
    }
}
