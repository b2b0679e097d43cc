package org.ducisc.data;

import java.util.Arrays;
import org.ducisc.io.CaseData;
import org.ducisc.io.Volume;
import org.ducisc.tensor.Rng;

/**
 * The reference's training-time transforms on host volumes, as in the UA-MT / MC-Net
 * {@code dataloaders} that DuCiSC builds on: for LA, {@code RandomRotFlip} then {@code RandomCrop};
 * for Pancreas and IAN, {@code RandomCrop} alone.
 *
 * <ul>
 * <li>rot/flip: {@code np.rot90(x, k)} in the plane of the first two axes (W, H), then
 *     {@code np.flip(x, axis)} with axis 0 or 1; image and label alike. An odd k swaps W and H.
 * <li>crop: if any side of the (rotated) volume is <= the patch side, every axis is zero-padded
 *     at both ends by {@code max((patch - size) // 2 + 3, 0)}; then a corner is drawn uniformly in
 *     {@code [0, paddedSize - patch)} per axis (the upper bound excluded, as {@code np.random.randint}
 *     does, so the last possible corner is never chosen) and the patch is cut out.
 * </ul>
 *
 * The draws come from our {@link Rng}, in the order the reference makes its {@code np.random}
 * calls: k = nextInt(4), axis = nextInt(2) (both only with rot/flip), then the corner on W, H, D,
 * each nextInt(paddedSize - patch). The values differ from numpy's, whose stream we do not
 * reproduce; the distributions are the same. The rule guarantees paddedSize - patch >= 1 on every
 * axis, so a draw never fails.
 *
 * <p>The transform is applied in one pass: each output row is mapped back through crop, padding,
 * flip and rotation to a source row, so no rotated or padded copy of the volume is ever made.
 */
public final class Augmentation {
    private final int[] patch;
    private final boolean rotFlip;
    private final boolean pad;

    /** {@code rotFlip} turns the LA rotation and flip on; the crop is always done, with the reference's padding. */
    public Augmentation(int[] patch, boolean rotFlip) {
        this(patch, rotFlip, true);
    }

    /**
     * With {@code pad} false the crop never pads, so every side of a (rotated) volume must exceed
     * the patch side ({@link #fits}).
     */
    public Augmentation(int[] patch, boolean rotFlip, boolean pad) {
        if (patch.length != 3 || patch[0] <= 0 || patch[1] <= 0 || patch[2] <= 0) {
            throw new IllegalArgumentException("Augmentation: patch must be 3 positive sizes, got " + Arrays.toString(patch));
        }
        this.patch = patch.clone();
        this.rotFlip = rotFlip;
        this.pad = pad;
    }

    /**
     * Whether every crop of a volume of {@code shape} can be drawn: always with padding; without it
     * each side must exceed the patch side (the corner is drawn from [0, size - patch)), in both
     * orientations when rot90 may swap W and H.
     */
    public boolean fits(int[] shape) {
        if (pad) {
            return true;
        }
        boolean straight = shape[0] > patch[0] && shape[1] > patch[1] && shape[2] > patch[2];
        boolean swapped = shape[1] > patch[0] && shape[0] > patch[1];
        return straight && (!rotFlip || swapped);
    }

    /** The padding this crop applies to a (rotated) shape: the reference's rule, or none. */
    private int[] paddingOf(int[] rotated) {
        return pad ? padding(rotated, patch) : new int[3];
    }

    /** The reference's transforms for a data set: its patch size, rot/flip for LA only. */
    public static Augmentation forKind(DatasetKind kind) {
        return new Augmentation(kind.patch(), kind == DatasetKind.LA);
    }

    public int[] patch() {
        return patch.clone();
    }

    public int patchNumel() {
        return patch[0] * patch[1] * patch[2];
    }

    public boolean rotFlip() {
        return rotFlip;
    }

    /**
     * One case's random choices: the rot90 count k (0..3), the flip axis (0 or 1, or -1 for no
     * rot/flip, which requires k = 0), and the crop corner in the rotated, padded volume.
     */
    public record Draw(int k, int flipAxis, int[] corner) {
        public Draw {
            if (k < 0 || k > 3 || flipAxis < -1 || flipAxis > 1 || (flipAxis == -1 && k != 0)) {
                throw new IllegalArgumentException("Augmentation.Draw: k must be 0..3 and flipAxis 0, 1 (or -1 with k = 0), got k="
                        + k + " flipAxis=" + flipAxis);
            }
            if (corner.length != 3) {
                throw new IllegalArgumentException("Augmentation.Draw: corner needs 3 entries, got " + Arrays.toString(corner));
            }
            corner = corner.clone();
        }

        @Override
        public int[] corner() {
            return corner.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Draw d && d.k == k && d.flipAxis == flipAxis && Arrays.equals(d.corner, corner);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * k + flipAxis) + Arrays.hashCode(corner);
        }

