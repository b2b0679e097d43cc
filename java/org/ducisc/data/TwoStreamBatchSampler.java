package org.ducisc.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.ducisc.core.Counts;
import org.ducisc.tensor.Rng;

/**
 * The reference's {@code TwoStreamBatchSampler} (UA-MT / MC-Net {@code dataloaders}): each batch is
 * a group of primary (labeled) indices followed by a group of secondary (unlabeled) ones.
 *
 * <ul>
 * <li>An epoch is one shuffled pass over the primary indices, cut into groups of
 *     {@code primaryBatch}; an incomplete last group is dropped (the reference's {@code grouper}
 *     zips one iterator with itself). So an epoch has {@code primary / primaryBatch} batches.
 * <li>The secondary indices come from endless reshuffles chained together and cut into groups of
 *     {@code secondaryBatch}; a group may span two shuffles. Like the reference, whose
 *     {@code __iter__} builds a fresh {@code iterate_eternally} each epoch, the secondary stream
 *     starts over with a new shuffle at every epoch; the unused rest of the last one is dropped.
 * <li>The training loop runs epochs until its iteration count; here the batches simply go on
 *     across epochs, batch i being batch {@code i % batchesPerEpoch} of epoch {@code i / batchesPerEpoch}.
 * </ul>
 *
 * Randomness: epoch e draws from its own generator, derived from (seed, e): first the primary
 * shuffle, then the secondary shuffles as they are needed, each a Fisher-Yates pass from the last
 * position down ({@code j = nextInt(i + 1)}). The order mirrors the reference's {@code np.random}
 * calls; the values are ours. Because every epoch depends only on the seed, the whole state is the
 * next batch's number: {@link #state} saves it with the configuration, {@link #restore} checks the
 * configuration and resumes exactly. Not thread-safe.
 */
public final class TwoStreamBatchSampler {
    private static final long STATE_FORMAT = 1;

    private final int[] primary;
    private final int[] secondary;
    private final int primaryBatch;
    private final int secondaryBatch;
    private final long seed;
    private long iteration;

    private long cachedEpoch = -1;
    private int[] epochPrimary;
    private Rng epochRng;
    private final List<int[]> epochSecondary = new ArrayList<>();

    /** One batch: its global number, its epoch, and the indices, primary first. */
    public record Batch(long iteration, long epoch, List<Integer> primary, List<Integer> secondary) {
        public Batch {
            primary = List.copyOf(primary);
            secondary = List.copyOf(secondary);
        }
    }

    public TwoStreamBatchSampler(int[] primary, int[] secondary, int primaryBatch, int secondaryBatch, long seed) {
        if (primaryBatch <= 0 || secondaryBatch < 0) {
            throw new IllegalArgumentException("TwoStreamBatchSampler: the labeled batch size must be > 0 and the unlabeled"
                    + " one >= 0 (0: labeled cases only), got " + primaryBatch + " and " + secondaryBatch);
        }
        if (primary.length < primaryBatch) {
            throw new IllegalArgumentException("TwoStreamBatchSampler: " + Counts.of(primary.length, "labeled case")
                    + " cannot fill a labeled batch of " + primaryBatch
                    + " (labelnum must be at least the labeled batch size)");
        }
        if (secondary.length < secondaryBatch) {
            throw new IllegalArgumentException("TwoStreamBatchSampler: " + Counts.of(secondary.length, "unlabeled case")
                    + " cannot fill an unlabeled batch of " + secondaryBatch
                    + " (the train list needs at least labelnum + that many cases)");
        }
        Set<Integer> seen = new HashSet<>();
        for (int[] list : new int[][] {primary, secondary}) {
            for (int i : list) {
                if (i < 0 || !seen.add(i)) {
                    throw new IllegalArgumentException("TwoStreamBatchSampler: index " + i
                            + (i < 0 ? " is negative" : " appears twice") + " in labeled " + Arrays.toString(primary)
                            + " / unlabeled " + Arrays.toString(secondary));
                }
            }
        }
        this.primary = primary.clone();
        this.secondary = secondary.clone();
        this.primaryBatch = primaryBatch;
        this.secondaryBatch = secondaryBatch;
        this.seed = seed;
    }

