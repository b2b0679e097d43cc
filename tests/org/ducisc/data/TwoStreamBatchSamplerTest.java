package org.ducisc.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The two-stream sampler: epochs, the endless unlabeled stream, determinism, resume, bad settings. */
class TwoStreamBatchSamplerTest {

    @Test
    void everyLabeledIndexOncePerEpochAndTheIncompleteGroupDropped() {
        TwoStreamBatchSampler even = TwoStreamBatchSampler.split(8, 80, 2, 2, 1337);
        assertEquals(4, even.batchesPerEpoch());
        for (int epoch = 0; epoch < 5; epoch++) {
            List<Integer> seen = new ArrayList<>();
            for (int b = 0; b < 4; b++) {
                TwoStreamBatchSampler.Batch batch = even.next();
                assertEquals(epoch, batch.epoch());
                assertEquals(epoch * 4L + b, batch.iteration());
                seen.addAll(batch.primary());
                for (int u : batch.secondary()) {
                    assertTrue(u >= 8 && u < 80, "unlabeled index " + u);
                }
            }
            assertEquals(Set.of(0, 1, 2, 3, 4, 5, 6, 7), new HashSet<>(seen));
            assertEquals(8, seen.size());
        }
        // 7 labeled in groups of 2: 3 batches, 6 distinct indices, the 7th left out (a different one each epoch)
        TwoStreamBatchSampler odd = TwoStreamBatchSampler.split(7, 20, 2, 2, 5);
        assertEquals(3, odd.batchesPerEpoch());
        Set<Integer> leftOut = new HashSet<>();
        for (int epoch = 0; epoch < 30; epoch++) {
            Set<Integer> seen = new TreeSet<>();
            for (int b = 0; b < 3; b++) {
                seen.addAll(odd.next().primary());
            }
            assertEquals(6, seen.size());
            for (int i = 0; i < 7; i++) {
                if (!seen.contains(i)) {
                    leftOut.add(i);
                }
            }
        }
        assertTrue(leftOut.size() > 3, "the dropped index varies with the shuffle: " + leftOut);
    }

    @Test
    void unlabeledStreamChainsWholeShufflesAndRestartsEachEpoch() {
        // 12 labeled in 2s: 6 batches per epoch take 12 unlabeled = shuffles of 5 (5 + 5 + 2)
        TwoStreamBatchSampler s = TwoStreamBatchSampler.split(12, 17, 2, 2, 99);
        for (int epoch = 0; epoch < 4; epoch++) {
            List<Integer> stream = new ArrayList<>();
            for (int b = 0; b < 6; b++) {
                stream.addAll(s.next().secondary());
            }
            Set<Integer> all = Set.of(12, 13, 14, 15, 16);
            assertEquals(all, new HashSet<>(stream.subList(0, 5)), "epoch " + epoch + " starts with a whole shuffle");
            assertEquals(all, new HashSet<>(stream.subList(5, 10)), "then another: " + stream);
            assertEquals(2, new HashSet<>(stream.subList(10, 12)).size());
        }
    }

