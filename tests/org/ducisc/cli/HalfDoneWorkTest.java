package org.ducisc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.ducisc.data.DatasetKind;
import org.ducisc.io.H5Volumes;
import org.ducisc.io.Nifti;
import org.ducisc.io.Volume;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15.9 and 15.10: commands check first and then work; a folder of inputs is processed to the
 * end with every failure reported; a failure leaves no half-written output set; outputs get the same
 * file mode as checkpoints; the launcher's stderr filter passes every byte through.
 */
class HalfDoneWorkTest {
    @TempDir
    Path tmp;

    private static Volume noise(int n, long seed) {
        float[] v = new float[n * n * n];
        java.util.Random r = new java.util.Random(seed);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return Volume.ofFloats(new int[] {n, n, n}, v);
    }

    @Test
    void predictOnAFolderProcessesTheRestAndReportsEveryFailure() throws IOException {
        Path in = tmp.resolve("in");
        Nifti.write(in.resolve("a.nii"), noise(16, 1));
        Files.writeString(in.resolve("b.nii.gz"), "not an image");
        Nifti.write(in.resolve("c.nii.gz"), noise(16, 2));
        Files.writeString(in.resolve("d.h5"), "not HDF5 either");
        Path out = tmp.resolve("out");
        CliRun.Outcome o = CliRun.run(BadInputCommandsTest.concat(BadInputCommandsTest.WINDOW,
                "predict", "--checkpoint", BadInputCommandsTest.checkpoint().toString(), "--input", in.toString(),
                "--output", out.toString()));
        assertEquals(1, o.code(), o.err());
        List<String> lines = o.err().lines().toList();
        assertEquals(3, lines.size(), o.err());
        assertTrue(lines.get(0).contains("b.nii.gz") && lines.get(1).contains("d.h5"), o.err());
        assertEquals("ducisc: 2 of 4 images in " + in + " failed: b, d", lines.get(2));
        assertTrue(Files.isRegularFile(out.resolve("a.nii.gz")) && Files.isRegularFile(out.resolve("c.nii.gz")));
        assertEquals(List.of(out.resolve("a.nii.gz"), out.resolve("c.nii.gz")), BadInputCommandsTest.contents(out));
    }

    @Test
    void testWithSavePredictionsLeavesNoPartialSet() throws IOException {
        Path la = tmp.resolve("data").resolve("LA");
        for (String c : new String[] {"A", "B", "C"}) {
            Path f = DatasetKind.LA.caseFile(la, c);
            Files.createDirectories(f.getParent());
            if (c.equals("C")) {
                Files.writeString(f, "damaged");
            } else {
                H5Volumes.write(f, noise(16, c.hashCode()), Volume.ofLabels(new int[] {16, 16, 16}, new byte[4096]));
            }
        }
        Files.writeString(la.resolve("train.list"), "A\n");
        Files.writeString(la.resolve("test.list"), "A\nB\nC\n");
        Path preds = tmp.resolve("preds");
        Path report = tmp.resolve("rep").resolve("r");
        BadInputCommandsTest.failsInOneLine(List.of("mri_norm2.h5"), List.of(preds, report.resolveSibling("r.json")),
                BadInputCommandsTest.concat(BadInputCommandsTest.WINDOW, "test", "--root-path", tmp.resolve("data").toString(),
                        "--checkpoint", BadInputCommandsTest.checkpoint().toString(), "--save-predictions", preds.toString(),
                        "--report", report.toString()));
    }

    @Test
    void phantomChecksItsPreviewFolderAndDemoItsOptionsBeforeWriting() throws IOException {
        Path blocker = Files.writeString(tmp.resolve("blocker"), "a file");
        Path data = tmp.resolve("phantom");
        BadInputCommandsTest.failsInOneLine(List.of("blocker"), List.of(data), "phantom", "--out", data.toString(),
                "--cases", "2", "--size", "32,32,32", "--preview", blocker.resolve("png").toString());
        Path demo = tmp.resolve("demo");
        BadInputCommandsTest.failsInOneLine(List.of("--patch"), List.of(demo.resolve("data")), "demo", "--dir",
                demo.toString(), "--patch", "4096,4096,4096", "--cases", "4", "--size", "32,32,32");
        BadInputCommandsTest.failsInOneLine(List.of("--labelnum 9", "--cases 4"), List.of(demo.resolve("data")), "demo",
                "--dir", demo.toString(), "--labelnum", "9", "--cases", "4", "--size", "32,32,32");
    }

    @Test
    void outputsGetTheModeOfCheckpoints() throws IOException {
        if (!tmp.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return;
        }
        Path reference = Files.createFile(tmp.resolve("plain")); // 0666 less the umask, like a checkpoint
        String want = PosixFilePermissions.toString(Files.getPosixFilePermissions(reference));
        Path nii = tmp.resolve("o.nii.gz");
        Nifti.write(nii, noise(4, 3));
        Path h5 = tmp.resolve("o.h5");
        H5Volumes.write(h5, noise(4, 3), Volume.ofLabels(new int[] {4, 4, 4}, new byte[64]));
        Path txt = tmp.resolve("o.json");
        org.ducisc.io.FileBytes.writeText(txt, "{}");
        for (Path p : List.of(nii, h5, txt, BadInputCommandsTest.checkpoint())) {
            assertEquals(want, PosixFilePermissions.toString(Files.getPosixFilePermissions(p)), p.toString());
        }
    }

    @Test
    void launcherFilterPassesNulBytesThrough() throws Exception {
        Path launcher = Path.of("ducisc").toAbsolutePath();
        if (!Files.isRegularFile(launcher)) {
            return;
        }
        Process p = new ProcessBuilder("bash", launcher.toString(), "--filter-stderr").start();
        try (var in = p.getOutputStream()) {
            in.write("WARNING: Using incubator modules: jdk.incubator.vector\nducisc: a\0b\n".getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor());
        assertEquals("ducisc: a\0b\n", out);
        assertFalse(out.contains("binary file"));
    }
}
