package org.ducisc.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.ducisc.io.Nifti;
import org.ducisc.io.Volume;
import org.ducisc.tensor.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * NIfTI data set folders end to end through the command line: an MSD-style folder and an nnU-Net v2
 * one, each with labeled and unlabeled training images (the unlabeled ones have no label file at all),
 * a validation split, labeled and unlabeled test images; train (tiny), test, predict.
 */
class NiftiFolderCommandsTest {
    @TempDir
    Path tmp;

    /** Shape (W, H, D) of the test volumes: odd sizes, larger than the 16-voxel patch. */
    static final int[] SHAPE = {21, 19, 17};

    @Test
    void msdFolderTrainsTestsAndPredicts() throws IOException {
        endToEnd(NiftiFolders.write(tmp.resolve("Task02_Heart"), false, 71), "", "la_");
    }

    @Test
    void nnUnetV2FolderTrainsTestsAndPredicts() throws IOException {
        endToEnd(NiftiFolders.write(tmp.resolve("Dataset002_Heart"), true, 72), "_0000", "la_");
    }

    private void endToEnd(Path data, String channel, String prefix) throws IOException {
        Path run = tmp.resolve("run-" + data.getFileName());
        CliRun.Outcome t = CliRun.run("train", "--root-path", data.toString(), "--labelnum", "2",
                "--max-iterations", "4", "--base-filters", "2", "--patch", "16,16,16", "--warmup", "1",
                "--val-start", "2", "--val-every", "2", "--device", "cpu", "--out", run.toString());
        assertEquals(0, t.code(), t.err() + t.out());
        String log = Files.readString(run.resolve("log.txt"));
        assertTrue(Files.isRegularFile(run.resolve("best.safetensors")), "validation ran on the split: " + log);
        assertTrue(log.contains("test metrics of last.safetensors"), log);
        assertTrue(log.contains(" NIfTI folder: 6 training cases, 4 of them labeled; 1 validation case held out)"), log);
        String config = Files.readString(run.resolve("config.json"));
        assertTrue(config.contains(data.toString()), config);

        Path preds = tmp.resolve("preds-" + data.getFileName());
        CliRun.Outcome test = CliRun.run("test", "--root-path", data.toString(), "--checkpoint",
                run.resolve("last.safetensors").toString(), "--patch", "16,16,16", "--stride-xy", "8", "--stride-z", "8",
                "--device", "cpu", "--save-predictions", preds.toString());
        assertEquals(0, test.code(), test.err() + test.out());
        assertTrue(test.out().contains("test: 2 cases of " + data), test.out());
        assertTrue(test.out().contains("mean (std):"), test.out());
        assertTrue(test.out().contains(prefix + "102: no label, prediction written to"), test.out());
        for (String name : List.of(prefix + "100", prefix + "101", prefix + "102")) {
            Path in = data.resolve("imagesTs").resolve(name + channel + ".nii.gz");
            assertSameGeometry(in, preds.resolve(name + "_pred.nii.gz"));
        }

        Path out = tmp.resolve("predict-" + data.getFileName());
        CliRun.Outcome p = CliRun.run("predict", "--checkpoint", run.resolve("best.safetensors").toString(),
                "--input", data.resolve("imagesTs").toString(), "--output", out.toString(), "--patch", "16,16,16",
                "--stride-xy", "8", "--stride-z", "8", "--z-score", "--device", "cpu");
        assertEquals(0, p.code(), p.err() + p.out());
        // predict names its outputs after the case, as nnU-Net does: imagesTs/<case>_0000.nii.gz -> <case>.nii.gz
        assertSameGeometry(data.resolve("imagesTs").resolve(prefix + "102" + channel + ".nii.gz"),
                out.resolve(prefix + "102.nii.gz"));
    }

