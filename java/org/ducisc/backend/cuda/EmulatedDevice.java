package org.ducisc.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The emulated CUDA device: host memory for the kernels of kernels/*.cu built by g++ (native/build.sh
 * --host, see kernels/host_emulation.h), through the library's ducisc_emu_* functions, so that its
 * AddressSanitizer build checks every byte the kernels and copies touch. Launches run to completion
 * when called, so the stream is a null handle, synchronisation has nothing to wait for and
 * {@link #time} is wall-clock time. Every block has {@value #GUARD} bytes more than the allocator
 * asked for, and every byte past a request is a guard: filled with a pattern and checked when the
 * block comes back ({@link #takeBack}), or poisoned under AddressSanitizer. Capacity: the system property
 * ducisc.cuda.emulator.bytes (default 8 GiB); beyond it allocations fail as on a full GPU.
 */
@SuppressWarnings("restricted")  // downcalls into the emulator library; the JVM runs with --enable-native-access
final class EmulatedDevice implements DeviceRuntime {
    /** Bytes past every block, so that even a request of exactly a size class has a guard behind it. */
    static final long GUARD = 64;

    private final Path library;
    private final long capacity;
    private final boolean sanitized;
    private final MethodHandle alloc;
    private final MethodHandle freeBlock;
    private final MethodHandle handOutBlock;
    private final MethodHandle takeBackBlock;
    private final MethodHandle copy;
    private final MethodHandle fill32Words;
    private final MethodHandle fill8Bytes;
    /** Size of every block from {@link #allocate}, for the capacity. */
    private final Map<Long, Long> blocks = new HashMap<>();
    private long allocatedBytes;

