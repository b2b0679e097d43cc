package org.ducisc.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.ducisc.core.Device;
import org.ducisc.io.Volume;
import org.ducisc.nn.Predictor;
import org.ducisc.nn.VNet;
import org.ducisc.tensor.Rng;
import org.ducisc.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The sliding window as MONAI's {@code sliding_window_inference} is used: with a fake predictor it must be
 * handed exactly the windows the reference cuts (zero padding split pad // 2 before, starts
 * min(stride * k, size - patch), x then y then z, {@code windowBatch} at a time), on the device it was given,
 * and return the average of the predictor's softmax foreground over the windows covering each voxel. Odd,
 * non-cubic sizes: 37 x 23 x 11 voxels, patch 16 x 12 x 16 (D padded 2 before and 3 after), strides 7 / 5,
 * 12 windows sent 5, 5 and 2 at a time.
 */
class SlidingWindowPredictorTest {
    private static final int[] SIZE = {37, 23, 11};
    private static final int[] PATCH = {16, 12, 16};
    private static final int STRIDE_XY = 7;
    private static final int STRIDE_Z = 5;
    private static final int BATCH = 5;

    /** One call of the fake predictor: the windows' shape, voxels and device. */
    private record Call(long[] shape, float[] windows, Device device) {
    }

    /** Logits (N, 2, W, H, D) with background 0 and foreground the window's voxel: softmax foreground = sigmoid(voxel). */
    private static Tensor sigmoidLogits(Tensor windows) {
        float[] x = windows.toFloatArray();
        long[] s = windows.shape();
        int n = (int) s[0];
        int voxels = x.length / n;
        float[] logits = new float[2 * x.length];
        for (int b = 0; b < n; b++) {
            System.arraycopy(x, b * voxels, logits, (2 * b + 1) * voxels, voxels);
        }
        return Tensor.of(windows.device(), logits, n, 2, s[2], s[3], s[4]);
    }

    private static Volume randomImage(long seed) {
        return randomImage(SIZE, seed);
    }

