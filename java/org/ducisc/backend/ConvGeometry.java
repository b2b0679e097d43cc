package org.ducisc.backend;

import java.util.Arrays;

/**
 * Sizes of one 3D convolution over NCDHW tensors: x is (n, inChannels, in[0..2]), the weight
 * (outChannels, inChannels, kernel[0..2]) and y (n, outChannels, out[0..2]), with
 * out = (in + 2*padding - kernel) / stride + 1 on each axis.
 */
public record ConvGeometry(int batch, int inChannels, int outChannels, int[] in, int[] kernel, int[] stride,
                           int[] padding, int[] out) {

    public static ConvGeometry of(int batch, int inChannels, int outChannels, int[] in, int[] kernel,
                                  int[] stride, int[] padding) {
        int[] out = new int[3];
        for (int a = 0; a < 3; a++) {
            if (kernel[a] < 1 || stride[a] < 1 || padding[a] < 0) {
                throw new IllegalArgumentException("conv3d: kernel " + Arrays.toString(kernel) + ", stride "
                        + Arrays.toString(stride) + ", padding " + Arrays.toString(padding)
                        + ": kernel and stride must be >= 1, padding >= 0");
            }
            int span = in[a] + 2 * padding[a] - kernel[a];
            if (span < 0) {
                throw new IllegalArgumentException("conv3d: input spatial size " + Arrays.toString(in)
                        + " is smaller than kernel " + Arrays.toString(kernel) + " with padding "
                        + Arrays.toString(padding));
            }
            out[a] = span / stride[a] + 1;
        }
        return new ConvGeometry(batch, inChannels, outChannels, in.clone(), kernel.clone(), stride.clone(),
                padding.clone(), out);
    }

    public long inVolume() {
        return (long) in[0] * in[1] * in[2];
    }

    public long outVolume() {
        return (long) out[0] * out[1] * out[2];
    }

    public long kernelVolume() {
        return (long) kernel[0] * kernel[1] * kernel[2];
    }

    /** Multiply-adds times two of the forward pass; each backward direction costs the same. */
    public double flops() {
        return 2.0 * batch * outChannels * outVolume() * inChannels * kernelVolume();
    }

    @Override
    public String toString() {
        return "conv3d[n=" + batch + " " + inChannels + "->" + outChannels + " in=" + Arrays.toString(in)
                + " k=" + Arrays.toString(kernel) + " s=" + Arrays.toString(stride) + " p="
                + Arrays.toString(padding) + " out=" + Arrays.toString(out) + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConvGeometry g && batch == g.batch && inChannels == g.inChannels
                && outChannels == g.outChannels && Arrays.equals(in, g.in) && Arrays.equals(kernel, g.kernel)
                && Arrays.equals(stride, g.stride) && Arrays.equals(padding, g.padding);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new int[] {batch, inChannels, outChannels, Arrays.hashCode(in),
                Arrays.hashCode(kernel), Arrays.hashCode(stride), Arrays.hashCode(padding)});
    }
}