    EmulatedDevice(Path library) {
        this.library = library;
        this.capacity = Long.getLong("ducisc.cuda.emulator.bytes", 8L << 30);
        Linker linker = Linker.nativeLinker();
        SymbolLookup symbols = SymbolLookup.libraryLookup(library, Arena.global());
        this.alloc = bind(linker, symbols, "ducisc_emu_alloc", FunctionDescriptor.of(ADDRESS, JAVA_LONG));
        this.freeBlock = bind(linker, symbols, "ducisc_emu_free", FunctionDescriptor.ofVoid(ADDRESS));
        this.handOutBlock = bind(linker, symbols, "ducisc_emu_hand_out",
                FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, JAVA_LONG));
        this.takeBackBlock = bind(linker, symbols, "ducisc_emu_take_back",
                FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG));
        this.copy = bind(linker, symbols, "ducisc_emu_copy", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_LONG));
        this.fill32Words = bind(linker, symbols, "ducisc_emu_fill32",
                FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_LONG));
        this.fill8Bytes = bind(linker, symbols, "ducisc_emu_fill8",
                FunctionDescriptor.ofVoid(ADDRESS, JAVA_BYTE, JAVA_LONG));
        MethodHandle sanitizedHandle = bind(linker, symbols, "ducisc_emu_sanitized", FunctionDescriptor.of(JAVA_INT));
        try {
            this.sanitized = (int) sanitizedHandle.invokeExact() != 0;
        } catch (Throwable t) {
            throw new CudaException("ducisc_emu_sanitized: " + t, t);
        }
    }

    private MethodHandle bind(Linker linker, SymbolLookup symbols, String function, FunctionDescriptor descriptor) {
        MemorySegment symbol = symbols.find(function).orElseThrow(
                () -> new UnsatisfiedLinkError(library + ": missing symbol " + function));
        return linker.downcallHandle(symbol, descriptor);
    }

    private static MemorySegment ptr(long address) {
        return MemorySegment.ofAddress(address);
    }

    private static CudaException failure(String function, Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new CudaException(function + ": " + t, t);
    }

    /** True for the AddressSanitizer build. */
    boolean sanitized() {
        return sanitized;
    }

    @Override
    public String name() {
        return "host emulation of the CUDA kernels" + (sanitized ? ", AddressSanitizer" : "");
    }

    @Override
    public long totalMemory() {
        return capacity;
    }

    @Override
    public long streamHandle() {
        return 0L;
    }

    @Override
    public void makeCurrent() {
        // one host, no contexts
    }

    @Override
    public synchronized long allocate(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("negative allocation size " + bytes);
        }
        if (bytes > capacity - allocatedBytes) {
            throw new OutOfMemory("emulated device: " + bytes + " bytes requested, " + (capacity - allocatedBytes)
                    + " of " + capacity + " free");
        }
        long address;
        try {
            address = ((MemorySegment) alloc.invokeExact(bytes + GUARD)).address();
        } catch (Throwable t) {
            throw failure("ducisc_emu_alloc", t);
        }
        if (address == 0) {
            throw new OutOfMemory("emulated device: the host has no " + bytes + " bytes left");
        }
        blocks.put(address, bytes);
        allocatedBytes += bytes;
        return address;
    }

    @Override
    public synchronized void free(long address) {
        Long bytes = blocks.remove(address);
        if (bytes == null) {
            throw new IllegalArgumentException("0x" + Long.toHexString(address) + " is not a block of the emulated device");
        }
        allocatedBytes -= bytes;
        try {
            freeBlock.invokeExact(ptr(address));
        } catch (Throwable t) {
            throw failure("ducisc_emu_free", t);
        }
    }

    @Override
    public void handOut(long address, long requested, long blockBytes) {
        try {
            handOutBlock.invokeExact(ptr(address), requested, blockBytes + GUARD);
        } catch (Throwable t) {
            throw failure("ducisc_emu_hand_out", t);
        }
    }

    @Override
    public void takeBack(long address, long requested, long blockBytes) {
        long damaged;
        try {
            damaged = (long) takeBackBlock.invokeExact(ptr(address), requested, blockBytes + GUARD);
        } catch (Throwable t) {
            throw failure("ducisc_emu_take_back", t);
        }
        if (damaged >= 0) {
            throw new CudaException("emulated device: a kernel or copy wrote past the end of a device buffer of "
                    + requested + " bytes at 0x" + Long.toHexString(address) + " (byte " + damaged + " written)");
        }
    }

    @Override
    public void copyToDevice(MemorySegment src, long dst) {
        copy(dst, src, true);
    }

    @Override
    public void copyToHost(long src, MemorySegment dst) {
        copy(src, dst, false);
    }

    /** Host segments the library cannot address (heap arrays) go through a native copy. */
    private void copy(long device, MemorySegment host, boolean toDevice) {
        if (host.isNative()) {
            copyRaw(toDevice ? device : host.address(), toDevice ? host.address() : device, host.byteSize());
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment staging = arena.allocate(host.byteSize());
            if (toDevice) {
                staging.copyFrom(host);
                copyRaw(device, staging.address(), host.byteSize());
            } else {
                copyRaw(staging.address(), device, host.byteSize());
                host.copyFrom(staging);
            }
        }
    }

    private void copyRaw(long dst, long src, long bytes) {
        try {
            copy.invokeExact(ptr(dst), ptr(src), bytes);
        } catch (Throwable t) {
            throw failure("ducisc_emu_copy", t);
        }
    }

    @Override
    public void copyDeviceToDevice(long src, long dst, long bytes) {
        copyRaw(dst, src, bytes);
    }

    @Override
    public void fill32(long dst, int bits, long count) {
        try {
            fill32Words.invokeExact(ptr(dst), bits, count);
        } catch (Throwable t) {
            throw failure("ducisc_emu_fill32", t);
        }
    }

    @Override
    public void fill8(long dst, byte value, long count) {
        try {
            fill8Bytes.invokeExact(ptr(dst), value, count);
        } catch (Throwable t) {
            throw failure("ducisc_emu_fill8", t);
        }
    }

    @Override
    public void synchronize() {
        // every launch and copy has finished when its call returns
    }

    @Override
    public float time(Runnable work) {
        long start = System.nanoTime();
        work.run();
        return (System.nanoTime() - start) / 1e6f;
    }

    /** Nothing to release: blocks are freed one by one through {@link #free}, by the allocator that owns them. */
    @Override
    public void close() {
    }
}
