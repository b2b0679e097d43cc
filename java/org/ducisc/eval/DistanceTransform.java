package org.ducisc.eval;

/**
 * Exact Euclidean distance transform in linear time, with SciPy's
 * {@code distance_transform_edt(mask, sampling=spacing)} semantics: every non-zero voxel gets the distance
 * to the nearest zero voxel, zero voxels get 0. Distances are in physical units (voxel steps scaled by the
 * spacing of their axis).
 *
 * <p>Separable algorithm of Felzenszwalb and Huttenlocher ("Distance Transforms of Sampled Functions",
 * 2012): an exact 1-d scan along Z, then along Y and X the lower envelope of the parabolas
 * {@code f(q) + (x - x_q)^2} of the squared distances so far. Sequential and O(voxels).
 */
public final class DistanceTransform {
    private DistanceTransform() {
    }

    /**
     * Distance of every voxel to the nearest zero voxel of {@code mask}.
     *
     * @param mask    C-order voxels of shape (X, Y, Z), Z fastest; zero is background (the features)
     * @param shape   (X, Y, Z)
     * @param spacing physical voxel size per axis, or null for (1, 1, 1)
     * @return a fresh array of distances; every entry is +Infinity if the mask has no zero voxel
     */
    public static double[] euclidean(byte[] mask, int[] shape, double[] spacing) {
        double[] d = squaredEuclidean(mask, shape, spacing);
        for (int i = 0; i < d.length; i++) {
            d[i] = Math.sqrt(d[i]);
        }
        return d;
    }

    /** As {@link #euclidean} but squared distances, which skips the square roots. */
    public static double[] squaredEuclidean(byte[] mask, int[] shape, double[] spacing) {
        return squared(mask, true, shape, spacing);
    }

    /**
     * Squared distance to the nearest feature voxel, where features are the zero voxels of {@code mask} if
     * {@code zeroIsFeature}, else its non-zero voxels (which spares the caller an inverted copy).
     */
    static double[] squared(byte[] mask, boolean zeroIsFeature, int[] shape, double[] spacing) {
        int n = MaskChecks.voxels("DistanceTransform", mask, shape);
        double[] sp = MaskChecks.spacing("DistanceTransform", spacing);
        int nx = shape[0];
        int ny = shape[1];
        int nz = shape[2];
        double[] d = new double[n];
        scanZ(mask, zeroIsFeature, d, nx * ny, nz, sp[2]);
        int longest = Math.max(nx, Math.max(ny, nz));
        Envelope env = new Envelope(longest);
        for (int x = 0; x < nx; x++) {
            for (int z = 0; z < nz; z++) {
                env.transform(d, x * ny * nz + z, nz, ny, sp[1]);
            }
        }
        for (int y = 0; y < ny; y++) {
            for (int z = 0; z < nz; z++) {
                env.transform(d, y * nz + z, ny * nz, nx, sp[0]);
            }
        }
        return d;
    }

    /** Exact squared 1-d distance to the nearest zero along each contiguous Z line; +Inf on a line without one. */
    private static void scanZ(byte[] mask, boolean zeroIsFeature, double[] d, int lines, int nz, double spacing) {
        for (int line = 0; line < lines; line++) {
            int base = line * nz;
            int last = -1;
            for (int z = 0; z < nz; z++) {
                if ((mask[base + z] == 0) == zeroIsFeature) {
                    last = z;
                }
                d[base + z] = last < 0 ? Double.POSITIVE_INFINITY : z - last;
            }
            last = -1;
            for (int z = nz - 1; z >= 0; z--) {
                if ((mask[base + z] == 0) == zeroIsFeature) {
                    last = z;
                }
                double steps = last < 0 ? d[base + z] : Math.min(d[base + z], last - z);
                double dist = steps * spacing;
                d[base + z] = dist * dist;
            }
        }
    }

    /** Scratch arrays of the lower-envelope pass, sized once for the longest axis. */
    private static final class Envelope {
        private final double[] f;
        private final int[] v;
        private final double[] z;

        Envelope(int longest) {
            f = new double[longest];
            v = new int[longest];
            z = new double[longest + 1];
        }

        /** Replaces the squared distances on one strided line by the minimum over the line of f(q) + (x_p - x_q)^2. */
        void transform(double[] d, int start, int stride, int n, double spacing) {
            for (int i = 0; i < n; i++) {
                f[i] = d[start + i * stride];
            }
            // Infinite parabolas (no feature seen yet on their line) never touch the envelope, and would give
            // Inf - Inf in the intersection formula, so they are left out.
            int k = -1;
            for (int q = 0; q < n; q++) {
                double fq = f[q];
                if (fq == Double.POSITIVE_INFINITY) {
                    continue;
                }
                double xq = q * spacing;
                if (k < 0) {
                    k = 0;
                    v[0] = q;
                    z[0] = Double.NEGATIVE_INFINITY;
                    z[1] = Double.POSITIVE_INFINITY;
                    continue;
                }
                double s;
                while (true) {
                    double xv = v[k] * spacing;
                    s = ((fq + xq * xq) - (f[v[k]] + xv * xv)) / (2.0 * (xq - xv));
                    if (s > z[k]) {
                        break;
                    }
                    // z[0] is -Inf, so k never drops below 0.
                    k--;
                }
                k++;
                v[k] = q;
                z[k] = s;
                z[k + 1] = Double.POSITIVE_INFINITY;
            }
            if (k < 0) {
                return;
            }
            k = 0;
            for (int p = 0; p < n; p++) {
                double xp = p * spacing;
                while (z[k + 1] < xp) {
                    k++;
                }
                double dx = xp - v[k] * spacing;
                d[start + p * stride] = dx * dx + f[v[k]];
            }
        }
    }
}
