package org.ducisc.backend.cuda;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.ducisc.backend.Backend;
import org.ducisc.backend.Buffer;
import org.ducisc.backend.ConvGeometry;
import org.ducisc.core.BinaryOp;
import org.ducisc.core.CompareOp;
import org.ducisc.core.DType;
import org.ducisc.core.Device;
import org.ducisc.core.InterpolationMode;
import org.ducisc.core.UnaryOp;

/**
 * One CUDA device: memory from a caching allocator over the device's {@link DeviceRuntime}, every op a
 * kernel of the kernel library called through Panama, all of them queued in order on one stream. Ops
 * return once their work is queued; copies to the host wait for it. Two kinds of device run this same
 * code: a GPU ({@link #forDevice}: JCuda's driver binding and the nvcc-built libducisc_cuda.so) and the
 * emulated device ({@link #emulated}: host memory and the g++-built libducisc_cuda_host.so of the same
 * kernel sources, see kernels/host_emulation.h). With system property ducisc.poison=true every buffer
 * handed out is NaN-filled first, as on the CPU backend.
 */
public final class CudaBackend implements Backend {
    private static final boolean POISON = Boolean.getBoolean("ducisc.poison");
    private static final int NAN_BITS = Float.floatToRawIntBits(Float.NaN);
    private static final Map<Integer, CudaBackend> OPEN = new ConcurrentHashMap<>();
    private static volatile CudaBackend emulatedBackend;

    private final Device device;
    private final DeviceRuntime driver;
    private final CudaKernels kernels;
    private final CachingAllocator allocator;
    private final long stream;
    /** Device word where gather/scatter record the first out-of-range target. */
    private final long badTarget;

    private CudaBackend(Device device, DeviceRuntime driver, CudaKernels kernels) {
        this.device = device;
        this.driver = driver;
        this.kernels = kernels;
        this.allocator = new CachingAllocator(driver);
        this.stream = driver.streamHandle();
        this.badTarget = allocator.allocate(Long.BYTES);
    }

    /**
     * The emulated CUDA device ({@link Device#CUDA_EMULATED}), opened on first use: the kernels built for
     * the host by native/build.sh --host, run on host memory. Throws {@link CudaUnavailableException} with
     * one line saying why when the library is missing or unusable.
     */
    public static CudaBackend emulated() {
        CudaBackend b = emulatedBackend;
        if (b == null) {
            synchronized (CudaBackend.class) {
                b = emulatedBackend;
                if (b == null) {
                    b = openEmulated();
                    emulatedBackend = b;
                }
            }
        }
        return b;
    }

    private static CudaBackend openEmulated() {
        java.nio.file.Path library = CudaLibrary.findHost().orElseThrow(() -> new CudaUnavailableException(
                "emulated CUDA device: " + CudaLibrary.hostFileName() + " not found (looked in "
                        + CudaLibrary.hostCandidates() + "); build it with native/build.sh --host"));
        try {
            return new CudaBackend(Device.CUDA_EMULATED, new EmulatedDevice(library), CudaKernels.emulated(library));
        } catch (UnsatisfiedLinkError | IllegalArgumentException | CudaException e) {
            throw new CudaUnavailableException("emulated CUDA device unusable: " + e.getMessage());
        }
    }

    /**
     * The backend of CUDA device {@code index}, opened on first use. Throws {@link CudaUnavailableException}
     * with one line saying why when there is no driver, no kernel library or no such device.
     */
    public static CudaBackend forDevice(int index) {
        return OPEN.computeIfAbsent(index, CudaBackend::open);
    }

    private static CudaBackend open(int index) {
        String driverMissing = CudaDriver.driverMissingReason();
        if (driverMissing != null) {
            throw new CudaUnavailableException(driverMissing);
        }
        CudaKernels kernels;
        try {
            kernels = CudaKernels.gpu();
        } catch (UnsatisfiedLinkError | IllegalArgumentException e) {
            throw new CudaUnavailableException("CUDA kernel library unusable: " + e.getMessage());
        }
        try {
            return new CudaBackend(Device.cuda(index), new CudaDriver(index), kernels);
        } catch (CudaException | UnsatisfiedLinkError e) {
            throw new CudaUnavailableException(e.getMessage());
        }
    }

