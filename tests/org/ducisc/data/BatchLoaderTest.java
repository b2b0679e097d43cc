package org.ducisc.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.ducisc.core.DType;
import org.ducisc.io.CaseData;
import org.ducisc.io.Volume;
import org.ducisc.io.VolumeFormatException;
import org.ducisc.tensor.MemoryScope;
import org.ducisc.tensor.Rng;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The background batch loader on a small phantom data set (6 train cases of 32^3, the phantom's least size). */
class BatchLoaderTest {
    private static final long SEED = 1337;
    private static final int[] SIZE = {32, 32, 32};
    // W longer than the volume (padding), rot/flip on: the LA path
    private static final int[] PATCH = {36, 24, 16};

    @TempDir
    static Path tmp;
    static Dataset dataset;

    @BeforeAll
    static void writePhantom() throws IOException {
        Phantom.writeDataset(tmp.resolve("ok"), 7, 11, SIZE);
        dataset = Dataset.open(DatasetKind.LA, tmp.resolve("ok"));
    }

    private static BatchLoader.Config config(long seed, int prefetch) {
        return new BatchLoader.Config(4, 2, 2, new Augmentation(PATCH, true), seed, prefetch);
    }

    /** Image floats and label bytes of n batches from {@code start}, the tensors closed. */
    private static List<Object[]> run(BatchLoader.Config config, long start, int n, boolean dawdle)
            throws IOException, InterruptedException {
        List<Object[]> out = new ArrayList<>();
        try (BatchLoader loader = BatchLoader.start(dataset, config, start)) {
            Rng jitter = new Rng(start);
            for (int i = 0; i < n; i++) {
                try (TrainBatch b = loader.take()) {
                    assertEquals(start + i, b.iteration());
                    out.add(new Object[] {b.image().toFloatArray(), b.label().toByteArray(), b.labeledCases(), b.unlabeledCases()});
                }
                if (dawdle) {
                    Thread.sleep(jitter.nextInt(15));
                }
            }
        }
        return out;
    }

    private static void assertSameBatches(List<Object[]> a, List<Object[]> b) {
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals((float[]) a.get(i)[0], (float[]) b.get(i)[0], "image of batch " + i);
            assertArrayEquals((byte[]) a.get(i)[1], (byte[]) b.get(i)[1], "label of batch " + i);
            assertEquals(a.get(i)[2], b.get(i)[2]);
            assertEquals(a.get(i)[3], b.get(i)[3]);
        }
    }

    @Test
    void batchesHoldTheAugmentedPatchesOfTheSampledCases() throws Exception {
        List<String> cases = dataset.trainCases();
        assertEquals(6, cases.size());
        Augmentation aug = new Augmentation(PATCH, true);
        TwoStreamBatchSampler sampler = TwoStreamBatchSampler.split(4, 6, 2, 2, SEED);
        int per = aug.patchNumel();
        try (BatchLoader loader = BatchLoader.start(dataset, config(SEED, 2), 0)) {
            assertEquals(2, loader.batchesPerEpoch());
            for (long i = 0; i < 3; i++) {
                try (TrainBatch b = loader.take()) {
                    assertArrayEquals(new long[] {4, 1, 36, 24, 16}, b.image().shape());
                    assertArrayEquals(new long[] {2, 36, 24, 16}, b.label().shape());
                    assertEquals(DType.FLOAT32, b.image().dtype());
                    assertEquals(DType.UINT8, b.label().dtype());
                    assertEquals(i / 2, b.epoch());
                    float[] image = b.image().toFloatArray();
                    byte[] label = b.label().toByteArray();
                    // the same batch rebuilt by hand: sampler batch i, augmentation stream (seed, i), labeled first
                    TwoStreamBatchSampler.Batch s = sampler.batch(i);
                    Rng rng = SeedStreams.of(SEED, SeedStreams.AUGMENT, i);
                    int slot = 0;
                    for (int index : s.primary()) {
                        CaseData c = dataset.read(cases.get(index));
                        CaseData p = aug.apply(c, aug.draw(c.image().shape(), rng));
                        assertEquals(cases.get(index), b.labeledCases().get(slot));
                        assertArrayEquals(p.image().floats(), Arrays.copyOfRange(image, slot * per, (slot + 1) * per));
                        assertArrayEquals(p.label().labels(), Arrays.copyOfRange(label, slot * per, (slot + 1) * per));
                        slot++;
                    }
                    for (int index : s.secondary()) {
                        Volume v = dataset.readImage(cases.get(index));
                        Volume p = aug.apply(v, aug.draw(v.shape(), rng));
                        assertEquals(cases.get(index), b.unlabeledCases().get(slot - 2));
                        assertArrayEquals(p.floats(), Arrays.copyOfRange(image, slot * per, (slot + 1) * per));
                        slot++;
                    }
                    int foreground = 0;
                    for (byte l : label) {
                        assertTrue(l == 0 || l == 1);
                        foreground += l;
                    }
                    assertTrue(foreground > 0, "the phantom's target shows up in the labeled patches");
                }
            }
        }
    }

    @Test
    void sequenceDependsOnTheSeedOnlyAndResumesAtAnyBatch() throws Exception {
        List<Object[]> full = run(config(SEED, 2), 0, 7, false);
        assertSameBatches(full, run(config(SEED, 1), 0, 7, true));
        assertSameBatches(full.subList(4, 7), run(config(SEED, 2), 4, 3, false));
        List<Object[]> other = run(config(SEED + 1, 2), 0, 1, false);
        assertFalse(Arrays.equals((float[]) full.get(0)[0], (float[]) other.get(0)[0]));
        assertNotEquals(Arrays.hashCode((float[]) full.get(0)[0]), Arrays.hashCode((float[]) full.get(2)[0]),
                "epoch 1 draws other crops than epoch 0");
    }

    @Test
    void aCorruptFileSurfacesInTakeWithItsMessage() throws Exception {
        Path root = tmp.resolve("corrupt");
        Phantom.writeDataset(root, 7, 11, SIZE);
        Dataset broken = Dataset.open(DatasetKind.LA, root);
        // a labeled case of batch 1: batch 0 still arrives, then the error
        String victim = broken.trainCases().get(TwoStreamBatchSampler.split(4, 6, 2, 2, SEED).batch(1).primary().get(0));
        Files.writeString(broken.caseFile(victim), "this is not an HDF5 file", StandardCharsets.US_ASCII);
        IOException direct = assertThrows(IOException.class, () -> broken.read(victim));
        try (BatchLoader loader = BatchLoader.start(broken, config(SEED, 2), 0)) {
            try (TrainBatch b = loader.take()) {
                assertEquals(0, b.iteration());
            }
            IOException e = assertThrows(IOException.class, loader::take);
            assertEquals(direct.getMessage(), e.getMessage());
            assertInstanceOf(VolumeFormatException.class, e.getCause());
            assertThrows(IOException.class, loader::take, "the loader stays failed");
            loader.close();
            assertFalse(loader.thread().isAlive());
        }
    }

    @Test
    void closeStopsTheThreadAndTheConsumerOwnsTheTensors() throws Exception {
        BatchLoader loader = BatchLoader.start(dataset, config(SEED, 2), 0);
        TrainBatch kept;
        try (MemoryScope scope = MemoryScope.open()) {
            kept = loader.take();
        }
        assertFalse(kept.image().isClosed(), "a scope on the consumer's thread does not adopt the loader's tensors");
        Thread.sleep(100); // let the loader fill its queue and block
        assertTrue(loader.thread().isAlive());
        loader.close();
        assertFalse(loader.thread().isAlive(), "no thread left after close");
        loader.close();
        assertThrows(IllegalStateException.class, loader::take);
        assertFalse(kept.image().isClosed(), "a taken batch outlives the loader");
        kept.close();
        assertTrue(kept.image().isClosed() && kept.label().isClosed());

        // closing right away, while the first batch is being built
        BatchLoader quick = BatchLoader.start(dataset, config(SEED, 1), 0);
        quick.close();
        assertFalse(quick.thread().isAlive());
    }

    @Test
    void badSettingsFailAtStart() {
        IllegalArgumentException few = assertThrows(IllegalArgumentException.class,
                () -> BatchLoader.start(dataset, new BatchLoader.Config(1, 2, 2, new Augmentation(PATCH, true), SEED, 2), 0));
        assertTrue(few.getMessage().contains("labeled batch of 2"), few.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> BatchLoader.start(dataset, new BatchLoader.Config(6, 2, 2, new Augmentation(PATCH, true), SEED, 2), 0));
        assertThrows(IllegalArgumentException.class, () -> BatchLoader.start(dataset, config(SEED, 2), -1));
        assertThrows(IllegalArgumentException.class, () -> config(SEED, 0));
        BatchLoader.Config ref = BatchLoader.Config.reference(DatasetKind.PANCREAS, 12, SEED);
        assertEquals(2, ref.labeledBatch());
        assertEquals(2, ref.unlabeledBatch());
        assertFalse(ref.augmentation().rotFlip());
        assertArrayEquals(new int[] {96, 96, 96}, ref.augmentation().patch());
        assertTrue(BatchLoader.Config.reference(DatasetKind.LA, 8, SEED).augmentation().rotFlip());
    }
}
