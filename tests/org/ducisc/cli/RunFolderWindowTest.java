package org.ducisc.cli;

import static org.ducisc.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.ducisc.api.Image;
import org.ducisc.api.Segmenter;
import org.ducisc.core.Device;
import org.ducisc.data.Dataset;
import org.ducisc.data.Phantom;
import org.ducisc.io.Nifti;
import org.ducisc.io.Volume;
import org.ducisc.nn.Checkpoint;
import org.ducisc.nn.VNet;
import org.ducisc.tensor.Rng;
import org.ducisc.testing.DeterministicWeights;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint in a training run's folder is tested and applied with the run's window: the patch in its
 * config.json and the data set's strides cut to it (LA's 18 / 4 with patch 16 give 16 / 4), unless flags
 * say otherwise; the LA defaults (patch 112 x 112 x 80) would apply without it.
 */
class RunFolderWindowTest {
    @TempDir
    static Path shared;

    static Path root;
    static Path checkpoint;

    @BeforeAll
    static void runFolder() throws IOException {
        root = shared.resolve("data");
        Phantom.writeDataset(root, 3, 11, new int[] {32, 40, 36});
        Path run = Files.createDirectories(shared.resolve("run"));
        checkpoint = run.resolve("last.safetensors");
        try (VNet net = new VNet(new VNet.Config(1, 2, 4, true, true), Device.CPU, new Rng(3), new Rng(4))) {
            DeterministicWeights.fill(net);
            Checkpoint.save(checkpoint, net, Map.of("dataset", "LA"));
        }
        Files.writeString(run.resolve("config.json"), "{\n  \"method\": \"ducisc\",\n  \"dataset\": \"LA\",\n"
                + "  \"root_path\": \"" + root.toString().replace("\\", "\\\\") + "\",\n  \"patch\": [16, 16, 16]\n}\n");
    }

    private static String runConfig() {
        return checkpoint.toAbsolutePath().resolveSibling("config.json").toString();
    }

    /**
     * Without --report, each checkpoint's per-case report is named after it (last_test_cases.*, best_test_cases.*),
     * so testing two checkpoints of one run keeps both, and neither is confused with training's test_metrics.csv.
     */
    @Test
    void defaultReportIsNamedAfterTheCheckpoint(@TempDir Path tmp) throws IOException {
        Path best = checkpoint.resolveSibling("best.safetensors");
        Files.copy(checkpoint, best, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path one = Files.writeString(tmp.resolve("one.list"), Dataset.open("LA", root).testCases().get(0) + "\n");
        for (Path c : new Path[] {checkpoint, best}) {
            CliRun.Outcome r = run("test", "--root-path", root.toString(), "--checkpoint", c.toString(), "--list",
                    one.toString(), "--device", "cpu");
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("test: 1 case of "), r.out());
        }
        for (String stem : new String[] {"last", "best"}) {
            for (String ext : new String[] {".json", ".csv"}) {
                assertTrue(Files.exists(checkpoint.resolveSibling(stem + "_test_cases" + ext)), stem + ext);
            }
        }
        assertFalse(Files.exists(checkpoint.resolveSibling("test-metrics.json")));
    }

    /**
     * A folder of nnU-Net images (<case>_0000.nii.gz) gives <case>.nii.gz predictions, as nnU-Net names them; a
     * NIfTI file name as --output for a folder --input is refused before any work instead of becoming a folder.
     */
    @Test
    void predictOnAFolderNamesOutputsAsNnUNetAndRefusesAFileName(@TempDir Path tmp) throws IOException {
        Path images = Files.createDirectories(tmp.resolve("imagesTs"));
        Rng rng = new Rng(20261129);
        System.out.println("RunFolderWindowTest seed 20261129");
        for (String name : new String[] {"la_003_0000", "la_011_0000"}) {
            float[] voxels = new float[17 * 19 * 13];
            for (int i = 0; i < voxels.length; i++) {
                voxels[i] = (float) rng.nextGaussian();
            }
            Nifti.write(images.resolve(name + ".nii.gz"), Volume.ofFloats(new int[] {17, 19, 13}, voxels));
        }
        CliRun.Outcome r = run("predict", "--checkpoint", checkpoint.toString(), "--input", images.toString(),
                "--output", tmp.resolve("pred").toString(), "--device", "cpu");
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.isRegularFile(tmp.resolve("pred/la_003.nii.gz")) && Files.isRegularFile(tmp.resolve("pred/la_011.nii.gz")),
                r.out());
        assertFalse(Files.exists(tmp.resolve("pred/la_003_0000.nii.gz")));

