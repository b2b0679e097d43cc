package org.ducisc.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The reuse pool under the allocation pattern of a training step: the same sizes every iteration,
 * all released at the end. A working set larger than the cache limit must not make every
 * iteration allocate afresh (the limit once freed the whole cache at once), and the pool must
 * never hold more than the largest working set (live + cached bytes).
 */
class CpuMemoryPoolTest {
    private static final int KB = 1024;

    /** One iteration: takes buffers of the given sizes (keeping them all live), then gives them all back. */
    private static long iteration(CpuMemoryPool pool, long[] sizes, long[] maxFootprint) {
        long before = pool.freshAllocations();
        List<CpuBuffer> live = new ArrayList<>();
        for (long s : sizes) {
            live.add(pool.take(s));
            maxFootprint[0] = Math.max(maxFootprint[0], pool.liveBytes() + pool.cachedBytes());
        }
        for (CpuBuffer b : live) {
            pool.give(b);
            maxFootprint[0] = Math.max(maxFootprint[0], pool.liveBytes() + pool.cachedBytes());
        }
        return pool.freshAllocations() - before;
    }

    @Test
    void workingSetAboveTheCacheLimitIsMostlyReused() {
        long seed = 1129;
        System.out.println("CpuMemoryPoolTest seed " + seed);
        Random r = new Random(seed);
        long[] sizes = new long[40];
        long total = 0;
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = (1 + r.nextInt(63)) * KB;
            total += (sizes[i] + 63) & ~63L;
        }
        CpuMemoryPool pool = new CpuMemoryPool(total * 3 / 4); // the working set exceeds the limit by a third
        long[] footprint = {0};
        try {
            iteration(pool, sizes, footprint);
            for (int it = 0; it < 5; it++) {
                long fresh = iteration(pool, sizes, footprint);
                // At most the quarter of the working set that the limit cannot keep is allocated again.
                assertTrue(fresh <= sizes.length / 2, "iteration " + it + " allocated " + fresh + " of " + sizes.length
                        + " buffers afresh");
                assertTrue(pool.cachedBytes() <= total * 3 / 4, "cache within its limit");
            }
            assertTrue(footprint[0] <= total, "live + cached reached " + footprint[0] + " > working set " + total);
        } finally {
            pool.trim();
        }
    }

    @Test
    void footprintStaysWithinTheLargestWorkingSetWhenSizesChange() {
        CpuMemoryPool pool = new CpuMemoryPool(Long.MAX_VALUE);
        long[] footprint = {0};
        try {
            long[] a = {64 * KB, 64 * KB, 128 * KB};
            long[] b = {96 * KB, 96 * KB, 64 * KB};
            iteration(pool, a, footprint);
            long workingSet = 256 * KB;
            for (int it = 0; it < 4; it++) {
                iteration(pool, it % 2 == 0 ? b : a, footprint);
            }
            // Sizes that do not match are freed before new memory is taken, so the pool never holds
            // a's buffers and b's at once.
            assertTrue(footprint[0] <= workingSet, "live + cached reached " + footprint[0] + " > " + workingSet);
            assertEquals(0, pool.liveBytes());
        } finally {
            pool.trim();
        }
    }
}
