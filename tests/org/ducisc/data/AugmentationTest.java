package org.ducisc.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.ducisc.io.CaseData;
import org.ducisc.io.Volume;
import org.ducisc.tensor.Rng;
import org.junit.jupiter.api.Test;

/** The training transforms against numpy's rot90 / flip / pad / crop (tests/fixtures/make_augment_fixture.py). */
class AugmentationTest {

    @Test
    void matchesNumpyForEveryRotationFlipAndPadding() throws IOException {
        Map<String, String[]> f = fixture();
        int cases = Integer.parseInt(f.get("cases")[0]);
        for (int n = 0; n < cases; n++) {
            String p = "case" + n + ".";
            int[] shape = ints(f.get(p + "shape"));
            int[] patch = ints(f.get(p + "patch"));
            int k = ints(f.get(p + "k"))[0];
            int axis = ints(f.get(p + "axis"))[0];
            String what = "case " + n + " shape " + java.util.Arrays.toString(shape) + " patch "
                    + java.util.Arrays.toString(patch) + " k " + k + " axis " + axis;
            assertArrayEquals(ints(f.get(p + "pad")), Augmentation.padding(Augmentation.rotatedShape(shape, k), patch), what);
            Volume image = Volume.ofFloats(shape, floats(f.get(p + "src_image")));
            Volume label = Volume.ofLabels(shape, bytes(f.get(p + "src_label")));
            Augmentation aug = new Augmentation(patch, axis >= 0);
            Augmentation.Draw draw = new Augmentation.Draw(k, axis, ints(f.get(p + "corner")));
            CaseData out = aug.apply(new CaseData("c", image, label), draw);
            assertArrayEquals(patch, out.image().shape(), what);
            assertArrayEquals(floats(f.get(p + "image")), out.image().floats(), what);
            assertArrayEquals(bytes(f.get(p + "label")), out.label().labels(), what);
        }
    }

    @Test
    void paddingRuleFloorsLikePythonAndPadsEveryAxisOnceOneSideIsShort() {
        assertArrayEquals(new int[] {0, 0, 0}, Augmentation.padding(new int[] {113, 140, 81}, new int[] {112, 112, 80}));
        // one side equal to the patch pads all axes; a longer side gets max(negative, 0) = 0 or the +3 margin
        assertArrayEquals(new int[] {3, 0, 0}, Augmentation.padding(new int[] {10, 20, 30}, new int[] {10, 5, 5}));
        // (10 - 11) // 2 + 3 = -1 + 3 = 2 (floor division), (5 - 4) // 2 + 3 = 3
        assertArrayEquals(new int[] {2, 3, 0}, Augmentation.padding(new int[] {11, 4, 30}, new int[] {10, 5, 5}));
        assertArrayEquals(new int[] {7, 6, 5}, Augmentation.padding(new int[] {3, 5, 2}, new int[] {11, 11, 6}));
    }

    @Test
    void drawsInTheReferenceOrderFromTheGivenRng() {
        int[] shape = {9, 7, 6};
        int[] patch = {4, 5, 4};
        Augmentation.Draw d = new Augmentation(patch, true).draw(shape, new Rng(42));
        Rng r = new Rng(42);
        int k = r.nextInt(4);
        int axis = r.nextInt(2);
        int[] rs = Augmentation.rotatedShape(shape, k);
        int[] corner = {r.nextInt(rs[0] - patch[0]), r.nextInt(rs[1] - patch[1]), r.nextInt(rs[2] - patch[2])};
        assertEquals(new Augmentation.Draw(k, axis, corner), d);

        Augmentation.Draw crop = new Augmentation(patch, false).draw(shape, new Rng(42));
        Rng r2 = new Rng(42);
        assertEquals(new Augmentation.Draw(0, -1, new int[] {r2.nextInt(5), r2.nextInt(2), r2.nextInt(2)}), crop);
    }

    @Test
    void drawsCoverEveryChoiceAndNeverTheExcludedLastCorner() {
        int[] shape = {8, 5, 3};
        int[] patch = {4, 4, 4}; // z is short: every axis padded, each by its own amount
        Augmentation aug = new Augmentation(patch, true);
        Rng rng = new Rng(7);
        int[][] seen = new int[4][2];
        int[][] maxCorner = new int[2][3];
        for (int i = 0; i < 4000; i++) {
            Augmentation.Draw d = aug.draw(shape, rng);
            seen[d.k()][d.flipAxis()]++;
            int[] r = Augmentation.rotatedShape(shape, d.k());
            int[] pad = Augmentation.padding(r, patch);
            for (int a = 0; a < 3; a++) {
                int range = r[a] + 2 * pad[a] - patch[a];
                assertTrue(d.corner()[a] >= 0 && d.corner()[a] < range, d + " outside [0, " + range + ")");
                maxCorner[d.k() & 1][a] = Math.max(maxCorner[d.k() & 1][a], d.corner()[a]);
            }
        }
        for (int[] row : seen) {
            for (int count : row) {
                assertTrue(count > 350, "every (k, axis) about 1/8 of the draws: " + java.util.Arrays.deepToString(seen));
            }
        }
        // even k: pads (4-8)//2+3 = 1, (4-5)//2+3 = 2, (4-3)//2+3 = 3 -> padded 10, 9, 9, ranges 6, 5, 5,
        // so the largest corners drawn are 5, 4, 4 (the range's upper end is excluded)
        assertArrayEquals(new int[] {5, 4, 4}, maxCorner[0]);
        // odd k: rotated 5, 8, 3 -> pads 2, 1, 3 -> padded 9, 10, 9
        assertArrayEquals(new int[] {4, 5, 4}, maxCorner[1]);
    }

