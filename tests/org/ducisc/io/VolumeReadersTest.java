package org.ducisc.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * h5, NIfTI and NRRD readers against the values h5py and nibabel read from the same files: the
 * voxel values encode their own indices (100 i + 10 j + k), so any transposed read fails.
 */
class VolumeReadersTest {
    private static final int[] SHAPE = {13, 11, 7};

    @TempDir
    Path tmp;

    private static void checkIndexCode(Volume v, double scale, double shift) {
        assertArrayEquals(SHAPE, v.shape());
        for (int[] p : Fixtures.PROBES) {
            double want = (100 * p[0] + 10 * p[1] + p[2] + 0.25) * scale + shift;
            assertEquals(want, v.get(p[0], p[1], p[2]), 1e-4, "voxel " + java.util.Arrays.toString(p));
        }
    }

    @Test
    void h5ReadsReferenceLayoutInH5pyOrder() throws IOException {
        CaseData c = H5Volumes.read(Fixtures.file("case.h5"));
        checkIndexCode(c.image(), 1, 0);
        for (int[] p : Fixtures.PROBES) {
            String key = "h5.image.at." + p[0] + "." + p[1] + "." + p[2];
            assertEquals(Fixtures.scalar(key), c.image().get(p[0], p[1], p[2]), 0);
        }
        assertEquals(Fixtures.scalar("h5.image.sum"), Fixtures.sum(c.image()), 1e-3);
        assertEquals(Fixtures.scalar("h5.label.sum"), Fixtures.sum(c.label()), 0);
        assertEquals(1f, c.label().get(6, 5, 3));
    }

    @Test
    void h5AcceptsIntegerTypesAndClampsNerveLabels() throws IOException {
        CaseData c = H5Volumes.read(Fixtures.file("nerve.h5"), "nerve", true);
        assertEquals(100 * 7 + 10 * 3 + 2, c.image().get(7, 3, 2), 0);
        assertEquals(Fixtures.scalar("h5.label.sum"), Fixtures.sum(c.label()), 0);
        VolumeFormatException e = assertThrows(VolumeFormatException.class,
                () -> H5Volumes.read(Fixtures.file("nerve.h5"), "nerve", false));
        assertTrue(e.getMessage().contains("0..255"), e.getMessage());
    }

    @Test
    void h5WriteRoundTripsAndH5pyLayoutIsKept() throws IOException {
        CaseData c = H5Volumes.read(Fixtures.file("case.h5"));
        Path out = tmp.resolve("sub/out.h5");
        H5Volumes.write(out, c.image(), c.label());
        CaseData back = H5Volumes.read(out);
        assertArrayEquals(c.image().floats(), back.image().floats());
        assertArrayEquals(c.label().labels(), back.label().labels());
        try (var files = Files.list(out.getParent())) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
    }

    @Test
    void h5BadInputsGiveOneLineErrorsNamingTheFile() {
        for (String[] c : new String[][] {{"badshape.h5", "differs from image shape"}, {"nolabel.h5", "no dataset 'label'"},
                {"does-not-exist.h5", "file not found"}, {"raw.nrrd", "not a readable HDF5 file"}}) {
            Path file = c[0].startsWith("does") ? tmp.resolve(c[0]) : Fixtures.file(c[0]);
            VolumeFormatException e = assertThrows(VolumeFormatException.class, () -> H5Volumes.read(file));
            assertTrue(e.getMessage().startsWith(file.toString()) && e.getMessage().contains(c[1]), e.getMessage());
            assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        }
    }

    @Test
    void niftiMatchesNibabelGetFdata() throws IOException {
        for (String name : new String[] {"image.nii.gz", "scaled_be.nii", "qform.nii"}) {
            String key = name.replace(".", "_");
            Volume v = Nifti.read(Fixtures.file(name));
            assertArrayEquals(SHAPE, v.shape());
            for (int[] p : Fixtures.PROBES) {
                double want = Fixtures.scalar(key + ".at." + p[0] + "." + p[1] + "." + p[2]);
                assertEquals(want, v.get(p[0], p[1], p[2]), 1e-5 * Math.max(1, Math.abs(want)), name);
            }
            assertEquals(Fixtures.scalar(key + ".sum"), Fixtures.sum(v), 1e-6 * Fixtures.scalar(key + ".sum"), name);
            double[] aff = Fixtures.expected(key + ".affine");
            double[][] got = v.affine();
            for (int r = 0; r < 4; r++) {
                for (int c = 0; c < 4; c++) {
                    assertEquals(aff[4 * r + c], got[r][c], 1e-6, name + " affine[" + r + "][" + c + "]");
                }
            }
            assertArrayEquals(Fixtures.expected(key + ".zooms"), v.spacing(), 1e-6, name);
        }
        Volume label = Nifti.readLabels(Fixtures.file("label.nii"));
        assertEquals(Fixtures.scalar("label_nii.sum"), Fixtures.sum(label), 0);
        assertEquals(1f, label.get(6, 5, 3));
    }

