package org.ducisc.data;

import org.ducisc.tensor.Rng;

/**
 * Independent generators keyed by (seed, purpose, index), so that the randomness of epoch e or
 * batch i is a function of the run's seed alone: a resumed run, or a loader thread that runs
 * ahead, draws exactly what a straight run would.
 */
final class SeedStreams {
    /** Purposes: distinct constants so the sampler's and the augmentation's streams never coincide. */
    static final long SAMPLER = 0x5A4D504C45524E31L;
    static final long AUGMENT = 0x4155474D454E5431L;

    private SeedStreams() {}

    /**
     * The generator for item {@code index} of stream {@code purpose}. Mixing twice keeps streams
     * of neighbouring indices apart: SplitMix64 seeded with x and x + gamma would replay the same
     * sequence shifted by one draw.
     */
    static Rng of(long seed, long purpose, long index) {
        return new Rng(mix(mix(seed ^ purpose) + index));
    }

    private static long mix(long x) {
        return new Rng(x).nextLong();
    }
}