    @Test
    void aCaseLargerThanThePatchIsCroppedWithoutZeros() {
        int[] shape = {13, 11, 9};
        float[] v = new float[13 * 11 * 9];
        for (int i = 0; i < v.length; i++) {
            v[i] = 1 + i;
        }
        Volume image = Volume.ofFloats(shape, v);
        Augmentation aug = new Augmentation(new int[] {5, 6, 7}, true);
        Rng rng = new Rng(3);
        for (int t = 0; t < 50; t++) {
            Volume out = aug.apply(image, aug.draw(shape, rng));
            for (float x : out.floats()) {
                assertTrue(x >= 1, "no padding when every side is larger than the patch");
            }
        }
    }

    @Test
    void withoutPaddingOnlyLargerVolumesFitAndNoZeroIsAdded() {
        int[] patch = {5, 6, 7};
        Augmentation noPad = new Augmentation(patch, true, false);
        assertTrue(noPad.fits(new int[] {7, 7, 8}));
        assertFalse(noPad.fits(new int[] {6, 7, 7}), "D equals the patch side: no corner to draw from [0, 0)");
        assertFalse(noPad.fits(new int[] {6, 7, 8}), "rot90 puts W = 6 against the patch's second side, 6");
        assertTrue(new Augmentation(patch, false, false).fits(new int[] {6, 7, 8}), "no rotation: each side against its own");
        assertTrue(new Augmentation(patch, true).fits(new int[] {2, 2, 2}), "with padding anything fits");
        int[] shape = {7, 7, 8};
        float[] v = new float[7 * 7 * 8];
        for (int i = 0; i < v.length; i++) {
            v[i] = 1 + i;
        }
        Volume image = Volume.ofFloats(shape, v);
        Rng rng = new Rng(5);
        for (int t = 0; t < 30; t++) {
            Augmentation.Draw d = noPad.draw(shape, rng);
            for (float x : noPad.apply(image, d).floats()) {
                assertTrue(x >= 1, "no zero padding: " + d);
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> noPad.draw(new int[] {6, 7, 7}, new Rng(1)));
        assertTrue(e.getMessage().contains("without padding"), e.getMessage());
    }

    @Test
    void rejectsBadDrawsAndShapes() {
        assertThrows(IllegalArgumentException.class, () -> new Augmentation.Draw(4, 0, new int[3]));
        assertThrows(IllegalArgumentException.class, () -> new Augmentation.Draw(1, -1, new int[3]));
        assertThrows(IllegalArgumentException.class, () -> new Augmentation.Draw(0, 2, new int[3]));
        assertThrows(IllegalArgumentException.class, () -> new Augmentation(new int[] {4, 0, 4}, false));
        Augmentation aug = new Augmentation(new int[] {3, 3, 3}, false);
        Volume v = Volume.ofFloats(new int[] {5, 5, 5}, new float[125]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> aug.apply(v, new Augmentation.Draw(0, -1, new int[] {0, 3, 0})));
        assertTrue(e.getMessage().contains("[0, 3, 0]") && e.getMessage().contains("[5, 5, 5]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> aug.applyInto(v, new Augmentation.Draw(0, -1, new int[3]), new byte[27], 0));
        assertThrows(IllegalArgumentException.class, () -> aug.applyInto(v, new Augmentation.Draw(0, -1, new int[3]), new float[30], 4));
    }

    // ---- the fixture: "key = values" lines ----

    private static Map<String, String[]> fixture() throws IOException {
        Path file;
        try {
            file = Path.of(AugmentationTest.class.getResource("/fixtures/augment/expected.txt").toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("fixture missing: run tests/fixtures/make_augment_fixture.py", e);
        }
        Map<String, String[]> m = new HashMap<>();
        for (String line : Files.readAllLines(file)) {
            int eq = line.indexOf(" = ");
            if (eq > 0) {
                m.put(line.substring(0, eq).trim(), line.substring(eq + 3).trim().split("\\s+"));
            }
        }
        return m;
    }

    private static int[] ints(String[] s) {
        int[] v = new int[s.length];
        for (int i = 0; i < s.length; i++) {
            v[i] = Integer.parseInt(s[i]);
        }
        return v;
    }

    private static float[] floats(String[] s) {
        float[] v = new float[s.length];
        for (int i = 0; i < s.length; i++) {
            v[i] = (float) Double.parseDouble(s[i]);
        }
        return v;
    }

    private static byte[] bytes(String[] s) {
        byte[] v = new byte[s.length];
        for (int i = 0; i < s.length; i++) {
            v[i] = (byte) Integer.parseInt(s[i]);
        }
        return v;
    }
}
