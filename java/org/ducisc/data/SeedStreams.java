package org.ducisc.data;

import org.ducisc.tensor.Rng;

/**
 * Every random stream of a run, keyed by (seed, purpose, index): network initialisation, dropout,
 * the sampler's epochs, each batch's augmentation and each iteration's fusion weights. The
 * randomness of epoch e or iteration i is then a function of the run's seed alone, so a resumed
 * run, or a loader thread that runs ahead, draws exactly what a straight run would; and two runs
 * with neighbouring seeds draw independent values.
 *
 * <p>The one mixer is SplitMix64's finaliser ({@link Rng#finalise}) applied in turn over the three
 * inputs: {@code finalise(finalise(finalise(seed + GAMMA) + purpose) + index)} seeds the stream's
 * generator. Arithmetic on the seed itself (seed * GAMMA + i, or sequential {@code fork()} draws
 * from one root) is what this replaces: SplitMix64 generators whose seeds differ by a multiple of
 * GAMMA replay one another's draws shifted by that multiple, so seed s + 1 drew at iteration i
 * what seed s drew at i + 1.
 */
public final class SeedStreams {
    /** Purposes: distinct constants, one per kind of randomness. */
    public static final long SAMPLER = 0x5A4D504C45524E31L;
    public static final long AUGMENT = 0x4155474D454E5431L;
    /** Parameter initialisation; index 0 = the student, 1 = the teacher. */
    public static final long WEIGHTS = 0x5745494748545331L;
    /** Dropout masks; index 0 = the student, 1 = the teacher. */
    public static final long DROPOUT = 0x44524F504F555431L;
    /** The labeled/unlabeled fusion weights of cross-image mixing; index = the iteration. */
    public static final long FUSION = 0x465553494F4E5731L;

    /** Index of the student network in the WEIGHTS and DROPOUT streams. */
    public static final long STUDENT = 0;
    /** Index of the EMA teacher network in the WEIGHTS and DROPOUT streams. */
    public static final long TEACHER = 1;

    private SeedStreams() {}

    /** The generator for item {@code index} of stream {@code purpose} of the run seeded {@code seed}. */
    public static Rng of(long seed, long purpose, long index) {
        return new Rng(mix(seed, purpose, index));
    }

    /** The starting state of {@link #of}: the three inputs folded through {@link Rng#finalise}. */
    public static long mix(long seed, long purpose, long index) {
        return Rng.finalise(Rng.finalise(Rng.finalise(seed + Rng.GAMMA) + purpose) + index);
    }
}
