package org.ducisc.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.ducisc.backend.cpu.CpuBackend;
import org.ducisc.core.Device;
import org.ducisc.eval.CaseMetrics;
import org.ducisc.eval.SegmentationMetrics;
import org.ducisc.eval.SlidingWindow;
import org.ducisc.io.H5Volumes;
import org.ducisc.io.Nifti;
import org.ducisc.io.Safetensors;
import org.ducisc.io.Volume;
import org.ducisc.nn.Checkpoint;
import org.ducisc.nn.VNet;
import org.ducisc.runtime.Backends;
import org.ducisc.tensor.MemoryScope;
import org.ducisc.tensor.Rng;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SegmenterTest {
    private static final int[] SHAPE = {21, 18, 27};

    @TempDir
    static Path dir;

    static Path checkpoint;

    @BeforeAll
    static void tinyCheckpoint() throws Exception {
        checkpoint = TinyModels.checkpoint(dir);
    }

    private static Segmenter.Builder tiny() {
        return Segmenter.builder(checkpoint).patch(16, 16, 16).strides(8, 8);
    }

    /** What the segmenter must give: the sliding window run by hand on the checkpoint's network. */
    private static Volume reference(float[] voxels, int[] shape, boolean largest) throws Exception {
        try (VNet net = Checkpoint.load(checkpoint, Device.CPU)) {
            Volume p = new SlidingWindow(new int[] {16, 16, 16}, 8, 8, 1).foregroundProbability(net,
                    Volume.ofFloats(shape, voxels));
            return largest ? SlidingWindow.threshold(p, true) : p;
        }
    }

    @Test
    void everyInputFormGivesTheSlidingWindowResultAndMetrics() throws Exception {
        float[] voxels = TinyModels.volume(SHAPE, 3);
        byte[] truth = TinyModels.ball(SHAPE);
        double[] spacing = {0.625, 0.625, 1.25};
        float[] wantProbability = reference(voxels, SHAPE, false).floats();
        byte[] wantLabels = reference(voxels, SHAPE, true).labels();
        CaseMetrics wantMetrics = SegmentationMetrics.evaluate(wantLabels, truth, SHAPE, spacing);
        long foreground = 0;
        for (byte b : wantLabels) {
            foreground += b;
        }
        assertTrue(foreground > 0 && foreground < wantLabels.length, "the tiny network labels part of the volume");
        try (Segmenter s = tiny().build(); Arena arena = Arena.ofConfined()) {
            MemorySegment segment = arena.allocate((long) voxels.length * Float.BYTES);
            MemorySegment.copy(voxels, 0, segment, ValueLayout.JAVA_FLOAT, 0, voxels.length);
            FloatBuffer buffer = FloatBuffer.allocate(voxels.length + 5).position(5);
            buffer.put(voxels).position(5);
            List<Image> forms = List.of(Image.of(voxels, SHAPE, spacing), Image.of(buffer, SHAPE, spacing),
                    Image.of(segment, SHAPE, spacing));
            for (Image image : forms) {
                Segmentation r = s.predict(image, truth);
                assertArrayEquals(wantProbability, r.foregroundProbability());
                assertArrayEquals(wantLabels, r.labels());
                assertArrayEquals(SHAPE, r.shape());
                assertArrayEquals(spacing, r.spacing());
                assertEquals(foreground, r.foregroundVoxels());
                Metrics m = r.metrics().orElseThrow();
                assertEquals(new Metrics(wantMetrics.dice(), wantMetrics.jaccard(), wantMetrics.hd95(), wantMetrics.asd()), m);
            }
            assertEquals(5, buffer.position(), "the caller's buffer position is left alone");
            assertTrue(s.predict(Image.of(voxels, SHAPE, spacing)).metrics().isEmpty());
        }
        try (Segmenter s = tiny().largestComponent(false).build()) {
            byte[] plain = s.predict(Image.of(voxels, SHAPE, null)).labels();
            for (int i = 0; i < plain.length; i++) {
                assertEquals(wantProbability[i] > 0.5f ? 1 : 0, plain[i], "voxel " + i);
            }
        }
    }

    @Test
    void streamAndFileCheckpointsAgreeAndDefaultsComeFromTheDataSet() throws Exception {
        float[] voxels = TinyModels.volume(SHAPE, 4);
        try (InputStream in = Files.newInputStream(checkpoint);
             Segmenter fromStream = Segmenter.builder(in).patch(16, 16, 16).strides(8, 8).build();
             Segmenter fromFile = tiny().build()) {
            Image image = Image.of(voxels, SHAPE, null);
            assertArrayEquals(fromFile.predict(image).foregroundProbability(),
                    fromStream.predict(image).foregroundProbability());
            assertEquals(4, fromStream.baseFilters());
        }
        try (Segmenter s = Segmenter.builder(checkpoint).build()) {
            assertArrayEquals(new int[] {112, 112, 80}, s.patch(), "no data set in the metadata: the LA settings");
            assertArrayEquals(new int[] {18, 4}, s.strides());
            assertTrue(s.largestComponent());
        }
        Path pancreas = dir.resolve("pancreas.safetensors");
        try (VNet net = Checkpoint.load(checkpoint, Device.CPU)) {
            Checkpoint.save(pancreas, net, Map.of("dataset", "PANCREAS"));
        }
        try (Segmenter s = Segmenter.builder(pancreas).build()) {
            assertArrayEquals(new int[] {96, 96, 96}, s.patch(), "the data set named in the checkpoint");
            assertArrayEquals(new int[] {16, 16}, s.strides());
        }
    }

    @Test
    void readsH5AndNiftiFilesWithTheirGroundTruth() throws Exception {
        float[] voxels = TinyModels.volume(SHAPE, 5);
        byte[] truth = TinyModels.ball(SHAPE);
        Path h5 = dir.resolve("case.h5");
        H5Volumes.write(h5, Volume.ofFloats(SHAPE, voxels), Volume.ofLabels(SHAPE, truth));
        double[] spacing = {0.8, 0.9, 1.1};
        Path nii = dir.resolve("case.nii.gz");
        Path niiLabel = dir.resolve("case-label.nii.gz");
        Nifti.write(nii, Volume.ofFloats(SHAPE, voxels, spacing, null));
        Nifti.write(niiLabel, Volume.ofLabels(SHAPE, truth, spacing, null));
        try (Segmenter s = tiny().build()) {
            Segmentation direct = s.predict(Image.of(voxels, SHAPE, null), truth);
            Segmentation fromH5 = s.predict(h5, h5);
            assertArrayEquals(direct.labels(), fromH5.labels());
            assertEquals(direct.metrics(), fromH5.metrics());
            assertTrue(s.predict(h5).metrics().isEmpty());
            Segmentation fromNifti = s.predict(nii, niiLabel);
            assertArrayEquals(direct.foregroundProbability(), fromNifti.foregroundProbability());
            assertArrayEquals(spacing, fromNifti.spacing(), 1e-6);
            CaseMetrics m = SegmentationMetrics.evaluate(direct.labels(), truth, SHAPE, fromNifti.spacing());
            assertEquals(m.hd95(), fromNifti.metrics().orElseThrow().hd95(), "distances in the file's spacing");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.predict(dir.resolve("x.png")));
            assertTrue(e.getMessage().contains("unknown volume format"), e.getMessage());
        }
    }

    @Test
    void badInputIsNamed() throws Exception {
        try (Segmenter s = tiny().build()) {
            float[] v = TinyModels.volume(SHAPE, 6);
            assertMessage(() -> Image.of(v, new int[] {21, 18}, null), "shape must be three sizes");
            assertMessage(() -> Image.of(v, new int[] {21, 18, 26}, null), "needs 9828 voxels, the array has 10206");
            assertMessage(() -> Image.of(v, new int[] {21, 0, 27}, null), "size 0 along H");
            assertMessage(() -> Image.of(FloatBuffer.wrap(v, 0, 100), SHAPE, null), "the buffer has 100 remaining");
            assertMessage(() -> Image.of(MemorySegment.ofArray(new float[7]), SHAPE, null), "the segment has 28 bytes");
            assertMessage(() -> Image.of(v, SHAPE, new double[] {1, -1, 1}), "must be positive and finite");
            float[] nan = v.clone();
            nan[(2 * 18 + 3) * 27 + 4] = Float.NaN;
            nan[(20 * 18 + 17) * 27 + 26] = Float.POSITIVE_INFINITY;
            assertMessage(() -> Image.of(nan, SHAPE, null), "voxel (2, 3, 4) (index 1057) is NaN; 2 voxels are not finite");
            float[] inf = v.clone();
            inf[0] = Float.NEGATIVE_INFINITY;
            assertMessage(() -> Image.of(inf, SHAPE, null), "voxel (0, 0, 0) (index 0) is -Infinity; 1 voxel is not finite");
            assertMessage(() -> s.predict(Image.of(v, SHAPE, null), new byte[5]), "ground truth has 5 voxels");
        }
        assertMessage(() -> tiny().patch(16, 24, 16).build(), "patch 16x24x16: every side must be a positive multiple of 16");
        assertMessage(() -> tiny().patch(16, 16, 0).build(), "16x16x0");
        assertMessage(() -> tiny().strides(17, 8).build(), "strides must be between 1 and the patch side");
        assertMessage(() -> tiny().windowBatch(0).build(), "window batch must be >= 1");
        assertMessage(() -> tiny().threads(0).build(), "threads must be >= 1");
        if (Backends.select("auto").device().kind() == Device.Kind.CPU) { // no usable GPU on this machine
            String reason = assertThrows(IllegalStateException.class, () -> Backends.select("cuda")).getMessage();
            assertMessage(() -> tiny().device("cuda").build(), "device cuda: " + reason);
        }
        assertMessage(() -> tiny().device("tpu").build(), "unknown device 'tpu'");
    }

    @Test
    void checkpointsOfAnotherArchitectureAreNamed() throws Exception {
        Path unet = dir.resolve("unet.safetensors");
        Safetensors.write(unet, List.of(Safetensors.Entry.floats("encoder.0.weight", new float[8], 8)), Map.of());
        assertMessage(() -> Segmenter.builder(unet).build(), "not a V-Net checkpoint (no block_one.conv.0.weight");
        Path labelled = dir.resolve("labelled.safetensors");
        try (VNet net = Checkpoint.load(checkpoint, Device.CPU)) {
            Checkpoint.save(labelled, net, Map.of("architecture", "unet3d"));
        }
        assertMessage(() -> Segmenter.builder(labelled).build(), "architecture 'unet3d', expected 'ducisc-vnet'");
        Path twoChannels = dir.resolve("two-channels.safetensors");
        try (VNet net = new VNet(new VNet.Config(2, 2, 4, true, true), Device.CPU, new Rng(1), new Rng(2))) {
            Checkpoint.save(twoChannels, net, Map.of());
        }
        assertMessage(() -> Segmenter.builder(twoChannels).build(), "the network takes 2 input channels");
        Path wrongShape = dir.resolve("wrong-shape.safetensors");
        try (Safetensors file = Safetensors.read(checkpoint); MemoryScope scope = MemoryScope.open()) {
            List<Safetensors.Entry> entries = new ArrayList<>();
            for (String name : file.entries().keySet()) {
                if (name.equals("block_five.conv.0.weight")) {
                    entries.add(Safetensors.Entry.floats(name, new float[32 * 64 * 27], 32, 64, 3, 3, 3));
                } else if (file.info(name).dtype() == Safetensors.ElementType.I64) {
                    entries.add(Safetensors.Entry.longs(name, file.longs(name)));
                } else {
                    entries.add(Safetensors.Entry.of(name, file.tensor(name)));
                }
            }
            Safetensors.write(wrongShape, entries, file.metadata());
        }
        assertMessage(() -> Segmenter.builder(wrongShape).build(), "block_five.conv.0.weight");
        try (InputStream in = Files.newInputStream(labelled)) {
            assertMessage(() -> Segmenter.builder(in).build(), "checkpoint stream: architecture 'unet3d'");
        }
        Path garbage = dir.resolve("garbage.safetensors");
        Files.write(garbage, new byte[] {1, 2, 3});
        assertThrows(java.io.IOException.class, () -> Segmenter.builder(garbage).build());
        try (InputStream in = Files.newInputStream(garbage)) {
            java.io.IOException e = assertThrows(java.io.IOException.class, () -> Segmenter.builder(in).build());
            assertTrue(e.getMessage().startsWith("checkpoint stream"), e.getMessage());
        }
    }

    @Test
    void concurrentCallersGetTheSequentialResults() throws Exception {
        int callers = 4;
        List<float[]> volumes = new ArrayList<>();
        List<int[]> shapes = List.of(new int[] {21, 18, 27}, new int[] {16, 17, 16}, new int[] {9, 30, 20},
                new int[] {24, 16, 19});
        for (int i = 0; i < callers; i++) {
            volumes.add(TinyModels.volume(shapes.get(i), 100 + i));
        }
        try (Segmenter s = tiny().threads(3).build()) {
            List<Segmentation> sequential = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                sequential.add(s.predict(Image.of(volumes.get(i), shapes.get(i), null)));
            }
            ExecutorService pool = Executors.newFixedThreadPool(callers);
            try {
                for (int round = 0; round < 2; round++) {
                    List<Future<Segmentation>> futures = new ArrayList<>();
                    for (int i = 0; i < callers; i++) {
                        Image image = Image.of(volumes.get(i), shapes.get(i), null);
                        futures.add(pool.submit(() -> s.predict(image)));
                    }
                    for (int i = 0; i < callers; i++) {
                        Segmentation got = futures.get(i).get();
                        assertArrayEquals(sequential.get(i).foregroundProbability(), got.foregroundProbability(),
                                "caller " + i + " round " + round);
                        assertArrayEquals(sequential.get(i).labels(), got.labels());
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void closingWaitsForARunningCallThenRefusesAndFreesEverything() throws Exception {
        CpuBackend cpu = CpuBackend.INSTANCE;
        long before = cpu.liveBytes();
        int[] shape = {40, 40, 40};
        float[] voxels = TinyModels.volume(shape, 8);
        Segmenter s = tiny().windowBatch(1).build();
        float[] want = s.predict(Image.of(voxels, shape, null)).foregroundProbability();
        assertTrue(cpu.liveBytes() > before, "the weights are off-heap");
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Segmentation> running = pool.submit(() -> s.predict(Image.of(voxels, shape, null)));
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (s.runningCalls() == 0 && !running.isDone() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            s.close();
            assertArrayEquals(want, running.get().foregroundProbability(),
                    "the call running during close completes with its weights intact");
        } finally {
            pool.shutdownNow();
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.predict(Image.of(voxels, shape, null)));
        assertTrue(e.getMessage().contains("is closed"), e.getMessage());
        s.close();
        assertEquals(before, cpu.liveBytes(), "closing frees every native byte the segmenter held");
    }

    /** 1000 calls: the live bytes between calls and the peak within one stay exactly flat. */
    @Test
    void thousandPredictionsHoldAFlatNativeProfile() throws Exception {
        CpuBackend cpu = CpuBackend.INSTANCE;
        int[] shape = {16, 16, 16};
        Image image = Image.of(TinyModels.volume(shape, 9), shape, null);
        long liveAt10 = -1;
        long peakAt10 = -1;
        try (Segmenter s = Segmenter.builder(checkpoint).patch(16, 16, 16).strides(16, 16).build()) {
            for (int call = 1; call <= 1000; call++) {
                cpu.resetPeak();
                s.predict(image);
                if (call == 10) {
                    liveAt10 = cpu.liveBytes();
                    peakAt10 = cpu.peakLiveBytes();
                }
            }
            assertEquals(liveAt10, cpu.liveBytes(), "live bytes between calls grew from call 10 to 1000");
            assertEquals(peakAt10, cpu.peakLiveBytes(), "peak bytes within a call grew from call 10 to 1000");
            assertFalse(peakAt10 <= liveAt10, "a call allocates its activations off-heap and frees them");
        }
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String expected) {
        Exception e = assertThrows(Exception.class, call);
        assertTrue(e instanceof IllegalArgumentException, "expected IllegalArgumentException, got " + e);
        assertTrue(e.getMessage().contains(expected), "message '" + e.getMessage() + "' should contain '" + expected + "'");
    }
}
