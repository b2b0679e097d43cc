package org.ducisc.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.ducisc.core.Device;
import org.ducisc.cli.CliRun;
import org.ducisc.cli.Main;
import org.ducisc.io.Pth;
import org.ducisc.io.PthTest;
import org.ducisc.nn.Checkpoint;
import org.ducisc.nn.StateDict;
import org.ducisc.nn.VNet;
import org.ducisc.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PyTorch .pth checkpoints through the library and the CLI: loaded into the V-Net, converted to
 * safetensors by {@code ./ducisc convert}, and segmenting bit for bit as the conversion does.
 */
class PthCheckpointTest {
    @TempDir
    Path tmp;

    @Test
    void loadedWeightsAreThePthValues() throws IOException {
        Path pth = PthTest.fixture("vnet_b1.pth");
        Map<String, Pth.Array> arrays = Pth.readStateDict(pth);
        try (VNet net = Checkpoint.load(pth, Device.CPU)) {
            assertEquals(1, net.config().baseFilters());
            assertTrue(net.config().deepSupervision());
            StateDict state = net.stateDict();
            assertEquals(List.copyOf(arrays.keySet()), state.names());
            for (Pth.Array a : arrays.values()) {
                if (a.isInteger()) {
                    assertEquals(a.longs()[0], state.counter(a.name()), a.name());
                } else {
                    Tensor t = state.tensor(a.name());
                    assertArrayEquals(a.shape(), t.shape(), a.name());
                    assertArrayEquals(a.floats(), t.toFloatArray(), a.name());
                }
            }
        }
    }

    @Test
    void pthPredictsBitIdenticallyToItsSafetensorsConversion() throws IOException {
        Path pth = PthTest.fixture("vnet_b1_wrapped.pth"); // float16 and bfloat16 weights under 'model'
        Path converted = tmp.resolve("converted.safetensors");
        assertEquals(0, CliRun.run("convert", pth.toString(), converted.toString()).code());
        long seed = 20261129L;
        int[] shape = {21, 19, 18};
        System.out.println("PthCheckpointTest: volume seed " + seed + ", shape 21x19x18");
        Image image = Image.of(TinyModels.volume(shape, seed), shape, new double[] {1, 1, 1});
        float[] a;
        float[] b;
        try (Segmenter s = Segmenter.builder(pth).patch(16, 16, 16).strides(5, 4).build()) {
            a = s.predict(image).foregroundProbability();
        }
        try (Segmenter s = Segmenter.builder(converted).patch(16, 16, 16).strides(5, 4).build()) {
            b = s.predict(image).foregroundProbability();
        }
        for (int i = 0; i < a.length; i++) {
            assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), "voxel " + i);
        }
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (float v : a) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        assertTrue(max > min, "the prediction is not constant: " + min + ".." + max);
    }

    @Test
    void maliciousPthIsRefusedByConvertAndPredictWithoutRunningIt() throws IOException {
        Files.deleteIfExists(PthTest.MARKER);
        Path out = tmp.resolve("evil.safetensors");
        CliRun.Outcome r = CliRun.run("convert", PthTest.fixture("malicious.pth").toString(), out.toString());
        assertEquals(Main.EXIT_FAILURE, r.code());
        assertTrue(r.err().contains("refused global 'posix.system'"), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertFalse(Files.exists(out), "no output for a refused input");
        Path image = tmp.resolve("in.nii.gz");
        int[] shape = {16, 16, 16};
        org.ducisc.io.Nifti.write(image, org.ducisc.io.Volume.ofFloats(shape, TinyModels.volume(shape, 3)));
        r = CliRun.run("predict", "--checkpoint", PthTest.fixture("malicious.pth").toString(), "--input", image.toString(),
                "--output", tmp.resolve("pred.nii.gz").toString(), "--patch", "16,16,16", "--stride-xy", "8", "--stride-z", "8",
                "--device", "cpu");
        assertEquals(Main.EXIT_FAILURE, r.code());
        assertTrue(r.err().contains("refused global 'posix.system'"), r.err());
        assertFalse(Files.exists(tmp.resolve("pred.nii.gz")));
        assertFalse(Files.exists(PthTest.MARKER), "the pickle's os.system call must never run");
    }

    @Test
    void wrongNetworkNamesTheFirstMismatch() throws IOException {
        Path f = tmp.resolve("partial.pth");
        PthTest.write(f, List.of(PthTest.Spec.contiguous("block_one.conv.0.weight", 1, 1, 3, 3, 3),
                PthTest.Spec.contiguous("out_conv.weight", 2, 1, 1, 1, 1),
                PthTest.Spec.contiguous("decoder.extra", 3)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(f, Device.CPU));
        assertTrue(e.getMessage().startsWith(f + ": state dict does not match the model: missing block_one.conv.0.bias [1];"),
                e.getMessage());
        assertTrue(e.getMessage().contains(" more"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    @Test
    void nonFiniteWeightsAreRefusedAsInSafetensors() throws IOException {
        // vnet_b1.pth with the first float of storage 0 (block_one.conv.0.weight) set to NaN, CRCs rewritten.
        Path bad = tmp.resolve("nan.pth");
        try (java.util.zip.ZipFile in = new java.util.zip.ZipFile(PthTest.fixture("vnet_b1.pth").toFile());
             java.util.zip.ZipOutputStream out = new java.util.zip.ZipOutputStream(Files.newOutputStream(bad))) {
            for (java.util.zip.ZipEntry e : java.util.Collections.list(in.entries())) {
                byte[] b = in.getInputStream(e).readAllBytes();
                if (e.getName().endsWith("/data/0")) {
                    java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(0, Float.NaN);
                }
                out.putNextEntry(new java.util.zip.ZipEntry(e.getName()));
                out.write(b);
                out.closeEntry();
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(bad, Device.CPU));
        assertTrue(e.getMessage().equals(bad + ": tensor \"block_one.conv.0.weight\" holds NaN at index 0 (weights must be finite)"),
                e.getMessage());
    }

    @Test
    void aNamedPipeOrMissingFileIsNotOpenedToSniffItsFormat() throws Exception {
        Path fifo = tmp.resolve("weights.pth");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        java.io.IOException e = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(10),
                () -> assertThrows(java.io.IOException.class, () -> Checkpoint.load(fifo, Device.CPU)));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
        e = assertThrows(java.io.IOException.class, () -> Checkpoint.load(tmp.resolve("none.pth"), Device.CPU));
        assertTrue(e.getMessage().endsWith("none.pth: file not found"), e.getMessage());
    }

}
