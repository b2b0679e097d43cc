package org.ducisc.backend.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.ducisc.backend.Buffer;
import org.ducisc.core.Device;

/** Off-heap host memory: one shared arena per buffer, so it is freed the moment the pool lets it go. */
final class CpuBuffer implements Buffer {
    final MemorySegment segment;
    private final Arena arena;

    CpuBuffer(long bytes) {
        this.arena = Arena.ofShared();
        this.segment = arena.allocate(Math.max(bytes, 1), 64);
    }

    @Override
    public long byteSize() {
        return segment.byteSize();
    }

    @Override
    public Device device() {
        return Device.CPU;
    }

    void free() {
        arena.close();
    }
}
