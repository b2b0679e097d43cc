package org.ducisc.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Path;
import org.ducisc.core.Device;
import org.ducisc.io.Safetensors;
import org.ducisc.io.Volume;
import org.ducisc.nn.VNet;
import org.ducisc.tensor.Rng;
import org.ducisc.tensor.Tensor;
import org.ducisc.testing.DeterministicWeights;
import org.junit.jupiter.api.Test;

/**
 * Sliding-window inference against the reference's {@code test_single_case}
 * (tests/fixtures/make_sliding_window_fixture.py): a 4-filter V-Net with formula weights on a 13x37x41
 * image, patch 16, strides 9 / 7, so W is padded (1 before, 2 after) and H and D have overlapping windows
 * with a clamped last start.
 */
class SlidingWindowTest {
    private static final double RTOL = 1e-4;
    private static final double ATOL = 1e-5;
    private static final int[] PATCH = {16, 16, 16};

    static Path fixture(String name) {
        try {
            return Path.of(SlidingWindowTest.class.getResource("/fixtures/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static VNet formulaNet() {
        VNet net = new VNet(new VNet.Config(1, 2, 4, false, true), Device.CPU, new Rng(1), new Rng(2));
        DeterministicWeights.fill(net);
        return net;
    }

    @Test
    void matchesTheReferenceForEveryWindowBatch() throws Exception {
        try (Safetensors st = Safetensors.read(fixture("sliding_window.safetensors")); VNet net = formulaNet()) {
            Volume image;
            float[] want;
            byte[] wantLabel;
            try (Tensor t = st.tensor("image"); Tensor p = st.tensor("probability"); Tensor l = st.tensor("label")) {
                long[] s = t.shape();
                image = Volume.ofFloats(new int[] {(int) s[0], (int) s[1], (int) s[2]}, t.toFloatArray());
                want = p.toFloatArray();
                wantLabel = l.toByteArray();
            }
            // 20 windows: one per pass, a batch that does not divide 20, and all at once.
            for (int batch : new int[] {1, 3, 20}) {
                net.train(true);
                Volume prob = new SlidingWindow(PATCH, 9, 7, batch).foregroundProbability(net, image);
                assertTrue(net.isTraining(), "the network's training mode must be restored");
                assertArrayEquals(image.shape(), prob.shape());
                float[] got = prob.floats();
                int bad = 0;
                for (int i = 0; i < want.length; i++) {
                    if (!(Math.abs(got[i] - want[i]) <= RTOL * Math.abs(want[i]) + ATOL)) {
                        bad++;
                    }
                }
                assertEquals(0, bad, "window batch " + batch + ": probabilities off the reference");
                byte[] label = SlidingWindow.threshold(prob, false).labels();
                int flips = 0;
                for (int i = 0; i < label.length; i++) {
                    // Only a voxel whose reference probability lies within the tolerance of 0.5 may flip.
                    boolean undecided = Math.abs(want[i] - 0.5) <= RTOL * 0.5 + ATOL;
                    if (label[i] != wantLabel[i] && !undecided) {
                        flips++;
                    }
                }
                assertEquals(0, flips, "window batch " + batch + ": label map differs from the reference");
            }
        }
    }

    @Test
    void windowStartsFollowTheReference() {
        assertArrayEquals(new int[] {0, 9, 18, 21}, SlidingWindow.starts(37, 16, 9));
        assertArrayEquals(new int[] {0, 7, 14, 21, 25}, SlidingWindow.starts(41, 16, 7));
        assertArrayEquals(new int[] {0}, SlidingWindow.starts(16, 16, 4));
        // LA: 150x150x88 with patch 112x112x80 and strides 18 / 4.
        assertArrayEquals(new int[] {0, 18, 36, 38}, SlidingWindow.starts(150, 112, 18));
        assertArrayEquals(new int[] {0, 4, 8}, SlidingWindow.starts(88, 80, 4));
    }

    @Test
    void thresholdIsStrictAndKeepsTheLargestComponentOnRequest() {
        int[] shape = {1, 1, 7};
        Volume prob = Volume.ofFloats(shape, new float[] {0.9f, 0.5f, 0.51f, 0.7f, 0.2f, 0.6f, 0.4f},
                new double[] {2, 3, 4}, null);
        Volume all = SlidingWindow.threshold(prob, false);
        assertArrayEquals(new byte[] {1, 0, 1, 1, 0, 1, 0}, all.labels());
        assertArrayEquals(new double[] {2, 3, 4}, all.spacing());
        assertArrayEquals(new byte[] {0, 0, 1, 1, 0, 0, 0}, SlidingWindow.threshold(prob, true).labels());
    }

    @Test
    void badSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new SlidingWindow(new int[] {16, 16}, 8, 8));
        assertThrows(IllegalArgumentException.class, () -> new SlidingWindow(PATCH, 17, 8));
        assertThrows(IllegalArgumentException.class, () -> new SlidingWindow(PATCH, 8, 0));
        assertThrows(IllegalArgumentException.class, () -> new SlidingWindow(PATCH, 8, 8, 0));
        try (VNet net = formulaNet()) {
            Volume image = Volume.ofFloats(new int[] {20, 20, 20}, new float[8000]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new SlidingWindow(new int[] {16, 16, 24}, 8, 8).foregroundProbability(net, image));
            assertTrue(e.getMessage().contains("24"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> new SlidingWindow(PATCH, 8, 8)
                    .foregroundProbability(net, Volume.ofLabels(new int[] {20, 20, 20}, new byte[8000])));
        }
        try (VNet threeClasses = new VNet(new VNet.Config(1, 3, 4, false, true), Device.CPU, new Rng(1), new Rng(2))) {
            Volume image = Volume.ofFloats(new int[] {20, 20, 20}, new float[8000]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new SlidingWindow(PATCH, 8, 8).foregroundProbability(threeClasses, image));
            assertTrue(e.getMessage().contains("3 classes"), e.getMessage());
        }
    }
}
