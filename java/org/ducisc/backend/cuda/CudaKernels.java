package org.ducisc.backend.cuda;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * Hand-written Panama bindings of native/ducisc_cuda.h, one instance per kernel library: the nvcc
 * build for a GPU ({@link #gpu()}) or the g++ build for the emulated device ({@link #emulated}),
 * which export the same functions. Each function's method handle is a final field bound when the
 * library is opened; a missing symbol fails then, naming it. Device pointers are passed as raw
 * addresses (longs); the methods below check every status at the call site and throw
 * {@link CudaException} with the function's name and the library's own message. The GPU library's
 * launchers only enqueue work and return at once, so they use the critical linker option (no
 * thread-state transition); the emulated device's launchers run the whole kernel on the calling
 * thread, so they are ordinary downcalls (the JVM may reach a safepoint meanwhile). Shape arrays go
 * through a small confined arena.
 */
@SuppressWarnings("restricted")  // the point of this class; the JVM runs with --enable-native-access
final class CudaKernels {
    private static final Linker LINKER = Linker.nativeLinker();
    private static volatile CudaKernels gpu;

    /** The library's file. */
    final Path library;
    private final SymbolLookup symbols;
    private final boolean critical;

    private final MethodHandle ABI_VERSION;
    private final MethodHandle LAST_ERROR;
    private final MethodHandle COPY_STRIDED;
    private final MethodHandle CAST_F32_U8;
    private final MethodHandle CAST_U8_F32;
    private final MethodHandle UNARY;
    private final MethodHandle BINARY;
    private final MethodHandle COMPARE;
    private final MethodHandle SUM;
    private final MethodHandle ARGMAX_CHANNEL;
    private final MethodHandle SOFTMAX_CHANNEL;
    private final MethodHandle SOFTMAX_CHANNEL_BACKWARD;
    private final MethodHandle GATHER_CHANNEL;
    private final MethodHandle SCATTER_CHANNEL;
    private final MethodHandle CONV3D_FORWARD;
    private final MethodHandle CONV3D_BACKWARD_WEIGHT;
    private final MethodHandle CONV3D_BACKWARD_DATA;
    private final MethodHandle BATCH_NORM_STATS;
    private final MethodHandle CHANNEL_AFFINE;
    private final MethodHandle BATCH_NORM_BACKWARD_REDUCE;
    private final MethodHandle BATCH_NORM_BACKWARD_DATA;
    private final MethodHandle INTERPOLATE;
    private final MethodHandle INTERPOLATE_BACKWARD;

    /**
     * Opens {@code library} (its symbols stay loaded for the life of the JVM) and binds every function;
     * throws UnsatisfiedLinkError naming a missing symbol or an ABI version other than {@link CudaAbi#VERSION}.
     */
    private CudaKernels(Path library, boolean critical) {
        this.library = library;
        this.symbols = SymbolLookup.libraryLookup(library, Arena.global());
        this.critical = critical;
        this.ABI_VERSION = bind("ducisc_cuda_abi_version");
        this.LAST_ERROR = bind("ducisc_cuda_last_error");
        this.COPY_STRIDED = bind("ducisc_cuda_copy_strided");
        this.CAST_F32_U8 = bind("ducisc_cuda_cast_f32_u8");
        this.CAST_U8_F32 = bind("ducisc_cuda_cast_u8_f32");
        this.UNARY = bind("ducisc_cuda_unary");
        this.BINARY = bind("ducisc_cuda_binary");
        this.COMPARE = bind("ducisc_cuda_compare");
        this.SUM = bind("ducisc_cuda_sum");
        this.ARGMAX_CHANNEL = bind("ducisc_cuda_argmax_channel");
        this.SOFTMAX_CHANNEL = bind("ducisc_cuda_softmax_channel");
        this.SOFTMAX_CHANNEL_BACKWARD = bind("ducisc_cuda_softmax_channel_backward");
        this.GATHER_CHANNEL = bind("ducisc_cuda_gather_channel");
        this.SCATTER_CHANNEL = bind("ducisc_cuda_scatter_channel");
        this.CONV3D_FORWARD = bind("ducisc_cuda_conv3d_forward");
        this.CONV3D_BACKWARD_WEIGHT = bind("ducisc_cuda_conv3d_backward_weight");
        this.CONV3D_BACKWARD_DATA = bind("ducisc_cuda_conv3d_backward_data");
        this.BATCH_NORM_STATS = bind("ducisc_cuda_batch_norm_stats");
        this.CHANNEL_AFFINE = bind("ducisc_cuda_channel_affine");
        this.BATCH_NORM_BACKWARD_REDUCE = bind("ducisc_cuda_batch_norm_backward_reduce");
        this.BATCH_NORM_BACKWARD_DATA = bind("ducisc_cuda_batch_norm_backward_data");
        this.INTERPOLATE = bind("ducisc_cuda_interpolate");
        this.INTERPOLATE_BACKWARD = bind("ducisc_cuda_interpolate_backward");
        int version = abiVersion();
        if (version != CudaAbi.VERSION) {
            throw new UnsatisfiedLinkError(library + " has ABI version " + version + ", this build expects "
                    + CudaAbi.VERSION + "; rebuild it with native/build.sh");
        }
    }

    /** The GPU library (nvcc build), found by {@link CudaLibrary#find()} and opened once. */
    static CudaKernels gpu() {
        CudaKernels k = gpu;
        if (k == null) {
            synchronized (CudaKernels.class) {
                k = gpu;
                if (k == null) {
                    Path path = CudaLibrary.find().orElseThrow(() -> new UnsatisfiedLinkError(CudaLibrary.FILE_NAME
                            + " not found (looked in " + CudaLibrary.candidates() + "); build it with native/build.sh"));
                    k = new CudaKernels(path, true);
                    gpu = k;
                }
            }
        }
        return k;
    }

    /** The emulated device's library (g++ build of the same sources, native/build.sh --host). */
    static CudaKernels emulated(Path library) {
        return new CudaKernels(library, false);
    }

    private MethodHandle bind(String function) {
        MemorySegment symbol = symbols.find(function).orElseThrow(
                () -> new UnsatisfiedLinkError(library + ": missing symbol " + function));
        boolean launcher = !function.equals("ducisc_cuda_abi_version") && !function.equals("ducisc_cuda_last_error");
        return launcher && critical
                ? LINKER.downcallHandle(symbol, CudaAbi.descriptor(function), Linker.Option.critical(false))
                : LINKER.downcallHandle(symbol, CudaAbi.descriptor(function));
    }

    private static MemorySegment ptr(long address) {
        return MemorySegment.ofAddress(address);
    }

    private void check(String function, int status) {
        if (status != 0) {
            throw new CudaException(function + " failed: " + lastError());
        }
    }

    private static CudaException rethrow(String function, Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new CudaException(function + ": " + t, t);
    }

    int abiVersion() {
        try {
            return (int) ABI_VERSION.invokeExact();
        } catch (Throwable t) {
            throw rethrow("ducisc_cuda_abi_version", t);
        }
    }

    String lastError() {
        try {
            MemorySegment s = (MemorySegment) LAST_ERROR.invokeExact();
            return s.reinterpret(Long.MAX_VALUE).getString(0);
        } catch (Throwable t) {
            throw rethrow("ducisc_cuda_last_error", t);
        }
    }

    void copyStrided(long stream, int elemSize, long src, long[] srcStrides, long dst, long[] dstStrides,
                            long[] shape) {
        try (Arena a = Arena.ofConfined()) {
            check("ducisc_cuda_copy_strided", (int) COPY_STRIDED.invokeExact(ptr(stream), elemSize, ptr(src),
                    a.allocateFrom(JAVA_LONG, srcStrides), ptr(dst), a.allocateFrom(JAVA_LONG, dstStrides),
                    a.allocateFrom(JAVA_LONG, shape), shape.length));
        } catch (Throwable t) {
            throw rethrow("ducisc_cuda_copy_strided", t);
        }
    }

    void castF32ToU8(long stream, long src, long dst, long n) {
        try {
            check("ducisc_cuda_cast_f32_u8", (int) CAST_F32_U8.invokeExact(ptr(stream), ptr(src), ptr(dst), n));
        } catch (Throwable t) {
            throw rethrow("ducisc_cuda_cast_f32_u8", t);
        }
    }

    void castU8ToF32(long stream, long src, long dst, long n) {
        try {
            check("ducisc_cuda_cast_u8_f32", (int) CAST_U8_F32.invokeExact(ptr(stream), ptr(src), ptr(dst), n));
        } catch (Throwable t) {
            throw rethrow("ducisc_cuda_cast_u8_f32", t);
        }
    }

    void unary(long stream, int op, long x, long y, long n, float a, float b) {
        try {
            check("ducisc_cuda_unary", (int) UNARY.invokeExact(ptr(stream), op, ptr(x), ptr(y), n, a, b));
        } catch (Throwable t) {
            throw rethrow("ducisc_cuda_unary", t);
        }
    }

    void binary(long stream, int op, long a, long[] aStrides, long b, long[] bStrides, long out,
                       long[] shape) {
        try (Arena arena = Arena.ofConfined()) {
            check("ducisc_cuda_binary", (int) BINARY.invokeExact(ptr(stream), op, ptr(a),
                    arena.allocateFrom(JAVA_LONG, aStrides), ptr(b), arena.allocateFrom(JAVA_LONG, bStrides),
                    ptr(out), arena.allocateFrom(JAVA_LONG, shape), shape.length));
        } catch (Throwable t) {
            throw rethrow("ducisc_cuda_binary", t);
        }
    }

    void compare(long stream, int op, boolean inU8, long a, long[] aStrides, long b, long[] bStrides,
                        boolean outU8, long out, long[] shape) {
        try (Arena arena = Arena.ofConfined()) {
            check("ducisc_cuda_compare", (int) COMPARE.invokeExact(ptr(stream), op, inU8 ? 1 : 0, ptr(a),
                    arena.allocateFrom(JAVA_LONG, aStrides), ptr(b), arena.allocateFrom(JAVA_LONG, bStrides),
                    outU8 ? 1 : 0, ptr(out), arena.allocateFrom(JAVA_LONG, shape), shape.length));
        } catch (Throwable t) {
            throw rethrow("ducisc_cuda_compare", t);
        }
    }

    void sum(long stream, long x, long[] shape, boolean[] reduce, long out) {
        int[] flags = new int[reduce.length];
        for (int d = 0; d < reduce.length; d++) {
            flags[d] = reduce[d] ? 1 : 0;
        }
        try (Arena arena = Arena.ofConfined()) {
            check("ducisc_cuda_sum", (int) SUM.invokeExact(ptr(stream), ptr(x), arena.allocateFrom(JAVA_LONG, shape),
                    arena.allocateFrom(JAVA_INT, flags), shape.length, ptr(out)));
        } catch (Throwable t) {
            throw rethrow("ducisc_cuda_sum", t);
        }
    }

    void argmaxChannel(long stream, long x, int n, int c, long s, long out) {
        try {
            check("ducisc_cuda_argmax_channel", (int) ARGMAX_CHANNEL.invokeExact(ptr(stream), ptr(x), n, c, s,
                    ptr(out)));
        } catch (Throwable t) {
            throw rethrow("ducisc_cuda_argmax_channel", t);
        }
    }

    void softmaxChannel(long stream, long x, int n, int c, long s, long y, boolean log) {
        try {
            check("ducisc_cuda_softmax_channel", (int) SOFTMAX_CHANNEL.invokeExact(ptr(stream), ptr(x), n, c, s,
                    ptr(y), log ? 1 : 0));
        } catch (Throwable t) {
            throw rethrow("ducisc_cuda_softmax_channel", t);
        }
    }

    void softmaxChannelBackward(long stream, long y, long gy, int n, int c, long s, long gx, boolean log) {
        try {
            check("ducisc_cuda_softmax_channel_backward", (int) SOFTMAX_CHANNEL_BACKWARD.invokeExact(ptr(stream),
                    ptr(y), ptr(gy), n, c, s, ptr(gx), log ? 1 : 0));
        } catch (Throwable t) {
            throw rethrow("ducisc_cuda_softmax_channel_backward", t);
        }
    }

    void gatherChannel(long stream, long x, long target, int n, int c, long s, long out, long bad) {
        try {
            check("ducisc_cuda_gather_channel", (int) GATHER_CHANNEL.invokeExact(ptr(stream), ptr(x), ptr(target), n,
                    c, s, ptr(out), ptr(bad)));
        } catch (Throwable t) {
            throw rethrow("ducisc_cuda_gather_channel", t);
        }
    }

    void scatterChannel(long stream, long g, long target, int n, int c, long s, long gx, long bad) {
        try {
            check("ducisc_cuda_scatter_channel", (int) SCATTER_CHANNEL.invokeExact(ptr(stream), ptr(g), ptr(target),
                    n, c, s, ptr(gx), ptr(bad)));
        } catch (Throwable t) {
            throw rethrow("ducisc_cuda_scatter_channel", t);
        }
    }

    void conv3dForward(long stream, long x, long w, long bias, long y, int[] geometry) {
        try (Arena arena = Arena.ofConfined()) {
            check("ducisc_cuda_conv3d_forward", (int) CONV3D_FORWARD.invokeExact(ptr(stream), ptr(x), ptr(w),
                    ptr(bias), ptr(y), arena.allocateFrom(JAVA_INT, geometry)));
        } catch (Throwable t) {
            throw rethrow("ducisc_cuda_conv3d_forward", t);
        }
    }

    void conv3dBackwardWeight(long stream, long x, long gy, long gw, int[] geometry, boolean accumulate) {
        try (Arena arena = Arena.ofConfined()) {
            check("ducisc_cuda_conv3d_backward_weight", (int) CONV3D_BACKWARD_WEIGHT.invokeExact(ptr(stream), ptr(x),
                    ptr(gy), ptr(gw), arena.allocateFrom(JAVA_INT, geometry), accumulate ? 1 : 0));
        } catch (Throwable t) {
            throw rethrow("ducisc_cuda_conv3d_backward_weight", t);
        }
    }

    void conv3dBackwardData(long stream, long gy, long w, long gx, int[] geometry) {
        try (Arena arena = Arena.ofConfined()) {
            check("ducisc_cuda_conv3d_backward_data", (int) CONV3D_BACKWARD_DATA.invokeExact(ptr(stream), ptr(gy),
                    ptr(w), ptr(gx), arena.allocateFrom(JAVA_INT, geometry)));
        } catch (Throwable t) {
            throw rethrow("ducisc_cuda_conv3d_backward_data", t);
        }
    }

    void batchNormStats(long stream, long x, int n, int c, long s, long mean, long var) {
        try {
            check("ducisc_cuda_batch_norm_stats", (int) BATCH_NORM_STATS.invokeExact(ptr(stream), ptr(x), n, c, s,
                    ptr(mean), ptr(var)));
        } catch (Throwable t) {
            throw rethrow("ducisc_cuda_batch_norm_stats", t);
        }
    }

    void channelAffine(long stream, long x, long scale, long shift, int n, int c, long s, boolean relu,
                              long y) {
        try {
            check("ducisc_cuda_channel_affine", (int) CHANNEL_AFFINE.invokeExact(ptr(stream), ptr(x), ptr(scale),
                    ptr(shift), n, c, s, relu ? 1 : 0, ptr(y)));
        } catch (Throwable t) {
            throw rethrow("ducisc_cuda_channel_affine", t);
        }
    }

    void batchNormBackwardReduce(long stream, long x, long gy, long reluOut, long mean, long invStd, int n,
                                        int c, long s, long sumGy, long sumGyXhat) {
        try {
            check("ducisc_cuda_batch_norm_backward_reduce", (int) BATCH_NORM_BACKWARD_REDUCE.invokeExact(ptr(stream),
                    ptr(x), ptr(gy), ptr(reluOut), ptr(mean), ptr(invStd), n, c, s, ptr(sumGy), ptr(sumGyXhat)));
        } catch (Throwable t) {
            throw rethrow("ducisc_cuda_batch_norm_backward_reduce", t);
        }
    }

    void batchNormBackwardData(long stream, long x, long gy, long reluOut, long mean, long invStd, long gamma,
                                      long sumGy, long sumGyXhat, int n, int c, long s, long gx) {
        try {
            check("ducisc_cuda_batch_norm_backward_data", (int) BATCH_NORM_BACKWARD_DATA.invokeExact(ptr(stream),
                    ptr(x), ptr(gy), ptr(reluOut), ptr(mean), ptr(invStd), ptr(gamma), ptr(sumGy), ptr(sumGyXhat), n,
                    c, s, ptr(gx)));
        } catch (Throwable t) {
            throw rethrow("ducisc_cuda_batch_norm_backward_data", t);
        }
    }

    void interpolate(long stream, int mode, long x, long nc, int[] in, long y, int[] out) {
        try (Arena arena = Arena.ofConfined()) {
            check("ducisc_cuda_interpolate", (int) INTERPOLATE.invokeExact(ptr(stream), mode, ptr(x), nc,
                    arena.allocateFrom(JAVA_INT, in), ptr(y), arena.allocateFrom(JAVA_INT, out)));
        } catch (Throwable t) {
            throw rethrow("ducisc_cuda_interpolate", t);
        }
    }

    void interpolateBackward(long stream, int mode, long gy, long nc, int[] in, int[] out, long gx) {
        try (Arena arena = Arena.ofConfined()) {
            check("ducisc_cuda_interpolate_backward", (int) INTERPOLATE_BACKWARD.invokeExact(ptr(stream), mode,
                    ptr(gy), nc, arena.allocateFrom(JAVA_INT, in), arena.allocateFrom(JAVA_INT, out), ptr(gx)));
        } catch (Throwable t) {
            throw rethrow("ducisc_cuda_interpolate_backward", t);
        }
    }
}
