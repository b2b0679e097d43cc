package org.ducisc.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VolumeFormatTest {
    @TempDir
    Path dir;

    /** Odd sizes, random values (seed printed on failure): each format found by content under any name. */
    @Test
    void contentDecidesWhateverTheName() throws IOException {
        long seed = 911;
        Random r = new Random(seed);
        int[] shape = {5, 3, 7};
        float[] image = new float[105];
        byte[] label = new byte[105];
        for (int i = 0; i < image.length; i++) {
            image[i] = (float) r.nextGaussian();
            label[i] = (byte) r.nextInt(2);
        }
        Path h5 = dir.resolve("case.h5");
        H5Volumes.write(h5, Volume.ofFloats(shape, image), Volume.ofLabels(shape, label));
        Path nii = dir.resolve("image.nii.gz");
        Nifti.write(nii, Volume.ofFloats(shape, image));
        Path nrrd = dir.resolve("mask.nrrd");
        byte[] header = ("NRRD0004\ntype: uint8\ndimension: 3\nsizes: 5 3 7\nencoding: raw\n\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] data = new byte[105];
        for (int i = 0; i < 5; i++) {
            for (int j = 0; j < 3; j++) {
                for (int k = 0; k < 7; k++) {
                    data[(k * 3 + j) * 5 + i] = label[(i * 3 + j) * 7 + k]; // NRRD: first axis fastest
                }
            }
        }
        byte[] file = java.util.Arrays.copyOf(header, header.length + data.length);
        System.arraycopy(data, 0, file, header.length, data.length);
        Files.write(nrrd, file);
        for (Path p : new Path[] {h5, nii, nrrd}) {
            Path renamed = Files.copy(p, dir.resolve(p.getFileName() + ".data"));
            assertEquals(VolumeFormat.of(p), VolumeFormat.of(renamed), "seed " + seed + ": " + p);
        }
        assertEquals(VolumeFormat.HDF5, VolumeFormat.of(h5));
        assertEquals(VolumeFormat.NIFTI, VolumeFormat.of(nii));
        assertEquals(VolumeFormat.NRRD, VolumeFormat.of(nrrd));
        assertArrayEquals(image, VolumeFormat.readImage(dir.resolve("image.nii.gz.data")).floats(), "seed " + seed);
        assertArrayEquals(image, VolumeFormat.readImage(h5).floats(), "seed " + seed);
        assertArrayEquals(label, VolumeFormat.readLabels(h5).labels(), "seed " + seed);
        assertArrayEquals(label, VolumeFormat.readLabels(nrrd).labels(), "seed " + seed);
    }

    @Test
    void suffixOnlyWhenTheContentSaysNothingAndUnknownFilesAreNamed() throws IOException {
        assertEquals("case", VolumeFormat.stem(Path.of("case.nii.gz")));
        assertEquals("a.b", VolumeFormat.stem(Path.of("a.b.NRRD")));
        assertNull(VolumeFormat.stem(Path.of(".nii")));
        Path text = Files.writeString(dir.resolve("notes.txt"), "hello");
        VolumeFormatException e = assertThrows(VolumeFormatException.class, () -> VolumeFormat.of(text));
        assertTrue(e.getMessage().startsWith(text + ": not a volume this engine reads"), e.getMessage());
        Path empty = Files.write(dir.resolve("empty.nii"), new byte[0]);
        assertEquals(VolumeFormat.NIFTI, VolumeFormat.of(empty), "no content: the suffix decides (the reader then fails)");
        Path missing = dir.resolve("missing.h5");
        assertTrue(assertThrows(VolumeFormatException.class, () -> VolumeFormat.of(missing)).getMessage()
                .contains("file not found"));
    }
}
