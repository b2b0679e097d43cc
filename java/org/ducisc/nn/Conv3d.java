package org.ducisc.nn;

import org.ducisc.autograd.ConvolutionsGrad;
import org.ducisc.autograd.Variable;
import org.ducisc.core.DType;
import org.ducisc.core.Device;
import org.ducisc.tensor.Convolutions;
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
        super(device);
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

    /**
     * Eval-mode inference with a batch norm folded in and the ReLU after it fused:
     * max(conv(x, foldedWeight) + foldedBias, 0), no gradients. The folded weight has this
     * convolution's weight shape ((out, in, k, k, k), or (in, out, k, k, k) when transposed).
     */
    Tensor forwardFoldedRelu(Tensor x, Tensor foldedWeight, Tensor foldedBias) {
        if (!transposed) {
            return Convolutions.conv3d(x, foldedWeight, foldedBias, stride, padding, true);
        }
        try (Tensor y = Convolutions.convTranspose3d(x, foldedWeight, null, stride, padding);
             Tensor ones = Tensor.full(x.device(), DType.FLOAT32, 1, foldedBias.size(0))) {
            return org.ducisc.tensor.Normalization.channelAffine(y, ones, foldedBias, true);
        }
    }

    Tensor weight() {
        return weight.value();
    }

    Tensor bias() {
        return bias.value();
    }

    /** The axis of the weight that indexes output channels: 0, or 1 for a transposed convolution. */
    int outChannelAxis() {
        return transposed ? 1 : 0;
    }

    public Variable forward(Variable x) {
        return transposed ? ConvolutionsGrad.convTranspose3d(x, weight, bias, stride, padding)
                : ConvolutionsGrad.conv3d(x, weight, bias, stride, padding);
    }
}