    /** "cuda:0 (NVIDIA H200, 140 GiB)", "cuda-emu (host emulation of the CUDA kernels, 8 GiB)". */
    public String describe() {
        return device + " (" + driver.name() + ", " + (driver.totalMemory() >> 30) + " GiB)";
    }

    @Override
    public Device device() {
        return device;
    }

    /** Waits for every queued op; an asynchronous kernel failure surfaces here. */
    public void synchronize() {
        driver.synchronize();
    }

    /** Milliseconds of device time {@code work} queues, measured with events on the backend's stream. */
    public float time(Runnable work) {
        return driver.time(work);
    }

    /** Bytes held by live buffers. */
    public long liveBytes() {
        return allocator.liveBytes();
    }

    /** Bytes cached for reuse. */
    public long cachedBytes() {
        return allocator.cachedBytes();
    }

    /** cudaMalloc-equivalent calls so far (flat in steady state). */
    public long deviceAllocations() {
        return allocator.deviceAllocations();
    }

    private static long at(Buffer b, long elementOffset, int elementSize) {
        return b == null ? 0L : ((CudaBuffer) b).address + elementOffset * elementSize;
    }

    private static long f32(Buffer b, long offset) {
        return at(b, offset, 4);
    }

    @Override
    public Buffer allocate(long bytes) {
        driver.makeCurrent();
        long address = allocator.allocate(bytes);
        if (POISON) {
            driver.fill32(address, NAN_BITS, bytes / 4);
            if (bytes % 4 != 0) {
                driver.fill8(address + bytes / 4 * 4, (byte) 0xff, bytes % 4);
            }
        }
        return new CudaBuffer(address, bytes, device);
    }

    @Override
    public void release(Buffer buffer) {
        allocator.free(((CudaBuffer) buffer).address);
    }

    @Override
    public void copyFromHost(MemorySegment src, Buffer dst, long dstByteOffset) {
        checkRange(dst, dstByteOffset, src.byteSize());
        driver.copyToDevice(src, at(dst, dstByteOffset, 1));
    }

    @Override
    public void copyToHost(Buffer src, long srcByteOffset, MemorySegment dst) {
        checkRange(src, srcByteOffset, dst.byteSize());
        driver.copyToHost(at(src, srcByteOffset, 1), dst);
    }

    /** Checks a copy's byte range against the buffer before the device sees it. */
    private static void checkRange(Buffer b, long offset, long bytes) {
        if (offset < 0 || bytes < 0 || offset > b.byteSize() - bytes) {
            throw new IndexOutOfBoundsException("copy of " + bytes + " bytes at byte " + offset + " of a "
                    + b.byteSize() + "-byte device buffer");
        }
    }

    @Override
    public void fill(DType type, Buffer dst, long dstOff, long count, double value) {
        if (count == 0) {
            return;
        }
        if (type == DType.FLOAT32) {
            driver.fill32(f32(dst, dstOff), Float.floatToRawIntBits((float) value), count);
        } else {
            driver.fill8(at(dst, dstOff, 1), DType.toUint8(value), count);
        }
    }

    @Override
    public void copyStrided(DType type, Buffer src, long srcOff, long[] srcStrides, Buffer dst, long dstOff,
                            long[] dstStrides, long[] shape) {
        int es = type.byteSize();
        driver.makeCurrent();
        kernels.copyStrided(stream, es, at(src, srcOff, es), srcStrides, at(dst, dstOff, es), dstStrides, shape);
    }

    @Override
    public void cast(Buffer src, long srcOff, DType from, Buffer dst, long dstOff, DType to, long n) {
        driver.makeCurrent();
        if (from == to) {
            if (n > 0) {
                driver.copyDeviceToDevice(at(src, srcOff, from.byteSize()), at(dst, dstOff, to.byteSize()),
                        n * to.byteSize());
            }
        } else if (from == DType.UINT8) {
            kernels.castU8ToF32(stream, at(src, srcOff, 1), f32(dst, dstOff), n);
        } else {
            kernels.castF32ToU8(stream, f32(src, srcOff), at(dst, dstOff, 1), n);
        }
    }