    @Test
    void niftiWriteRoundTripsWithAffine() throws IOException {
        Volume v = Nifti.read(Fixtures.file("image.nii.gz"));
        Volume l = Nifti.readLabels(Fixtures.file("label.nii"));
        for (String name : new String[] {"out.nii", "out.nii.gz"}) {
            Nifti.write(tmp.resolve(name), v);
            Volume back = Nifti.read(tmp.resolve(name));
            assertArrayEquals(v.floats(), back.floats());
            double[][] a = v.affine(), b = back.affine();
            for (int r = 0; r < 4; r++) {
                assertArrayEquals(a[r], b[r], 1e-6);
            }
        }
        Nifti.write(tmp.resolve("l.nii.gz"), l);
        assertArrayEquals(l.labels(), Nifti.readLabels(tmp.resolve("l.nii.gz")).labels());
    }

    @Test
    void niftiRejectsUnsupportedDatatype() throws IOException {
        byte[] b = Files.readAllBytes(Fixtures.file("label.nii"));
        b[70] = (byte) 128; // RGB24
        b[71] = 0;
        Path bad = tmp.resolve("rgb.nii");
        Files.write(bad, b);
        VolumeFormatException e = assertThrows(VolumeFormatException.class, () -> Nifti.read(bad));
        assertTrue(e.getMessage().contains("unsupported NIfTI datatype 128"), e.getMessage());
    }

    @Test
    void nrrdRawAndGzipMatchTheArrayAxes() throws IOException {
        Volume raw = Nrrd.read(Fixtures.file("raw.nrrd"));
        assertArrayEquals(SHAPE, raw.shape());
        assertEquals(100 * 12 + 10 * 10 + 6, raw.get(12, 10, 6), 0);
        assertEquals(Fixtures.scalar("nrrd.raw.sum"), Fixtures.sum(raw), 0);
        assertArrayEquals(new double[] {0.625, 0.625, 1.25}, raw.spacing(), 1e-12);
        assertEquals(10, raw.affine()[0][3], 1e-12, "LPS origin -10 becomes RAS +10");
        assertEquals(-0.625, raw.affine()[0][0], 1e-12);
        Volume gz = Nrrd.read(Fixtures.file("gz.nrrd"));
        checkIndexCode(gz, 1, 0);
        assertEquals(Fixtures.scalar("nrrd.gz.sum"), Fixtures.sum(gz), 1e-3);
        assertArrayEquals(new double[] {0.625, 0.625, 1.25}, gz.spacing(), 1e-12);
    }

    @Test
    void nrrdDetachedDataFile() throws IOException {
        byte[] all = Files.readAllBytes(Fixtures.file("raw.nrrd"));
        int data = all.length - 13 * 11 * 7 * 2;
        Files.write(tmp.resolve("d.raw"), java.util.Arrays.copyOfRange(all, data, all.length));
        Files.writeString(tmp.resolve("d.nhdr"), "NRRD0004\ntype: short\ndimension: 3\nsizes: 13 11 7\n"
                + "endian: little\nencoding: raw\ndata file: d.raw\n\n");
        assertEquals(Fixtures.scalar("nrrd.raw.sum"), Fixtures.sum(Nrrd.read(tmp.resolve("d.nhdr"))), 0);
    }

    @Test
    void corruptAndTruncatedInputsNameTheProblem() throws IOException {
        byte[] gz = Files.readAllBytes(Fixtures.file("gz.nrrd"));
        Path cut = tmp.resolve("cut.nrrd");
        Files.write(cut, java.util.Arrays.copyOf(gz, gz.length - 200));
        assertMessage(() -> Nrrd.read(cut), "truncated");
        byte[] flipped = gz.clone();
        flipped[flipped.length - 300] ^= 0x5A;
        flipped[flipped.length - 301] ^= 0x33;
        Path corrupt = tmp.resolve("corrupt.nrrd");
        Files.write(corrupt, flipped);
        assertMessage(() -> Nrrd.read(corrupt), "gzip");
        byte[] nii = Files.readAllBytes(Fixtures.file("label.nii"));
        Path short1 = tmp.resolve("short.nii");
        Files.write(short1, java.util.Arrays.copyOf(nii, nii.length - 1));
        assertMessage(() -> Nifti.read(short1), "truncated");
        Path gzNii = tmp.resolve("short.nii.gz");
        try (var out = new GZIPOutputStream(Files.newOutputStream(gzNii))) {
            out.write(nii, 0, nii.length - 10);
        }
        assertMessage(() -> Nifti.read(gzNii), "truncated");
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable read, String part) {
        VolumeFormatException e = assertThrows(VolumeFormatException.class, read);
        assertTrue(e.getMessage().contains(part), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }
}
