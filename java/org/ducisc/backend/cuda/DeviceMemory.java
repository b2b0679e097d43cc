package org.ducisc.backend.cuda;

/**
 * Raw device memory as the caching allocator sees it: the CUDA driver in production, a fake in the
 * allocator's tests.
 */
interface DeviceMemory {
    /** A fresh block of exactly {@code bytes} bytes; throws {@link OutOfMemory} when the device has none left. */
    long allocate(long bytes);

    /** Returns a block from {@link #allocate}. */
    void free(long address);

    /** The device could not satisfy an allocation. */
    final class OutOfMemory extends RuntimeException {
        private static final long serialVersionUID = 1L;

        OutOfMemory(String message) {
            super(message);
        }
    }
}