    @Test
    void testCommandTakesAPyTorchCheckpoint() throws IOException {
        Path data = NiftiFolders.write(tmp.resolve("Task02_Pth"), false, 75);
        Path pth = org.ducisc.io.PthTest.fixture("vnet_b1.pth");
        CliRun.Outcome test = CliRun.run("test", "--root-path", data.toString(), "--checkpoint",
                pth.toString(), "--patch", "16,16,16", "--stride-xy", "8", "--stride-z", "8", "--device", "cpu",
                "--save-predictions", tmp.resolve("p").toString(), "--report", tmp.resolve("r").toString());
        assertEquals(0, test.code(), test.err() + test.out());
        assertTrue(test.out().contains("mean (std):"), test.out());
        assertTrue(Files.isRegularFile(tmp.resolve("r.json")));
    }

    @Test
    void theApiTrainsOnANiftiFolder() throws Exception {
        Path data = NiftiFolders.write(tmp.resolve("Task02_Api"), false, 74);
        org.ducisc.api.TrainingResult r = org.ducisc.api.TrainingRun.create(data, org.ducisc.api.TrainingConfig.builder()
                .labelnum(2).maxIterations(2).baseFilters(2).patch(16, 16, 16).warmup(1).validation(2, 2, null)
                .device("cpu").output(tmp.resolve("api-run")).build()).run(null);
        assertEquals(2, r.testCases(), "scored on labelsTs' two cases");
        assertTrue(Files.isRegularFile(r.bestCheckpoint()), "validated on validation.list");
    }

    @Test
    void withoutAValidationSplitTrainingIsRefusedInOneLine() throws IOException {
        Path data = NiftiFolders.write(tmp.resolve("Task"), false, 73);
        Files.delete(data.resolve("validation.list"));
        Path run = tmp.resolve("run");
        CliRun.Outcome t = CliRun.run("train", "--root-path", data.toString(), "--labelnum", "2",
                "--max-iterations", "2", "--base-filters", "2", "--patch", "16,16,16", "--device", "cpu", "--out", run.toString());
        assertEquals(1, t.code(), t.out() + t.err());
        assertEquals(1, t.err().strip().lines().count(), t.err());
        assertTrue(t.err().contains("no validation cases; list labeled training cases to hold out"), t.err());
        assertFalse(Files.exists(run.resolve("metrics.csv")));
        // labelnum counts labeled cases only: 5 labeled, one held out -> 4 (the training list has 6)
        Files.writeString(data.resolve("validation.list"), "la_005\n");
        t = CliRun.run("train", "--root-path", data.toString(), "--labelnum", "5", "--max-iterations", "2",
                "--base-filters", "2", "--patch", "16,16,16", "--device", "cpu", "--out", run.toString());
        assertEquals(1, t.code(), t.out() + t.err());
        assertTrue(t.err().contains("--labelnum 5 is larger than the 4 labeled training cases"), t.err());
    }

    /** The output's header geometry is the input's: dims, pixdim, qform/sform and their codes, units. */
    static void assertSameGeometry(Path input, Path output) throws IOException {
        Volume in = Nifti.read(input);
        Volume out = Nifti.readLabels(output);
        assertArrayEquals(in.shape(), out.shape(), output.toString());
        assertArrayEquals(in.spacing(), out.spacing(), 0, output.toString());
        for (int r = 0; r < 4; r++) {
            assertArrayEquals(in.affine()[r], out.affine()[r], 0, output + " affine row " + r);
        }
        assertEquals(in.niftiGeometry().qformCode(), out.niftiGeometry().qformCode());
        assertEquals(in.niftiGeometry().sformCode(), out.niftiGeometry().sformCode());
        assertArrayEquals(in.niftiGeometry().quatern(), out.niftiGeometry().quatern());
        assertArrayEquals(in.niftiGeometry().srow(), out.niftiGeometry().srow());
        assertArrayEquals(in.niftiGeometry().pixdim(), out.niftiGeometry().pixdim());
        assertEquals(in.niftiGeometry().xyztUnits(), out.niftiGeometry().xyztUnits());
    }

    /** Builds small NIfTI data set folders. */
    static final class NiftiFolders {
        private NiftiFolders() {
        }

