package org.ducisc.io;

import java.util.Arrays;

/**
 * A 3D array in C order: shape (X, Y, Z), the last axis fastest, element [i][j][k] at
 * {@code (i * Y + j) * Z + k}. This is the order h5py reads the reference files in (axes W, H, D)
 * and the order nibabel's {@code get_fdata()} and pynrrd give for NIfTI and NRRD voxels (i, j, k).
 * The data is either float32 image intensities or uint8 labels (read with {@code & 0xFF}).
 * Geometry: the voxel spacing and, where the file had one, the 4x4 voxel-to-world affine (the
 * NIfTI sform/qform, or the NRRD space directions and origin), so outputs can keep it.
 */
public final class Volume {
    private final int[] shape;
    private final float[] floats;
    private final byte[] labels;
    private final double[] spacing;
    private final double[][] affine;
    private final NiftiGeometry niftiGeometry;

    private Volume(int[] shape, float[] floats, byte[] labels, double[] spacing, double[][] affine) {
        this(shape, floats, labels, spacing, affine, null);
    }

    private Volume(int[] shape, float[] floats, byte[] labels, double[] spacing, double[][] affine,
                   NiftiGeometry niftiGeometry) {
        if (shape.length != 3) {
            throw new IllegalArgumentException("Volume: shape must have 3 axes, got " + Arrays.toString(shape));
        }
        long n = (long) shape[0] * shape[1] * shape[2];
        if (shape[0] <= 0 || shape[1] <= 0 || shape[2] <= 0 || n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("Volume: shape " + Arrays.toString(shape)
                    + " must be positive with fewer than 2^31 elements");
        }
        int length = floats != null ? floats.length : labels.length;
        if (length != n) {
            throw new IllegalArgumentException("Volume: shape " + Arrays.toString(shape) + " needs " + n
                    + " elements, data has " + length);
        }
        if (spacing == null || spacing.length != 3) {
            throw new IllegalArgumentException("Volume: spacing must have 3 entries");
        }
        if (affine != null && (affine.length != 4 || Arrays.stream(affine).anyMatch(r -> r.length != 4))) {
            throw new IllegalArgumentException("Volume: affine must be 4x4");
        }
        this.shape = shape.clone();
        this.floats = floats;
        this.labels = labels;
        this.spacing = spacing.clone();
        this.affine = affine == null ? null : copy(affine);
        this.niftiGeometry = niftiGeometry;
    }

    /** An image volume; {@code affine} may be null where the geometry is unknown (h5 files). */
    public static Volume ofFloats(int[] shape, float[] data, double[] spacing, double[][] affine) {
        return new Volume(shape, data, null, spacing, affine);
    }

    public static Volume ofFloats(int[] shape, float[] data) {
        return ofFloats(shape, data, new double[] {1, 1, 1}, null);
    }

    /** A label volume (uint8 values, read with {@code & 0xFF}). */
    public static Volume ofLabels(int[] shape, byte[] data, double[] spacing, double[][] affine) {
        return new Volume(shape, null, data, spacing, affine);
    }

    public static Volume ofLabels(int[] shape, byte[] data) {
        return ofLabels(shape, data, new double[] {1, 1, 1}, null);
    }

    public int[] shape() {
        return shape.clone();
    }

    public int size(int axis) {
        return shape[axis];
    }

    public int numel() {
        return shape[0] * shape[1] * shape[2];
    }

    public boolean isLabels() {
        return labels != null;
    }

    /** The float data itself (not a copy); fails for a label volume. */
    public float[] floats() {
        if (floats == null) {
            throw new IllegalStateException("Volume.floats: this is a uint8 label volume");
        }
        return floats;
    }

    /** The uint8 data itself (not a copy); fails for an image volume. */
    public byte[] labels() {
        if (labels == null) {
            throw new IllegalStateException("Volume.labels: this is a float32 image volume");
        }
        return labels;
    }

    public int index(int i, int j, int k) {
        return (i * shape[1] + j) * shape[2] + k;
    }

    /** Element [i][j][k] as a float, for either kind. */
    public float get(int i, int j, int k) {
        int at = index(i, j, k);
        return floats != null ? floats[at] : labels[at] & 0xFF;
    }

    public double[] spacing() {
        return spacing.clone();
    }

    /** The voxel-to-world affine, or null when the source had no geometry. */
    public double[][] affine() {
        return affine == null ? null : copy(affine);
    }

