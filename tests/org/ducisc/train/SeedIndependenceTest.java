package org.ducisc.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.ducisc.core.Device;
import org.ducisc.data.SeedStreams;
import org.ducisc.nn.VNet;
import org.ducisc.tensor.Rng;
import org.junit.jupiter.api.Test;

/**
 * Runs with different seeds draw independent values (issue 14, item 1): every stream of a run comes
 * from (seed, purpose, index) through one mixer, so no stream replays another's draws shifted.
 */
class SeedIndependenceTest {
    private static final long[] PURPOSES = {SeedStreams.SAMPLER, SeedStreams.AUGMENT, SeedStreams.WEIGHTS,
        SeedStreams.DROPOUT, SeedStreams.FUSION};

    @Test
    void consecutiveSeedsShareNoFusionWeights() {
        // The example: seeds 1337, 1338, 1339 at iteration 0 drew [0.519, 0.360], [0.360, 0.340], [0.340, 0.533].
        DuciscConfig cfg = DuciscConfig.defaults();
        for (long seed = 1337; seed < 1341; seed++) {
            for (long it = 0; it < 20; it++) {
                for (int shift = 0; shift <= 3; shift++) {
                    double[] a = Trainer.fusionWeights(seed, it + shift, 2, cfg);
                    double[] b = Trainer.fusionWeights(seed + 1, it, 2, cfg);
                    for (double x : a) {
                        for (double y : b) {
                            assertNotEquals(x, y, "seed " + seed + " iteration " + (it + shift) + " and seed "
                                    + (seed + 1) + " iteration " + it + " draw the same fusion weight");
                        }
                    }
                }
            }
        }
    }

    @Test
    void noTwoStreamsOfNeighbouringSeedsShareADraw() {
        // Any shared 64-bit draw between streams (even shifted by many draws) would show as a repeat here.
        Map<Long, String> seen = new HashMap<>();
        for (long seed : new long[] {0, 1, 2, 1337, 1338, 1339, 1337 + Rng.GAMMA, 1337 + 2 * Rng.GAMMA}) {
            for (long purpose : PURPOSES) {
                for (long index = 0; index < 40; index++) {
                    Rng r = SeedStreams.of(seed, purpose, index);
                    for (int k = 0; k < 64; k++) {
                        String where = "seed " + seed + " purpose " + Long.toHexString(purpose) + " index " + index
                                + " draw " + k;
                        String before = seen.put(r.nextLong(), where);
                        assertEquals(null, before, where + " repeats " + before);
                    }
                }
            }
        }
    }

    @Test
    void networkInitialisersDoNotChain() {
        // With generators forked in sequence from Rng(seed), the teacher of seed s was initialised
        // exactly like the student of seed s + 2 * GAMMA; now they are unrelated.
        VNet.Config config = VNet.Config.defaults().withBaseFilters(2);
        long seed = 1337;
        float[] teacher = firstWeights(config, seed, true);
        float[] student = firstWeights(config, seed, false);
        for (long other : new long[] {seed + 2 * Rng.GAMMA, seed + Rng.GAMMA, seed + 1, seed - 1}) {
            float[] otherStudent = firstWeights(config, other, false);
            assertTrue(disjoint(teacher, otherStudent), "teacher of seed " + seed + " shares weights with the student"
                    + " of seed " + other);
            assertTrue(disjoint(student, otherStudent), "students of seeds " + seed + " and " + other + " share weights");
        }
        assertTrue(disjoint(teacher, student), "student and teacher of one seed share weights");
    }

    private static float[] firstWeights(VNet.Config config, long seed, boolean teacher) {
        try (VNet net = Trainer.network(config, Device.CPU, seed, teacher)) {
            return net.parameters().get(0).value().toFloatArray();
        }
    }

    private static boolean disjoint(float[] a, float[] b) {
        java.util.Set<Float> s = new java.util.HashSet<>();
        for (float x : a) {
            s.add(x);
        }
        int shared = 0;
        for (float y : b) {
            if (s.contains(y)) {
                shared++;
            }
        }
        // A few coincidences among float32 values are possible; a chained stream shares nearly all.
        return shared < a.length / 4;
    }
}
