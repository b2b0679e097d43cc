package org.ducisc.eval;

import java.util.Arrays;

/** Argument checks for masks stored as C-order byte arrays of shape (X, Y, Z), Z fastest. */
final class MaskChecks {
    static final double[] UNIT_SPACING = {1.0, 1.0, 1.0};

    private MaskChecks() {
    }

    /** Checks the shape and the mask length; returns the voxel count. */
    static int voxels(String op, byte[] mask, int[] shape) {
        if (mask == null || shape == null) {
            throw new IllegalArgumentException(op + ": mask and shape must not be null");
        }
        if (shape.length != 3 || shape[0] <= 0 || shape[1] <= 0 || shape[2] <= 0) {
            throw new IllegalArgumentException(op + ": expected a positive 3-d shape (X, Y, Z), got "
                    + Arrays.toString(shape));
        }
        long n = (long) shape[0] * shape[1] * shape[2];
        if (n != mask.length) {
            throw new IllegalArgumentException(op + ": mask of length " + mask.length + " does not match shape "
                    + Arrays.toString(shape) + " (" + n + " voxels)");
        }
        return (int) n;
    }

    static void sameLength(String op, byte[] a, byte[] b, int[] shape) {
        voxels(op, a, shape);
        voxels(op, b, shape);
    }

    /** True when any voxel of the mask is non-zero (foreground). */
    static boolean anyForeground(byte[] mask) {
        for (byte b : mask) {
            if (b != 0) {
                return true;
            }
        }
        return false;
    }

    /** Null means unit spacing; otherwise three values in [MIN_SPACING, MAX_SPACING] of {@link SegmentationMetrics}. */
    static double[] spacing(String op, double[] spacing) {
        if (spacing == null) {
            return UNIT_SPACING;
        }
        if (spacing.length != 3) {
            throw new IllegalArgumentException(op + ": expected 3 spacings, got " + Arrays.toString(spacing));
        }
        for (double s : spacing) {
            if (!(s >= SegmentationMetrics.MIN_SPACING && s <= SegmentationMetrics.MAX_SPACING)) {
                throw new IllegalArgumentException(op + ": spacings must be in " + SegmentationMetrics.MIN_SPACING + ".."
                        + SegmentationMetrics.MAX_SPACING + ", got " + Arrays.toString(spacing));
            }
        }
        return spacing;
    }
}