    /** The affine, or the diagonal spacing matrix when there is none. */
    public double[][] affineOrSpacing() {
        if (affine != null) {
            return copy(affine);
        }
        return new double[][] {{spacing[0], 0, 0, 0}, {0, spacing[1], 0, 0}, {0, 0, spacing[2], 0}, {0, 0, 0, 1}};
    }

    /**
     * The NIfTI header's geometry fields (both transforms and their codes) when this volume was read
     * from a NIfTI file, else null; {@link Nifti#write} copies them, so outputs keep the input's geometry.
     */
    public NiftiGeometry niftiGeometry() {
        return niftiGeometry;
    }

    /** This volume with the NIfTI geometry fields of the file it was read from. */
    public Volume withNiftiGeometry(NiftiGeometry geometry) {
        return new Volume(shape, floats, labels, spacing, affine, geometry);
    }

    /** A volume of this one's geometry (spacing, affine, NIfTI geometry) holding other data of the same shape. */
    public Volume withFloats(float[] data) {
        return new Volume(shape, data, null, spacing, affine, niftiGeometry);
    }

    public Volume withLabels(byte[] data) {
        return new Volume(shape, null, data, spacing, affine, niftiGeometry);
    }

    /**
     * Elements [x0, x1) x [y0, y1) x [z0, z1); the affine origin moves to the first kept voxel, and the
     * NIfTI geometry fields, which describe the uncropped grid, are dropped.
     */
    public Volume crop(int x0, int x1, int y0, int y1, int z0, int z1) {
        if (x0 < 0 || y0 < 0 || z0 < 0 || x1 > shape[0] || y1 > shape[1] || z1 > shape[2]
                || x0 >= x1 || y0 >= y1 || z0 >= z1) {
            throw new IllegalArgumentException("Volume.crop: box [" + x0 + "," + x1 + ")x[" + y0 + "," + y1 + ")x["
                    + z0 + "," + z1 + ") is empty or outside shape " + Arrays.toString(shape));
        }
        int[] s = {x1 - x0, y1 - y0, z1 - z0};
        float[] f = floats == null ? null : new float[s[0] * s[1] * s[2]];
        byte[] l = labels == null ? null : new byte[s[0] * s[1] * s[2]];
        int out = 0;
        for (int i = x0; i < x1; i++) {
            for (int j = y0; j < y1; j++) {
                int from = index(i, j, z0);
                if (f != null) {
                    System.arraycopy(floats, from, f, out, s[2]);
                } else {
                    System.arraycopy(labels, from, l, out, s[2]);
                }
                out += s[2];
            }
        }
        double[][] a = null;
        if (affine != null) {
            a = copy(affine);
            for (int r = 0; r < 3; r++) {
                a[r][3] += affine[r][0] * x0 + affine[r][1] * y0 + affine[r][2] * z0;
            }
        }
        return new Volume(s, f, l, spacing, a);
    }

    private static double[][] copy(double[][] m) {
        double[][] c = new double[m.length][];
        for (int r = 0; r < m.length; r++) {
            c[r] = m[r].clone();
        }
        return c;
    }

    @Override
    public String toString() {
        return (labels != null ? "uint8" : "float32") + " volume " + Arrays.toString(shape);
    }

    /**
     * Normalises x to zero mean and unit (population) standard deviation over all its values, as
     * the reference's mri_norm2 images are; returns false, leaving x unchanged, if x is constant.
     *
     * @throws IllegalArgumentException leaving x unchanged, if a value is NaN or infinite (naming the
     *     first one's flat index and how many there are): such a volume has no mean to subtract
     */
    public static boolean zScoreInPlace(float[] x) {
        int bad = -1;
        int count = 0;
        for (int i = 0; i < x.length; i++) {
            if (!Float.isFinite(x[i])) {
                bad = bad < 0 ? i : bad;
                count++;
            }
        }
        if (bad >= 0) {
            throw new IllegalArgumentException("value " + x[bad] + " at flat index " + bad + "; " + count
                    + (count == 1 ? " value is" : " values are") + " not finite, so there is no mean and standard"
                    + " deviation to normalise with");
        }
        double sum = 0;
        for (float v : x) {
            sum += v;
        }
        double mean = sum / x.length;
        double squares = 0;
        for (float v : x) {
            squares += (v - mean) * (v - mean);
        }
        double std = Math.sqrt(squares / x.length);
        if (!(std > 0)) {
            return false;
        }
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) ((x[i] - mean) / std);
        }
        return true;
    }
}
