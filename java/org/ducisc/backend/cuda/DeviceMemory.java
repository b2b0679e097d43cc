package org.ducisc.backend.cuda;

/**
 * Raw device memory as the caching allocator sees it: the CUDA driver on a GPU, host memory on the
 * emulated device, a fake in the allocator's tests.
 */
interface DeviceMemory {
    /** A fresh block of exactly {@code bytes} bytes; throws {@link OutOfMemory} when the device has none left. */
    long allocate(long bytes);

    /** Returns a block from {@link #allocate}. */
    void free(long address);

    /**
     * The allocator hands out the block at {@code address} (of {@code blockBytes}) for a request of
     * {@code requested} bytes. The emulated device guards the bytes past the request; a GPU does nothing.
     */
    default void handOut(long address, long requested, long blockBytes) {
    }

    /**
     * The block comes back to the allocator. The emulated device checks its guard and throws
     * {@link CudaException} if a kernel or copy wrote past the request; a GPU does nothing.
     */
    default void takeBack(long address, long requested, long blockBytes) {
    }

    /** The device could not satisfy an allocation. */
    final class OutOfMemory extends RuntimeException {
        private static final long serialVersionUID = 1L;

        OutOfMemory(String message) {
            super(message);
        }
    }
}