    @Override
    public void unary(UnaryOp op, Buffer x, long xOff, Buffer y, long yOff, long n, float a, float b) {
        driver.makeCurrent();
        kernels.unary(stream, op.ordinal(), f32(x, xOff), f32(y, yOff), n, a, b);
    }

    @Override
    public void binary(BinaryOp op, Buffer a, long aOff, long[] aStrides, Buffer b, long bOff, long[] bStrides,
                       Buffer out, long outOff, long[] shape) {
        driver.makeCurrent();
        kernels.binary(stream, op.ordinal(), f32(a, aOff), aStrides, f32(b, bOff), bStrides, f32(out, outOff),
                shape);
    }

    @Override
    public void compare(CompareOp op, DType in, Buffer a, long aOff, long[] aStrides, Buffer b, long bOff,
                        long[] bStrides, DType outType, Buffer out, long outOff, long[] shape) {
        driver.makeCurrent();
        int ie = in.byteSize();
        kernels.compare(stream, op.ordinal(), in == DType.UINT8, at(a, aOff, ie), aStrides, at(b, bOff, ie),
                bStrides, outType == DType.UINT8, at(out, outOff, outType.byteSize()), shape);
    }

    @Override
    public void sum(Buffer x, long xOff, long[] shape, boolean[] reduce, Buffer out, long outOff) {
        driver.makeCurrent();
        kernels.sum(stream, f32(x, xOff), shape, reduce, f32(out, outOff));
    }

    @Override
    public void argmaxChannel(Buffer x, long xOff, int n, int c, long s, Buffer out, long outOff) {
        driver.makeCurrent();
        kernels.argmaxChannel(stream, f32(x, xOff), n, c, s, at(out, outOff, 1));
    }

    @Override
    public void softmaxChannel(Buffer x, long xOff, int n, int c, long s, Buffer y, long yOff, boolean log) {
        driver.makeCurrent();
        kernels.softmaxChannel(stream, f32(x, xOff), n, c, s, f32(y, yOff), log);
    }

    @Override
    public void softmaxChannelBackward(Buffer y, long yOff, Buffer gy, long gyOff, int n, int c, long s, Buffer gx,
                                       long gxOff, boolean log) {
        driver.makeCurrent();
        kernels.softmaxChannelBackward(stream, f32(y, yOff), f32(gy, gyOff), n, c, s, f32(gx, gxOff), log);
    }

    @Override
    public void gatherChannel(Buffer x, long xOff, Buffer target, long tOff, int n, int c, long s, Buffer out,
                              long outOff) {
        driver.makeCurrent();
        kernels.gatherChannel(stream, f32(x, xOff), at(target, tOff, 1), n, c, s, f32(out, outOff), badTarget);
        checkTargets("gatherChannel", c, s);
    }

    @Override
    public void scatterChannel(Buffer g, long gOff, Buffer target, long tOff, int n, int c, long s, Buffer gx,
                               long gxOff) {
        driver.makeCurrent();
        kernels.scatterChannel(stream, f32(g, gOff), at(target, tOff, 1), n, c, s, f32(gx, gxOff), badTarget);
        checkTargets("scatterChannel", c, s);
    }

