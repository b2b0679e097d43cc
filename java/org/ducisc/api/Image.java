package org.ducisc.api;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * An image volume to segment: float32 intensities of shape (W, H, D), D fastest (voxel (x, y, z) at
 * {@code (x * H + y) * D + z}), with its voxel spacing. Images are normalised the way the network was
 * trained (the reference z-scores each volume); the segmenter feeds the values as they are.
 *
 * <p>Every factory copies the voxels, so the caller may reuse its buffer at once, and rejects a
 * length that does not match the shape and any NaN or infinite value, naming the first one. An
 * {@code Image} is immutable and may be shared between threads.
 */
public final class Image {
    private final int[] shape;
    private final double[] spacing;
    private final float[] voxels;

    private Image(float[] voxels, int[] shape, double[] spacing) {
        this.shape = shape;
        this.spacing = spacing;
        this.voxels = voxels;
        checkFinite(voxels, shape);
    }

    /**
     * An image from a float array.
     *
     * @param voxels  W*H*D intensities, D fastest
     * @param shape   {W, H, D}, each at least 1
     * @param spacing voxel size along W, H, D (positive and finite), or null for 1, 1, 1
     */
    public static Image of(float[] voxels, int[] shape, double[] spacing) {
        int n = voxelCount(shape);
        if (voxels == null) {
            throw new IllegalArgumentException("image: the voxel array is null");
        }
        if (voxels.length != n) {
            throw new IllegalArgumentException("image: shape " + Arrays.toString(shape) + " needs " + n
                    + " voxels, the array has " + voxels.length);
        }
        return new Image(voxels.clone(), shape.clone(), checkSpacing(spacing));
    }

    /**
     * An image from the remaining floats of a buffer (from its position to its limit; the buffer's
     * position is left unchanged).
     */
    public static Image of(FloatBuffer voxels, int[] shape, double[] spacing) {
        int n = voxelCount(shape);
        if (voxels == null) {
            throw new IllegalArgumentException("image: the voxel buffer is null");
        }
        if (voxels.remaining() != n) {
            throw new IllegalArgumentException("image: shape " + Arrays.toString(shape) + " needs " + n
                    + " voxels, the buffer has " + voxels.remaining() + " remaining");
        }
        float[] copy = new float[n];
        voxels.duplicate().get(copy);
        return new Image(copy, shape.clone(), checkSpacing(spacing));
    }

    /**
     * An image from a memory segment of W*H*D floats in native byte order (as {@link ValueLayout#JAVA_FLOAT}
     * lays them out), e.g. a buffer shared with native code. The segment must be readable by this thread.
     */
    public static Image of(MemorySegment voxels, int[] shape, double[] spacing) {
        int n = voxelCount(shape);
        if (voxels == null) {
            throw new IllegalArgumentException("image: the voxel segment is null");
        }
        if (voxels.byteSize() != (long) n * Float.BYTES) {
            throw new IllegalArgumentException("image: shape " + Arrays.toString(shape) + " needs " + n
                    + " floats (" + (long) n * Float.BYTES + " bytes), the segment has " + voxels.byteSize() + " bytes");
        }
        float[] copy = new float[n];
        MemorySegment.copy(voxels, ValueLayout.JAVA_FLOAT.withByteAlignment(1), 0, copy, 0, n);
        return new Image(copy, shape.clone(), checkSpacing(spacing));
    }

    /** {W, H, D}. */
    public int[] shape() {
        return shape.clone();
    }

    /** Voxel size along W, H, D. */
    public double[] spacing() {
        return spacing.clone();
    }

    /** The number of voxels, W*H*D. */
    public int voxelCount() {
        return voxels.length;
    }

    /** The voxels themselves, for the segmenter (never handed out: the image stays immutable). */
    float[] voxels() {
        return voxels;
    }

    /** The voxel count of a valid shape; rejects anything else with what is wrong. */
    static int voxelCount(int[] shape) {
        if (shape == null || shape.length != 3) {
            throw new IllegalArgumentException("image: shape must be three sizes {W, H, D}, got "
                    + Arrays.toString(shape));
        }
        for (int a = 0; a < 3; a++) {
            if (shape[a] < 1) {
                throw new IllegalArgumentException("image: shape " + Arrays.toString(shape) + " has size " + shape[a]
                        + " along " + "WHD".charAt(a) + "; every size must be at least 1");
            }
        }
        long n = (long) shape[0] * shape[1] * shape[2];
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("image: shape " + Arrays.toString(shape) + " has " + n
                    + " voxels; at most 2^31 - 9 are supported");
        }
        return (int) n;
    }

    private static double[] checkSpacing(double[] spacing) {
        if (spacing == null) {
            return new double[] {1, 1, 1};
        }
        if (spacing.length != 3) {
            throw new IllegalArgumentException("image: spacing must be three values, got " + Arrays.toString(spacing));
        }
        for (double s : spacing) {
            if (!(s > 0) || !Double.isFinite(s)) {
                throw new IllegalArgumentException("image: spacing " + Arrays.toString(spacing)
                        + " must be positive and finite");
            }
        }
        return spacing.clone();
    }

    private static void checkFinite(float[] voxels, int[] shape) {
        for (int i = 0; i < voxels.length; i++) {
            if (!Float.isFinite(voxels[i])) {
                int z = i % shape[2];
                int y = i / shape[2] % shape[1];
                int x = i / (shape[1] * shape[2]);
                int count = 0;
                for (int j = i; j < voxels.length; j++) {
                    count += Float.isFinite(voxels[j]) ? 0 : 1;
                }
                throw new IllegalArgumentException("image: voxel (" + x + ", " + y + ", " + z + ") (index " + i + ") is "
                        + voxels[i] + "; " + count + " voxel" + (count == 1 ? " is" : "s are")
                        + " not finite, and the network needs finite intensities");
            }
        }
    }
}