    private static Volume randomImage(int[] size, long seed) {
        System.out.println("SlidingWindowPredictorTest seed " + seed);
        Random r = new Random(seed);
        float[] v = new float[size[0] * size[1] * size[2]];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (2 * r.nextGaussian());
        }
        return Volume.ofFloats(size.clone(), v);
    }

    /** Window starts along one axis, written out from the reference's loop (not {@link SlidingWindow#starts}). */
    private static List<Integer> referenceStarts(int size, int patch, int stride) {
        List<Integer> s = new ArrayList<>();
        int steps = (int) Math.ceil((size - patch) / (double) stride) + 1;
        for (int k = 0; k < steps; k++) {
            s.add(Math.min(stride * k, size - patch));
        }
        return s;
    }

    @Test
    void thePredictorGetsTheReferenceWindowsAndItsOutputIsAveraged() {
        Volume image = randomImage(20261129L);
        float[] img = image.floats();
        int[] before = new int[3];
        int[] padded = new int[3];
        for (int a = 0; a < 3; a++) {
            int pad = Math.max(PATCH[a] - SIZE[a], 0);
            before[a] = pad / 2;
            padded[a] = SIZE[a] + pad;
        }
        List<int[]> corners = new ArrayList<>();
        for (int x : referenceStarts(padded[0], PATCH[0], STRIDE_XY)) {
            for (int y : referenceStarts(padded[1], PATCH[1], STRIDE_XY)) {
                for (int z : referenceStarts(padded[2], PATCH[2], STRIDE_Z)) {
                    corners.add(new int[] {x, y, z});
                }
            }
        }
        assertEquals(12, corners.size(), "4 x 3 x 1 windows");

        List<Call> calls = new ArrayList<>();
        Predictor fake = windows -> {
            calls.add(new Call(windows.shape(), windows.toFloatArray(), windows.device()));
            return sigmoidLogits(windows);
        };
        float[] got = new SlidingWindow(PATCH, STRIDE_XY, STRIDE_Z, BATCH).foregroundProbability(fake, Device.CPU, image)
                .floats();

        // The calls: batches of 5, 5, 2 windows of the zero-padded image, in x, y, z order, on the given device.
        assertEquals(3, calls.size());
        double[] sum = new double[padded[0] * padded[1] * padded[2]];
        int[] count = new int[sum.length];
        int w = 0;
        for (Call call : calls) {
            int n = Math.min(BATCH, corners.size() - w);
            assertArrayEquals(new long[] {n, 1, PATCH[0], PATCH[1], PATCH[2]}, call.shape());
            assertEquals(Device.CPU, call.device());
            int at = 0;
            for (int b = 0; b < n; b++, w++) {
                int[] c = corners.get(w);
                for (int x = 0; x < PATCH[0]; x++) {
                    for (int y = 0; y < PATCH[1]; y++) {
                        for (int z = 0; z < PATCH[2]; z++, at++) {
                            int px = c[0] + x;
                            int py = c[1] + y;
                            int pz = c[2] + z;
                            int ix = px - before[0];
                            int iy = py - before[1];
                            int iz = pz - before[2];
                            boolean inside = ix >= 0 && ix < SIZE[0] && iy >= 0 && iy < SIZE[1] && iz >= 0 && iz < SIZE[2];
                            float want = inside ? img[(ix * SIZE[1] + iy) * SIZE[2] + iz] : 0f;
                            assertEquals(want, call.windows()[at], "window " + w + " voxel " + Arrays.toString(
                                    new int[] {x, y, z}));
                            int p = (px * padded[1] + py) * padded[2] + pz;
                            sum[p] += 1 / (1 + Math.exp(-want));
                            count[p]++;
                        }
                    }
                }
            }
        }
        assertEquals(corners.size(), w, "every window sent exactly once");

        // The result: the average over the covering windows, cropped to the image.
        int bad = 0;
        for (int x = 0; x < SIZE[0]; x++) {
            for (int y = 0; y < SIZE[1]; y++) {
                for (int z = 0; z < SIZE[2]; z++) {
                    int p = ((x + before[0]) * padded[1] + y + before[1]) * padded[2] + z + before[2];
                    assertTrue(count[p] > 0, "voxel not covered");
                    double want = sum[p] / count[p];
                    if (!(Math.abs(got[(x * SIZE[1] + y) * SIZE[2] + z] - want) <= 1e-6)) {
                        bad++;
                    }
                }
            }
        }
        assertEquals(0, bad, "voxels off the average of the predictor's foreground");
    }

    @Test
    void logitsOfAnotherShapeAreRefused() {
        Volume image = randomImage(7L);
        Predictor threeClasses = windows -> {
            long[] s = windows.shape();
            return Tensor.zeros(windows.device(), s[0], 3, s[2], s[3], s[4]);
        };
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SlidingWindow(PATCH, STRIDE_XY, STRIDE_Z, BATCH).foregroundProbability(threeClasses, Device.CPU,
                        image));
        assertTrue(e.getMessage().contains("3 classes") && e.getMessage().contains("[5, 3, 16, 12, 16]"), e.getMessage());
    }

    @Test
    void aVNetIsAPredictorOnItsOwnDevice() {
        try (VNet net = new VNet(new VNet.Config(1, 2, 2, false, true), Device.CPU, new Rng(1), new Rng(2))) {
            assertEquals(Device.CPU, net.device());
            net.children().values().forEach(m -> assertEquals(Device.CPU, m.device()));
            Volume image = randomImage(new int[] {17, 16, 19}, 3L);
            SlidingWindow window = new SlidingWindow(new int[] {16, 16, 16}, 16, 16, 2);
            net.train(true);
            float[] viaModule = window.foregroundProbability(net, image).floats();
            assertTrue(net.isTraining(), "the predictor restores the training mode");
            float[] viaPredictor = window.foregroundProbability((Predictor) net, net.device(), image).floats();
            assertArrayEquals(viaModule, viaPredictor);
        }
    }
}
