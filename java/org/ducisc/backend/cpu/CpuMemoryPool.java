package org.ducisc.backend.cpu;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;

/**
 * Keeps released buffers by exact size for reuse. A training iteration allocates the same sizes
 * every time, so after the first iteration it takes (almost) no fresh memory: no page faults, no
 * zeroing, no unmapping.
 *
 * <p>Two bounds, each enforced by freeing the least recently released buffers first (never the
 * whole cache at once, which made every iteration of a working set larger than the limit
 * allocate it all afresh):
 * <ul>
 *   <li>The footprint, live plus cached bytes, never exceeds the largest live total seen
 *       ({@link #workingSetBytes}): before a fresh allocation would pass it, cached buffers of other
 *       sizes are freed. So the pool adds nothing to the process's peak resident memory beyond the
 *       working set itself.</li>
 *   <li>Cached bytes stay within {@code cacheLimit} (memory kept while idle).</li>
 * </ul>
 */
final class CpuMemoryPool {
    private final Map<Long, ArrayDeque<CpuBuffer>> free = new HashMap<>();
    /** Every cached buffer, least recently released first. */
    private final LinkedHashSet<CpuBuffer> released = new LinkedHashSet<>();
    private final long cacheLimit;
    private long cachedBytes;
    private long liveBytes;
    private long peakLiveBytes;
    private long workingSetBytes;
    private long freshAllocations;

    CpuMemoryPool(long cacheLimit) {
        this.cacheLimit = cacheLimit;
    }

    synchronized CpuBuffer take(long bytes) {
        long size = roundUp(bytes);
        ArrayDeque<CpuBuffer> list = free.get(size);
        CpuBuffer buffer = list == null ? null : list.pollLast();
        if (buffer != null) {
            released.remove(buffer);
            cachedBytes -= size;
        } else {
            evictUntil(Math.max(workingSetBytes, liveBytes + size) - liveBytes - size);
            buffer = allocateFresh(size);
            freshAllocations++;
        }
        liveBytes += size;
        peakLiveBytes = Math.max(peakLiveBytes, liveBytes);
        workingSetBytes = Math.max(workingSetBytes, liveBytes);
        return buffer;
    }

    synchronized void give(CpuBuffer buffer) {
        long size = buffer.byteSize();
        liveBytes -= size;
        if (size > cacheLimit) {
            buffer.free();
            return;
        }
        evictUntil(cacheLimit - size);
        free.computeIfAbsent(size, k -> new ArrayDeque<>()).addLast(buffer);
        released.add(buffer);
        cachedBytes += size;
    }

    /** Frees the least recently released cached buffers until at most {@code maxCached} bytes stay cached. */
    private void evictUntil(long maxCached) {
        Iterator<CpuBuffer> oldest = released.iterator();
        while (cachedBytes > Math.max(0, maxCached) && oldest.hasNext()) {
            CpuBuffer b = oldest.next();
            oldest.remove();
            long size = b.byteSize();
            ArrayDeque<CpuBuffer> list = free.get(size);
            list.remove(b);
            if (list.isEmpty()) {
                free.remove(size);
            }
            cachedBytes -= size;
            b.free();
        }
    }

    /** Frees every cached buffer. */
    synchronized void trim() {
        for (CpuBuffer b : released) {
            b.free();
        }
        released.clear();
        free.clear();
        cachedBytes = 0;
    }

    synchronized long liveBytes() {
        return liveBytes;
    }

    synchronized long cachedBytes() {
        return cachedBytes;
    }

    synchronized long peakLiveBytes() {
        return peakLiveBytes;
    }

    synchronized void resetPeak() {
        peakLiveBytes = liveBytes;
    }

    /** Buffers allocated afresh (cache misses) so far. */
    synchronized long freshAllocations() {
        return freshAllocations;
    }

    private CpuBuffer allocateFresh(long size) {
        try {
            return new CpuBuffer(size);
        } catch (OutOfMemoryError e) {
            trim();
            return new CpuBuffer(size);
        }
    }

    private static long roundUp(long bytes) {
        return (Math.max(bytes, 1) + 63) & ~63L;
    }
}