    @Test
    void sameSeedSameBatchesOtherSeedOthers() {
        TwoStreamBatchSampler a = TwoStreamBatchSampler.split(16, 80, 2, 2, 1337);
        TwoStreamBatchSampler b = TwoStreamBatchSampler.split(16, 80, 2, 2, 1337);
        TwoStreamBatchSampler c = TwoStreamBatchSampler.split(16, 80, 2, 2, 1338);
        List<TwoStreamBatchSampler.Batch> fromA = new ArrayList<>();
        List<TwoStreamBatchSampler.Batch> fromC = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            fromA.add(a.next());
            assertEquals(fromA.get(i), b.next());
            fromC.add(c.next());
        }
        assertNotEquals(fromA, fromC);
        // random access agrees with the sequence, and epochs differ from each other
        assertEquals(fromA.get(37), a.batch(37));
        assertNotEquals(fromA.subList(0, 8).stream().map(TwoStreamBatchSampler.Batch::primary).toList(),
                fromA.subList(8, 16).stream().map(TwoStreamBatchSampler.Batch::primary).toList());
    }

    @Test
    void resumesExactlyFromASavedState() {
        TwoStreamBatchSampler run = TwoStreamBatchSampler.split(8, 40, 2, 2, 21);
        for (int i = 0; i < 13; i++) {
            run.next(); // mid-epoch: 13 = 3 epochs of 4 + 1
        }
        long[] saved = run.state();
        List<TwoStreamBatchSampler.Batch> straight = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            straight.add(run.next());
        }
        TwoStreamBatchSampler resumed = TwoStreamBatchSampler.split(8, 40, 2, 2, 21);
        resumed.next(); // its own position does not matter
        resumed.restore(saved);
        assertEquals(13, resumed.iteration());
        for (int i = 0; i < 20; i++) {
            assertEquals(straight.get(i), resumed.next());
        }
    }

    @Test
    void restoreRejectsAnotherSamplersState() {
        long[] state = TwoStreamBatchSampler.split(8, 40, 2, 2, 21).state();
        IllegalArgumentException seed = assertThrows(IllegalArgumentException.class,
                () -> TwoStreamBatchSampler.split(8, 40, 2, 2, 22).restore(state));
        assertTrue(seed.getMessage().contains("another sampler"), seed.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TwoStreamBatchSampler.split(9, 40, 2, 2, 21).restore(state));
        assertThrows(IllegalArgumentException.class, () -> TwoStreamBatchSampler.split(8, 40, 2, 1, 21).restore(state));
        assertThrows(IllegalArgumentException.class, () -> TwoStreamBatchSampler.split(8, 40, 2, 2, 21).restore(new long[] {1, 2}));
    }

    @Test
    void edgeCases() {
        // labelnum equal to the labeled batch: one batch per epoch, always all of them
        TwoStreamBatchSampler one = TwoStreamBatchSampler.split(2, 5, 2, 3, 1);
        assertEquals(1, one.batchesPerEpoch());
        for (int i = 0; i < 5; i++) {
            TwoStreamBatchSampler.Batch b = one.next();
            assertEquals(Set.of(0, 1), new HashSet<>(b.primary()));
            assertEquals(Set.of(2, 3, 4), new HashSet<>(b.secondary()), "3 unlabeled in a group of 3: one whole shuffle");
        }
        IllegalArgumentException few = assertThrows(IllegalArgumentException.class, () -> TwoStreamBatchSampler.split(1, 80, 2, 2, 1));
        assertTrue(few.getMessage().contains("1 labeled case cannot fill a labeled batch of 2"), few.getMessage());
        IllegalArgumentException fewU = assertThrows(IllegalArgumentException.class, () -> TwoStreamBatchSampler.split(4, 5, 2, 2, 1));
        assertTrue(fewU.getMessage().contains("1 unlabeled case cannot fill an unlabeled batch of 2"), fewU.getMessage());
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> TwoStreamBatchSampler.split(0, 80, 2, 2, 1));
        assertTrue(none.getMessage().contains("labelnum 0"), none.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TwoStreamBatchSampler.split(80, 80, 2, 2, 1));
        assertThrows(IllegalArgumentException.class, () -> TwoStreamBatchSampler.split(8, 80, 0, 2, 1));
        assertThrows(IllegalArgumentException.class, () -> TwoStreamBatchSampler.split(8, 80, 2, -1, 1));
        // An unlabeled batch of 0 is the labeled-only stream of the supervised baseline, every case labeled allowed.
        TwoStreamBatchSampler labeledOnly = TwoStreamBatchSampler.split(80, 80, 2, 0, 1);
        assertEquals(40, labeledOnly.batchesPerEpoch());
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 40; i++) {
            TwoStreamBatchSampler.Batch b = labeledOnly.next();
            assertTrue(b.secondary().isEmpty());
            seen.addAll(b.primary());
        }
        assertEquals(80, seen.size());
        IllegalArgumentException dup = assertThrows(IllegalArgumentException.class,
                () -> new TwoStreamBatchSampler(new int[] {0, 1, 2}, new int[] {2, 3}, 1, 1, 1));
        assertTrue(dup.getMessage().contains("index 2 appears twice"), dup.getMessage());
        assertThrows(IllegalArgumentException.class, () -> one.seek(-1));
    }
}
