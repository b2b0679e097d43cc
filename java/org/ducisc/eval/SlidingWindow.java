package org.ducisc.eval;

import java.util.Arrays;
import org.ducisc.core.Device;
import org.ducisc.core.Sizes;
import org.ducisc.data.DatasetKind;
import org.ducisc.io.Volume;
import org.ducisc.nn.Module;
import org.ducisc.nn.Predictor;
import org.ducisc.tensor.Channels;
import org.ducisc.tensor.MemoryScope;
import org.ducisc.tensor.Tensor;

/**
 * Sliding-window inference of the reference (method page, section 4; UA-MT's {@code test_single_case}):
 * <ol>
 *   <li>every axis shorter than the patch is zero-padded to the patch size, {@code pad // 2} voxels before
 *       and the rest after;</li>
 *   <li>per axis there are {@code ceil((size - patch) / stride) + 1} windows, window k starting at
 *       {@code min(stride * k, size - patch)} (the last one flush with the end);</li>
 *   <li>each window goes through the {@link Predictor} (a network in eval mode); the softmax foreground
 *       probability of its full-resolution logits is averaged over all windows covering a voxel;</li>
 *   <li>the padding is cropped off; the label is {@code probability > 0.5}.</li>
 * </ol>
 * As MONAI's {@code sliding_window_inference(inputs, roi_size, sw_batch_size, predictor, ..., sw_device)}, it
 * takes the predictor and the device the windows are sent to; the windows are cut and the probabilities
 * averaged on the host. Windows are sent {@link #windowBatch()} at a time (one forward pass of batch size
 * N); for a V-Net the result does not depend on N, since eval-mode batch norm treats samples independently.
 * Every inference of the engine ({@code test}, {@code predict}, validation in training, the API's
 * {@code Segmenter}) goes through {@link #segment}.
 */
public final class SlidingWindow {
    /**
     * Windows per forward pass unless told otherwise. A forward pass keeps all its activations until it
     * ends, so memory grows with this number: {@code ducisc test} on LA windows (112x112x80, 16 filters)
     * peaks at 2.4 GB resident with 2 (bench/README.md).
     */
    public static final int DEFAULT_WINDOW_BATCH = 2;

    private final int[] patch;
    private final int strideXY;
    private final int strideZ;
    private final int windowBatch;

    public SlidingWindow(int[] patch, int strideXY, int strideZ) {
        this(patch, strideXY, strideZ, DEFAULT_WINDOW_BATCH);
    }

    /**
     * @param patch       window size (W, H, D); the network must accept it (multiples of 16 for the V-Net)
     * @param strideXY    step between windows along W and H, 1..patch side
     * @param strideZ     step along D, 1..patch side
     * @param windowBatch windows per forward pass, >= 1
     */
    public SlidingWindow(int[] patch, int strideXY, int strideZ, int windowBatch) {
        if (patch == null || patch.length != 3 || patch[0] < 1 || patch[1] < 1 || patch[2] < 1) {
            throw new IllegalArgumentException("sliding window: patch must be three positive sizes W,H,D, got "
                    + Arrays.toString(patch));
        }
        // A stride larger than the patch would leave voxels that no window covers (the reference divides
        // 0 by 0 there).
        if (strideXY < 1 || strideXY > Math.min(patch[0], patch[1]) || strideZ < 1 || strideZ > patch[2]) {
            throw new IllegalArgumentException("sliding window: strides must be between 1 and the patch side (patch "
                    + Sizes.of(patch) + "), got xy " + strideXY + " and z " + strideZ);
        }
        if (windowBatch < 1) {
            throw new IllegalArgumentException("sliding window: window batch must be >= 1, got " + windowBatch);
        }
        this.patch = patch.clone();
        this.strideXY = strideXY;
        this.strideZ = strideZ;
        this.windowBatch = windowBatch;
    }

    /**
     * The window a training run reports its test metrics with: the training patch, and the data set's
     * strides ({@link DatasetKind#strideXY}, {@link DatasetKind#strideZ}) cut to the patch side where the
     * patch is smaller, {@link #DEFAULT_WINDOW_BATCH} windows per pass.
     *
     * @param patch the training patch (W, H, D) in voxels
     */
    public static SlidingWindow forTrainingPatch(DatasetKind kind, int[] patch) {
        int[] strides = kind.strides(patch);
        return new SlidingWindow(patch, strides[0], strides[1]);
    }

    public int[] patch() {
        return patch.clone();
    }

    public int strideXY() {
        return strideXY;
    }

    public int strideZ() {
        return strideZ;
    }

    public int windowBatch() {
        return windowBatch;
    }

