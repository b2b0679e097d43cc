package org.ducisc.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The caching allocator's bookkeeping over a fake device (no GPU). */
class CachingAllocatorTest {
    /** Hands out disjoint address ranges up to a capacity; remembers what is allocated. */
    static final class FakeDevice implements DeviceMemory {
        final Map<Long, Long> blocks = new HashMap<>();
        final long capacity;
        long used;
        long next = 1L << 32;
        int allocations;

        FakeDevice(long capacity) {
            this.capacity = capacity;
        }

        @Override
        public long allocate(long bytes) {
            if (used + bytes > capacity) {
                throw new OutOfMemory("fake device full");
            }
            allocations++;
            long a = next;
            next += bytes + 4096;
            blocks.put(a, bytes);
            used += bytes;
            return a;
        }

        @Override
        public void free(long address) {
            Long size = blocks.remove(address);
            if (size == null) {
                throw new AssertionError("freed an unknown address " + address);
            }
            used -= size;
        }
    }

    @Test
    void sizeClassesCoverTheRequestWithBoundedWaste() {
        Random r = new Random(7);
        for (int i = 0; i < 10000; i++) {
            long bytes = i < 5000 ? r.nextInt(3 << 20) : (long) (Math.exp(r.nextDouble() * Math.log(1e10)));
            long size = CachingAllocator.sizeClass(bytes);
            assertTrue(size >= bytes && size >= CachingAllocator.SMALL_STEP, bytes + " -> " + size);
            long waste = size - bytes;
            assertTrue(bytes <= CachingAllocator.SMALL_LIMIT ? waste < CachingAllocator.SMALL_STEP : waste * 4 <= size,
                    bytes + " -> " + size);
            assertEquals(size, CachingAllocator.sizeClass(size), "a class size is its own class");
        }
    }

    @Test
    void steadyStateIterationsTakeNoFreshMemory() {
        FakeDevice device = new FakeDevice(Long.MAX_VALUE);
        try (CachingAllocator a = new CachingAllocator(device)) {
            Random r = new Random(3);
            long[] sizes = new long[37];
            for (int i = 0; i < sizes.length; i++) {
                sizes[i] = 1 + r.nextInt(5 << 20);
            }
            int afterFirst = -1;
            for (int iteration = 0; iteration < 20; iteration++) {
                List<Long> held = new ArrayList<>();
                Set<Long> liveNow = new HashSet<>();
                for (int i = 0; i < sizes.length; i++) {
                    long b = a.allocate(sizes[i]);
                    assertTrue(liveNow.add(b), "two live blocks share an address");
                    assertTrue(a.blockSize(b) >= sizes[i]);
                    held.add(b);
                    if (i % 3 == 2) {
                        long freed = held.remove(0);
                        liveNow.remove(freed);
                        a.free(freed);
                    }
                }
                held.forEach(a::free);
                assertEquals(0, a.liveBytes());
                if (iteration == 0) {
                    afterFirst = device.allocations;
                }
            }
            assertEquals(afterFirst, device.allocations, "device allocations after the first iteration");
            assertEquals(afterFirst, a.deviceAllocations());
            assertEquals(device.used, a.cachedBytes());
            assertTrue(a.peakLiveBytes() > 0);
        }
        assertTrue(device.blocks.isEmpty(), "close gives the cache back");
    }

    @Test
    void aFreedBlockServesAnyRequestOfItsClass() {
        FakeDevice device = new FakeDevice(Long.MAX_VALUE);
        try (CachingAllocator a = new CachingAllocator(device)) {
            long b = a.allocate(3000);
            a.free(b);
            assertEquals(b, a.allocate(2600), "same 3072-byte class");
            long other = a.allocate(5000);
            assertTrue(other != b);
            assertEquals(2, device.allocations);
        }
    }

    @Test
    void doubleOrForeignFreeIsRefused() {
        try (CachingAllocator a = new CachingAllocator(new FakeDevice(Long.MAX_VALUE))) {
            long b = a.allocate(100);
            a.free(b);
            assertThrows(IllegalArgumentException.class, () -> a.free(b));
            assertThrows(IllegalArgumentException.class, () -> a.free(12345));
        }
    }

    @Test
    void runningOutFreesTheCacheAndRetriesOnce() {
        FakeDevice device = new FakeDevice(8L << 20);
        try (CachingAllocator a = new CachingAllocator(device)) {
            long small = a.allocate(3L << 20);
            a.free(small);
            long big = a.allocate(6L << 20);
            assertEquals(0, a.cachedBytes(), "the cached 3 MiB block was given back to make room");
            assertEquals(6L << 20, device.used);
            CudaException e = assertThrows(CudaException.class, () -> a.allocate(4L << 20));
            assertTrue(e.getMessage().contains("out of device memory allocating 4194304 bytes"), e.getMessage());
            a.free(big);
        }
    }
}
