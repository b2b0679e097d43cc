package org.ducisc.backend.cuda;

import org.ducisc.backend.Buffer;
import org.ducisc.core.Device;

/** A block of one device's memory from its caching allocator. */
final class CudaBuffer implements Buffer {
    final long address;
    private final long byteSize;
    private final Device device;

    CudaBuffer(long address, long byteSize, Device device) {
        this.address = address;
        this.byteSize = byteSize;
        this.device = device;
    }

    @Override
    public long byteSize() {
        return byteSize;
    }

    @Override
    public Device device() {
        return device;
    }
}
