package org.ducisc.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.ducisc.io.CaseData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The phantom: layout, determinism, and that it is a task (a plausible target, look-alikes, z-scored). */
class PhantomTest {
    private static final int[] SIZE = {48, 44, 32};

    @TempDir
    Path tmp;

    @Test
    void writesLaLayoutDeterministically() throws IOException {
        List<String> names = Phantom.writeDataset(tmp.resolve("a"), 5, 7, SIZE);
        Phantom.writeDataset(tmp.resolve("b"), 5, 7, SIZE);
        Dataset d = Dataset.open("LA", tmp.resolve("a"));
        assertEquals(names.subList(0, 4), d.trainCases());
        assertEquals(names.subList(4, 5), d.testCases());
        for (String n : names) {
            Path rel = Path.of("LA", "2018LA_Seg_TrainingSet", n, "mri_norm2.h5");
            assertArrayEquals(Files.readAllBytes(tmp.resolve("a").resolve(rel)), Files.readAllBytes(tmp.resolve("b").resolve(rel)),
                    "same seed, same bytes: " + n);
        }
        CaseData c = d.read(names.get(0));
        assertArrayEquals(SIZE, c.image().shape());
        CaseData other = Phantom.generate(0, 8, SIZE);
        assertFalse(java.util.Arrays.equals(c.image().floats(), other.image().floats()), "another seed differs");
    }

    @Test
    void casesAreZScoredWithAPlausibleTargetAndUnlabeledLookAlikes() {
        double minFrac = 1, maxFrac = 0;
        for (int i = 0; i < 4; i++) {
            CaseData c = Phantom.generate(i, 3, SIZE);
            float[] x = c.image().floats();
            byte[] y = c.label().labels();
            double sum = 0, sq = 0, in = 0, inSum = 0, brightOutside = 0;
            for (int n = 0; n < x.length; n++) {
                sum += x[n];
                sq += (double) x[n] * x[n];
                if (y[n] != 0) {
                    in++;
                    inSum += x[n];
                }
            }
            double mean = sum / x.length;
            assertEquals(0, mean, 1e-4);
            assertEquals(1, Math.sqrt(sq / x.length - mean * mean), 1e-3);
            double frac = in / x.length;
            minFrac = Math.min(minFrac, frac);
            maxFrac = Math.max(maxFrac, frac);
            double inMean = inSum / in;
            for (int n = 0; n < x.length; n++) {
                if (y[n] == 0 && x[n] > inMean) {
                    brightOutside++;
                }
            }
            assertTrue(frac > 0.01 && frac < 0.2, "label fraction " + frac);
            assertTrue(inMean > 1, "the target is bright: " + inMean);
            // Look-alikes: a good share of target-bright voxels lie outside the label.
            assertTrue(brightOutside > 0.3 * in / 2, "bright unlabeled voxels " + brightOutside + " vs labeled " + in);
        }
        assertTrue(maxFrac > 1.3 * minFrac, "target size varies: " + minFrac + ".." + maxFrac);
    }

    @Test
    void previewIsAPng() throws IOException {
        Path png = tmp.resolve("p.png");
        Phantom.writePreview(png, Phantom.generate(0, 1, SIZE));
        byte[] b = Files.readAllBytes(png);
        assertEquals((byte) 0x89, b[0]);
        assertEquals('P', b[1]);
    }
}
