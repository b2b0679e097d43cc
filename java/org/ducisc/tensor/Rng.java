package org.ducisc.tensor;

/**
 * A seeded generator (SplitMix64) whose whole state is one long plus a cached normal deviate, so a
 * run can save it and resume the same sequence. Not thread-safe: give each consumer its own.
 * Generators seeded with x and x + k * {@link #GAMMA} replay each other shifted by k draws, so a
 * run derives its generators from (seed, purpose, index) through {@code org.ducisc.data.SeedStreams},
 * never from arithmetic on the seed or from {@link #fork} chains.
 */
public final class Rng {
    private long state;
    private double spareNormal;
    private boolean hasSpare;

    public Rng(long seed) {
        this.state = seed;
    }

    public long nextLong() {
        return finalise(state += GAMMA);
    }

    /** SplitMix64's increment (the golden ratio in 64 bits), added to the state before each draw. */
    public static final long GAMMA = 0x9E3779B97F4A7C15L;

    /**
     * SplitMix64's output finaliser (Steele, Lea and Flood, "Fast splittable pseudorandom number
     * generators", OOPSLA 2014; the constants of Stafford's variant 13): a bijection of the longs
     * whose every output bit depends on every input bit. The one mixer seeds are derived with (see
     * {@code org.ducisc.data.SeedStreams}).
     */
    public static long finalise(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in [0, 1) with 24 random bits, like a float32 draw. */
    public float nextFloat() {
        return (nextLong() >>> 40) * 0x1.0p-24f;
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform integer in [0, bound). */
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("nextInt: bound must be > 0, got " + bound);
        }
        return (int) (((nextLong() >>> 33) * bound) >>> 31);
    }

    /** Standard normal (Box-Muller, the second deviate cached). */
    public double nextGaussian() {
        if (hasSpare) {
            hasSpare = false;
            return spareNormal;
        }
        double u1;
        do {
            u1 = nextDouble();
        } while (u1 == 0);
        double u2 = nextDouble();
        double r = Math.sqrt(-2 * Math.log(u1));
        spareNormal = r * Math.sin(2 * Math.PI * u2);
        hasSpare = true;
        return r * Math.cos(2 * Math.PI * u2);
    }

    /** The state, for checkpoints; {@link #restore} puts it back. */
    public long[] snapshot() {
        return new long[] {state, Double.doubleToRawLongBits(spareNormal), hasSpare ? 1 : 0};
    }

    public void restore(long[] snapshot) {
        if (snapshot.length != 3) {
            throw new IllegalArgumentException("rng snapshot must have 3 longs, got " + snapshot.length);
        }
        state = snapshot[0];
        spareNormal = Double.longBitsToDouble(snapshot[1]);
        hasSpare = snapshot[2] != 0;
    }
}
