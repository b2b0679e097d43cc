package org.ducisc.autograd;

import static org.ducisc.tensor.BadInput.fails;
import static org.ducisc.tensor.IndexRef.flatten;
import static org.ducisc.tensor.IndexRef.unflatten;

import org.ducisc.core.DType;
import org.ducisc.core.InterpolationMode;
import org.ducisc.tensor.IndexRef;
import org.ducisc.tensor.Resampling;
import org.ducisc.tensor.Tensor;
import org.ducisc.testing.OpCheck;
import org.junit.jupiter.api.Test;

class ResamplingGradTest {
    private static final long[] X = {2, 3, 7, 5, 9};
    private static final int[][] SIZES = {{3, 4, 5}, {11, 6, 13}, {4, 10, 2}, {14, 5, 4}, {1, 1, 1}};

    @Test
    void trilinearUpDownIdentityAndDouble() {
        for (int[] size : SIZES) {
            OpCheck.op("trilinear to " + java.util.Arrays.toString(size)).input("x", X)
                    .run(v -> ResamplingGrad.interpolate(v[0], size, InterpolationMode.TRILINEAR),
                            in -> resize(in[0], X, size, true));
        }
    }

    @Test
    void nearestUpDownIdentityAndDouble() {
        for (int[] size : SIZES) {
            OpCheck.op("nearest to " + java.util.Arrays.toString(size)).input("x", X)
                    .run(v -> ResamplingGrad.interpolate(v[0], size, InterpolationMode.NEAREST),
                            in -> resize(in[0], X, size, false));
        }
    }

    @Test
    void fromSingleVoxelAxes() {
        long[] s = {1, 2, 1, 3, 1};
        int[] size = {5, 7, 3};
        OpCheck.op("trilinear from size 1").input("x", s)
                .run(v -> ResamplingGrad.interpolate(v[0], size, InterpolationMode.TRILINEAR), in -> resize(in[0], s, size, true));
        OpCheck.op("nearest from size 1").input("x", s)
                .run(v -> ResamplingGrad.interpolate(v[0], size, InterpolationMode.NEAREST), in -> resize(in[0], s, size, false));
    }

    /** A soft label map of patch-like proportions taken down to a deep level and back up. */
    @Test
    void downAndBackUpLargerVolume() {
        long[] s = {1, 2, 19, 23, 13};
        int[] small = {5, 6, 3};
        int[] full = {19, 23, 13};
        long[] smallShape = {1, 2, 5, 6, 3};
        OpCheck.op("trilinear down and up").input("x", 0, 1, s)
                .run(v -> ResamplingGrad.interpolate(ResamplingGrad.interpolate(v[0], small, InterpolationMode.TRILINEAR), full,
                        InterpolationMode.TRILINEAR),
                        in -> resize(resize(in[0], s, small, true), smallShape, full, true));
    }

    @Test
    void uint8LabelsResizeByNearest() {
        long[] s = {2, 1, 7, 5, 9};
        int[] size = {11, 3, 13};
        try (Tensor labels = IndexRef.randomBytes(11, s)) {
            OpCheck.op("nearest uint8").constant("y", labels).forwardOnly().run(v -> {
                Tensor r = Resampling.interpolate(v[0].value(), size, InterpolationMode.NEAREST);
                if (r.dtype() != DType.UINT8) {
                    throw new AssertionError("labels came back as " + r.dtype());
                }
                return Variable.constant(r);
            }, in -> resize(in[0], s, size, false));
        }
    }

    @Test
    void badInputNamesTheOpAndShapes() {
        try (Tensor x4 = Tensor.zeros(2, 3, 5, 7);
             Tensor x = Tensor.zeros(1, 2, 3, 5, 7);
             Tensor labels = Tensor.full(org.ducisc.core.Device.CPU, DType.UINT8, 1, 1, 2, 3, 5, 7)) {
            InterpolationMode t = InterpolationMode.TRILINEAR;
            fails("interpolate", "[2, 3, 5, 7]",
                    () -> Resampling.interpolate(x4, new int[] {3, 3, 3}, t));
            fails("interpolate", "[3, 3]",
                    () -> Resampling.interpolate(x, new int[] {3, 3}, t));
            fails("interpolate", "[3, 0, 3]",
                    () -> Resampling.interpolate(x, new int[] {3, 0, 3}, t));
            fails("interpolate", "uint8",
                    () -> Resampling.interpolate(labels, new int[] {3, 3, 3}, t));
            fails("interpolate", "null",
                    () -> Resampling.interpolate(x, new int[] {3, 3, 3}, null));
            fails("interpolate backward", "[1, 3, 3, 5, 7]",
                    () -> Resampling.interpolateBackward(x, new long[] {1, 3, 3, 5, 7}, t));
            fails("interpolate backward", "uint8",
                    () -> Resampling.interpolateBackward(labels, new long[] {1, 2, 3, 5, 7}, t));
        }
    }

    /**
     * F.interpolate in double: per axis, PyTorch's source indices (float scale in / out; nearest
     * floor(dst * scale) in float, linear (dst + 0.5) * scale - 0.5 clamped at 0) and exact weights.
     */
    static double[] resize(double[] x, long[] shape, int[] size, boolean linear) {
        long[] out = {shape[0], shape[1], size[0], size[1], size[2]};
        int[][][] idx = new int[3][][];
        double[][][] wts = new double[3][][];
        for (int a = 0; a < 3; a++) {
            int in = (int) shape[2 + a];
            idx[a] = new int[size[a]][];
            wts[a] = new double[size[a]][];
            float scale = (float) in / size[a];
            for (int o = 0; o < size[a]; o++) {
                if (!linear) {
                    int i = in == size[a] ? o : Math.min((int) Math.floor((float) o * scale), in - 1);
                    idx[a][o] = new int[] {i, i};
                    wts[a][o] = new double[] {1, 0};
                } else {
                    double src = Math.max((double) scale * (o + 0.5) - 0.5, 0);
                    int i0 = (int) src;
                    idx[a][o] = new int[] {i0, Math.min(i0 + 1, in - 1)};
                    wts[a][o] = new double[] {1 - (src - i0), src - i0};
                }
            }
        }
        double[] y = new double[Math.toIntExact(IndexRef.numel(out))];
        int[] o = new int[5];
        int[] i = new int[5];
        for (int k = 0; k < y.length; k++) {
            unflatten(k, out, o);
            i[0] = o[0];
            i[1] = o[1];
            double sum = 0;
            for (int c = 0; c < 8; c++) {
                double w = 1;
                for (int a = 0; a < 3; a++) {
                    int bit = (c >> (2 - a)) & 1;
                    i[2 + a] = idx[a][o[2 + a]][bit];
                    w *= wts[a][o[2 + a]][bit];
                }
                sum += w * x[flatten(i, shape)];
            }
            y[k] = sum;
        }
        return y;
    }
}
