package org.ducisc.backend.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuDeviceTotalMem;
import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuGetErrorString;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;
import static jcuda.driver.JCudaDriver.cuMemsetD8Async;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.nio.charset.StandardCharsets;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;

/**
 * One CUDA device through JCuda's driver binding: its primary context (the same one the kernels'
 * runtime attaches to, so driver allocations and kernel launches share it), one stream that orders
 * all work, device memory, host copies, memsets and events. Every driver call is checked where it
 * is made; a failure throws {@link CudaException} naming the call and carrying the driver's own
 * error name and text.
 */
final class CudaDriver implements DeviceRuntime {
    /** The driver library JCuda's natives link against. */
    static final String DRIVER_LIBRARY = "libcuda.so.1";

    private final int index;
    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final Stream stream = new Stream();
    private final String name;
    private final long totalMemory;
    private final ThreadLocal<Boolean> current = ThreadLocal.withInitial(() -> Boolean.FALSE);

    /** A CUstream whose raw handle can be handed to the kernels (cudaStream_t is the same handle). */
    private static final class Stream extends CUstream {
        long handle() {
            return getNativePointer();
        }
    }

    /** A CUdeviceptr whose raw address can be read back. */
    private static final class DevicePointer extends CUdeviceptr {
        long address() {
            return getNativePointer() + getByteOffset();
        }
    }

    /**
     * Why CUDA cannot be used here (no driver library), or null when the driver library loads. Checked
     * before JCuda's natives are touched, whose own failure would be an UnsatisfiedLinkError naming
     * its JNI library rather than the missing driver.
     */
    @SuppressWarnings("restricted")  // loading a library by name; the JVM runs with --enable-native-access
    static String driverMissingReason() {
        try {
            SymbolLookup.libraryLookup(DRIVER_LIBRARY, Arena.global());
            return null;
        } catch (IllegalArgumentException e) {
            return "no CUDA driver found (" + DRIVER_LIBRARY + ")";
        }
    }

    /** Number of CUDA devices the driver sees (after cuInit). */
    static int deviceCount() {
        check("cuInit", cuInit(0));
        int[] count = new int[1];
        check("cuDeviceGetCount", cuDeviceGetCount(count));
        return count[0];
    }

    CudaDriver(int index) {
        int count = deviceCount();
        if (index >= count) {
            throw new CudaException("cuda:" + index + ": only " + count + " CUDA device" + (count == 1 ? "" : "s")
                    + " found");
        }
        this.index = index;
        check("cuDeviceGet", cuDeviceGet(device, index));
        byte[] nameBytes = new byte[256];
        check("cuDeviceGetName", cuDeviceGetName(nameBytes, nameBytes.length, device));
        int len = 0;
        while (len < nameBytes.length && nameBytes[len] != 0) {
            len++;
        }
        this.name = new String(nameBytes, 0, len, StandardCharsets.UTF_8);
        long[] total = new long[1];
        check("cuDeviceTotalMem", cuDeviceTotalMem(total, device));
        this.totalMemory = total[0];
        check("cuDevicePrimaryCtxRetain", cuDevicePrimaryCtxRetain(context, device));
        makeCurrent();
        check("cuStreamCreate", cuStreamCreate(stream, 0));
    }

    int index() {
        return index;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long totalMemory() {
        return totalMemory;
    }

    @Override
    public long streamHandle() {
        return stream.handle();
    }

    /**
     * Makes the primary context current on the calling thread (once per thread): the driver calls
     * and the kernels' runtime then both work on this device.
     */
    @Override
    public void makeCurrent() {
        if (!current.get()) {
            check("cuCtxSetCurrent", cuCtxSetCurrent(context));
            current.set(Boolean.TRUE);
        }
    }

    @Override
    public long allocate(long bytes) {
        makeCurrent();
        DevicePointer p = new DevicePointer();
        int status = cuMemAlloc(p, bytes);
        if (status == CUresult.CUDA_ERROR_OUT_OF_MEMORY) {
            throw new OutOfMemory(describe("cuMemAlloc", status));
        }
        check("cuMemAlloc", status);
        return p.address();
    }

    @Override
    public void free(long address) {
        makeCurrent();
        check("cuMemFree", cuMemFree(device(address)));
    }

    /** Copies all of {@code src} to device memory and waits for the copy. */
    @Override
    public void copyToDevice(MemorySegment src, long dst) {
        makeCurrent();
        check("cuMemcpyHtoDAsync", cuMemcpyHtoDAsync(device(dst), host(src), src.byteSize(), stream));
        synchronize();
    }

    /** Fills all of {@code dst} from device memory, after the work queued before it. */
    @Override
    public void copyToHost(long src, MemorySegment dst) {
        makeCurrent();
        check("cuMemcpyDtoHAsync", cuMemcpyDtoHAsync(host(dst), device(src), dst.byteSize(), stream));
        synchronize();
    }

    @Override
    public void copyDeviceToDevice(long src, long dst, long bytes) {
        makeCurrent();
        check("cuMemcpyDtoDAsync", cuMemcpyDtoDAsync(device(dst), device(src), bytes, stream));
    }

    @Override
    public void fill32(long dst, int bits, long count) {
        makeCurrent();
        check("cuMemsetD32Async", cuMemsetD32Async(device(dst), bits, count, stream));
    }

    @Override
    public void fill8(long dst, byte value, long count) {
        makeCurrent();
        check("cuMemsetD8Async", cuMemsetD8Async(device(dst), value, count, stream));
    }

    /** Waits for all work queued on the stream; a kernel's asynchronous failure surfaces here. */
    @Override
    public void synchronize() {
        check("cuStreamSynchronize", cuStreamSynchronize(stream));
    }

    /** Milliseconds the stream spends on {@code work}, measured with a pair of events. */
    @Override
    public float time(Runnable work) {
        makeCurrent();
        CUevent start = new CUevent();
        CUevent stop = new CUevent();
        check("cuEventCreate", cuEventCreate(start, 0));
        try {
            check("cuEventCreate", cuEventCreate(stop, 0));
            try {
                check("cuEventRecord", cuEventRecord(start, stream));
                work.run();
                check("cuEventRecord", cuEventRecord(stop, stream));
                check("cuEventSynchronize", cuEventSynchronize(stop));
                float[] ms = new float[1];
                check("cuEventElapsedTime", cuEventElapsedTime(ms, start, stop));
                return ms[0];
            } finally {
                check("cuEventDestroy", cuEventDestroy(stop));
            }
        } finally {
            check("cuEventDestroy", cuEventDestroy(start));
        }
    }

    @Override
    public void close() {
        makeCurrent();
        synchronize();
        check("cuStreamDestroy", cuStreamDestroy(stream));
        check("cuDevicePrimaryCtxRelease", cuDevicePrimaryCtxRelease(device));
    }

    private static CUdeviceptr device(long address) {
        return new CUdeviceptr().withByteOffset(address);
    }

    /** Host memory as a JCuda pointer: off-heap segments by address, heap segments through their array. */
    private static Pointer host(MemorySegment segment) {
        if (segment.isNative()) {
            return new Pointer().withByteOffset(segment.address());
        }
        return Pointer.to(segment.asByteBuffer());
    }

    static void check(String call, int status) {
        if (status != CUresult.CUDA_SUCCESS) {
            throw new CudaException(describe(call, status));
        }
    }

    private static String describe(String call, int status) {
        String[] text = new String[1];
        String detail = cuGetErrorString(status, text) == CUresult.CUDA_SUCCESS && text[0] != null ? ": " + text[0] : "";
        return call + " failed: " + CUresult.stringFor(status) + detail;
    }
}
