package org.ducisc.backend.cpu;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Keeps released buffers by exact size for reuse. A training iteration allocates the same sizes
 * every time, so after the first iteration it takes no fresh memory (no page faults, no zeroing)
 * and its peak stays flat. Buffers beyond the cache limit are freed at once.
 */
final class CpuMemoryPool {
    private final Map<Long, ArrayDeque<CpuBuffer>> free = new HashMap<>();
    private final long cacheLimit;
    private long cachedBytes;
    private long liveBytes;
    private long peakLiveBytes;

    CpuMemoryPool(long cacheLimit) {
        this.cacheLimit = cacheLimit;
    }

    synchronized CpuBuffer take(long bytes) {
        long size = roundUp(bytes);
        ArrayDeque<CpuBuffer> list = free.get(size);
        CpuBuffer buffer = list == null ? null : list.pollLast();
        if (buffer != null) {
            cachedBytes -= size;
        } else {
            buffer = allocateFresh(size);
        }
        liveBytes += size;
        peakLiveBytes = Math.max(peakLiveBytes, liveBytes);
        return buffer;
    }

    synchronized void give(CpuBuffer buffer) {
        long size = buffer.byteSize();
        liveBytes -= size;
        if (cachedBytes + size > cacheLimit) {
            trim();
            if (size > cacheLimit) {
                buffer.free();
                return;
            }
        }
        free.computeIfAbsent(size, k -> new ArrayDeque<>()).addLast(buffer);
        cachedBytes += size;
    }

    /** Frees every cached buffer. */
    synchronized void trim() {
        for (ArrayDeque<CpuBuffer> list : free.values()) {
            for (CpuBuffer b : list) {
                b.free();
            }
        }
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
