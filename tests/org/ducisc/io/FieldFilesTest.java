package org.ducisc.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files as the field writes them (issues 14.3 and 15), made by tests/fixtures/make_input_fixtures.py
 * with nibabel and h5py, read to the values those libraries give.
 */
class FieldFilesTest {
    private static final int[] SHAPE = {9, 7, 5};

    @TempDir
    Path tmp;

    static Path file(String name) {
        try {
            return Path.of(FieldFilesTest.class.getResource("/fixtures/data/input/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("fixture " + name + " missing: run tests/fixtures/make_input_fixtures.py", e);
        }
    }

    static double[] expected(String key) throws IOException {
        Map<String, double[]> m = new HashMap<>();
        for (String line : Files.readAllLines(file("expected.txt"))) {
            int eq = line.indexOf(" = ");
            m.put(line.substring(0, eq), Arrays.stream(line.substring(eq + 3).trim().split("\\s+"))
                    .mapToDouble(Double::parseDouble).toArray());
        }
        return m.get(key);
    }

    private static void assertAffine(double[] want, double[][] got, String what) {
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < 4; c++) {
                assertEquals(want[4 * r + c], got[r][c], 1e-5, what + "[" + r + "][" + c + "]");
            }
        }
    }

    @Test
    void niftiOutputKeepsBothFormsAndTheirCodes() throws IOException {
        Path in = file("twoforms.nii");
        Volume image = Nifti.read(in);
        assertAffine(expected("twoforms.sform"), image.affine(), "input sform");
        for (String name : new String[] {"pred.nii.gz", "pred.nii"}) {
            Path out = tmp.resolve(name);
            byte[] labels = new byte[image.numel()];
            labels[3] = 1;
            Nifti.write(out, image.withLabels(labels));
            Nifti.write(tmp.resolve("prob-" + name), image.withFloats(new float[image.numel()]));
            for (Path written : new Path[] {out, tmp.resolve("prob-" + name)}) {
                ByteBuffer h = header(written);
                assertEquals(1, h.getShort(252), written + ": qform_code");
                assertEquals(2, h.getShort(254), written + ": sform_code");
                assertAffine(expected("twoforms.sform"), Nifti.read(written).affine(), written + " sform");
                // With the sform code cleared, the reader falls back to the qform: it must be the input's.
                byte[] raw = plain(written);
                raw[254] = 0;
                raw[255] = 0;
                Path qOnly = tmp.resolve("qonly.nii");
                Files.write(qOnly, raw);
                assertAffine(expected("twoforms.qform"), Nifti.read(qOnly).affine(), written + " qform");
            }
        }
    }

    private static ByteBuffer header(Path nii) throws IOException {
        return ByteBuffer.wrap(plain(nii), 0, 348).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static byte[] plain(Path nii) throws IOException {
        byte[] b = Files.readAllBytes(nii);
        if (FileBytes.isGzip(b)) {
            try (var in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(b))) {
                return in.readAllBytes();
            }
        }
        return b;
    }

    @Test
    void niftiLabelsAreDecodedLikeImages() throws IOException {
        Volume truth = Nifti.readLabels(file("label_truth.nii"));
        Volume scaled = Nifti.readLabels(file("label_scaled.nii"));
        assertEquals(expected("label.sum")[0], Fixtures.sum(truth), 0);
        assertArrayEquals(truth.labels(), scaled.labels(), "stored 1/2 with scl_inter -1 reads 0/1");
        for (String name : new String[] {"slope0.nii", "slopenan.nii"}) {
            assertEquals(expected("image.sum")[0], Fixtures.sum(Nifti.read(file(name))), 1e-3,
                    name + ": scl_slope 0 or NaN means no scaling, whatever scl_inter says");
        }
    }

    @Test
    void h5ChunkStoredWithoutItsFilterIsRead() throws IOException {
        CaseData c = H5Volumes.read(file("unfiltered_chunk.h5"));
        assertEquals(expected("label.sum")[0], Fixtures.sum(c.label()), 0);
        assertArrayEquals(Nifti.readLabels(file("label_truth.nii")).labels(), c.label().labels());
        assertEquals(100 * 8 + 10 * 6 + 4 + 0.25, c.image().get(8, 6, 4), 0);
    }

    @Test
    void h5UnsupportedFilterIsNamed() {
        VolumeFormatException e = assertThrows(VolumeFormatException.class, () -> H5Volumes.read(file("scaleoffset.h5")));
        assertTrue(e.getMessage().contains("'label'") && e.getMessage().contains("scaleoffset")
                && e.getMessage().contains("not supported") && !e.getMessage().contains("not a readable"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    @Test
    void h5SoftAndExternalLinksAreFollowed() throws IOException {
        CaseData c = H5Volumes.read(file("links.h5"));
        assertEquals(expected("label.sum")[0], Fixtures.sum(c.label()), 0);
        assertEquals(expected("image.sum")[0], Fixtures.sum(c.image()), 1e-3);
    }

    @Test
    void h5TruncatedFilesAreRefused() throws IOException {
        byte[] whole = Files.readAllBytes(file("unfiltered_chunk.h5"));
        // One byte short, and cut inside the label's last chunk (the label's chunks are the file's end).
        for (int cut : new int[] {1, 20}) {
            Path shortFile = tmp.resolve("cut" + cut + ".h5");
            Files.write(shortFile, Arrays.copyOf(whole, whole.length - cut));
            VolumeFormatException e = assertThrows(VolumeFormatException.class, () -> H5Volumes.read(shortFile));
            assertTrue(e.getMessage().startsWith(shortFile.toString()) && e.getMessage().contains("truncated"),
                    e.getMessage());
        }
    }

    @Test
    void h5LzfIsReadWithoutJhdfsDecoder() throws IOException {
        CaseData c = H5Volumes.read(file("lzf.h5"));
        assertEquals(expected("label.sum")[0], Fixtures.sum(c.label()), 0);
        assertEquals(expected("image.sum")[0], Fixtures.sum(c.image()), 1e-3);
        assertEquals(100 * 8 + 10 * 6 + 4 + 0.25, c.image().get(8, 6, 4), 0);
    }
}
