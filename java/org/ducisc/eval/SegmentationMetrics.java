package org.ducisc.eval;

import java.util.Arrays;

/**
 * Per-case segmentation metrics with the semantics of medpy.metric.binary ({@code dc}, {@code jc},
 * {@code hd95}, {@code asd}), as the DuCiSC reference calls them.
 *
 * <p>Masks are C-order byte arrays of shape (X, Y, Z), Z fastest; any non-zero byte is foreground. Spacing
 * is the physical voxel size per axis (null means 1, 1, 1); distances come out in its units.
 *
 * <ul>
 *   <li>The surface of a mask is the mask minus its binary erosion by the 6-neighbour cross, voxels outside
 *       the volume counting as background (SciPy's {@code border_value=0}), so foreground voxels on the
 *       volume's faces are surface voxels.</li>
 *   <li>The directed distances from A to B are, for each surface voxel of A (in C order), the exact
 *       Euclidean distance to the nearest surface voxel of B.</li>
 *   <li>HD95 is the 95th percentile (numpy's default linear interpolation) of both directed sets together;
 *       ASD is the mean of the prediction-to-truth set only (medpy's {@code asd} is not symmetric).</li>
 * </ul>
 *
 * <p>Empty masks. An empty prediction scores 0 on all four metrics, whatever the truth (the reference's
 * rule). A non-empty prediction against an empty truth, where medpy raises, gives dice 0, jaccard 0 and
 * hd95 = asd = NaN: no surface distance exists, and NaN carries that into {@link MetricSummary} instead of
 * an arbitrary number. Both kinds are marked {@link CaseMetrics#undefined()}; {@link MetricRules} offers
 * MONAI's rule for them as well.
 */
public final class SegmentationMetrics {
    /**
     * The smallest and largest voxel spacing accepted (mm, or whatever unit the caller uses): squared
     * distances across a volume of up to 2^31 voxels then stay normal doubles, neither 0 nor infinite.
     */
    public static final double MIN_SPACING = 1e-6;
    public static final double MAX_SPACING = 1e6;

    private SegmentationMetrics() {
    }

    /** Metrics at unit spacing. */
    public static CaseMetrics evaluate(byte[] prediction, byte[] truth, int[] shape) {
        return evaluate(prediction, truth, shape, null);
    }

    /** Dice, Jaccard, HD95 and ASD of one case; see the class comment for the empty-mask rules. */
    public static CaseMetrics evaluate(byte[] prediction, byte[] truth, int[] shape, double[] spacing) {
        MaskChecks.sameLength("SegmentationMetrics", prediction, truth, shape);
        double[] sp = MaskChecks.spacing("SegmentationMetrics", spacing);
        long a = 0;
        long b = 0;
        long both = 0;
        for (int i = 0; i < prediction.length; i++) {
            boolean p = prediction[i] != 0;
            boolean t = truth[i] != 0;
            a += p ? 1 : 0;
            b += t ? 1 : 0;
            both += p && t ? 1 : 0;
        }
        if (a == 0) {
            return CaseMetrics.ZERO;
        }
        double dice = 2.0 * both / (a + b);
        double jaccard = (double) both / (a + b - both);
        if (b == 0) {
            return new CaseMetrics(dice, jaccard, Double.NaN, Double.NaN, true);
        }
        byte[] predSurface = surface(prediction, shape);
        byte[] truthSurface = surface(truth, shape);
        double[] toTruth = sampleDistances(predSurface, truthSurface, shape, sp);
        double[] toPrediction = sampleDistances(truthSurface, predSurface, shape, sp);
        double[] all = Arrays.copyOf(toTruth, toTruth.length + toPrediction.length);
        System.arraycopy(toPrediction, 0, all, toTruth.length, toPrediction.length);
        Arrays.sort(all);
        return new CaseMetrics(dice, jaccard, percentileOfSorted(all, 95.0), mean(toTruth));
    }

    /**
     * Surface voxels (1) of a mask: foreground voxels with a 6-neighbour that is background or outside the
     * volume. Equals {@code mask & ~binary_erosion(mask, generate_binary_structure(3, 1))} in SciPy.
     */
    public static byte[] surface(byte[] mask, int[] shape) {
        MaskChecks.voxels("SegmentationMetrics.surface", mask, shape);
        int nx = shape[0];
        int ny = shape[1];
        int nz = shape[2];
        int sx = ny * nz;
        byte[] out = new byte[mask.length];
        for (int x = 0; x < nx; x++) {
            for (int y = 0; y < ny; y++) {
                int row = x * sx + y * nz;
                boolean rowOnFace = x == 0 || x == nx - 1 || y == 0 || y == ny - 1;
                for (int z = 0; z < nz; z++) {
                    int i = row + z;
                    if (mask[i] == 0) {
                        continue;
                    }
                    boolean interior = !rowOnFace && z != 0 && z != nz - 1
                            && mask[i - sx] != 0 && mask[i + sx] != 0
                            && mask[i - nz] != 0 && mask[i + nz] != 0
                            && mask[i - 1] != 0 && mask[i + 1] != 0;
                    out[i] = interior ? (byte) 0 : (byte) 1;
                }
            }
        }
        return out;
    }

    /**
     * Directed surface distances from mask {@code from} to mask {@code to}, medpy's
     * {@code __surface_distances(from, to, spacing, connectivity=1)}: one entry per surface voxel of
     * {@code from}, in C order.
     *
     * @throws IllegalArgumentException if either mask is empty (medpy raises there too)
     */
    public static double[] directedSurfaceDistances(byte[] from, byte[] to, int[] shape, double[] spacing) {
        MaskChecks.sameLength("SegmentationMetrics.directedSurfaceDistances", from, to, shape);
        double[] sp = MaskChecks.spacing("SegmentationMetrics.directedSurfaceDistances", spacing);
        if (isEmpty(from) || isEmpty(to)) {
            throw new IllegalArgumentException("SegmentationMetrics.directedSurfaceDistances: empty mask of shape "
                    + Arrays.toString(shape) + " has no surface");
        }
        return sampleDistances(surface(from, shape), surface(to, shape), shape, sp);
    }

    /** The distance transform of the {@code toSurface} voxels, read at the {@code fromSurface} voxels. */
    private static double[] sampleDistances(byte[] fromSurface, byte[] toSurface, int[] shape, double[] spacing) {
        double[] squared = DistanceTransform.squared(toSurface, false, shape, spacing);
        int count = 0;
        for (byte v : fromSurface) {
            count += v;
        }
        double[] out = new double[count];
        int k = 0;
        for (int i = 0; i < fromSurface.length; i++) {
            if (fromSurface[i] != 0) {
                out[k++] = Math.sqrt(squared[i]);
            }
        }
        return out;
    }

    /**
     * numpy.percentile(values, q) with the default 'linear' method, on values sorted ascending; the
     * interpolation is numpy's {@code _lerp}, which runs from the upper neighbour when the weight is >= 0.5.
     */
    static double percentileOfSorted(double[] sorted, double q) {
        int n = sorted.length;
        double position = q / 100.0 * (n - 1);
        int below = (int) Math.floor(position);
        int above = Math.min(below + 1, n - 1);
        double t = position - below;
        double lo = sorted[below];
        double hi = sorted[above];
        double diff = hi - lo;
        return t >= 0.5 ? hi - diff * (1 - t) : lo + diff * t;
    }

    private static double mean(double[] values) {
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        return sum / values.length;
    }

    private static boolean isEmpty(byte[] mask) {
        for (byte v : mask) {
            if (v != 0) {
                return false;
            }
        }
        return true;
    }
}