        CliRun.Outcome bad = run("predict", "--checkpoint", checkpoint.toString(), "--input", images.toString(),
                "--output", tmp.resolve("one.nii.gz").toString(), "--device", "cpu");
        assertTrue(bad.code() != 0, bad.out());
        assertTrue(bad.err().contains("--output " + tmp.resolve("one.nii.gz") + ": a file name, but --input is a folder"),
                bad.err());
        assertFalse(Files.exists(tmp.resolve("one.nii.gz")));
    }

    @Test
    void testTakesTheRunsWindowAndFlagsWin(@TempDir Path tmp) throws IOException {
        Path one = Files.writeString(tmp.resolve("one.list"), Dataset.open("LA", root).testCases().get(0) + "\n");
        CliRun.Outcome r = run("test", "--root-path", root.toString(), "--checkpoint", checkpoint.toString(), "--list",
                one.toString(),
                "--report", tmp.resolve("a").toString(), "--device", "cpu");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("patch 16x16x16, stride 16/4 (from " + runConfig() + ")"), r.out());
        String json = Files.readString(tmp.resolve("a.json"));
        assertTrue(json.contains("\"patch\": [16, 16, 16]") && json.contains("\"stride_xy\": 16")
                && json.contains("\"stride_z\": 4"), json);

        CliRun.Outcome flags = run("test", "--root-path", root.toString(), "--checkpoint", checkpoint.toString(), "--list",
                one.toString(),
                "--report", tmp.resolve("b").toString(), "--device", "cpu", "--patch", "32,32,32", "--stride-xy", "16",
                "--stride-z", "8");
        assertEquals(0, flags.code(), flags.err());
        assertTrue(flags.out().contains("patch 32x32x32, stride 16/8, no post-processing"), flags.out());
        assertFalse(flags.out().contains("config.json"), flags.out());

        CliRun.Outcome oneFlag = run("test", "--root-path", root.toString(), "--checkpoint", checkpoint.toString(), "--list",
                one.toString(),
                "--report", tmp.resolve("c").toString(), "--device", "cpu", "--stride-z", "8");
        assertEquals(0, oneFlag.code(), oneFlag.err());
        assertTrue(oneFlag.out().contains("patch 16x16x16, stride 16/8 (from " + runConfig() + ")"), oneFlag.out());
    }

    @Test
    void predictTakesTheRunsWindow(@TempDir Path tmp) throws IOException {
        Dataset dataset = Dataset.open("LA", root);
        String name = dataset.testCases().get(0);
        Path output = tmp.resolve("pred.nii.gz");
        CliRun.Outcome r = run("predict", "--checkpoint", checkpoint.toString(), "--input",
                dataset.caseFile(name).toString(), "--output", output.toString(), "--device", "cpu");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("predict: 1 image, patch 16x16x16, stride 16/4 (from " + runConfig() + ")"), r.out());
        Volume image = dataset.read(name).image();
        Path elsewhere = Files.copy(checkpoint, tmp.resolve("copy.safetensors"));
        try (Segmenter s = Segmenter.builder(elsewhere).device("cpu").patch(16, 16, 16).strides(16, 4)
                .largestComponent(false).build()) {
            assertNull(s.runConfig(), "no config.json beside the copy");
            assertArrayEquals(s.predict(Image.of(image.floats(), image.shape(), null)).labels(),
                    Nifti.readLabels(output).labels());
        }
    }

    @Test
    void theApiReadsTheRunFolderAndIgnoresOtherConfigFiles(@TempDir Path tmp) throws IOException {
        try (Segmenter s = Segmenter.builder(checkpoint).device("cpu").build()) {
            assertArrayEquals(new int[] {16, 16, 16}, s.patch());
            assertArrayEquals(new int[] {16, 4}, s.strides());
            assertEquals(runConfig(), s.runConfig().toString());
        }
        Path other = Files.createDirectories(tmp.resolve("other"));
        Files.copy(checkpoint, other.resolve("model.safetensors"));
        Files.writeString(other.resolve("config.json"), "{\"architectures\": [\"SomethingElse\"], \"hidden_size\": 8}");
        try (Segmenter s = Segmenter.builder(other.resolve("model.safetensors")).device("cpu").build()) {
            assertArrayEquals(new int[] {112, 112, 80}, s.patch(), "LA's defaults (the checkpoint's metadata)");
            assertNull(s.runConfig());
        }
        Path damaged = Files.createDirectories(tmp.resolve("damaged"));
        Files.copy(checkpoint, damaged.resolve("last.safetensors"));
        Files.writeString(damaged.resolve("config.json"), "{\"dataset\": \"LA\", \"patch\": [16, \"x\", 16]}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Segmenter.builder(damaged.resolve("last.safetensors")).device("cpu").build());
        assertTrue(e.getMessage().startsWith(damaged.resolve("config.json").toAbsolutePath() + ": \"patch\""), e.getMessage());
    }
}