        @Override
        public String toString() {
            return "Draw[k=" + k + ", flipAxis=" + flipAxis + ", corner=" + Arrays.toString(corner) + "]";
        }
    }

    /** The shape after {@code np.rot90(x, k)} on the first two axes. */
    public static int[] rotatedShape(int[] shape, int k) {
        return (k & 1) == 0 ? shape.clone() : new int[] {shape[1], shape[0], shape[2]};
    }

    /** The zeros added at each end of each axis before the crop: none unless some side is <= the patch. */
    public static int[] padding(int[] shape, int[] patch) {
        boolean any = shape[0] <= patch[0] || shape[1] <= patch[1] || shape[2] <= patch[2];
        int[] pad = new int[3];
        if (any) {
            for (int a = 0; a < 3; a++) {
                pad[a] = Math.max(Math.floorDiv(patch[a] - shape[a], 2) + 3, 0);
            }
        }
        return pad;
    }

    /** Draws one case's choices for a volume of {@code shape}, in the order the class comment gives. */
    public Draw draw(int[] shape, Rng rng) {
        checkShape("draw", shape);
        int k = 0;
        int axis = -1;
        if (rotFlip) {
            k = rng.nextInt(4);
            axis = rng.nextInt(2);
        }
        int[] r = rotatedShape(shape, k);
        int[] pad = paddingOf(r);
        if (!fits(shape)) {
            throw new IllegalArgumentException("Augmentation.draw: without padding the patch " + Arrays.toString(patch)
                    + " needs every side of the volume to be larger, got " + Arrays.toString(r));
        }
        int[] corner = new int[3];
        for (int a = 0; a < 3; a++) {
            corner[a] = rng.nextInt(r[a] + 2 * pad[a] - patch[a]);
        }
        return new Draw(k, axis, corner);
    }

    /** The patch that {@code draw} cuts from {@code v} (image or label); no affine (patches have no place in the world). */
    public Volume apply(Volume v, Draw draw) {
        int n = patchNumel();
        double[] s = v.spacing();
        double[] spacing = (draw.k() & 1) == 0 ? s : new double[] {s[1], s[0], s[2]};
        if (v.isLabels()) {
            byte[] out = new byte[n];
            applyInto(v, draw, out, 0);
            return Volume.ofLabels(patch, out, spacing, null);
        }
        float[] out = new float[n];
        applyInto(v, draw, out, 0);
        return Volume.ofFloats(patch, out, spacing, null);
    }

    /** Image and label patches of one case, with the same draw. */
    public CaseData apply(CaseData c, Draw draw) {
        return new CaseData(c.name(), apply(c.image(), draw), apply(c.label(), draw));
    }

    /**
     * Writes the patch into {@code dst} (a float[] for an image, a byte[] for a label) at
     * {@code offset}, all {@link #patchNumel} elements, padding included.
     */
    void applyInto(Volume v, Draw draw, Object dst, int offset) {
        int[] shape = v.shape();
        checkShape("apply", shape);
        Object src = v.isLabels() ? v.labels() : v.floats();
        int dstLength = java.lang.reflect.Array.getLength(dst);
        if (dst.getClass() != src.getClass() || offset < 0 || offset > dstLength - patchNumel()) {
            throw new IllegalArgumentException("Augmentation.apply: destination " + dst.getClass().getSimpleName() + " of "
                    + dstLength + " at " + offset + " cannot take a " + Arrays.toString(patch) + " patch of " + v);
        }
        int w = shape[0];
        int h = shape[1];
        int d = shape[2];
        int k = draw.k();
        int[] r = rotatedShape(shape, k);
        int[] pad = paddingOf(r);
        int[] c = draw.corner;
        for (int a = 0; a < 3; a++) {
            if (c[a] < 0 || c[a] > r[a] + 2 * pad[a] - patch[a]) {
                throw new IllegalArgumentException("Augmentation.apply: corner " + Arrays.toString(c) + " puts the "
                        + Arrays.toString(patch) + " patch outside the rotated, padded shape " + Arrays.toString(r)
                        + " + 2*" + Arrays.toString(pad) + " of " + v);
            }
        }
        // Output z in [zLo, zHi) has a source voxel; the rest of the row is padding.
        int z0 = c[2] - pad[2];
        int zLo = Math.max(0, -z0);
        int zHi = Math.min(patch[2], d - z0);
        int out = offset;
        for (int x = 0; x < patch[0]; x++) {
            int fi = x + c[0] - pad[0];
            for (int y = 0; y < patch[1]; y++) {
                int fj = y + c[1] - pad[1];
                if (fi < 0 || fi >= r[0] || fj < 0 || fj >= r[1] || zLo >= zHi) {
                    zero(dst, out, out + patch[2]);
                } else {
                    int ri = draw.flipAxis() == 0 ? r[0] - 1 - fi : fi;
                    int rj = draw.flipAxis() == 1 ? r[1] - 1 - fj : fj;
                    // np.rot90 by k: rotated[i][j] = source[si][sj]
                    int si;
                    int sj;
                    switch (k) {
                        case 0 -> { si = ri; sj = rj; }
                        case 1 -> { si = rj; sj = h - 1 - ri; }
                        case 2 -> { si = w - 1 - ri; sj = h - 1 - rj; }
                        default -> { si = w - 1 - rj; sj = ri; }
                    }
                    zero(dst, out, out + zLo);
                    System.arraycopy(src, (si * h + sj) * d + z0 + zLo, dst, out + zLo, zHi - zLo);
                    zero(dst, out + zHi, out + patch[2]);
                }
                out += patch[2];
            }
        }
    }

    private static void zero(Object dst, int from, int to) {
        if (from < to) {
            if (dst instanceof float[] f) {
                Arrays.fill(f, from, to, 0f);
            } else {
                Arrays.fill((byte[]) dst, from, to, (byte) 0);
            }
        }
    }

    private static void checkShape(String op, int[] shape) {
        if (shape.length != 3 || shape[0] <= 0 || shape[1] <= 0 || shape[2] <= 0) {
            throw new IllegalArgumentException("Augmentation." + op + ": shape must be 3 positive sizes, got "
                    + Arrays.toString(shape));
        }
    }

    @Override
    public String toString() {
        return (rotFlip ? "rot90+flip, " : "") + "random crop " + Arrays.toString(patch);
    }
}
