package org.ducisc.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.ducisc.cli.Main;
import org.ducisc.io.CaseData;
import org.ducisc.io.Fixtures;
import org.ducisc.tensor.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** prepare-la on raw NRRD cases written here, checked against the rule of the method page. */
class LaPreparationTest {
    @TempDir
    Path tmp;

    private interface VoxelValue {
        int apply(int i, int j, int k);
    }

    /** A uchar gzip NRRD of shape (nx, ny, nz) whose voxel (i, j, k) is value(i, j, k). */
    private static void writeNrrd(Path file, int nx, int ny, int nz, VoxelValue value)
            throws IOException {
        Files.createDirectories(file.getParent());
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        for (int k = 0; k < nz; k++) {
            for (int j = 0; j < ny; j++) {
                for (int i = 0; i < nx; i++) {
                    raw.write(value.apply(i, j, k));
                }
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(("NRRD0004\ntype: unsigned char\ndimension: 3\nsizes: " + nx + " " + ny + " " + nz
                + "\nencoding: gzip\n\n").getBytes(StandardCharsets.US_ASCII));
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(raw.toByteArray());
        }
        Files.write(file, out.toByteArray());
    }


    @Test
    void cropsAroundLabelZScoresAndWritesLists() throws IOException {
        int nx = 150, ny = 140, nz = 9;
        Path raw = tmp.resolve("raw");
        for (String c : new String[] {"caseB", "caseA"}) {
            writeNrrd(raw.resolve(c).resolve("lgemri.nrrd"), nx, ny, nz, (i, j, k) -> (i * 7 + j * 3 + k * 11) % 200);
            // Label box x 70..79, y 40..49 (so the crop is driven by the 112 patch shortfall).
            writeNrrd(raw.resolve(c).resolve("laendo.nrrd"), nx, ny, nz,
                    (i, j, k) -> i >= 70 && i < 80 && j >= 40 && j < 50 && k >= 2 ? 255 : (i == 0 ? 254 : 0));
        }
        Path out = tmp.resolve("LA");
        Files.createDirectories(out);
        Files.writeString(out.resolve("test.list"), "kept\n");
        var done = LaPreparation.prepareAll(raw, out, 5, p -> {});
        Rng rng = new Rng(5);
        for (var p : done) {
            // Reference: px = (112 - (79 - 70)) // 2 = 51; lo = max(70 - r - 51, 0); hi = min(79 + r + 51, 150).
            int[] m = new int[6];
            for (int d = 0; d < 6; d++) {
                m[d] = 10 + rng.nextInt(10);
            }
            int x0 = Math.max(70 - m[0] - 51, 0), x1 = Math.min(79 + m[1] + 51, nx);
            int y0 = Math.max(40 - m[2] - 51, 0), y1 = Math.min(49 + m[3] + 51, ny);
            assertArrayEquals(new int[] {x1 - x0, y1 - y0, nz}, p.shape(), p.name());
            CaseData c = Dataset.open("LA", tmp).read(p.name());
            assertEquals(10 * 10 * 7, Fixtures.sum(c.label()), "label = laendo == 255 (254 is not)");
            assertEquals(1, c.label().get(70 - x0, 40 - y0, 2));
            // z-scored over the whole volume before cropping: compare one voxel with the formula.
            double sum = 0, sq = 0;
            int n = nx * ny * nz;
            for (int k = 0; k < nz; k++) for (int j = 0; j < ny; j++) for (int i = 0; i < nx; i++) sum += (i * 7 + j * 3 + k * 11) % 200;
            double mean = sum / n;
            for (int k = 0; k < nz; k++) for (int j = 0; j < ny; j++) for (int i = 0; i < nx; i++) sq += Math.pow((i * 7 + j * 3 + k * 11) % 200 - mean, 2);
            double std = Math.sqrt(sq / n);
            int i = x0 + 3, j = y0 + 5, k = 4;
            assertEquals((float) ((((i * 7 + j * 3 + k * 11) % 200) - mean) / std), c.image().get(3, 5, 4), 0);
        }
        assertEquals("caseA\ncaseB\n", Files.readString(out.resolve("train.list")), "80% of 2 rounds to 2");
        assertEquals("kept\n", Files.readString(out.resolve("test.list")), "an existing list is kept");
    }

    @Test
    void cliReportsBadInputOnOneLineWithoutPartialOutput() throws IOException {
        Path raw = tmp.resolve("raw");
        writeNrrd(raw.resolve("c1").resolve("lgemri.nrrd"), 20, 20, 4, (i, j, k) -> i + j);
        Files.writeString(raw.resolve("c1").resolve("laendo.nrrd"), "NRRD0004\ntype: uchar\ndimension: 3\n"
                + "sizes: 20 20 4\nencoding: raw\n\nshort");
        Path out = tmp.resolve("out");
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.run("prepare-la", "--raw", raw.toString(), "--out", out.toString());
        } finally {
            System.setErr(old);
        }
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, code);
        assertEquals(1, text.lines().count(), text);
        assertTrue(text.startsWith("ducisc: ") && text.contains("laendo.nrrd") && text.contains("truncated"), text);
        assertFalse(Files.exists(out.resolve("2018LA_Seg_TrainingSet/c1/mri_norm2.h5")));
    }

    @Test
    void aFailingCaseLeavesNoOutputsBehind() throws IOException {
        Path raw = tmp.resolve("raw");
        for (String c : new String[] {"caseA", "caseB"}) {
            writeNrrd(raw.resolve(c).resolve("lgemri.nrrd"), 40, 30, 5, (i, j, k) -> (i + j + k) % 50);
            writeNrrd(raw.resolve(c).resolve("laendo.nrrd"), 40, 30, 5, (i, j, k) -> c.equals("caseA") && i == 20 ? 255 : 0);
        }
        Path out = tmp.resolve("out");
        org.ducisc.io.VolumeFormatException e = org.junit.jupiter.api.Assertions.assertThrows(org.ducisc.io.VolumeFormatException.class,
                () -> LaPreparation.prepareAll(raw, out, 1, p -> { }));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("caseB"), e.getMessage());
        org.junit.jupiter.api.Assertions.assertFalse(Files.exists(out), "caseA's file or an empty folder was left behind");
    }
}