    /** Window starts along one axis of (padded) size {@code size}: min(stride*k, size - patch). */
    static int[] starts(int size, int patchSide, int stride) {
        int steps = Math.ceilDiv(size - patchSide, stride) + 1;
        int[] s = new int[steps];
        for (int k = 0; k < steps; k++) {
            s[k] = Math.min(stride * k, size - patchSide);
        }
        return s;
    }

    /** A volume's foreground probability (float32) and its label map (uint8), both in the image's geometry. */
    public record Prediction(Volume probability, Volume labels) {
    }

    /**
     * The one inference path: {@link #foregroundProbability} of {@code image}, then {@link #threshold}.
     *
     * @param largestComponent keep only the largest 26-connected component of the label map
     * @throws IllegalArgumentException as {@link #foregroundProbability}
     */
    public Prediction segment(Predictor predictor, Device device, Volume image, boolean largestComponent) {
        Volume probability = foregroundProbability(predictor, device, image);
        return new Prediction(probability, threshold(probability, largestComponent));
    }

    /** {@link #foregroundProbability(Predictor, Device, Volume)} with a model that predicts on its own device. */
    public <M extends Module & Predictor> Volume foregroundProbability(M model, Volume image) {
        return foregroundProbability(model, model.device(), image);
    }

    /**
     * The foreground probability (softmax channel 1 of the predictor's logits) of every voxel of
     * {@code image}, averaged over the windows covering it.
     *
     * @param predictor takes float32 windows (N, 1, W, H, D) on {@code device}, N up to {@link #windowBatch()}
     *                  and (W, H, D) the patch, and returns logits (N, 2, W, H, D) there
     * @param device    where the windows are sent (the predictor's device)
     * @param image     a float32 volume (W, H, D)
     * @return a float32 volume with the image's shape and geometry
     * @throws IllegalArgumentException if the image is a label volume or holds NaN or infinite voxels; if the
     *                                  predictor rejects the windows or returns logits of another shape than
     *                                  (N, 2, W, H, D) (binary segmentation); or if the probability comes out
     *                                  non-finite anywhere (NaN weights, or an input such as 3e38 everywhere
     *                                  that overflows float32): a NaN map would threshold to "no foreground"
     */
    public Volume foregroundProbability(Predictor predictor, Device device, Volume image) {
        if (image.isLabels()) {
            throw new IllegalArgumentException("sliding window: the input is a uint8 label volume, not an image");
        }
        int[] size = image.shape();
        int[] before = new int[3];
        int[] padded = new int[3];
        for (int a = 0; a < 3; a++) {
            int pad = Math.max(patch[a] - size[a], 0);
            before[a] = pad / 2;
            padded[a] = size[a] + pad;
        }
        requireFinite(image.floats(), "the image", "");
        float[] source = padWithZeros(image.floats(), size, before, padded);
        int[] xs = starts(padded[0], patch[0], strideXY);
        int[] ys = starts(padded[1], patch[1], strideXY);
        int[] zs = starts(padded[2], patch[2], strideZ);
        float[] sum = new float[padded[0] * padded[1] * padded[2]];
        int windows = xs.length * ys.length * zs.length;
        int[][] corners = new int[windows][];
        int w = 0;
        for (int x : xs) {
            for (int y : ys) {
                for (int z : zs) {
                    corners[w++] = new int[] {x, y, z};
                }
            }
        }
        for (int first = 0; first < windows; first += windowBatch) {
            int n = Math.min(windowBatch, windows - first);
            int[][] batch = Arrays.copyOfRange(corners, first, first + n);
            float[] foreground = forward(predictor, device, gather(source, padded, batch));
            scatterAdd(foreground, batch, sum, padded);
        }
        float[] probability = average(sum, padded, before, size, coverage(padded[0], xs, patch[0]),
                coverage(padded[1], ys, patch[1]), coverage(padded[2], zs, patch[2]));
        requireFinite(probability, "the network's foreground probability",
                " (non-finite weights, or input values too large for float32 arithmetic)");
        return image.withFloats(probability);
    }

