package org.ducisc.nn;

import org.ducisc.autograd.ConvolutionsGrad;
import org.ducisc.autograd.Variable;
import org.ducisc.core.Device;
import org.ducisc.tensor.MemoryScope;
import org.ducisc.tensor.Rng;
import org.ducisc.tensor.Tensor;

/**
 * A 3D convolution, or with {@code transposed} a transposed one (PyTorch Conv3d /
 * ConvTranspose3d), with bias. Initialised as PyTorch does by default: weight and bias uniform in
 * +-1/sqrt(fan_in), where fan_in is weight dim 1 times the kernel volume.
 */
public final class Conv3d extends Module {
    private final Variable weight;
    private final Variable bias;
    private final int[] stride;
    private final int[] padding;
    private final boolean transposed;

    public Conv3d(int in, int out, int kernel, int stride, int padding, boolean transposed, Device device, Rng rng) {
        this.stride = new int[] {stride, stride, stride};
        this.padding = new int[] {padding, padding, padding};
        this.transposed = transposed;
        long[] shape = transposed ? new long[] {in, out, kernel, kernel, kernel}
                : new long[] {out, in, kernel, kernel, kernel};
        double bound = 1.0 / Math.sqrt((double) shape[1] * kernel * kernel * kernel);
        this.weight = addParameter("weight",
                MemoryScope.unscoped(() -> Tensor.uniform(device, rng, -bound, bound, shape)));
        this.bias = addParameter("bias", MemoryScope.unscoped(() -> Tensor.uniform(device, rng, -bound, bound, out)));
    }

    public Variable forward(Variable x) {
        return transposed ? ConvolutionsGrad.convTranspose3d(x, weight, bias, stride, padding)
                : ConvolutionsGrad.conv3d(x, weight, bias, stride, padding);
    }
}