    /** Reads the kernel's record of the first target >= c (one 8-byte copy, which waits for the stream). */
    private void checkTargets(String op, int c, long s) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment word = arena.allocate(JAVA_LONG);
            driver.copyToHost(badTarget, word);
            long bad = word.get(JAVA_LONG, 0);
            if (bad != -1L) {
                long index = bad >>> 8;
                throw new IllegalArgumentException(op + ": target value " + (bad & 0xff) + " at sample "
                        + index / s + ", position " + index % s + " is not a channel of " + c);
            }
        }
    }

    private static int[] geometry(ConvGeometry g) {
        int[] v = new int[CudaAbi.CONV_GEOMETRY_INTS];
        v[0] = g.batch();
        v[1] = g.inChannels();
        v[2] = g.outChannels();
        for (int a = 0; a < 3; a++) {
            v[3 + a] = g.in()[a];
            v[6 + a] = g.kernel()[a];
            v[9 + a] = g.stride()[a];
            v[12 + a] = g.padding()[a];
            v[15 + a] = g.out()[a];
        }
        return v;
    }

    @Override
    public void conv3dForward(Buffer x, long xOff, Buffer w, long wOff, Buffer bias, long biasOff, Buffer y,
                              long yOff, ConvGeometry g) {
        driver.makeCurrent();
        kernels.conv3dForward(stream, f32(x, xOff), f32(w, wOff), f32(bias, biasOff), f32(y, yOff), geometry(g));
    }

    @Override
    public void conv3dBackwardData(Buffer gy, long gyOff, Buffer w, long wOff, Buffer gx, long gxOff,
                                   ConvGeometry g) {
        driver.makeCurrent();
        kernels.conv3dBackwardData(stream, f32(gy, gyOff), f32(w, wOff), f32(gx, gxOff), geometry(g));
    }

    @Override
    public void conv3dBackwardWeight(Buffer x, long xOff, Buffer gy, long gyOff, Buffer gw, long gwOff,
                                     ConvGeometry g, boolean accumulate) {
        driver.makeCurrent();
        kernels.conv3dBackwardWeight(stream, f32(x, xOff), f32(gy, gyOff), f32(gw, gwOff), geometry(g),
                accumulate);
    }

    @Override
    public void batchNormStats(Buffer x, long xOff, int n, int c, long s, Buffer mean, long meanOff, Buffer var,
                               long varOff) {
        driver.makeCurrent();
        kernels.batchNormStats(stream, f32(x, xOff), n, c, s, f32(mean, meanOff), f32(var, varOff));
    }

    @Override
    public void channelAffine(Buffer x, long xOff, Buffer scale, long scaleOff, Buffer shift, long shiftOff, int n,
                              int c, long s, boolean relu, Buffer y, long yOff) {
        driver.makeCurrent();
        kernels.channelAffine(stream, f32(x, xOff), f32(scale, scaleOff), f32(shift, shiftOff), n, c, s, relu,
                f32(y, yOff));
    }

    @Override
    public void batchNormBackwardReduce(Buffer x, long xOff, Buffer gy, long gyOff, Buffer reluOut, long reluOutOff,
                                        Buffer mean, long meanOff, Buffer invStd, long invStdOff, int n, int c,
                                        long s, Buffer sumGy, long sumGyOff, Buffer sumGyXhat, long sumGyXhatOff) {
        driver.makeCurrent();
        kernels.batchNormBackwardReduce(stream, f32(x, xOff), f32(gy, gyOff), f32(reluOut, reluOutOff),
                f32(mean, meanOff), f32(invStd, invStdOff), n, c, s, f32(sumGy, sumGyOff),
                f32(sumGyXhat, sumGyXhatOff));
    }

    @Override
    public void batchNormBackwardData(Buffer x, long xOff, Buffer gy, long gyOff, Buffer reluOut, long reluOutOff,
                                      Buffer mean, long meanOff, Buffer invStd, long invStdOff, Buffer gamma,
                                      long gammaOff, Buffer sumGy, long sumGyOff, Buffer sumGyXhat,
                                      long sumGyXhatOff, int n, int c, long s, Buffer gx, long gxOff) {
        driver.makeCurrent();
        kernels.batchNormBackwardData(stream, f32(x, xOff), f32(gy, gyOff), f32(reluOut, reluOutOff),
                f32(mean, meanOff), f32(invStd, invStdOff), f32(gamma, gammaOff), f32(sumGy, sumGyOff),
                f32(sumGyXhat, sumGyXhatOff), n, c, s, f32(gx, gxOff));
    }

    @Override
    public void interpolate(InterpolationMode mode, Buffer x, long xOff, long nc, int[] in, Buffer y, long yOff,
                            int[] out) {
        driver.makeCurrent();
        kernels.interpolate(stream, mode.ordinal(), f32(x, xOff), nc, in, f32(y, yOff), out);
    }

    @Override
    public void interpolateBackward(InterpolationMode mode, Buffer gy, long gyOff, long nc, int[] in, int[] out,
                                    Buffer gx, long gxOff) {
        driver.makeCurrent();
        kernels.interpolateBackward(stream, mode.ordinal(), f32(gy, gyOff), nc, in, out, f32(gx, gxOff));
    }
}