    /** Throws IllegalArgumentException naming {@code what}, the count and the first index of non-finite values. */
    private static void requireFinite(float[] values, String what, String hint) {
        int bad = 0;
        int first = -1;
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                bad++;
                first = first < 0 ? i : first;
            }
        }
        if (bad > 0) {
            throw new IllegalArgumentException(what + " is not finite at " + bad + " of " + values.length
                    + " voxels (first at index " + first + ", " + values[first] + ")" + hint);
        }
    }

    /** Label map: 1 where the probability is above 0.5; with {@code largestComponent} only its largest 26-connected part. */
    public static Volume threshold(Volume probability, boolean largestComponent) {
        float[] p = probability.floats();
        byte[] mask = new byte[p.length];
        for (int i = 0; i < p.length; i++) {
            mask[i] = p[i] > 0.5f ? (byte) 1 : (byte) 0;
        }
        if (largestComponent) {
            mask = ConnectedComponents.largest(mask, probability.shape());
        }
        return probability.withLabels(mask);
    }

    /** The softmax foreground channel of the predictor's logits for n windows (N, W, H, D). */
    private float[] forward(Predictor predictor, Device device, float[] windows) {
        int n = windows.length / (patch[0] * patch[1] * patch[2]);
        try (MemoryScope scope = MemoryScope.open()) {
            Tensor input = Tensor.of(device, windows, n, 1, patch[0], patch[1], patch[2]);
            Tensor logits = predictor.logits(input);
            long[] want = {n, 2, patch[0], patch[1], patch[2]};
            if (!Arrays.equals(logits.shape(), want)) {
                long[] got = logits.shape();
                throw new IllegalArgumentException("sliding window: the network returned logits " + Arrays.toString(got)
                        + (got.length > 1 ? " (" + got[1] + " classes)" : "") + " for windows "
                        + Arrays.toString(input.shape()) + "; binary segmentation needs " + Arrays.toString(want));
            }
            float[] all = Channels.softmax(logits).toFloatArray();
            int voxels = patch[0] * patch[1] * patch[2];
            float[] foreground = new float[n * voxels];
            for (int b = 0; b < n; b++) {
                System.arraycopy(all, (b * 2 + 1) * voxels, foreground, b * voxels, voxels);
            }
            return foreground;
        }
    }

    /** Copies the windows at {@code corners} out of the padded volume, one after another. */
    private float[] gather(float[] source, int[] shape, int[][] corners) {
        int voxels = patch[0] * patch[1] * patch[2];
        float[] out = new float[corners.length * voxels];
        int at = 0;
        for (int[] c : corners) {
            for (int x = 0; x < patch[0]; x++) {
                for (int y = 0; y < patch[1]; y++) {
                    System.arraycopy(source, ((c[0] + x) * shape[1] + c[1] + y) * shape[2] + c[2], out, at, patch[2]);
                    at += patch[2];
                }
            }
        }
        return out;
    }

    /** Adds each window's probabilities into the running sum at its place (float32, as the reference's score map). */
    private void scatterAdd(float[] windows, int[][] corners, float[] sum, int[] shape) {
        int at = 0;
        for (int[] c : corners) {
            for (int x = 0; x < patch[0]; x++) {
                for (int y = 0; y < patch[1]; y++) {
                    int row = ((c[0] + x) * shape[1] + c[1] + y) * shape[2] + c[2];
                    for (int z = 0; z < patch[2]; z++) {
                        sum[row + z] += windows[at++];
                    }
                }
            }
        }
    }

    /**
     * How many windows cover each position of one axis. The windows form a grid, so the number covering
     * voxel (x, y, z) is the product of the three per-axis counts; no count volume is needed.
     */
    private static int[] coverage(int size, int[] starts, int patchSide) {
        int[] count = new int[size];
        for (int s : starts) {
            for (int i = s; i < s + patchSide; i++) {
                count[i]++;
            }
        }
        return count;
    }

    /** sum / count over the unpadded region, in float32 as the reference divides. */
    private static float[] average(float[] sum, int[] padded, int[] before, int[] size, int[] cx, int[] cy, int[] cz) {
        float[] out = new float[size[0] * size[1] * size[2]];
        int at = 0;
        for (int x = 0; x < size[0]; x++) {
            int px = x + before[0];
            for (int y = 0; y < size[1]; y++) {
                int py = y + before[1];
                int row = (px * padded[1] + py) * padded[2] + before[2];
                for (int z = 0; z < size[2]; z++) {
                    out[at++] = sum[row + z] / (float) (cx[px] * cy[py] * cz[z + before[2]]);
                }
            }
        }
        return out;
    }

    /** The image zero-padded to {@code padded}, {@code before} voxels ahead on each axis; the image itself if no padding. */
    private static float[] padWithZeros(float[] image, int[] size, int[] before, int[] padded) {
        if (Arrays.equals(size, padded)) {
            return image;
        }
        float[] out = new float[padded[0] * padded[1] * padded[2]];
        for (int x = 0; x < size[0]; x++) {
            for (int y = 0; y < size[1]; y++) {
                System.arraycopy(image, (x * size[1] + y) * size[2], out,
                        ((x + before[0]) * padded[1] + y + before[1]) * padded[2] + before[2], size[2]);
            }
        }
        return out;
    }
}
