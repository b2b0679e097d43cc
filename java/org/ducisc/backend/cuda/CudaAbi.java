package org.ducisc.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The C signatures of native/ducisc_cuda.h as Panama descriptors, by function name. Kept apart from
 * {@link CudaKernels} so that a test can compare them with the header without loading the library.
 * Pointers (device or host) are ADDRESS, int32_t JAVA_INT, int64_t JAVA_LONG, float JAVA_FLOAT.
 */
final class CudaAbi {
    /** DUCISC_CUDA_ABI_VERSION of the header these descriptors were written from. */
    static final int VERSION = 1;
    /** DUCISC_BAD_ARGUMENT. */
    static final int BAD_ARGUMENT = 10000;
    /** DUCISC_MAX_RANK. */
    static final int MAX_RANK = 8;
    /** DUCISC_CONV_GEOMETRY_INTS. */
    static final int CONV_GEOMETRY_INTS = 18;

    static final Map<String, FunctionDescriptor> FUNCTIONS;

    static {
        Map<String, FunctionDescriptor> f = new LinkedHashMap<>();
        f.put("ducisc_cuda_abi_version", FunctionDescriptor.of(JAVA_INT));
        f.put("ducisc_cuda_last_error", FunctionDescriptor.of(ADDRESS));
        f.put("ducisc_cuda_copy_strided", status(ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT));
        f.put("ducisc_cuda_cast_f32_u8", status(ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
        f.put("ducisc_cuda_cast_u8_f32", status(ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
        f.put("ducisc_cuda_unary", status(ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_FLOAT, JAVA_FLOAT));
        f.put("ducisc_cuda_binary", status(ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
                JAVA_INT));
        f.put("ducisc_cuda_compare", status(ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT,
                ADDRESS, ADDRESS, JAVA_INT));
        f.put("ducisc_cuda_sum", status(ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS));
        f.put("ducisc_cuda_argmax_channel", status(ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS));
        f.put("ducisc_cuda_softmax_channel", status(ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS,
                JAVA_INT));
        f.put("ducisc_cuda_softmax_channel_backward", status(ADDRESS, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_LONG,
                ADDRESS, JAVA_INT));
        f.put("ducisc_cuda_gather_channel", status(ADDRESS, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS,
                ADDRESS));
        f.put("ducisc_cuda_scatter_channel", status(ADDRESS, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS,
                ADDRESS));
        f.put("ducisc_cuda_conv3d_forward", status(ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        f.put("ducisc_cuda_conv3d_backward_weight", status(ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT));
        f.put("ducisc_cuda_conv3d_backward_data", status(ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        f.put("ducisc_cuda_batch_norm_stats", status(ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS,
                ADDRESS));
        f.put("ducisc_cuda_channel_affine", status(ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_LONG,
                JAVA_INT, ADDRESS));
        f.put("ducisc_cuda_batch_norm_backward_reduce", status(ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
                JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS));
        f.put("ducisc_cuda_batch_norm_backward_data", status(ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
                ADDRESS, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS));
        f.put("ducisc_cuda_interpolate", status(ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS, ADDRESS));
        f.put("ducisc_cuda_interpolate_backward", status(ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS,
                ADDRESS));
        FUNCTIONS = Collections.unmodifiableMap(f);
    }

    private CudaAbi() {
    }

    /** A launcher: returns an int status. */
    private static FunctionDescriptor status(java.lang.foreign.MemoryLayout... args) {
        return FunctionDescriptor.of(JAVA_INT, args);
    }

    static FunctionDescriptor descriptor(String function) {
        FunctionDescriptor d = FUNCTIONS.get(function);
        if (d == null) {
            throw new IllegalArgumentException("no descriptor for " + function + " in CudaAbi");
        }
        return d;
    }
}
