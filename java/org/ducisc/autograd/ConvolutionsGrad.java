package org.ducisc.autograd;

import org.ducisc.tensor.Convolutions;
import org.ducisc.tensor.Tensor;

/**
 * Differentiable 3D convolutions. Gradients for x, w and bias; each rule returns fresh tensors
 * (the engine accumulates them into parameters and writes them for activations).
 */
public final class ConvolutionsGrad {
    private ConvolutionsGrad() {
    }

    /** conv3d(x, w) + bias with w (out, in, kd, kh, kw); bias may be null. */
    public static Variable conv3d(Variable x, Variable w, Variable bias, int[] stride, int[] padding) {
        Tensor xv = x.value();
        Tensor wv = w.value();
        Tensor y = Convolutions.conv3d(xv, wv, bias == null ? null : bias.value(), stride, padding);
        int[] st = stride.clone();
        int[] pd = padding.clone();
        long[] xs = xv.shape();
        long[] ws = wv.shape();
        return Variable.result("conv3d", y, g -> new Tensor[] {
            x.requiresGrad() ? Convolutions.conv3dBackwardData(g, wv, xs, st, pd) : null,
            w.requiresGrad() ? Convolutions.conv3dBackwardWeight(xv, g, ws, st, pd) : null,
            bias != null && bias.requiresGrad() ? Convolutions.biasGrad(g) : null}, x, w, bias);
    }

    /**
     * The transposed convolution (PyTorch ConvTranspose3d) with w (in, out, kd, kh, kw); its input
     * gradient is a conv3d of the output gradient, its weight gradient that of a conv3d from the
     * output gradient to x.
     */
    public static Variable convTranspose3d(Variable x, Variable w, Variable bias, int[] stride, int[] padding) {
        Tensor xv = x.value();
        Tensor wv = w.value();
        Tensor y = Convolutions.convTranspose3d(xv, wv, bias == null ? null : bias.value(), stride, padding);
        int[] st = stride.clone();
        int[] pd = padding.clone();
        long[] ws = wv.shape();
        return Variable.result("convTranspose3d", y, g -> new Tensor[] {
            x.requiresGrad() ? Convolutions.conv3d(g, wv, null, st, pd) : null,
            w.requiresGrad() ? Convolutions.conv3dBackwardWeight(g, xv, ws, st, pd) : null,
            bias != null && bias.requiresGrad() ? Convolutions.biasGrad(g) : null}, x, w, bias);
    }
}