    /**
     * The reference's split of a train list of {@code total} cases: indices 0..labelnum-1 labeled,
     * labelnum..total-1 unlabeled.
     */
    public static TwoStreamBatchSampler split(int labelnum, int total, int labeledBatch, int unlabeledBatch, long seed) {
        int most = unlabeledBatch == 0 ? total : total - 1;
        if (labelnum < 1 || labelnum > most) {
            throw new IllegalArgumentException("TwoStreamBatchSampler: labelnum " + labelnum + " must be in 1.." + most
                    + " for a train list of " + Counts.of(total, "case") + (unlabeledBatch == 0 ? "" : " (some labeled, some unlabeled)"));
        }
        int[] labeled = new int[labelnum];
        int[] unlabeled = new int[total - labelnum];
        Arrays.setAll(labeled, i -> i);
        Arrays.setAll(unlabeled, i -> labelnum + i);
        return new TwoStreamBatchSampler(labeled, unlabeled, labeledBatch, unlabeledBatch, seed);
    }

    public int batchesPerEpoch() {
        return primary.length / primaryBatch;
    }

    public int primaryBatch() {
        return primaryBatch;
    }

    public int secondaryBatch() {
        return secondaryBatch;
    }

    /** The number of the batch {@link #next} returns. */
    public long iteration() {
        return iteration;
    }

    public Batch next() {
        return batch(iteration++);
    }

    /** Makes {@code iteration} the next batch (0 is the start of the run). */
    public void seek(long iteration) {
        if (iteration < 0) {
            throw new IllegalArgumentException("TwoStreamBatchSampler.seek: iteration must be >= 0, got " + iteration);
        }
        this.iteration = iteration;
    }

    /** Batch {@code i} of the run, without moving the position. */
    public Batch batch(long i) {
        if (i < 0) {
            throw new IllegalArgumentException("TwoStreamBatchSampler.batch: iteration must be >= 0, got " + i);
        }
        long epoch = i / batchesPerEpoch();
        int inEpoch = (int) (i % batchesPerEpoch());
        enterEpoch(epoch);
        List<Integer> p = new ArrayList<>(primaryBatch);
        for (int j = 0; j < primaryBatch; j++) {
            p.add(epochPrimary[inEpoch * primaryBatch + j]);
        }
        List<Integer> s = new ArrayList<>(secondaryBatch);
        for (int j = 0; j < secondaryBatch; j++) {
            long at = (long) inEpoch * secondaryBatch + j;
            int shuffle = (int) (at / secondary.length);
            while (epochSecondary.size() <= shuffle) {
                epochSecondary.add(shuffled(secondary, epochRng));
            }
            s.add(epochSecondary.get(shuffle)[(int) (at % secondary.length)]);
        }
        return new Batch(i, epoch, p, s);
    }

    private void enterEpoch(long epoch) {
        if (epoch != cachedEpoch) {
            epochRng = SeedStreams.of(seed, SeedStreams.SAMPLER, epoch);
            epochPrimary = shuffled(primary, epochRng);
            epochSecondary.clear();
            cachedEpoch = epoch;
        }
    }

    private static int[] shuffled(int[] values, Rng rng) {
        int[] a = values.clone();
        for (int i = a.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }

    /**
     * Everything needed to resume: a format tag, the configuration (seed, batch sizes, a hash of the
     * index lists) and the next batch's number.
     */
    public long[] state() {
        return new long[] {STATE_FORMAT, seed, primaryBatch, secondaryBatch, fingerprint(), iteration};
    }

    /** Resumes from {@link #state}; fails if the state is from a sampler with another configuration. */
    public void restore(long[] state) {
        long[] mine = state();
        if (state.length != mine.length || state[0] != STATE_FORMAT) {
            throw new IllegalArgumentException("TwoStreamBatchSampler.restore: not a sampler state (format "
                    + STATE_FORMAT + ", " + mine.length + " longs), got " + Arrays.toString(state));
        }
        if (!Arrays.equals(state, 1, 5, mine, 1, 5)) {
            throw new IllegalArgumentException("TwoStreamBatchSampler.restore: the state is from another sampler (seed, batch sizes, index lists "
                    + Arrays.toString(Arrays.copyOfRange(state, 1, 5)) + ", this one "
                    + Arrays.toString(Arrays.copyOfRange(mine, 1, 5)) + ")");
        }
        seek(state[5]);
    }

    private long fingerprint() {
        return 31L * Arrays.hashCode(primary) + Arrays.hashCode(secondary);
    }

    @Override
    public String toString() {
        return "TwoStreamBatchSampler(" + primary.length + " labeled in groups of " + primaryBatch + ", "
                + secondary.length + " unlabeled in groups of " + secondaryBatch + ", next batch " + iteration + ")";
    }
}
