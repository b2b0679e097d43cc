package org.ducisc.backend.cuda;

import java.lang.foreign.MemorySegment;

/**
 * The device side of the CUDA backend, the one seam between {@link CudaBackend} and a device: memory
 * (through {@link DeviceMemory}), copies, memsets, the one stream that orders all work, and event
 * timing. {@link CudaDriver} is a GPU through JCuda's driver binding; {@link EmulatedDevice} is host
 * memory for the kernels built by native/build.sh --host. Addresses are device addresses (host
 * addresses on the emulated device); every failure throws {@link CudaException} naming the call.
 */
interface DeviceRuntime extends DeviceMemory, AutoCloseable {
    /** The device's name, e.g. "NVIDIA H200". */
    String name();

    /** The device's memory in bytes. */
    long totalMemory();

    /** The stream's raw handle, as the kernels' launchers take it (cudaStream_t). */
    long streamHandle();

    /** Makes the device current on the calling thread (once per thread), before a kernel launch. */
    void makeCurrent();

    /** Copies all of {@code src} to device memory at {@code dst} and waits for the copy. */
    void copyToDevice(MemorySegment src, long dst);

    /** Fills all of {@code dst} from device memory at {@code src}, after the work queued before it. */
    void copyToHost(long src, MemorySegment dst);

    /** Queues a copy of {@code bytes} bytes within the device. */
    void copyDeviceToDevice(long src, long dst, long bytes);

    /** Queues setting {@code count} 32-bit words at {@code dst} to {@code bits}. */
    void fill32(long dst, int bits, long count);

    /** Queues setting {@code count} bytes at {@code dst} to {@code value}. */
    void fill8(long dst, byte value, long count);

    /** Waits for all work queued on the stream; a kernel's asynchronous failure surfaces here. */
    void synchronize();

    /** Milliseconds the stream spends on {@code work}. */
    float time(Runnable work);

    @Override
    void close();
}
