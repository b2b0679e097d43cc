package org.ducisc.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DistanceTransformTest {
    @Test
    void matchesScipyFixture() {
        for (MetricsFixture.EdtCase c : MetricsFixture.load().edtCases) {
            double[] got = DistanceTransform.euclidean(c.mask(), c.shape(), c.spacing());
            assertClose(c.scipy(), got, 1e-9, c.name() + " " + Arrays.toString(c.shape()));
        }
    }

    @Test
    void matchesBruteForceOnRandomVolumes() {
        Random rng = new Random(3);
        int[][] shapes = {{7, 5, 9}, {1, 6, 4}, {5, 1, 1}, {1, 1, 8}, {9, 8, 3}, {4, 11, 2}};
        for (int[] shape : shapes) {
            // Dense masks leave few features, so the parabola envelope spans long runs of infinite lines.
            for (double density : new double[] {0.3, 0.8, 0.97, 1.0}) {
                byte[] mask = SegmentationMetricsTest.randomMask(rng, shape, density);
                double[] spacing = {0.3 + 2 * rng.nextDouble(), 0.3 + 2 * rng.nextDouble(), 0.3 + 2 * rng.nextDouble()};
                double[] got = DistanceTransform.euclidean(mask, shape, spacing);
                assertClose(brute(mask, shape, spacing), got, 1e-9,
                        Arrays.toString(shape) + " density " + density + " spacing " + Arrays.toString(spacing));
            }
        }
    }

    @Test
    void singleFeatureAndNoFeature() {
        int[] shape = {6, 7, 5};
        byte[] mask = new byte[6 * 7 * 5];
        Arrays.fill(mask, (byte) 1);
        double[] none = DistanceTransform.euclidean(mask, shape, null);
        assertTrue(Arrays.stream(none).allMatch(v -> v == Double.POSITIVE_INFINITY));
        mask[0] = 0;
        double[] spacing = {0.625, 0.625, 2.5};
        double[] d = DistanceTransform.euclidean(mask, shape, spacing);
        assertEquals(Math.hypot(Math.hypot(5 * 0.625, 6 * 0.625), 4 * 2.5), d[d.length - 1], 1e-12);
    }

    private static double[] brute(byte[] mask, int[] shape, double[] spacing) {
        int ny = shape[1];
        int nz = shape[2];
        double[] out = new double[mask.length];
        for (int i = 0; i < mask.length; i++) {
            double best = Double.POSITIVE_INFINITY;
            for (int j = 0; j < mask.length; j++) {
                if (mask[j] == 0) {
                    double dx = (i / (ny * nz) - j / (ny * nz)) * spacing[0];
                    double dy = (i / nz % ny - j / nz % ny) * spacing[1];
                    double dz = (i % nz - j % nz) * spacing[2];
                    best = Math.min(best, dx * dx + dy * dy + dz * dz);
                }
            }
            out[i] = Math.sqrt(best);
        }
        return out;
    }

    /** Equal infinities pass; otherwise |want - got| <= tol, reporting the first few mismatches with indices. */
    static void assertClose(double[] want, double[] got, double tol, String where) {
        assertEquals(want.length, got.length, where + " length");
        StringBuilder bad = new StringBuilder();
        int count = 0;
        for (int i = 0; i < want.length; i++) {
            boolean ok = want[i] == got[i] || Math.abs(want[i] - got[i]) <= tol;
            if (!ok && count++ < 5) {
                bad.append(" [").append(i).append("] want ").append(want[i]).append(" got ").append(got[i]);
            }
        }
        assertEquals(0, count, where + ": " + count + " mismatches" + bad);
    }
}
