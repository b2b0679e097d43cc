package org.ducisc.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.ducisc.data.Dataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15.5: sizes are checked against the file and the heap before anything is allocated, and
 * only regular files are read (a device never ends, a named pipe blocks until a writer comes).
 */
class ResourceLimitsTest {
    @TempDir
    Path tmp;

    /** A NIfTI header declaring {@code n}^3 uint8 voxels, then 1 MiB of incompressible gzip data. */
    private Path hugeNifti(int n) throws IOException {
        ByteBuffer h = ByteBuffer.allocate(352).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(0, 348);
        short[] dim = {3, (short) n, (short) n, (short) n, 1, 1, 1, 1};
        for (int d = 0; d < 8; d++) {
            h.putShort(40 + 2 * d, dim[d]);
        }
        h.putShort(70, (short) 2).putShort(72, (short) 8).putFloat(108, 352);
        for (int a = 0; a < 4; a++) {
            h.putFloat(76 + 4 * a, 1);
        }
        h.put(344, (byte) 'n').put(345, (byte) '+').put(346, (byte) '1');
        byte[] noise = new byte[1 << 20];
        new Random(5).nextBytes(noise);
        Path file = tmp.resolve("huge" + n + ".nii.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write(h.array());
            out.write(noise);
        }
        return file;
    }

    @Test
    void declaredSizesBeyondTheHeapAreRefusedBeforeAllocating() throws IOException {
        // 10^9 voxels: 1 GB of bytes plus a 4 GB float volume, more than the test JVM's 4 GB heap.
        Path nii = hugeNifti(1000);
        HeapLimitException e = assertThrows(HeapLimitException.class, () -> Nifti.read(nii));
        assertTrue(e.getMessage().startsWith(nii.toString()) && e.getMessage().contains("1000x1000x1000 voxels")
                && e.getMessage().contains("MiB heap limit"), e.getMessage());
        Path nrrd = tmp.resolve("huge.nrrd");
        byte[] noise = new byte[1 << 20];
        new Random(6).nextBytes(noise);
        try (OutputStream out = Files.newOutputStream(nrrd)) {
            out.write("NRRD0004\ntype: uchar\ndimension: 3\nsizes: 1000 1000 1000\nencoding: gzip\n\n"
                    .getBytes(StandardCharsets.US_ASCII));
            try (OutputStream z = new GZIPOutputStream(out)) {
                z.write(noise);
            }
        }
        HeapLimitException n = assertThrows(HeapLimitException.class, () -> Nrrd.read(nrrd));
        assertTrue(n.getMessage().contains("1000x1000x1000 voxels"), n.getMessage());
    }

    @Test
    void devicesAreRefused() throws IOException {
        Path zero = Path.of("/dev/zero");
        if (!Files.exists(zero)) {
            return; // not a Unix-like system
        }
        Path nii = Files.createSymbolicLink(tmp.resolve("zero.nii"), zero);
        Path h5 = Files.createSymbolicLink(tmp.resolve("zero.h5"), zero);
        Path list = Files.createSymbolicLink(tmp.resolve("train.list"), zero);
        Files.createDirectories(tmp.resolve("2018LA_Seg_TrainingSet"));
        Dataset d = Dataset.open("LA", tmp);
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            for (org.junit.jupiter.api.function.Executable read : new org.junit.jupiter.api.function.Executable[] {
                () -> Nifti.read(nii), () -> Nrrd.read(nii), () -> H5Volumes.read(h5), d::trainCases}) {
                VolumeFormatException e = assertThrows(VolumeFormatException.class, read);
                assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
            }
        });
        assertTrue(list.toString().endsWith("train.list"));
    }

    @Test
    void namedPipesAreRefusedWithoutBlocking() throws Exception {
        Path fifo = tmp.resolve("pipe.nii");
        Process mk;
        try {
            mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
        } catch (IOException noMkfifo) {
            return; // no mkfifo here: nothing to test
        }
        assertEquals(0, mk.waitFor());
        Files.writeString(tmp.resolve("d.nhdr"), "NRRD0004\ntype: short\ndimension: 3\nsizes: 2 2 2\n"
                + "encoding: raw\ndata file: pipe.nii\n\n");
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            for (org.junit.jupiter.api.function.Executable read : new org.junit.jupiter.api.function.Executable[] {
                () -> Nifti.read(fifo), () -> Nrrd.read(tmp.resolve("d.nhdr")), () -> H5Volumes.read(fifo),
                () -> Safetensors.read(fifo)}) {
                IOException e = assertThrows(IOException.class, read);
                assertTrue(e.getMessage().startsWith(fifo.toString()) && e.getMessage().contains("not a regular file"),
                        e.getMessage());
            }
        });
    }
}
