package org.ducisc.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SegmentationMetricsTest {
    private static final double TOL = 1e-6;

    @Test
    void metricsMatchScipyFixture() {
        List<MetricsFixture.MetricCase> cases = MetricsFixture.load().metricCases;
        assertTrue(cases.size() >= 8, "fixture has " + cases.size() + " cases");
        for (MetricsFixture.MetricCase c : cases) {
            CaseMetrics got = SegmentationMetrics.evaluate(c.prediction(), c.truth(), c.shape(), c.spacing());
            String where = c.name() + " " + Arrays.toString(c.shape()) + " spacing " + Arrays.toString(c.spacing());
            assertEquals(c.scipy().dice(), got.dice(), TOL, where + " dice");
            assertEquals(c.scipy().jaccard(), got.jaccard(), TOL, where + " jaccard");
            assertEquals(c.scipy().hd95(), got.hd95(), TOL, where + " hd95");
            assertEquals(c.scipy().asd(), got.asd(), TOL, where + " asd");
        }
    }

    /** Directed distances by the definition: min over the other surface, with a padded-volume surface test. */
    @Test
    void directedDistancesMatchBruteForce() {
        Random rng = new Random(11);
        int[][] shapes = {{6, 5, 7}, {1, 4, 9}, {5, 3, 1}, {3, 3, 3}};
        for (int[] shape : shapes) {
            for (double density : new double[] {0.1, 0.5, 0.9}) {
                byte[] a = randomMask(rng, shape, density);
                byte[] b = randomMask(rng, shape, density);
                a[0] = 1;
                b[b.length - 1] = 1;
                double[] spacing = {0.5 + rng.nextDouble(), 0.5 + rng.nextDouble(), 0.5 + 2 * rng.nextDouble()};
                double[] want = bruteDirected(a, b, shape, spacing);
                double[] got = SegmentationMetrics.directedSurfaceDistances(a, b, shape, spacing);
                assertArrayEquals(want, got, 1e-9, Arrays.toString(shape) + " density " + density);
            }
        }
    }

    @Test
    void emptyPredictionScoresZero() {
        int[] shape = {4, 5, 3};
        byte[] empty = new byte[60];
        byte[] truth = new byte[60];
        truth[17] = 1;
        assertEquals(CaseMetrics.ZERO, SegmentationMetrics.evaluate(empty, truth, shape));
        assertEquals(CaseMetrics.ZERO, SegmentationMetrics.evaluate(empty, empty, shape, new double[] {1, 2, 3}));
    }

    @Test
    void emptyTruthGivesZeroOverlapAndNaNDistances() {
        int[] shape = {4, 5, 3};
        byte[] prediction = new byte[60];
        prediction[17] = 1;
        prediction[18] = 1;
        CaseMetrics m = SegmentationMetrics.evaluate(prediction, new byte[60], shape);
        assertEquals(new CaseMetrics(0, 0, Double.NaN, Double.NaN, true), m);
    }

    @Test
    void anyNonZeroByteIsForeground() {
        int[] shape = {3, 4, 5};
        Random rng = new Random(5);
        byte[] a = randomMask(rng, shape, 0.5);
        byte[] b = randomMask(rng, shape, 0.5);
        byte[] a2 = a.clone();
        for (int i = 0; i < a2.length; i++) {
            a2[i] = (byte) (a2[i] * (i % 2 == 0 ? -1 : 77));
        }
        assertEquals(SegmentationMetrics.evaluate(a, b, shape), SegmentationMetrics.evaluate(a2, b, shape));
    }

    @Test
    void percentileMatchesNumpyLinear() {
        // Values from numpy 1.24: np.percentile(x, 95).
        assertEquals(3.8499999999999996, SegmentationMetrics.percentileOfSorted(new double[] {1, 2, 3, 4}, 95), 0);
        assertEquals(9.5, SegmentationMetrics.percentileOfSorted(new double[] {0, 10}, 95), 0);
        double[] x = {0.1, 0.7, 0.2, 5.3, 2.2, 1.9, 0.3};
        Arrays.sort(x);
        assertEquals(4.369999999999997, SegmentationMetrics.percentileOfSorted(x, 95), 1e-15);
        assertEquals(3.0, SegmentationMetrics.percentileOfSorted(new double[] {3}, 95), 0);
    }

    @Test
    void summaryUsesPopulationStd() {
        List<CaseMetrics> cases = new ArrayList<>();
        for (int i = 1; i <= 4; i++) {
            cases.add(new CaseMetrics(i, 2 * i, 0.5, -i));
        }
        MetricSummary s = MetricSummary.of(cases);
        assertEquals(4, s.cases());
        assertEquals(new CaseMetrics(2.5, 5, 0.5, -2.5), s.mean());
        assertEquals(1.118033988749895, s.std().dice(), 1e-15);
        assertEquals(2 * 1.118033988749895, s.std().jaccard(), 1e-15);
        assertEquals(0.0, s.std().hd95(), 0);
        cases.add(new CaseMetrics(0, 0, Double.NaN, Double.NaN));
        assertTrue(Double.isNaN(MetricSummary.of(cases).mean().hd95()));
        assertThrows(IllegalArgumentException.class, () -> MetricSummary.of(List.of()));
    }

    @Test
    void badArgumentsNameTheOp() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SegmentationMetrics.evaluate(new byte[10], new byte[12], new int[] {2, 2, 3}));
        assertTrue(e.getMessage().contains("SegmentationMetrics") && e.getMessage().contains("[2, 2, 3]"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> SegmentationMetrics.evaluate(new byte[12], new byte[12], new int[] {2, 6}));
        assertThrows(IllegalArgumentException.class,
                () -> SegmentationMetrics.evaluate(new byte[12], new byte[12], new int[] {2, 2, 3},
                        new double[] {1, 0, 1}));
    }

    static byte[] randomMask(Random rng, int[] shape, double density) {
        byte[] m = new byte[shape[0] * shape[1] * shape[2]];
        for (int i = 0; i < m.length; i++) {
            m[i] = rng.nextDouble() < density ? (byte) 1 : (byte) 0;
        }
        return m;
    }

    private static double[] bruteDirected(byte[] a, byte[] b, int[] shape, double[] spacing) {
        boolean[] sa = bruteSurface(a, shape);
        boolean[] sb = bruteSurface(b, shape);
        int nz = shape[2];
        int ny = shape[1];
        List<Double> out = new ArrayList<>();
        for (int i = 0; i < a.length; i++) {
            if (!sa[i]) {
                continue;
            }
            double best = Double.POSITIVE_INFINITY;
            for (int j = 0; j < b.length; j++) {
                if (sb[j]) {
                    double dx = (i / (ny * nz) - j / (ny * nz)) * spacing[0];
                    double dy = (i / nz % ny - j / nz % ny) * spacing[1];
                    double dz = (i % nz - j % nz) * spacing[2];
                    best = Math.min(best, Math.sqrt(dx * dx + dy * dy + dz * dz));
                }
            }
            out.add(best);
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** Erosion on a copy padded with one layer of background, as SciPy's border_value=0 implies. */
    private static boolean[] bruteSurface(byte[] m, int[] shape) {
        int px = shape[0] + 2;
        int py = shape[1] + 2;
        int pz = shape[2] + 2;
        boolean[] padded = new boolean[px * py * pz];
        for (int x = 0; x < shape[0]; x++) {
            for (int y = 0; y < shape[1]; y++) {
                for (int z = 0; z < shape[2]; z++) {
                    padded[((x + 1) * py + y + 1) * pz + z + 1] = m[(x * shape[1] + y) * shape[2] + z] != 0;
                }
            }
        }
        int[] steps = {py * pz, -py * pz, pz, -pz, 1, -1};
        boolean[] out = new boolean[m.length];
        for (int x = 0; x < shape[0]; x++) {
            for (int y = 0; y < shape[1]; y++) {
                for (int z = 0; z < shape[2]; z++) {
                    int p = ((x + 1) * py + y + 1) * pz + z + 1;
                    boolean eroded = padded[p];
                    for (int s : steps) {
                        eroded &= padded[p + s];
                    }
                    out[(x * shape[1] + y) * shape[2] + z] = padded[p] && !eroded;
                }
            }
        }
        return out;
    }
}
