package org.ducisc.backend.cuda;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Device memory by size class, kept for reuse: a training iteration asks for the same sizes every
 * time, so after the first one it takes every block from the free lists and calls no cudaMalloc
 * (which synchronises the device and costs milliseconds). Classes: multiples of 512 bytes up to
 * 1 MiB, above that four steps per power of two (at most 25% waste). When the device runs out, the
 * cached blocks are freed and the allocation tried once more. All work is on one stream, so a block
 * released while kernels still read it is only reused by kernels that run after them.
 */
final class CachingAllocator implements AutoCloseable {
    static final long SMALL_STEP = 512;
    static final long SMALL_LIMIT = 1L << 20;

    private final DeviceMemory memory;
    /** Free blocks per size class. */
    private final TreeMap<Long, ArrayDeque<Long>> free = new TreeMap<>();
    /** Size class of every block this allocator owns, live or cached. */
    private final Map<Long, Long> classOf = new HashMap<>();
    /** Requested bytes of every live block. */
    private final Map<Long, Long> live = new HashMap<>();
    private long liveBytes;
    private long cachedBytes;
    private long peakLiveBytes;
    private long deviceAllocations;

    CachingAllocator(DeviceMemory memory) {
        this.memory = memory;
    }

    /** The block size that serves a request of {@code bytes}. */
    static long sizeClass(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("negative allocation size " + bytes);
        }
        if (bytes <= SMALL_LIMIT) {
            return Math.max(SMALL_STEP, (bytes + SMALL_STEP - 1) / SMALL_STEP * SMALL_STEP);
        }
        long power = Long.highestOneBit(bytes);
        long step = power / 4;
        return (bytes + step - 1) / step * step;
    }

    /** A block of at least {@code bytes} bytes; its size is {@link #blockSize}. */
    synchronized long allocate(long bytes) {
        long size = sizeClass(bytes);
        ArrayDeque<Long> list = free.get(size);
        Long address = list == null ? null : list.pollLast();
        if (address != null) {
            cachedBytes -= size;
        } else {
            address = allocateFresh(size);
            classOf.put(address, size);
        }
        live.put(address, bytes);
        liveBytes += size;
        peakLiveBytes = Math.max(peakLiveBytes, liveBytes);
        memory.handOut(address, bytes, size);
        return address;
    }

    private long allocateFresh(long size) {
        try {
            deviceAllocations++;
            return memory.allocate(size);
        } catch (DeviceMemory.OutOfMemory first) {
            trim();
            try {
                return memory.allocate(size);
            } catch (DeviceMemory.OutOfMemory again) {
                throw new CudaException("out of device memory allocating " + size + " bytes (" + liveBytes
                        + " bytes in use): " + again.getMessage(), again);
            }
        }
    }

    synchronized long blockSize(long address) {
        Long size = classOf.get(address);
        if (size == null) {
            throw new IllegalArgumentException("0x" + Long.toHexString(address) + " is not a block of this allocator");
        }
        return size;
    }

    /**
     * Returns a block to its free list; throws {@link CudaException} after that if the device found bytes
     * written past the request (the emulated device's guard, see {@link DeviceMemory#takeBack}).
     */
    synchronized void free(long address) {
        Long requested = live.remove(address);
        if (requested == null) {
            throw new IllegalArgumentException("0x" + Long.toHexString(address)
                    + " is not a live block of this allocator (freed twice?)");
        }
        long size = classOf.get(address);
        liveBytes -= size;
        cachedBytes += size;
        free.computeIfAbsent(size, k -> new ArrayDeque<>()).addLast(address);
        memory.takeBack(address, requested, size);
    }

    /** Gives every cached block back to the device. */
    synchronized void trim() {
        for (ArrayDeque<Long> list : free.values()) {
            for (long address : list) {
                memory.free(address);
                classOf.remove(address);
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

    /** Calls of the device allocator so far: flat in steady state. */
    synchronized long deviceAllocations() {
        return deviceAllocations;
    }

    /** Frees the cache; blocks still live stay with their owners. */
    @Override
    public synchronized void close() {
        trim();
    }
}