        /**
         * Writes a folder: imagesTr la_001..la_007 (la_001..la_005 labeled, la_005 the validation case in
         * validation.list; la_006 and la_007 without any label file), imagesTs la_100, la_101 (labeled in
         * labelsTs) and la_102 (no label), and dataset.json. Images are a bright ball on noise, raw
         * (not z-scored: around 300 +- 40), in a rotated, shifted affine with voxel sizes 1.25 x 1.25 x 1.37 mm.
         */
        static Path write(Path dir, boolean nnUnet, long seed) throws IOException {
            System.out.println("NiftiFolders: " + dir.getFileName() + " seed " + seed);
            Rng rng = new Rng(seed);
            String ch = nnUnet ? "_0000" : "";
            Files.createDirectories(dir.resolve("imagesTr"));
            Files.createDirectories(dir.resolve("labelsTr"));
            Files.createDirectories(dir.resolve("imagesTs"));
            Files.createDirectories(dir.resolve("labelsTs"));
            for (int c = 1; c <= 7; c++) {
                String name = String.format("la_%03d", c);
                byte[] label = ball(rng);
                Nifti.write(dir.resolve("imagesTr").resolve(name + ch + ".nii.gz"), image(label, rng));
                if (c <= 5) {
                    Nifti.write(dir.resolve("labelsTr").resolve(name + ".nii.gz"), geometry(label));
                }
            }
            for (int c = 100; c <= 102; c++) {
                String name = "la_" + c;
                byte[] label = ball(rng);
                Nifti.write(dir.resolve("imagesTs").resolve(name + ch + ".nii.gz"), image(label, rng));
                if (c < 102) {
                    Nifti.write(dir.resolve("labelsTs").resolve(name + ".nii.gz"), geometry(label));
                }
            }
            // macOS resource forks, as the MSD tarballs carry: skipped
            Files.write(dir.resolve("imagesTr").resolve("._la_001" + ch + ".nii.gz"), new byte[] {0, 5, 22, 7});
            Files.writeString(dir.resolve("validation.list"), "la_005\n");
            Files.writeString(dir.resolve("dataset.json"), nnUnet
                    ? "{\"channel_names\": {\"0\": \"MRI\"}, \"labels\": {\"background\": 0, \"left atrium\": 1},"
                        + " \"numTraining\": 7, \"file_ending\": \".nii.gz\"}"
                    : "{\"name\": \"LeftAtrium\", \"tensorImageSize\": \"3D\", \"modality\": {\"0\": \"MRI\"},"
                        + " \"labels\": {\"0\": \"background\", \"1\": \"left atrium\"}, \"numTraining\": 5, \"numTest\": 3}");
            return dir;
        }

        private static byte[] ball(Rng rng) {
            byte[] b = new byte[SHAPE[0] * SHAPE[1] * SHAPE[2]];
            double cx = 8 + rng.nextInt(5);
            double cy = 8 + rng.nextInt(4);
            double cz = 7 + rng.nextInt(3);
            double r = 4 + rng.nextInt(2);
            for (int x = 0; x < SHAPE[0]; x++) {
                for (int y = 0; y < SHAPE[1]; y++) {
                    for (int z = 0; z < SHAPE[2]; z++) {
                        double d = (x - cx) * (x - cx) + (y - cy) * (y - cy) + (z - cz) * (z - cz);
                        b[(x * SHAPE[1] + y) * SHAPE[2] + z] = (byte) (d < r * r ? 1 : 0);
                    }
                }
            }
            return b;
        }

        private static Volume image(byte[] label, Rng rng) {
            float[] v = new float[label.length];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (300 + 40 * rng.nextGaussian() + 150 * label[i]);
            }
            return Volume.ofFloats(SHAPE, v, new double[] {1.25, 1.25, 1.37}, AFFINE);
        }

        private static Volume geometry(byte[] label) {
            return Volume.ofLabels(SHAPE, label, new double[] {1.25, 1.25, 1.37}, AFFINE);
        }

        /** A rotation about z by 30 degrees with voxel sizes 1.25, 1.25, 1.37 mm and an offset. */
        static final double[][] AFFINE = {
            {1.25 * Math.cos(Math.PI / 6), -1.25 * Math.sin(Math.PI / 6), 0, -12.5},
            {1.25 * Math.sin(Math.PI / 6), 1.25 * Math.cos(Math.PI / 6), 0, 30.25},
            {0, 0, 1.37, -40},
            {0, 0, 0, 1}};
    }
}
